import datetime

import pytest

from campaigns.models import Campaign, CampaignEvent
from campaigns.schedules import WallClockError, advance_due_campaigns, to_local, to_utc
from campaigns.status import change_status
from tests.campaigns.conftest import DAY, HOUR, NOW, make_campaign
from tests.concurrency import run_concurrently

Status = Campaign.Status
UTC = datetime.UTC


# --- wall-clock times and daylight saving ------------------------------------------------


def test_it_converts_seoul_wall_clock_to_utc():
    assert to_utc(datetime.datetime(2026, 12, 10, 10, 0), "Asia/Seoul") == datetime.datetime(2026, 12, 10, 1, 0,
                                                                                             tzinfo=UTC)


def test_it_uses_the_offset_of_the_day_itself_across_a_dst_change():
    # New York: EST (UTC-5) in winter, EDT (UTC-4) in summer; 10:00 local is 10:00 local on both sides.
    assert to_utc(datetime.datetime(2026, 3, 7, 10, 0), "America/New_York").hour == 15
    assert to_utc(datetime.datetime(2026, 3, 9, 10, 0), "America/New_York").hour == 14


def test_it_refuses_a_time_skipped_when_clocks_jump_forward():
    with pytest.raises(WallClockError, match="does not exist in America/New_York"):
        to_utc(datetime.datetime(2026, 3, 8, 2, 30), "America/New_York")


def test_it_refuses_a_time_that_happens_twice_when_clocks_go_back():
    with pytest.raises(WallClockError, match="happens twice in Europe/Paris"):
        to_utc(datetime.datetime(2026, 10, 25, 2, 30), "Europe/Paris")


def test_times_just_outside_the_changes_are_fine():
    assert to_utc(datetime.datetime(2026, 3, 8, 3, 0), "America/New_York") == datetime.datetime(
        2026, 3, 8, 7, 0, tzinfo=UTC)
    assert to_utc(datetime.datetime(2026, 10, 25, 3, 0), "Europe/Paris") == datetime.datetime(
        2026, 10, 25, 2, 0, tzinfo=UTC)


def test_local_and_utc_round_trip_in_the_accounts_zone():
    local = datetime.datetime(2026, 11, 1, 9, 15)
    assert to_local(to_utc(local, "America/Sao_Paulo"), "America/Sao_Paulo") == local


# --- the sweep -----------------------------------------------------------------------------


def scheduled(account, slug, starts_at, ends_at):
    campaign = make_campaign(account, slug=slug, starts_at=starts_at, ends_at=ends_at)
    change_status(campaign=campaign, to=Status.SCHEDULED, at=starts_at - DAY)
    return campaign


def statuses():
    return dict(Campaign.objects.values_list("slug", "status"))


def test_the_sweep_starts_and_ends_due_campaigns(main_account):
    scheduled(main_account, "due", NOW - HOUR, NOW + DAY)
    scheduled(main_account, "later", NOW + HOUR, NOW + DAY)
    scheduled(main_account, "missed-entirely", NOW - 2 * DAY, NOW - DAY)
    live = make_campaign(main_account, slug="over", status=Status.LIVE, starts_at=NOW - 2 * DAY, ends_at=NOW)
    make_campaign(main_account, slug="paused-over", status=Status.PAUSED, starts_at=NOW - 2 * DAY, ends_at=NOW - HOUR)
    make_campaign(main_account, slug="draft", starts_at=NOW - HOUR, ends_at=NOW + DAY)

    assert advance_due_campaigns(at=NOW) == 4

    assert statuses() == {"due": "live", "later": "scheduled", "missed-entirely": "ended", "over": "ended",
                          "paused-over": "ended", "draft": "draft"}
    event = live.events.get()
    assert (event.from_status, event.to_status, event.actor, event.note) == ("live", "ended", None,
                                                                             "by the scheduler")


def test_running_the_sweep_twice_changes_nothing_the_second_time(main_account):
    scheduled(main_account, "due", NOW - HOUR, NOW + DAY)
    advance_due_campaigns(at=NOW)
    before = (statuses(), CampaignEvent.objects.count())
    assert advance_due_campaigns(at=NOW) == 0
    assert (statuses(), CampaignEvent.objects.count()) == before


def test_moving_the_dates_needs_no_job_cancelling(main_account):
    campaign = scheduled(main_account, "moved", NOW + HOUR, NOW + DAY)
    Campaign.objects.filter(pk=campaign.pk).update(starts_at=NOW - HOUR)
    advance_due_campaigns(at=NOW)
    assert statuses()["moved"] == "live"


@pytest.mark.postgres
def test_two_workers_sweeping_at_once_make_each_change_exactly_once(main_account):
    for number in range(20):
        scheduled(main_account, f"due-{number}", NOW - HOUR, NOW + DAY)
        scheduled(main_account, f"over-{number}", NOW - 2 * DAY, NOW - HOUR)
    results, errors = run_concurrently(lambda: advance_due_campaigns(at=NOW), threads=4)

    assert errors == []
    assert sum(results) == 40  # 20 starts and 20 ends (scheduled straight to ended for the missed ones)
    assert set(statuses().values()) == {"live", "ended"}
    sweep_events = CampaignEvent.objects.filter(actor=None, note="by the scheduler")
    assert sweep_events.count() == 40
    assert sweep_events.values("campaign", "to_status").distinct().count() == 40
