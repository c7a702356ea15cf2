"""Rounds in the admin: read-only facts, "Draw now", the entrants' CSV, and winners verified or forfeited."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from promotions import drawing, rounds
from promotions.giveaways import complete_mission
from promotions.models import Draw, Round, Winner
from promotions.winners import claim_prize
from tests.promotions.conftest import NOW, facts, make_person

Status = Winner.Status
WINNERS = reverse("admin:promotions_winner_changelist")


def round_url(round):
    return reverse("admin:promotions_round_change", args=[round.pk])


def draw_url(round):
    return reverse("admin:promotions_round_draw", args=[round.pk])


def export_url(round):
    return reverse("admin:promotions_round_entrants", args=[round.pk])


@pytest.fixture
def closed(giveaway, code_mission, dana):
    """A closed, undrawn round with three entrants: dana, erin and fay."""
    complete_mission(participant=dana, mission=code_mission, facts=facts(), answer="JEJU2026", at=NOW)
    for number, email in enumerate(["erin@example.org", "fay@example.org"]):
        complete_mission(participant=make_person(email), mission=code_mission, facts=facts(ip=f"192.0.2.{number + 1}"),
                         answer="jeju 2026", at=NOW)
    round = Round.objects.get(giveaway=giveaway)
    rounds.change_round_status(round=round, to=Round.Status.CLOSED, at=NOW)
    return round


@pytest.fixture
def co_run(giveaway, deals_account):
    giveaway.campaign.co_accounts.add(deals_account)
    return giveaway


def test_the_round_page_shows_its_facts_but_never_the_seed(client, alice, closed):
    client.force_login(alice)
    page = client.get(round_url(closed)).content.decode()
    assert closed.commitment in page
    assert closed.seed not in page
    assert "2026-12-01 10:00 → 2026-12-02 10:00 Asia/Seoul" in page
    assert "Draw now" in page and "Download the entrants (CSV)" in page
    assert 'name="number"' not in page  # read-only


def test_draw_now_draws_a_closed_round_once(client, alice, closed):
    client.force_login(alice)
    response = client.post(draw_url(closed), follow=True)
    assert "Drew Two tickets to Jeju — round 1: 1 winner(s) and 2 alternate(s)." in response.content.decode()
    again = client.post(draw_url(closed), follow=True)
    assert "only a closed round that has not been drawn can be drawn" in again.content.decode()
    assert Draw.objects.filter(round=closed).count() == 1
    assert Winner.objects.filter(draw__round=closed).count() == 3


def test_draw_now_refuses_an_open_round_with_a_reason(client, alice, giveaway, code_mission):
    round = rounds.open_round(giveaway=giveaway, at=NOW)
    client.force_login(alice)
    response = client.post(draw_url(round), follow=True)
    assert "is open: only a closed round" in response.content.decode()
    assert not Draw.objects.exists()
    assert client.get(draw_url(round)).status_code == 405


def test_a_co_running_marketer_may_look_but_not_draw_or_export(client, bob, co_run, closed):
    client.force_login(bob)
    page = client.get(round_url(closed)).content.decode()
    assert "Draw now" not in page and "Download the entrants" not in page
    assert "You may look at this round" in page
    assert client.post(draw_url(closed)).status_code == 403
    assert client.get(export_url(closed)).status_code == 403
    assert not Draw.objects.exists()


def test_others_cannot_reach_the_round(client, bob, charlie, closed):
    for who in (bob, charlie):
        client.force_login(who)
        assert client.post(draw_url(closed)).status_code == 404
        assert client.get(export_url(closed)).status_code == 404
    assert not Draw.objects.exists()


def test_the_entrants_csv_streams_one_row_per_person(client, alice, closed):
    client.force_login(alice)
    response = client.get(export_url(closed))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="free-tickets-round-1-entrants.csv"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("email,country,counted_entries")
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["dana@gmail.com", "erin@example.org",
                                                                 "fay@example.org"]


@pytest.fixture
def drawn(closed, alice):
    drawing.draw_round(round=closed, by=alice, at=NOW)
    return Winner.objects.filter(draw__round=closed)


def test_the_winners_list_shows_status_per_place(client, alice, drawn):
    client.force_login(alice)
    page = client.get(WINNERS + f"?giveaway={drawn[0].draw.round.giveaway_id}").content.decode()
    assert "#1 (winner)" in page and "#2 (alternate 1)" in page
    assert "Notified" in page and "Alternate, waiting" in page


def test_verifying_needs_a_claim_and_says_so(client, alice, drawn):
    winner = drawn.get(place=1)
    client.force_login(alice)
    response = client.post(WINNERS, {"action": "verify", ACTION_CHECKBOX_NAME: [winner.pk]}, follow=True)
    assert "only a claimed prize can be verified" in response.content.decode()
    claim_prize(winner=winner, full_name="Dana Kim", shipping_address="1 Jeju Road", phone="+82 10 0000",
                confirms_eligibility=True, at=NOW)
    response = client.post(WINNERS, {"action": "verify", ACTION_CHECKBOX_NAME: [winner.pk]}, follow=True)
    assert "Verified 1 place." in response.content.decode()
    winner.refresh_from_db()
    assert winner.status == Status.VERIFIED


def test_forfeiting_asks_for_a_reason_and_the_next_alternate_steps_up(client, alice, drawn):
    winner = drawn.get(place=1)
    client.force_login(alice)
    data = {"action": "forfeit", ACTION_CHECKBOX_NAME: [winner.pk]}
    assert "Why do these winners forfeit?" in client.post(WINNERS, data).content.decode()
    response = client.post(WINNERS, {**data, "confirm": "yes", "reason": "Under age"}, follow=True)
    page = response.content.decode()
    assert "alternate #2" in page and "replaces it" in page
    winner.refresh_from_db()
    assert winner.status == Status.FORFEITED
    assert drawn.get(place=2).status == Status.NOTIFIED
    page = client.get(WINNERS + f"?giveaway={winner.draw.round.giveaway_id}").content.decode()
    assert "Forfeited — replaced by #2" in page and "Notified — replaces #1" in page


def test_a_co_running_marketer_cannot_verify_or_forfeit(client, bob, co_run, drawn):
    winner = drawn.get(place=1)
    client.force_login(bob)
    assert winner.pseudonym in client.get(WINNERS).content.decode()
    response = client.post(WINNERS, {"action": "forfeit", ACTION_CHECKBOX_NAME: [winner.pk], "confirm": "yes",
                                     "reason": "Bob says so"}, follow=True)
    assert "where you may only look" in response.content.decode()
    winner.refresh_from_db()
    assert winner.status == Status.NOTIFIED


def test_the_round_page_lists_winners_after_the_draw(client, alice, drawn):
    client.force_login(alice)
    round = drawn[0].draw.round
    page = client.get(round_url(round)).content.decode()
    assert "dana@gmail.com" in page or "erin@example.org" in page
    assert "Draw now" not in page


def test_a_co_running_team_sees_no_winners_address_and_only_masked_emails(client, alice, bob, co_run, drawn):
    winner = drawn.get(place=1)
    claim_prize(winner=winner, full_name="Dana Kim", shipping_address="1 Jeju Road, Jeju", phone="+82 10 5555 0000",
                confirms_eligibility=True, at=NOW)
    email = winner.participant.email
    private = [email, "Dana Kim", "1 Jeju Road, Jeju", "+82 10 5555 0000"]
    pages = [round_url(winner.draw.round), WINNERS, reverse("admin:promotions_winner_change", args=[winner.pk]),
             reverse("admin:promotions_winner_history", args=[winner.pk])]
    client.force_login(bob)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for secret in private:
            assert secret not in page, f"bob sees {secret!r} on {url}"
    masked = f"{email[0]}…@{email.split('@')[1]}"
    assert masked in client.get(WINNERS).content.decode()
    client.force_login(alice)
    assert email in client.get(round_url(winner.draw.round)).content.decode()
    assert email in client.get(WINNERS).content.decode()
    page = client.get(reverse("admin:promotions_winner_change", args=[winner.pk])).content.decode()
    for secret in private:
        assert secret in page, f"alice misses {secret!r}"
