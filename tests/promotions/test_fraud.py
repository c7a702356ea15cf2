"""Fraud rules: which entries are held for review, and the reason each flag gives.

A scenario matrix in the manner of RELIABILITY.md ("self-referral and clusters"): each test is
one way of cheating (or of looking like it), and says whether the entry is held and why.
Held entries are written like any other and the person sees the usual message.
"""

import datetime

import pytest
from django.test import RequestFactory

from promotions import fraud
from promotions.giveaways import EntryFacts, complete_mission, entry_facts_from_request, record_referral
from promotions.models import Entry, Flag, Mission
from tests.promotions.conftest import NOW, facts, make_giveaway, make_mission, make_person

SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)"
ANDROID = "Mozilla/5.0 (Linux; Android 15; Pixel 9)"


def enter(person, mission, *, at=NOW, ip="203.0.113.7", agent=IPHONE, entry_facts=None):
    answer = {Mission.Kind.SECRET_CODE: "JEJU 2026", Mission.Kind.QUIZ: "Jeju"}.get(mission.kind, "")
    return complete_mission(participant=person, mission=mission, facts=entry_facts or facts(ip, agent),
                            answer=answer, at=at).entry


def flags_of(entry):
    return [(flag.rule, flag.reason) for flag in entry.flags.all()]


def people(count, prefix="person"):
    return [make_person(f"{prefix}{number}@example.com") for number in range(count)]


# --- an ordinary entry ---


def test_an_ordinary_entry_is_counted_without_flags(code_mission, dana):
    entry = enter(dana, code_mission)
    assert (entry.status, flags_of(entry)) == (Entry.Status.COUNTED, [])


# --- disposable addresses ---


@pytest.mark.parametrize("email", ["tom@mailinator.com", "tom@inbox.mailinator.com", "Tom@GuerrillaMail.com"])
def test_an_address_at_a_throwaway_mailbox_service_is_held(code_mission, email):
    completion = complete_mission(participant=make_person(email), mission=code_mission, facts=facts(),
                                  answer="JEJU 2026", at=NOW)
    domain = email.rpartition("@")[2].lower()
    assert completion.entry.status == Entry.Status.HELD
    assert flags_of(completion.entry) == [
        (Flag.Rule.DISPOSABLE_EMAIL, f"The address is at {domain}, a throwaway-mailbox service.")]
    assert completion.message == "Done: +1 entry. You have 1 in this round."  # nothing tells which rule fired
    assert completion.entry.flags.get().decision == Flag.Decision.OPEN


# --- velocity per IP address ---


def test_the_entry_after_the_ip_limit_is_held(code_mission):
    crowd = people(fraud.IP_VELOCITY_LIMIT + 1)
    # Each with their own browser: one IP with one browser for many people is a cluster (below).
    entries = [enter(person, code_mission, at=NOW + number * SECOND, agent=f"{IPHONE} #{number}")
               for number, person in enumerate(crowd)]
    assert [entry.status for entry in entries[:-1]] == [Entry.Status.COUNTED] * fraud.IP_VELOCITY_LIMIT
    assert entries[-1].status == Entry.Status.HELD
    assert flags_of(entries[-1]) == [(Flag.Rule.IP_VELOCITY,
                                      "21 entries from one IP address within 5 minutes (the limit is 20).")]


def test_entries_from_one_ip_older_than_the_window_do_not_count(code_mission, giveaway):
    early = make_giveaway(giveaway.campaign, slug="earlier-minutes", window_hours=2)  # 10:00 to 12:00 in Seoul
    early_mission = make_mission(early, Mission.Kind.QUIZ)
    long_ago = NOW - fraud.IP_VELOCITY_WINDOW - SECOND
    for number, person in enumerate(people(fraud.IP_VELOCITY_LIMIT)):
        enter(person, early_mission, at=long_ago, agent=f"{IPHONE} #{number}")
    assert enter(make_person("late@example.com"), code_mission, agent=ANDROID).status == Entry.Status.COUNTED


def test_the_ip_limit_spans_every_giveaway(code_mission, giveaway):
    other = make_mission(make_giveaway(giveaway.campaign, slug="second-prize"), Mission.Kind.QUIZ)
    crowd = people(fraud.IP_VELOCITY_LIMIT)
    for number, person in enumerate(crowd):
        enter(person, code_mission if number % 2 else other, at=NOW + number * SECOND, agent=f"{IPHONE} #{number}")
    last = enter(make_person("last@example.com"), other, at=NOW + MINUTE, agent=ANDROID)
    assert [rule for rule, _reason in flags_of(last)] == [Flag.Rule.IP_VELOCITY]


def test_entries_without_a_known_ip_never_add_up(code_mission):
    crowd = people(fraud.IP_VELOCITY_LIMIT + 5)
    statuses = {enter(person, code_mission, entry_facts=EntryFacts()).status for person in crowd}
    assert statuses == {Entry.Status.COUNTED}


def requests_from(address, *, forwarded_for, count):
    factory = RequestFactory()
    return [factory.post("/g/free-tickets/", REMOTE_ADDR=address, HTTP_USER_AGENT=f"{IPHONE} #{number}",
                         HTTP_X_FORWARDED_FOR=forwarded_for(number)) for number in range(count)]


def test_a_forged_forwarded_for_header_does_not_reset_the_ip_limit(code_mission):
    crowd = people(fraud.IP_VELOCITY_LIMIT + 1)
    requests = requests_from("198.51.100.20", forwarded_for=lambda number: f"10.0.{number}.1",
                             count=len(crowd))
    entries = [enter(person, code_mission, entry_facts=entry_facts_from_request(request))
               for person, request in zip(crowd, requests, strict=True)]
    assert entries[-1].status == Entry.Status.HELD
    assert [rule for rule, _reason in flags_of(entries[-1])] == [Flag.Rule.IP_VELOCITY]


def test_behind_a_trusted_proxy_the_client_part_of_the_header_is_still_ignored(code_mission, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    crowd = people(fraud.IP_VELOCITY_LIMIT + 1)
    # The client sends its own made-up header; our proxy appends the address it really came from.
    requests = requests_from("10.1.1.1", forwarded_for=lambda number: f"192.0.2.{number}, 198.51.100.20",
                             count=len(crowd))
    entries = [enter(person, code_mission, entry_facts=entry_facts_from_request(request))
               for person, request in zip(crowd, requests, strict=True)]
    assert entries[-1].status == Entry.Status.HELD
    assert entries[0].ip_hash == entries[-1].ip_hash != ""


# --- velocity per person ---


def visit_missions(giveaway, count):
    return [make_mission(giveaway, Mission.Kind.VISIT_LINK, title=f"Visit page {number}") for number in range(count)]


def test_the_mission_after_the_person_limit_in_a_minute_is_held(giveaway, dana):
    missions = visit_missions(giveaway, fraud.PARTICIPANT_VELOCITY_LIMIT + 1)
    entries = [enter(dana, mission, at=NOW + number * 5 * SECOND) for number, mission in enumerate(missions)]
    assert {entry.status for entry in entries[:-1]} == {Entry.Status.COUNTED}
    assert flags_of(entries[-1]) == [(Flag.Rule.PARTICIPANT_VELOCITY,
                                      "9 missions completed by this person within 1 minute "
                                      "(the limit is 8).")]


def test_a_person_taking_their_time_is_never_held(giveaway, dana):
    missions = visit_missions(giveaway, fraud.PARTICIPANT_VELOCITY_LIMIT * 2)
    entries = [enter(dana, mission, at=NOW + number * 10 * SECOND) for number, mission in enumerate(missions)]
    assert {entry.status for entry in entries} == {Entry.Status.COUNTED}


def test_a_referral_credit_arriving_in_a_busy_minute_is_not_held_for_speed(giveaway, dana):
    refer = make_mission(giveaway, Mission.Kind.REFER_FRIEND)
    for number, mission in enumerate(visit_missions(giveaway, fraud.PARTICIPANT_VELOCITY_LIMIT)):
        enter(dana, mission, at=NOW + number * SECOND)
    friend = make_person("friend@example.com")
    record_referral(giveaway=giveaway, friend=friend, code=dana.referral_code, at=NOW)
    enter(friend, make_mission(giveaway, Mission.Kind.QUIZ), at=NOW + 10 * SECOND, ip="198.51.100.9", agent=ANDROID)
    credit = Entry.objects.get(participant=dana, mission=refer)
    assert (credit.status, flags_of(credit)) == (Entry.Status.COUNTED, [])


# --- clusters: many people on one network with one browser ---


def cluster_of(count, *, agent=IPHONE, network="203.0.113", at=NOW, mission):
    for number, person in enumerate(people(count, prefix="cluster")):
        enter(person, mission, ip=f"{network}.{number + 10}", agent=agent, at=at + number * SECOND)


def test_a_burst_of_people_on_one_network_with_one_browser_is_held(code_mission):
    cluster_of(fraud.CLUSTER_SIZE, mission=code_mission)
    entry = enter(make_person("next@example.com"), code_mission, ip="203.0.113.200", at=NOW + MINUTE)
    assert flags_of(entry) == [(Flag.Rule.CLUSTER, "4 other people entered from the same network "
                                                   "with the same browser within 10 minutes.")]


def test_fewer_people_than_a_cluster_are_not_held(code_mission):
    cluster_of(fraud.CLUSTER_SIZE - 1, mission=code_mission)
    assert enter(make_person("next@example.com"), code_mission, ip="203.0.113.200").status == Entry.Status.COUNTED


def test_one_network_with_another_browser_is_not_a_cluster(code_mission):
    cluster_of(fraud.CLUSTER_SIZE, mission=code_mission)
    entry = enter(make_person("next@example.com"), code_mission, ip="203.0.113.200", agent=ANDROID)
    assert entry.status == Entry.Status.COUNTED


def test_one_browser_on_another_network_is_not_a_cluster(code_mission):
    cluster_of(fraud.CLUSTER_SIZE, mission=code_mission)
    entry = enter(make_person("next@example.com"), code_mission, ip="198.51.100.200")
    assert entry.status == Entry.Status.COUNTED


def test_a_cluster_older_than_the_window_is_forgotten(code_mission, giveaway):
    early = make_mission(make_giveaway(giveaway.campaign, slug="early", window_hours=2), Mission.Kind.QUIZ)
    cluster_of(fraud.CLUSTER_SIZE, mission=early, at=NOW - fraud.CLUSTER_WINDOW - MINUTE)
    assert enter(make_person("next@example.com"), code_mission, ip="203.0.113.200").status == Entry.Status.COUNTED


def test_one_person_entering_many_times_is_not_a_cluster(giveaway, dana):
    for number, mission in enumerate(visit_missions(giveaway, fraud.CLUSTER_SIZE + 1)):
        entry = enter(dana, mission, at=NOW + number * 10 * SECOND)
    assert entry.status == Entry.Status.COUNTED


# --- referral loops ---


@pytest.fixture
def refer(giveaway):
    return make_mission(giveaway, Mission.Kind.REFER_FRIEND)


def refer_in_a_circle(giveaway, circle):
    """Each person refers the next; the last refers the first."""
    for referrer, friend in zip(circle, circle[1:] + circle[:1], strict=True):
        assert record_referral(giveaway=giveaway, friend=friend, code=referrer.referral_code, at=NOW) is not None


def test_two_people_referring_each_other_are_held(giveaway, code_mission, refer, dana):
    erin = make_person("erin@example.com")
    refer_in_a_circle(giveaway, [dana, erin])
    enter(dana, code_mission, ip="198.51.100.1")
    credit = Entry.objects.get(participant=erin, mission=refer)
    assert credit.status == Entry.Status.HELD
    assert flags_of(credit) == [(Flag.Rule.REFERRAL_LOOP,
                                 f"The friend (participant {dana.pk}) had referred this person directly: "
                                 "a referral loop.")]


def test_a_loop_through_a_third_person_is_held(giveaway, code_mission, refer, dana):
    erin, fay = make_person("erin@example.com"), make_person("fay@example.com")
    refer_in_a_circle(giveaway, [dana, erin, fay])  # dana → erin → fay → dana
    enter(dana, code_mission, ip="198.51.100.1")
    credit = Entry.objects.get(participant=fay, mission=refer)
    assert flags_of(credit) == [(Flag.Rule.REFERRAL_LOOP,
                                 f"The friend (participant {dana.pk}) had referred this person through 1 other "
                                 "person: a referral loop.")]


def test_a_circle_longer_than_the_rule_looks_is_not_held(giveaway, code_mission, refer, dana):
    circle = [dana, *people(fraud.REFERRAL_CHAIN_DEPTH + 1, prefix="ring")]
    refer_in_a_circle(giveaway, circle)
    enter(dana, code_mission, ip="198.51.100.1")
    credit = Entry.objects.get(participant=circle[-1], mission=refer)
    assert credit.status == Entry.Status.COUNTED


def test_a_friend_on_the_referrers_network_and_browser_is_held(giveaway, code_mission, refer, dana):
    quiz = make_mission(giveaway, Mission.Kind.QUIZ)
    enter(dana, quiz, ip="203.0.113.7")
    erin = make_person("erin@example.com")
    record_referral(giveaway=giveaway, friend=erin, code=dana.referral_code, at=NOW)
    enter(erin, code_mission, ip="203.0.113.99", at=NOW + MINUTE)  # the same /24 and browser
    credit = Entry.objects.get(participant=dana, mission=refer)
    assert flags_of(credit) == [(Flag.Rule.REFERRAL_LOOP,
                                 f"The friend (participant {erin.pk}) entered from the same network with the same "
                                 "browser as this person.")]


def test_an_honest_referral_is_counted(giveaway, code_mission, refer, dana):
    quiz = make_mission(giveaway, Mission.Kind.QUIZ)
    enter(dana, quiz, ip="203.0.113.7")
    erin = make_person("erin@example.com")
    record_referral(giveaway=giveaway, friend=erin, code=dana.referral_code, at=NOW)
    enter(erin, code_mission, ip="198.51.100.99", agent=ANDROID, at=NOW + MINUTE)
    credit = Entry.objects.get(participant=dana, mission=refer)
    assert (credit.status, credit.weight, flags_of(credit)) == (Entry.Status.COUNTED, 3, [])


def test_a_held_friend_earns_the_referrer_nothing_yet(giveaway, code_mission, refer, dana):
    throwaway = make_person("friend@mailinator.com")
    record_referral(giveaway=giveaway, friend=throwaway, code=dana.referral_code, at=NOW)
    assert enter(throwaway, code_mission, ip="198.51.100.99").status == Entry.Status.HELD
    assert not Entry.objects.filter(participant=dana).exists()


# --- several rules at once ---


def test_every_rule_that_fires_leaves_its_own_flag(code_mission):
    cluster_of(fraud.CLUSTER_SIZE, mission=code_mission)
    entry = enter(make_person("next@mailinator.com"), code_mission, ip="203.0.113.200", at=NOW + MINUTE)
    assert entry.status == Entry.Status.HELD
    assert sorted(rule for rule, _reason in flags_of(entry)) == [Flag.Rule.CLUSTER, Flag.Rule.DISPOSABLE_EMAIL]
