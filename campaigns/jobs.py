"""RQ entry points for campaigns: thin, idempotent, safe to run twice."""

from campaigns.rollups import rebuild_touch_rollups, tally_new_touches
from campaigns.schedules import advance_due_campaigns

# A run stops after this many batches (a few million touches) so it ends well inside the job timeout;
# the next minute's run carries on from the watermark.
TALLY_BATCHES_PER_RUN = 100


def advance_campaign_schedules():
    """Every minute, from config/cron.py."""
    return advance_due_campaigns()


def tally_touches():
    """Every minute, from config/cron.py: bring the admin's touch figures up to date."""
    return tally_new_touches(max_batches=TALLY_BATCHES_PER_RUN)


def check_touch_rollups():
    """Nightly, from config/cron.py: recompute the figures from the touches; writes only what disagrees."""
    return rebuild_touch_rollups()
