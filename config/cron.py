"""Periodic sweeps, run by one scheduler process: `manage.py rqcron config.cron`.

Each entry enqueues a small idempotent job; the sweeps find their work in the
database, so a job lost while Redis was down is simply found again next time.
Run exactly one scheduler per deployment (see docs/operations.md).
"""

from rq import cron

from accounts.jobs import clear_expired_sessions
from campaigns.jobs import advance_campaign_schedules

cron.register(advance_campaign_schedules, queue_name="default", cron="* * * * *")
cron.register(clear_expired_sessions, queue_name="default", cron="17 * * * *")
