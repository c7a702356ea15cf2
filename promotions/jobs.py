"""RQ entry points for giveaways: thin, idempotent, safe to run twice; the sweeps find what Redis lost."""

import logging

import django_rq
from redis.exceptions import RedisError

from common.recent import RecentCache
from promotions import drawing, referrals, rounds, tallies, winners
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


# --- referral groups ---

def enqueue_group_followups(group_id):
    """After a group reached a new tier or was settled (on commit): re-render its card and tell its members.

    Redis being down loses nothing: the sweeps render stale cards and send due notices.
    """
    try:
        queue = django_rq.get_queue("default", commit_mode="auto")
        queue.enqueue(render_group_card, group_id)
        queue.enqueue(send_group_notices, group_id)
    except RedisError as error:
        log.warning("Could not enqueue the follow-ups of referral group %s (%s); the sweeps catch up.",
                    group_id, error)


def render_group_card(group_id):
    """Render a group's share card if it is older than the group's figures."""
    from promotions import sharecards

    return sharecards.render_group_card(group_id)


def send_group_notices(group_id):
    """Send the e-mails due to one group's members (throttled per member and group)."""
    from promotions import referral_notices

    return referral_notices.send_due_notices(group_id=group_id)


def confirm_referral_holds():
    """Every minute, from config/cron.py: purchases past their refund hold start to count."""
    return referrals.confirm_due_members()


def settle_referral_offers():
    """Every minute, from config/cron.py: settle offers whose close plus hold has passed."""
    return referrals.settle_due_offers()


def send_referral_notices():
    """Every minute, from config/cron.py: send the notices that waited for the hourly throttle."""
    from promotions import referral_notices

    return referral_notices.send_due_notices()


def render_stale_cards():
    """Every minute, from config/cron.py: render share cards a lost job left stale."""
    from promotions import sharecards

    return sharecards.render_stale_cards()


def enqueue_settlement_followups(offer_id):
    """After an offer is settled (on commit): tell its members and re-render its cards now, not at the next sweep."""
    try:
        queue = django_rq.get_queue("default", commit_mode="auto")
        queue.enqueue(send_referral_notices)
        queue.enqueue(render_stale_cards)
    except RedisError as error:
        log.warning("Could not enqueue the follow-ups of settled offer %s (%s); the sweeps catch up.", offer_id, error)
