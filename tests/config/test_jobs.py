"""Jobs end to end on the embedded Redis, with a real rq worker: no fakes."""

import datetime

import django_rq
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from rq import SimpleWorker
from rq.cron import CronScheduler

from accounts.jobs import clear_expired_sessions
from campaigns.jobs import advance_campaign_schedules
from promotions import jobs as promotion_jobs


@pytest.mark.django_db(transaction=True)
def test_a_job_is_enqueued_only_when_its_transaction_commits():
    queue = django_rq.get_queue("default")
    with pytest.raises(RuntimeError), transaction.atomic():
        django_rq.enqueue(clear_expired_sessions)
        raise RuntimeError("roll back")
    assert queue.count == 0
    with transaction.atomic():
        django_rq.enqueue(clear_expired_sessions)
        assert queue.count == 0  # not before the commit
    assert queue.count == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_session_sweep():
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data=SessionStore().encode({}),
                           expire_date=now - datetime.timedelta(days=1))
    Session.objects.create(session_key="live", session_data=SessionStore().encode({}),
                           expire_date=now + datetime.timedelta(days=1))
    queue = django_rq.get_queue("default")
    job = queue.enqueue(clear_expired_sessions)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh()
    assert job.is_finished
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]


def test_the_cron_file_registers_every_sweep():
    scheduler = CronScheduler(connection=django_rq.get_connection("default"))
    scheduler.load_config_from_file("config.cron")
    registered = {(job.func, job.queue_name) for job in scheduler.get_jobs()}
    assert (clear_expired_sessions, "default") in registered
    assert (advance_campaign_schedules, "default") in registered
    for sweep in (promotion_jobs.confirm_referral_holds, promotion_jobs.settle_referral_offers,
                  promotion_jobs.send_referral_notices, promotion_jobs.render_stale_cards):
        assert (sweep, "default") in registered
