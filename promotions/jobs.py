"""RQ entry points for giveaways: thin, idempotent, safe to run twice; the sweeps find what Redis lost."""

import logging

import django_rq
from redis.exceptions import RedisError

from common.recent import RecentCache
from promotions import drawing, rounds, tallies, winners
from promotions.models import Round

log = logging.getLogger(__name__)

# A busy round gets one tally job per web process per this many seconds; the every-minute sweep
# recounts every open round anyway, so the job only makes the marketer's figures fresher.
TALLY_REQUEST_SECONDS = 2
recently_requested = RecentCache(max_entries=1000)


def enqueue_round_tally(round_id):
    """Ask a tally worker to recount a round; called on commit. Redis being down loses nothing (the sweep)."""
    if recently_requested.get(round_id):
        return
    recently_requested.put(round_id, True, seconds=TALLY_REQUEST_SECONDS)
    try:
        # commit_mode="auto": this already runs after the commit, enqueue now.
        django_rq.get_queue("tallies", commit_mode="auto").enqueue(tally_round, round_id)
    except RedisError as error:
        log.warning("Could not enqueue the tally of round %s (%s); the next sweep recounts it.", round_id, error)


def tally_round(round_id):
    """Recount one round's figures from its entries; writes only what changed."""
    found = Round.objects.filter(pk=round_id).first()
    return tallies.recount_round(found) if found is not None else None


def advance_giveaway_rounds():
    """Every minute, from config/cron.py: open rounds that are due, close those whose window is over."""
    return rounds.advance_due_rounds()


def draw_closed_rounds():
    """Every minute, from config/cron.py: draw every closed round of a giveaway that draws automatically."""
    return drawing.draw_due_rounds()


def tally_recent_rounds():
    """Every minute, from config/cron.py: recount open rounds and those closed in the last day."""
    return tallies.recount_recent_rounds()


def forfeit_unclaimed_prizes():
    """Every few minutes, from config/cron.py: winners past their claim deadline forfeit; alternates step up."""
    return winners.forfeit_overdue()
