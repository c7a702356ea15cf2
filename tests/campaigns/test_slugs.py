"""Slugs that keep working: which campaigns have been public, retiring old slugs, refusing taken ones."""

import pytest

from campaigns.models import Campaign, RetiredSlug
from campaigns.slugs import has_been_public, retire_slug, slug_problem
from campaigns.status import change_status
from tests.campaigns.conftest import DAY, NOW, make_campaign

Status = Campaign.Status


def rename(campaign, slug, *, at=NOW):
    old_slug, campaign.slug = campaign.slug, slug
    campaign.save(update_fields=["slug"])
    retire_slug(campaign=campaign, old_slug=old_slug, at=at)


# --- has_been_public -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.SCHEDULED, Status.LIVE, Status.PAUSED, Status.ENDED])
def test_it_counts_a_campaign_that_is_or_was_visible_as_public(main_account, status):
    campaign = make_campaign(main_account, status=status, starts_at=NOW, ends_at=NOW + DAY)
    assert has_been_public(campaign)


def test_it_counts_a_draft_that_was_scheduled_and_taken_back_as_public(campaign):
    assert not has_been_public(campaign)
    change_status(campaign=campaign, to=Status.SCHEDULED, at=NOW)
    change_status(campaign=campaign, to=Status.DRAFT, at=NOW)
    assert has_been_public(campaign)


def test_it_does_not_count_a_draft_archived_without_ever_being_scheduled(campaign):
    change_status(campaign=campaign, to=Status.ARCHIVED, at=NOW)
    assert not has_been_public(campaign)


def test_it_counts_an_archived_campaign_that_ended_first(live_campaign):
    change_status(campaign=live_campaign, to=Status.ENDED, at=NOW)
    change_status(campaign=live_campaign, to=Status.ARCHIVED, at=NOW)
    assert has_been_public(live_campaign)


def test_it_does_not_count_an_unsaved_campaign(main_account):
    assert not has_been_public(Campaign(owner_account=main_account, slug="new"))


# --- retire_slug -----------------------------------------------------------------------------


def test_it_retires_the_old_slug_of_a_public_campaign(live_campaign):
    rename(live_campaign, "summer")
    retired = RetiredSlug.objects.get()
    assert (retired.slug, retired.campaign, retired.retired_at) == ("live-now", live_campaign, NOW)


def test_it_changes_nothing_when_run_twice(live_campaign):
    rename(live_campaign, "summer")
    retire_slug(campaign=live_campaign, old_slug="live-now", at=NOW + DAY)
    assert list(RetiredSlug.objects.values_list("slug", "retired_at")) == [("live-now", NOW)]


def test_it_keeps_no_old_slug_of_a_campaign_nobody_outside_could_have_seen(campaign):
    rename(campaign, "better-name")
    assert not RetiredSlug.objects.exists()


def test_it_gives_a_campaign_back_its_own_retired_slug(live_campaign):
    rename(live_campaign, "summer")
    rename(live_campaign, "live-now", at=NOW + DAY)
    assert list(RetiredSlug.objects.values_list("slug", flat=True)) == ["summer"]


def test_it_does_nothing_when_the_slug_did_not_change(live_campaign):
    retire_slug(campaign=live_campaign, old_slug=live_campaign.slug, at=NOW)
    assert not RetiredSlug.objects.exists()


def test_it_gives_a_slug_taken_without_asking_to_the_campaign_that_used_it_last(main_account, live_campaign):
    rename(live_campaign, "summer")
    other = make_campaign(main_account, slug="live-now", status=Status.LIVE, starts_at=NOW, ends_at=NOW + DAY)
    rename(other, "other", at=NOW + DAY)
    retired = RetiredSlug.objects.get(slug="live-now")
    assert (retired.campaign, retired.retired_at) == (other, NOW + DAY)


# --- slug_problem ----------------------------------------------------------------------------


def test_it_refuses_a_retired_slug_of_another_campaign_of_the_same_account_by_name(main_account, live_campaign):
    rename(live_campaign, "summer")
    new = Campaign(owner_account=main_account, slug="live-now")
    assert slug_problem(slug="live-now", campaign=new) == (
        "/c/live-now/ is kept for the old links of “Live Now”; pick another.")


def test_it_refuses_a_retired_slug_of_another_account_without_naming_the_campaign(live_campaign, deals_account):
    rename(live_campaign, "summer")
    bobs = make_campaign(deals_account, slug="bob-flash")
    problem = slug_problem(slug="live-now", campaign=bobs)
    assert problem == "/c/live-now/ is kept for the old links of another account's campaign; pick another."
    assert "Live Now" not in problem


def test_it_lets_a_campaign_take_back_its_own_retired_slug_and_free_slugs(live_campaign):
    rename(live_campaign, "summer")
    assert slug_problem(slug="live-now", campaign=live_campaign) is None
    assert slug_problem(slug="brand-new", campaign=live_campaign) is None
    assert slug_problem(slug="brand-new", campaign=Campaign()) is None
