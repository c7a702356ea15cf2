"""Official rules: generated from the giveaway, frozen per round, a new version only when the text changes."""

import pytest

from promotions.models import Giveaway, Mission, Round, RulesVersion
from promotions.rounds import advance_due_rounds, open_round
from promotions.rules import country_list, freeze_rules, rules_text
from tests.promotions.conftest import DAY, NOW, make_mission


def test_the_rules_say_who_when_who_may_enter_how_the_odds_prizes_and_draw(giveaway, code_mission):
    giveaway.allowed_countries = "KR, JP"
    giveaway.denied_countries = "jp"
    giveaway.entry_limit_per_person = 10
    giveaway.exclude_past_winners = True
    giveaway.rules_text = "Void where prohibited."
    giveaway.save()
    make_mission(giveaway, Mission.Kind.QUIZ, required=True, entries=2)
    text = rules_text(giveaway)
    for words in (
        "Official rules — Two tickets to Jeju",
        "1. Sponsor\nAlice Air Co., Seoul",
        "runs from 2026-11-30 03:00 UTC to 2026-12-11 03:00 UTC",
        "a round every day, opening at 10:00, Asia/Seoul time. Each round takes entries for 24 hours",
        "Open to people aged 18 or over, living in KR, JP, except residents of JP.",
        "People who won an earlier round cannot win again.",
        "- Find the code: 1 entry\n- Quiz: 2 entries (required)\nEach person can earn at most 10 entries per round.",
        "5. Free method of entry\nEvery mission except a purchase is free.",
        "Approximate retail value per winner: 1200.00 USD.\nReturn flights for two.",
        "2 alternate(s) are drawn by weight without replacement",
        "have 14 days to claim the prize",
        "10. Additional rules\nVoid where prohibited.",
    ):
        assert words in text


def test_a_purchase_mission_puts_no_purchase_necessary_and_the_free_method_in_the_rules(giveaway):
    giveaway.free_entry_method = "Send a postcard to Alice Air, Seoul, with your email address."
    giveaway.save()
    make_mission(giveaway, Mission.Kind.PURCHASE)
    assert ("5. Free method of entry\nNO PURCHASE NECESSARY. Send a postcard to Alice Air, Seoul"
            in rules_text(giveaway))


def test_monthly_rules_explain_the_end_of_shorter_months(giveaway):
    giveaway.recurrence = Giveaway.Recurrence.MONTHLY
    giveaway.day_of_month = 31
    giveaway.window_hours = None
    giveaway.save()
    text = rules_text(giveaway)
    assert "a round every month on day 31 (the last day in shorter months), opening at 10:00" in text
    assert "Each round takes entries until the next round opens; the last one until the campaign ends." in text


def test_an_edit_during_a_round_applies_from_the_next_round(giveaway, code_mission):
    first = open_round(giveaway=giveaway, at=NOW)
    first_text = first.rules_version.text
    giveaway.prize_description = "Return flights for two, with lounge access."
    giveaway.save()
    first.refresh_from_db()
    assert (first.rules_version.number, first.rules_version.text) == (1, first_text)
    second = Round.objects.get(pk=advance_due_rounds(at=first.closes_at)[0][0])
    assert second.rules_version.number == 2
    assert "with lounge access" in second.rules_version.text and "with lounge access" not in first_text
    third = Round.objects.get(pk=advance_due_rounds(at=second.closes_at)[0][0])
    assert third.rules_version == second.rules_version  # unchanged text: the same version
    assert RulesVersion.objects.count() == 2
    assert [(round.number, round.rules_version.number) for round in giveaway.rounds.order_by("number")] == [
        (1, 1), (2, 2), (3, 2)]


def test_a_new_mission_is_a_new_version_too(giveaway, code_mission):
    first = freeze_rules(giveaway=giveaway, at=NOW)
    assert freeze_rules(giveaway=giveaway, at=NOW + DAY) == first
    make_mission(giveaway, Mission.Kind.NEWSLETTER)
    second = freeze_rules(giveaway=giveaway, at=NOW + DAY)
    assert (first.number, second.number, second.created_at) == (1, 2, NOW + DAY)
    assert "- Get our newsletter: 1 entry" in second.text


@pytest.mark.parametrize("text, codes", [
    ("", []), ("KR", ["KR"]), (" kr, jp ,,US ", ["KR", "JP", "US"]),
])
def test_country_lists_are_read_as_capital_codes(text, codes):
    assert country_list(text) == codes
