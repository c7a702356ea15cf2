"""Fraud rules: why an entry should wait for a marketer before it counts in a draw.

`reasons_to_hold()` is called by giveaways.complete_mission() inside its transaction, just
before the entry's INSERT. It never refuses: each rule that fires gives a (Flag.Rule, reason)
pair, the entry is written HELD with one Flag per reason, and it counts only once a marketer
clears it. The person sees their entry as usual, so nobody learns which rule they tripped.

The rules read keyed hashes the request gave (giveaways.EntryFacts): the client IP as
campaigns.visitors.client_ip() sees it (never a client's own X-Forwarded-For), its /24 or /48
network, and the user agent. An empty hash means "not known" (a purchase or a referral credit
arrives without a request) and never matches anything.

Cost: one statement counts what the velocity and cluster rules need (`recent_activity()`), plus up
to REFERRAL_CHAIN_DEPTH + 2 small queries for a referral credit.
The limits trade missed abuse against honest people held for review: a held entry is not
lost, so they lean towards holding.
"""

import datetime

from django.db import connection
from django.db.models import Q

from promotions import identities
from promotions.models import Entry, Flag, Mission, Referral

# More than this many entries from one IP address (any giveaway, any person) within
# IP_VELOCITY_WINDOW holds the next one. A household or an office doing every mission
# stays well under it; a script cycling through accounts does not.
IP_VELOCITY_LIMIT = 20
IP_VELOCITY_WINDOW = datetime.timedelta(minutes=5)

# More than this many missions completed by one person within PARTICIPANT_VELOCITY_WINDOW
# holds the next one: reading and doing a mission takes a person several seconds.
PARTICIPANT_VELOCITY_LIMIT = 8
PARTICIPANT_VELOCITY_WINDOW = datetime.timedelta(minutes=1)
# Completions that arrive from elsewhere (a friend's entry, a sale), not from the person's clicks.
ARRIVING_FROM_ELSEWHERE = [Mission.Kind.REFER_FRIEND, Mission.Kind.PURCHASE]

# At least this many *other* people entering from the same network with the same browser
# within CLUSTER_WINDOW holds the entry: what one person with many addresses looks like.
CLUSTER_SIZE = 4
CLUSTER_WINDOW = datetime.timedelta(minutes=10)

# A referral credit is held when the friend had referred the referrer through at most this
# many links (A → B → A is 1, A → B → C → A is 2 ...).
REFERRAL_CHAIN_DEPTH = 3
# How many of the friend's recent (network, browser) pairs are compared with the referrer's.
REFERRAL_PAIRS_COMPARED = 10


def reasons_to_hold(*, participant, round, mission, facts, occurrence, at):
    """[(Flag.Rule, reason)] for the entry about to be written; empty when nothing looks wrong."""
    seen = recent_activity(participant=participant, mission=mission, facts=facts, at=at)
    reasons = []
    for rule in (disposable_email, ip_velocity, participant_velocity, cluster, referral_loop):
        reason = rule(participant=participant, round=round, mission=mission, facts=facts, occurrence=occurrence,
                      at=at, seen=seen)
        if reason:
            reasons.append(reason)
    return reasons


# Written out in SQL because this runs inside every entry's transaction and Django spent ~2 ms building
# it (three filtered aggregates over a join) against ~0.2 ms for the database to answer; the same
# query in the ORM would be Entry.objects.filter(<the three ranges OR-ed>, created_at__lte=at).aggregate(
# mine=Count("pk", filter=…), ip=Count("pk", filter=…), others=Count("participant", distinct=True, filter=…)).
# Standard SQL (FILTER needs SQLite 3.30+ or PostgreSQL 9.4+). An empty hash means "not known": never a match.
RECENT_ACTIVITY_SQL = """
    SELECT
      COUNT(*) FILTER (WHERE e.participant_id = %(participant)s AND e.created_at > %(mine_since)s
                       AND m.kind NOT IN (%(referral)s, %(purchase)s)),
      COUNT(*) FILTER (WHERE e.ip_hash = %(ip)s AND e.ip_hash <> '' AND e.created_at > %(ip_since)s),
      COUNT(DISTINCT e.participant_id) FILTER (
        WHERE e.network_hash = %(network)s AND e.agent_hash = %(agent)s AND e.network_hash <> ''
          AND e.agent_hash <> '' AND e.created_at > %(cluster_since)s AND e.participant_id <> %(participant)s)
    FROM promotions_entry e JOIN promotions_mission m ON m.id = e.mission_id
    WHERE e.created_at <= %(at)s AND (
      (e.participant_id = %(participant)s AND e.created_at > %(mine_since)s)
      OR (e.ip_hash = %(ip)s AND e.ip_hash <> '' AND e.created_at > %(ip_since)s)
      OR (e.network_hash = %(network)s AND e.agent_hash = %(agent)s AND e.network_hash <> ''
          AND e.agent_hash <> '' AND e.created_at > %(cluster_since)s))
"""


def recent_activity(*, participant, mission, facts, at):
    """What the velocity and cluster rules count, in one statement over the recent entries:

    - `ip`: entries from the same IP within IP_VELOCITY_WINDOW;
    - `mine`: the person's own completions (not credits arriving from elsewhere) within
      PARTICIPANT_VELOCITY_WINDOW;
    - `others`: other people on the same network with the same browser within CLUSTER_WINDOW.

    One indexed range per rule (participant, ip_hash, network_hash — each with created_at), OR-ed
    into one scan. The rows it reads are bounded by the throttle's per-IP and per-person limits
    (promotions/throttle.py) and the short windows.
    """
    instant = connection.ops.adapt_datetimefield_value
    parameters = {
        "participant": participant.pk, "at": instant(at),
        "mine_since": instant(at - PARTICIPANT_VELOCITY_WINDOW), "ip_since": instant(at - IP_VELOCITY_WINDOW),
        "cluster_since": instant(at - CLUSTER_WINDOW), "ip": facts.touch.ip_hash, "network": facts.network_hash,
        "agent": facts.agent_hash, "referral": Mission.Kind.REFER_FRIEND.value, "purchase": Mission.Kind.PURCHASE.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(RECENT_ACTIVITY_SQL, parameters)
        mine, ip, others = cursor.fetchone()
    return {"mine": mine, "ip": ip, "others": others}


def disposable_email(*, participant, **_facts):
    try:
        disposable = identities.is_disposable(participant.email)
    except ValueError:
        return None  # participant_for() refused such addresses already
    if not disposable:
        return None
    domain = participant.email.rpartition("@")[2].lower()
    return Flag.Rule.DISPOSABLE_EMAIL, f"The address is at {domain}, a throwaway-mailbox service."


def ip_velocity(*, seen, **_facts):
    if seen["ip"] < IP_VELOCITY_LIMIT:
        return None
    return (Flag.Rule.IP_VELOCITY,
            f"{seen['ip'] + 1} entries from one IP address within {minutes(IP_VELOCITY_WINDOW)} "
            f"(the limit is {IP_VELOCITY_LIMIT}).")


def participant_velocity(*, mission, seen, **_facts):
    if mission.kind in ARRIVING_FROM_ELSEWHERE or seen["mine"] < PARTICIPANT_VELOCITY_LIMIT:
        return None
    return (Flag.Rule.PARTICIPANT_VELOCITY,
            f"{seen['mine'] + 1} missions completed by this person within "
            f"{minutes(PARTICIPANT_VELOCITY_WINDOW)} (the limit is {PARTICIPANT_VELOCITY_LIMIT}).")


def cluster(*, seen, **_facts):
    if seen["others"] < CLUSTER_SIZE:
        return None
    return (Flag.Rule.CLUSTER,
            f"{seen['others']} other people entered from the same network with the same browser within "
            f"{minutes(CLUSTER_WINDOW)}.")


def referral_loop(*, participant, round, mission, occurrence, **_facts):
    """A credit for bringing a friend who had brought this person, or who shares their network and browser."""
    if mission.kind != Mission.Kind.REFER_FRIEND or not occurrence.startswith("friend:"):
        return None
    try:
        friend_id = int(occurrence.removeprefix("friend:"))
    except ValueError:
        return None
    links = referral_links_up_to(friend_id, start=participant.pk, giveaway_id=round.giveaway_id)
    if links is not None:
        how = "directly" if links == 1 else f"through {links - 1} other {'person' if links == 2 else 'people'}"
        return (Flag.Rule.REFERRAL_LOOP,
                f"The friend (participant {friend_id}) had referred this person {how}: a referral loop.")
    if shares_network_and_browser(participant.pk, friend_id, giveaway_id=round.giveaway_id):
        return (Flag.Rule.REFERRAL_LOOP,
                f"The friend (participant {friend_id}) entered from the same network with the same browser "
                "as this person.")
    return None


def referral_links_up_to(target_id, *, start, giveaway_id):
    """How many referral links lead from `target_id` down to `start` (at most REFERRAL_CHAIN_DEPTH), or None.

    Walks up from `start` through who referred whom: one person has at most one referrer per
    giveaway, so the chain is a line and each step is one indexed query.
    """
    current = start
    for links in range(1, REFERRAL_CHAIN_DEPTH + 1):
        current = (Referral.objects.filter(giveaway_id=giveaway_id, friend_id=current)
                   .values_list("referrer_id", flat=True).first())
        if current is None or current == start:
            return None
        if current == target_id:
            return links
    return None


def shares_network_and_browser(referrer_id, friend_id, *, giveaway_id):
    pairs = list(
        Entry.objects.filter(participant_id=friend_id, round__giveaway_id=giveaway_id)
        .exclude(network_hash="").exclude(agent_hash="").order_by("-created_at")
        .values_list("network_hash", "agent_hash")[:REFERRAL_PAIRS_COMPARED]
    )
    if not pairs:
        return False
    same = Q()
    for network_hash, agent_hash in set(pairs):
        same |= Q(network_hash=network_hash, agent_hash=agent_hash)
    return Entry.objects.filter(same, participant_id=referrer_id, round__giveaway_id=giveaway_id).exists()


def minutes(window):
    count = int(window.total_seconds() // 60)
    return f"{count} minute{'s' if count != 1 else ''}"
