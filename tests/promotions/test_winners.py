"""After the draw: alternates replacing winners in order, with history; the claim window; races between admins."""

import pytest
from django.core import mail

from promotions.drawing import draw_round
from promotions.models import Winner, WinnerEvent
from promotions.winners import (
    MISSED_THE_WINDOW,
    WinnerRefused,
    claim_prize,
    forfeit,
    forfeit_overdue,
    notify,
    verify_winner,
)
from tests.concurrency import run_concurrently
from tests.promotions.conftest import DAY, HOUR
from tests.promotions.test_drawing import AFTER, round_with_entries

DETAILS = {"full_name": "Dana Kim", "shipping_address": "1 Jeju-ro, Jeju 63000, Korea", "phone": "+82 10 1234 5678",
           "confirms_eligibility": True}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def drawn(giveaway):
    """A draw with one winner and three alternates, in place order."""
    giveaway.alternates_per_round = 3
    giveaway.save()
    round, _persons = round_with_entries(giveaway, [1, 2, 3, 4, 5])
    draw = draw_round(round=round, at=AFTER)
    return list(draw.places.order_by("place"))


def statuses(places):
    return [Winner.objects.get(pk=place.pk).status for place in places]


def test_it_replaces_a_forfeiting_winner_with_the_first_alternate_and_keeps_the_history(
        drawn, alice, django_capture_on_commit_callbacks):
    winner, first, second, third = drawn
    with django_capture_on_commit_callbacks(execute=True):
        replacement = forfeit(winner=winner, reason="not old enough", by=alice, at=AFTER + HOUR)
    assert replacement.pk == first.pk and replacement.replaces_id == winner.pk
    assert statuses(drawn) == ["forfeited", "notified", "alternate", "alternate"]
    assert replacement.claim_token and replacement.claim_deadline == AFTER + HOUR + 14 * DAY
    assert [message.to for message in mail.outbox] == [[first.participant.email]]

    second_replacement = forfeit(winner=replacement, reason="no answer to our checks", by=alice, at=AFTER + 2 * HOUR)
    assert second_replacement.pk == second.pk and second_replacement.replaces_id == first.pk
    assert statuses(drawn) == ["forfeited", "forfeited", "notified", "alternate"]
    history = [(event.from_status, event.to_status, event.reason)
               for event in WinnerEvent.objects.filter(winner=first).order_by("pk")]
    assert history == [
        ("", "alternate", "Drawn as alternate 1"),
        ("alternate", "notified", f"Replaces place 1 ({winner.pseudonym}), who forfeited: not old enough"),
        ("notified", "forfeited", "Forfeited: no answer to our checks"),
    ]


def test_it_returns_none_when_no_alternate_is_left(giveaway):
    giveaway.alternates_per_round = 0
    giveaway.save()
    round, _persons = round_with_entries(giveaway, [1])
    (winner,) = draw_round(round=round, at=AFTER).places.all()
    assert forfeit(winner=winner, reason="ineligible", at=AFTER) is None
    assert statuses([winner]) == ["forfeited"]


def test_it_refuses_to_forfeit_twice_or_an_alternate_or_without_a_reason(drawn):
    winner, first, *_ = drawn
    with pytest.raises(WinnerRefused, match="only a notified or claimed winner can forfeit"):
        forfeit(winner=first, reason="no", at=AFTER)
    with pytest.raises(WinnerRefused, match="Give the reason"):
        forfeit(winner=winner, reason=" ", at=AFTER)
    forfeit(winner=winner, reason="ineligible", at=AFTER)
    with pytest.raises(WinnerRefused, match="already forfeited"):
        forfeit(winner=Winner.objects.get(pk=winner.pk), reason="ineligible", at=AFTER)
    assert statuses(drawn) == ["forfeited", "notified", "alternate", "alternate"]


def test_it_accepts_a_claim_inside_the_window_once(drawn):
    winner = drawn[0]
    claim_prize(winner=winner, at=AFTER + 13 * DAY, **DETAILS)
    stored = Winner.objects.get(pk=winner.pk)
    assert (stored.status, stored.full_name, stored.claimed_at) == ("claimed", "Dana Kim", AFTER + 13 * DAY)
    with pytest.raises(WinnerRefused, match="already claimed"):
        claim_prize(winner=stored, at=AFTER + 13 * DAY, **DETAILS)
    assert WinnerEvent.objects.filter(winner=winner, to_status="claimed").count() == 1


def test_it_refuses_a_claim_after_the_deadline_saying_when_it_ended(drawn):
    with pytest.raises(WinnerRefused, match=r"ended on 16 December 2026 at 11:00 \(Asia/Seoul time\)"):
        claim_prize(winner=drawn[0], at=AFTER + 14 * DAY, **DETAILS)
    assert statuses(drawn[:1]) == ["notified"]


def test_it_refuses_a_claim_without_the_eligibility_confirmation(drawn):
    with pytest.raises(WinnerRefused, match="Tick the box"):
        claim_prize(winner=drawn[0], at=AFTER, **{**DETAILS, "confirms_eligibility": False})


def test_the_sweep_forfeits_winners_who_missed_the_window_and_notifies_the_next(drawn):
    winner, first, *_ = drawn
    assert forfeit_overdue(at=AFTER + 14 * DAY - HOUR) == []
    assert forfeit_overdue(at=AFTER + 14 * DAY) == [winner.pk]
    assert statuses(drawn) == ["forfeited", "notified", "alternate", "alternate"]
    assert WinnerEvent.objects.get(winner=winner, to_status="forfeited").reason == f"Forfeited: {MISSED_THE_WINDOW}"
    assert forfeit_overdue(at=AFTER + 14 * DAY) == []


def test_the_sweep_leaves_a_claimed_winner_alone(drawn):
    claim_prize(winner=drawn[0], at=AFTER + DAY, **DETAILS)
    assert forfeit_overdue(at=AFTER + 30 * DAY) == []
    assert statuses(drawn[:1]) == ["claimed"]


def test_it_verifies_only_a_claimed_prize(drawn, alice):
    winner = drawn[0]
    with pytest.raises(WinnerRefused, match="only a claimed prize can be verified"):
        verify_winner(winner=winner, by=alice, at=AFTER)
    claim_prize(winner=winner, at=AFTER, **DETAILS)
    verify_winner(winner=winner, by=alice, at=AFTER + HOUR)
    assert statuses([winner]) == ["verified"]
    with pytest.raises(WinnerRefused, match="only a notified or claimed winner can forfeit"):
        forfeit(winner=winner, reason="changed our mind", at=AFTER)


def test_notifying_again_resends_the_same_link_without_a_new_deadline(drawn, django_capture_on_commit_callbacks):
    winner = drawn[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(winner=winner, at=AFTER + 5 * DAY) is False
    stored = Winner.objects.get(pk=winner.pk)
    assert stored.claim_deadline == AFTER + 14 * DAY and stored.claim_token in mail.outbox[0].body


@pytest.mark.postgres
def test_two_admins_forfeiting_the_same_winner_promote_one_alternate(drawn):
    winner = drawn[0]

    def forfeit_it():
        return forfeit(winner=Winner.objects.get(pk=winner.pk), reason="ineligible", at=AFTER).pk

    results, errors = run_concurrently(forfeit_it, threads=2)
    assert results == [drawn[1].pk]
    assert len(errors) == 1 and isinstance(errors[0], WinnerRefused)
    assert statuses(drawn) == ["forfeited", "notified", "alternate", "alternate"]
