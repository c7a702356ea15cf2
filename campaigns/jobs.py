"""RQ entry points for campaigns: thin, idempotent, safe to run twice."""

from campaigns.schedules import advance_due_campaigns


def advance_campaign_schedules():
    """Every minute, from config/cron.py."""
    return advance_due_campaigns()
