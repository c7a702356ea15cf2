"""Saving the campaign form: only the form's columns, never the status; dates kept for running campaigns.

The seam: a form opened before a pause (or the scheduler's start) and saved after it must not put the
status back, and the status log must agree with the row.
"""

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import Campaign, CampaignEvent
from campaigns.status import change_status
from tests.campaigns.conftest import DAY, NOW, campaign_page_post, change_url, make_campaign
from tests.concurrency import run_concurrently

Status = Campaign.Status


@pytest.fixture
def running(main_account):
    return make_campaign(main_account, slug="running", name="Running", status=Status.LIVE,
                         starts_at=NOW - DAY, ends_at=NOW + 10 * DAY)


def test_it_keeps_a_pause_that_landed_while_the_form_was_open(client, alice, running):
    client.force_login(alice)
    assert client.get(change_url(running)).status_code == 200  # the marketer opens the page: live
    change_status(campaign=Campaign.objects.get(pk=running.pk), to=Status.PAUSED, by=alice, at=NOW)
    response = client.post(change_url(running), campaign_page_post(running, headline="New headline"))
    assert response.status_code == 302, response.content.decode()[:2000]
    running.refresh_from_db()
    assert running.status == Status.PAUSED
    assert running.headline == "New headline"
    assert list(CampaignEvent.objects.values_list("to_status", flat=True)) == [Status.PAUSED]


def test_it_keeps_a_pause_that_lands_while_the_save_is_being_processed(client, alice, running, monkeypatch):
    """The exact race: the admin has loaded the campaign (live) for this POST when the pause commits."""
    from campaigns.forms import CampaignForm

    original_clean = CampaignForm.clean

    def clean_while_someone_pauses(form):
        cleaned = original_clean(form)
        change_status(campaign=Campaign.objects.get(pk=running.pk), to=Status.PAUSED, at=NOW)
        return cleaned

    monkeypatch.setattr(CampaignForm, "clean", clean_while_someone_pauses)
    client.force_login(alice)
    response = client.post(change_url(running), campaign_page_post(running, headline="Saved during a pause"))
    assert response.status_code == 302, response.content.decode()[:2000]
    running.refresh_from_db()
    assert running.status == Status.PAUSED
    assert running.headline == "Saved during a pause"


def test_it_writes_only_the_forms_columns(client, alice, running, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        client.post(change_url(running), campaign_page_post(running, headline="Another"))
    updates = [query["sql"] for query in queries if query["sql"].startswith('UPDATE "campaigns_campaign"')]
    assert updates and all('"status"' not in sql for sql in updates)


@pytest.mark.postgres
def test_it_never_reverts_a_concurrent_pause(alice, running):
    """Form saves and pauses at the same moment, many rounds: the pause always survives."""
    from django.test import Client

    for round_number in range(6):
        Campaign.objects.filter(pk=running.pk).update(status=Status.LIVE)
        client = Client()
        client.force_login(alice)
        client.get(change_url(running))

        def save_form(client=client, round_number=round_number):
            data = campaign_page_post(running, headline=f"Round {round_number}")
            return client.post(change_url(running), data).status_code

        def pause():
            return change_status(campaign=Campaign.objects.get(pk=running.pk), to=Status.PAUSED, at=NOW)

        calls = iter([save_form, pause])
        results, errors = run_concurrently(lambda calls=calls: next(calls)(), threads=2)
        assert errors == []
        running.refresh_from_db()
        assert running.status == Status.PAUSED, f"round {round_number}: the form reverted the pause"
        assert running.headline == f"Round {round_number}"


def test_it_refuses_to_blank_the_dates_of_a_scheduled_campaign(client, alice, main_account):
    campaign = make_campaign(main_account, slug="soon", status=Status.SCHEDULED, starts_at=NOW + DAY,
                             ends_at=NOW + 5 * DAY)
    client.force_login(alice)
    response = client.post(change_url(campaign), campaign_page_post(campaign, starts_local="", ends_local=""))
    assert response.status_code == 200
    assert b"A scheduled campaign needs a start and an end" in response.content
    campaign.refresh_from_db()
    assert campaign.starts_at == NOW + DAY


def test_a_draft_may_lose_its_dates(client, alice, main_account):
    campaign = make_campaign(main_account, slug="idea", starts_at=NOW + DAY, ends_at=NOW + 5 * DAY)
    client.force_login(alice)
    response = client.post(change_url(campaign), campaign_page_post(campaign, starts_local="", ends_local=""))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.starts_at is None and campaign.ends_at is None


@pytest.mark.parametrize("status", [Status.SCHEDULED, Status.LIVE, Status.PAUSED, Status.ENDED])
def test_the_database_refuses_a_running_campaign_without_dates(main_account, status):
    campaign = make_campaign(main_account, slug="x", status=status, starts_at=NOW, ends_at=NOW + DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(ends_at=None)


def test_a_save_that_changed_nothing_writes_no_history(client, alice, running):
    from django.contrib.admin.models import LogEntry

    client.force_login(alice)
    client.post(change_url(running), campaign_page_post(running, starts_local="2026-11-30 12:00",
                                                 ends_local="2026-12-11 12:00"))
    first = LogEntry.objects.count()
    client.post(change_url(running), campaign_page_post(running))
    client.post(change_url(running), campaign_page_post(running))
    assert LogEntry.objects.count() == first
    client.post(change_url(running), campaign_page_post(running, headline="Changed"))
    assert LogEntry.objects.count() == first + 1
