"""The demo's monthly anniversary giveaway: missions from two accounts, a drawn round that verifies, an open one."""

import datetime
import io

import pytest
from django.core.management import call_command

from campaigns.models import Campaign
from promotions.demo import SLUG
from promotions.drawing import verify_stored_draw
from promotions.models import Draw, Entry, Giveaway, Mission, Round, Winner, WinnerEvent


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_has_a_monthly_giveaway_with_a_drawn_round_that_verifies_and_an_open_one(db):
    call_command("demo", stdout=io.StringIO())
    giveaway = Giveaway.objects.get(slug=SLUG)
    assert giveaway.campaign.slug == "hanbit-10th-anniversary"
    assert giveaway.campaign.status == Campaign.Status.LIVE
    assert (giveaway.recurrence, giveaway.day_of_month) == ("monthly", 10)
    assert {mission.account.slug for mission in giveaway.missions.filter(kind=Mission.Kind.SECRET_CODE)} == {
        "hanbit-air", "hanbit-air-deals"}
    assert set(giveaway.missions.values_list("kind", flat=True)) >= {"secret_code", "quiz", "proof_url",
                                                                     "refer_friend", "daily_visit"}
    drawn = giveaway.rounds.get(status=Round.Status.DRAWN)
    assert drawn.entrant_count == 4
    assert Entry.objects.filter(round=drawn, mission__kind=Mission.Kind.REFER_FRIEND).count() == 1
    assert verify_stored_draw(drawn.draw).ok
    out = io.StringIO()
    call_command("verify_draw", str(drawn.draw.pk), stdout=out)
    assert "verifies" in out.getvalue()
    assert drawn.draw.places.get(place=1).status == Winner.Status.VERIFIED
    assert giveaway.rounds.filter(status=Round.Status.OPEN).count() == 1


def test_running_the_demo_twice_changes_nothing(db):
    call_command("demo", stdout=io.StringIO())
    models = (Giveaway, Mission, Round, Entry, Draw, Winner, WinnerEvent)
    counts = [model.objects.count() for model in models]
    call_command("demo", stdout=io.StringIO())
    assert [model.objects.count() for model in models] == counts


@pytest.mark.parametrize("at", [
    datetime.datetime(2027, 3, 31, 15, 30, tzinfo=datetime.UTC),  # 1 April 00:30 in Seoul: a month just begun
    datetime.datetime(2027, 3, 10, 1, 5, tzinfo=datetime.UTC),  # 10:05 on the 10th: a round opened minutes ago
    datetime.datetime(2027, 3, 9, 12, 0, tzinfo=datetime.UTC),  # the day before a draw
])
def test_the_demo_has_a_verifiable_drawn_round_whatever_the_day_it_is_loaded(db, at):
    from accounts.demo import load_demo
    from campaigns.demo import load_campaign_demo
    from promotions.demo import load_promotions_demo

    load_demo()
    load_campaign_demo(at=at)
    load_promotions_demo(at=at)
    giveaway = Giveaway.objects.get(slug=SLUG)
    drawn = giveaway.rounds.get(status=Round.Status.DRAWN)
    assert drawn.closes_at <= at and drawn.entrant_count == 4
    assert verify_stored_draw(drawn.draw).ok
    assert giveaway.rounds.get(status=Round.Status.OPEN).opens_at <= at
