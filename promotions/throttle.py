"""Velocity limits on the giveaway pages' POSTs, per client IP and per signed-in person, answered with a friendly 429.

The counts live in Redis (the one the job queues use), so every web process shares them and a count is
one atomic INCR: no POST can slip between a read and a write. The IP is `campaigns.visitors.client_ip()`:
REMOTE_ADDR, or the address our own proxies put in X-Forwarded-For; a client writing its own
X-Forwarded-For changes nothing.

Counting: each key has a counter per WINDOW_SECONDS bucket of the clock, and a POST is refused when the
current and the previous bucket together hold more than the limit. Any LIMIT + 1 POSTs within
WINDOW_SECONDS fall into two neighbouring buckets, so the (LIMIT + 1)th is always refused, wherever the
bucket boundary falls; the price is that a burst is remembered for up to two windows. One round trip per
check (INCR, EXPIRE and GET of the previous bucket in one pipeline).

While Redis is down the limits are off (one warning in the log per process and outage): entries must still
be accepted then, and the fraud rules (promotions/fraud.py), which read the entry rows, still hold what a
script sends. Django's database cache was tried first and dropped: every `set` there costs several
statements, including a COUNT(*) of the cache table, and its culling deletes counters under load.
"""

import logging
import time

import redis
from django.conf import settings
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

from campaigns.visitors import client_ip

log = logging.getLogger(__name__)

WINDOW_SECONDS = 10
# POSTs per client IP per window. Generous: mobile carriers put many people behind one address
# (carrier-grade NAT), and a viral post sends them all at once; a script is still stopped within seconds.
POSTS_PER_IP = 60
# POSTs per signed-in person per window, whatever their IP: a person ticking off missions by hand makes a
# few. Counted per login (known before any query of ours); the fraud rules count per participant.
POSTS_PER_PERSON = 10
KEY_PREFIX = "promotions:throttle"
# A page waits at most this long for Redis before letting the POST through.
REDIS_TIMEOUT_SECONDS = 0.5

_client = None
_redis_was_down = False


def redis_client():
    """One client (and connection pool) per process, on the queues' Redis, with short timeouts."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.RQ_QUEUES["default"]["URL"],
                                       socket_timeout=REDIS_TIMEOUT_SECONDS,
                                       socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    return _client


def over_limit(name, limit, *, now=None):
    """Count one POST for `name` and say whether it goes over `limit` per WINDOW_SECONDS (False without Redis)."""
    return bool(over_limits({name: limit}, now=now))


def over_limits(limits, *, now=None):
    """Count one POST for each name in `limits` ({name: limit}); the names that went over. One round trip."""
    global _redis_was_down
    now = time.time() if now is None else now
    bucket = int(now // WINDOW_SECONDS)
    try:
        pipe = redis_client().pipeline(transaction=False)
        for name in limits:
            current = f"{KEY_PREFIX}:{name}:{bucket}"
            pipe.incr(current)
            pipe.expire(current, 2 * WINDOW_SECONDS)
            pipe.get(f"{KEY_PREFIX}:{name}:{bucket - 1}")
        results = pipe.execute()
    except RedisError as error:
        if not _redis_was_down:
            log.warning("Giveaway velocity limits are off while Redis is unreachable (%s).", error)
        _redis_was_down = True
        return []
    if _redis_was_down:
        log.warning("Redis is back: giveaway velocity limits are on again.")
        _redis_was_down = False
    counts = [results[index] + int(results[index + 2] or 0) for index in range(0, len(results), 3)]
    return [name for (name, limit), count in zip(limits.items(), counts, strict=True) if count > limit]


def ip_key(request):
    # A keyed hash: the cache table never holds visitors' addresses.
    return "ip:" + salted_hmac("chorus.promotions.throttle", client_ip(request), algorithm="sha256").hexdigest()[:32]


def too_many(request, back):
    response = render(request, "promotions/too_many.html", {"wait_seconds": WINDOW_SECONDS, "back": back},
                      status=429)
    response["Retry-After"] = str(WINDOW_SECONDS)
    return response


def refuse(request, *, back, now=None):
    """A 429 page (with a link `back`) if this client IP, or the signed-in person, has posted too often, else None.

    Counts the POST for both in one round trip. Call it first in a view: a script's POSTs then cost one
    Redis round trip (and the session read that tells who is signed in), never an entry's work.
    """
    limits = {ip_key(request): POSTS_PER_IP}
    if request.user.is_authenticated:
        limits[f"user:{request.user.pk}"] = POSTS_PER_PERSON
    return too_many(request, back) if over_limits(limits, now=now) else None
