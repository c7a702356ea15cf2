"""Periodic sweeps, run by exactly one scheduler process: `python -m config.scheduler` (see config/scheduler.py).

Each entry enqueues a small idempotent job; the sweeps find their work in the
database, so a job lost while Redis was down is simply found again next time.
Run exactly one scheduler per deployment (see docs/operations.md).
"""

from rq import cron

from accounts.jobs import clear_expired_sessions
from attribution.jobs import (
    apply_waiting_sales_events,
    run_waiting_sales_imports,
    send_thank_you_emails,
    write_stale_finance_exports,
)
from campaigns.jobs import advance_campaign_schedules, check_touch_rollups, tally_touches
from promotions.jobs import (
    advance_giveaway_rounds,
    confirm_referral_holds,
    draw_closed_rounds,
    forfeit_unclaimed_prizes,
    render_stale_cards,
    send_referral_notices,
    settle_referral_offers,
    tally_recent_rounds,
)

cron.register(advance_campaign_schedules, queue_name="default", cron="* * * * *")
cron.register(clear_expired_sessions, queue_name="default", cron="17 * * * *")
# Tallies take turns on a lock, so a slow run overlapping the next one is safe (it waits, then carries on).
cron.register(tally_touches, queue_name="tallies", cron="* * * * *")
cron.register(check_touch_rollups, queue_name="tallies", cron="41 3 * * *", job_timeout=3600)
# Giveaways: rounds open and close on the minute; draws run on their own job so a slow one delays nothing else.
cron.register(advance_giveaway_rounds, queue_name="default", cron="* * * * *")
cron.register(draw_closed_rounds, queue_name="default", cron="* * * * *", job_timeout=1800)
cron.register(tally_recent_rounds, queue_name="tallies", cron="* * * * *")
cron.register(forfeit_unclaimed_prizes, queue_name="default", cron="*/5 * * * *")
# Referral groups: holds end and offers settle on the minute; notices wait out the hourly throttle.
cron.register(confirm_referral_holds, queue_name="default", cron="* * * * *")
cron.register(settle_referral_offers, queue_name="default", cron="* * * * *", job_timeout=1800)
cron.register(send_referral_notices, queue_name="default", cron="* * * * *")
cron.register(render_stale_cards, queue_name="default", cron="* * * * *")
# Sales: events a lost job left in the inbox are applied within a minute (Redis holds no fact).
cron.register(apply_waiting_sales_events, queue_name="default", cron="* * * * *", job_timeout=1800)
cron.register(run_waiting_sales_imports, queue_name="default", cron="* * * * *", job_timeout=6 * 3600)
# Thank-you e-mails to buyers an account's campaigns brought in; overlapping runs are safe (one row per sale).
cron.register(send_thank_you_emails, queue_name="default", cron="* * * * *", job_timeout=900)
# Finance exports whose job Redis lost or whose worker died are written again from nothing (no half file stays);
# the queue's own timeout, which is also when a running export counts as abandoned.
cron.register(write_stale_finance_exports, queue_name="exports", cron="* * * * *")
