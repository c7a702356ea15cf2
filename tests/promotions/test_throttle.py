"""Velocity limits on the giveaway POSTs: per client IP, per participant; a friendly 429; no spoofing around them."""

import pytest

from promotions import throttle
from promotions.models import Entry, Mission
from tests.promotions.conftest import make_person
from tests.promotions.test_giveaway_page import giveaway_running_now


@pytest.fixture
def live_giveaway(main_account):
    return giveaway_running_now(main_account)


def code_mission_of(giveaway):
    return giveaway.missions.get(kind=Mission.Kind.SECRET_CODE)


def post(client, giveaway, **extra):
    mission = code_mission_of(giveaway)
    return client.post(f"/g/{giveaway.slug}/missions/{mission.pk}/", {"answer": "WRONG"}, **extra)


def test_it_answers_429_after_the_per_ip_limit_of_100_posts_in_10_seconds(client, live_giveaway):
    answers = [post(client, live_giveaway, REMOTE_ADDR="198.51.100.4").status_code for _ in range(100)]
    # Anonymous POSTs go to sign-in until the limit; every one after it is refused.
    assert answers[:throttle.POSTS_PER_IP] == [302] * throttle.POSTS_PER_IP
    assert set(answers[throttle.POSTS_PER_IP:]) == {429}


def test_it_is_not_reset_by_a_spoofed_x_forwarded_for(client, live_giveaway):
    answers = [post(client, live_giveaway, REMOTE_ADDR="198.51.100.4",
                    headers={"X-Forwarded-For": f"10.0.{number // 250}.{number % 250}"}).status_code
               for number in range(100)]
    assert answers.count(429) == 100 - throttle.POSTS_PER_IP


def test_it_counts_each_client_behind_our_own_proxy_apart(client, live_giveaway, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(throttle.POSTS_PER_IP):
        post(client, live_giveaway, REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": "198.51.100.4"})
    refused = post(client, live_giveaway, REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": "198.51.100.4"})
    assert refused.status_code == 429
    # What the client wrote left of the address our proxy added changes nothing...
    spoofed = post(client, live_giveaway, REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.4"})
    assert spoofed.status_code == 429
    # ...while another client behind the same proxy has a limit of its own.
    other = post(client, live_giveaway, REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": "198.51.100.5"})
    assert other.status_code == 302


def test_it_limits_one_participant_whatever_their_ip(client, live_giveaway):
    person = make_person("yuna@gmail.com")
    client.force_login(person.user)
    answers = [post(client, live_giveaway, REMOTE_ADDR=f"203.0.113.{number}").status_code for number in range(30)]
    assert answers[:throttle.POSTS_PER_PERSON] == [302] * throttle.POSTS_PER_PERSON
    assert set(answers[throttle.POSTS_PER_PERSON:]) == {429}
    assert not Entry.objects.exists()


def test_it_gives_a_friendly_page_saying_how_long_to_wait(client, live_giveaway):
    for _ in range(throttle.POSTS_PER_IP):
        post(client, live_giveaway)
    response = post(client, live_giveaway)
    assert response.status_code == 429
    assert response["Retry-After"] == str(throttle.WINDOW_SECONDS)
    html = response.content.decode()
    assert "Too many tries at once" in html
    assert f"Wait {throttle.WINDOW_SECONDS} seconds, then try again." in html
    assert 'href="/g/free-tickets/"' in html


def test_it_limits_the_details_form_too(client, live_giveaway):
    for _ in range(throttle.POSTS_PER_IP):
        client.post(f"/g/{live_giveaway.slug}/details/", {})
    assert client.post(f"/g/{live_giveaway.slug}/details/", {}).status_code == 429


def test_it_remembers_a_burst_across_the_windows_boundary_and_forgets_it_after_two_windows(db):
    start = 1_000 * throttle.WINDOW_SECONDS - 0.5  # just before a window boundary
    assert not any(throttle.over_limit("someone", 3, now=start) for _ in range(3))
    assert throttle.over_limit("someone", 3, now=start + 1)  # the next window still sees the burst
    assert not throttle.over_limit("someone", 3, now=start + 2 * throttle.WINDOW_SECONDS + 1)


@pytest.fixture
def redis_down(monkeypatch):
    """The throttle's Redis client pointed at a port where nothing listens: a real connection refused."""
    import socket

    import redis

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(throttle, "_client", redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2))
    monkeypatch.setattr(throttle, "_redis_was_down", False)


def test_entries_are_still_accepted_while_redis_is_down(client, live_giveaway, redis_down, caplog):
    person = make_person("yuna@gmail.com")
    client.force_login(person.user)
    answers = [post(client, live_giveaway, REMOTE_ADDR="198.51.100.4").status_code
               for _ in range(throttle.POSTS_PER_PERSON + 2)]
    assert 429 not in answers  # the limits are off without Redis: entries matter more
    mission = code_mission_of(live_giveaway)
    response = client.post(f"/g/{live_giveaway.slug}/missions/{mission.pk}/", {"answer": "jeju 2026"})
    assert response.status_code == 302
    assert Entry.objects.filter(participant=person, mission=mission).count() == 1
    warnings = [record for record in caplog.records if "velocity limits are off" in record.getMessage()]
    assert len(warnings) == 1  # one line per outage, not one per request
