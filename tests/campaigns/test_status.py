import pytest

from campaigns.models import Campaign, CampaignEvent
from campaigns.status import TRANSITIONS, StatusChangeRefused, change_status
from tests.campaigns.conftest import DAY, NOW, make_campaign
from tests.concurrency import run_concurrently

Status = Campaign.Status


def test_it_walks_the_whole_life_of_a_campaign_and_logs_each_step(campaign, alice):
    steps = [Status.SCHEDULED, Status.LIVE, Status.PAUSED, Status.LIVE, Status.ENDED, Status.ARCHIVED]
    at = NOW + 2 * DAY  # after the start, before the end
    for to in steps:
        assert change_status(campaign=campaign, to=to, by=alice, at=at) is True
        campaign.refresh_from_db()
        assert campaign.status == to
    events = list(campaign.events.values_list("from_status", "to_status"))
    assert events == list(zip([Status.DRAFT, *steps[:-1]], steps, strict=True))
    assert all(event.actor == alice and event.occurred_at == at for event in campaign.events.all())


@pytest.mark.parametrize("start, to", [
    (start, to) for start in Status for to in Status if to != start and to not in TRANSITIONS[start]
])
def test_it_refuses_every_illegal_transition_with_a_message_naming_the_way_out(main_account, start, to):
    campaign = make_campaign(main_account, status=start, starts_at=NOW - DAY, ends_at=NOW + DAY)
    with pytest.raises(StatusChangeRefused) as refusal:
        change_status(campaign=campaign, to=to, at=NOW)
    assert "cannot become" in str(refusal.value)
    campaign.refresh_from_db()
    assert campaign.status == start
    assert not CampaignEvent.objects.exists()


def test_it_needs_dates_before_scheduling(main_account):
    campaign = make_campaign(main_account)
    with pytest.raises(StatusChangeRefused, match="needs a start and an end"):
        change_status(campaign=campaign, to=Status.SCHEDULED, at=NOW)


def test_it_refuses_to_schedule_a_campaign_whose_end_has_passed(main_account):
    campaign = make_campaign(main_account, starts_at=NOW - 3 * DAY, ends_at=NOW - DAY)
    with pytest.raises(StatusChangeRefused, match="ended already"):
        change_status(campaign=campaign, to=Status.SCHEDULED, at=NOW)


def test_it_leaves_an_early_start_to_the_scheduler(campaign):
    change_status(campaign=campaign, to=Status.SCHEDULED, at=NOW)
    with pytest.raises(StatusChangeRefused, match="the scheduler makes it live"):
        change_status(campaign=campaign, to=Status.LIVE, at=NOW)


def test_repeating_a_change_is_harmless(campaign):
    assert change_status(campaign=campaign, to=Status.SCHEDULED, at=NOW) is True
    assert change_status(campaign=campaign, to=Status.SCHEDULED, at=NOW) is False
    assert campaign.events.count() == 1


def test_a_stale_copy_cannot_overwrite_a_newer_status(campaign):
    stale = Campaign.objects.get(pk=campaign.pk)
    change_status(campaign=campaign, to=Status.SCHEDULED, at=NOW)
    change_status(campaign=campaign, to=Status.DRAFT, at=NOW)
    change_status(campaign=campaign, to=Status.ARCHIVED, at=NOW)
    with pytest.raises(StatusChangeRefused, match="just changed"):
        change_status(campaign=stale, to=Status.SCHEDULED, at=NOW)
    campaign.refresh_from_db()
    assert campaign.status == Status.ARCHIVED


@pytest.mark.postgres
def test_eight_people_pausing_at_once_make_one_change_and_one_log_row(main_account):
    campaign = make_campaign(main_account, slug="contested", status=Status.LIVE, starts_at=NOW - DAY,
                             ends_at=NOW + DAY)
    def pause():
        stale_copy = Campaign.objects.get(pk=campaign.pk)
        try:
            return change_status(campaign=stale_copy, to=Status.PAUSED, at=NOW)
        except StatusChangeRefused:
            return "refused"

    outcomes, errors = run_concurrently(pause, threads=8)
    assert errors == []
    assert outcomes.count(True) == 1
    assert CampaignEvent.objects.filter(campaign=campaign).count() == 1
    campaign.refresh_from_db()
    assert campaign.status == Status.PAUSED
