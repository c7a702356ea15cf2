"""Recording touches: the one place every touch is written (`record_touch()`).

Later apps record referral clicks and giveaway entries through the same
function, so attribution reads a single table. The request is read once here
(`touch_facts_from_request()`), into plain values the writer stores.
"""

import functools
import re
from dataclasses import dataclass, field

from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import salted_hmac

from campaigns.models import Touch

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
CLICK_ID_FIELDS = ("gclid", "fbclid", "msclkid", "ttclid", "twclid")
MAX_VALUE_LENGTHS = {name: Touch._meta.get_field(name).max_length for name in UTM_FIELDS + CLICK_ID_FIELDS}

# Crawlers, link previewers and HTTP libraries. They follow links but are not people.
BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawler|spider|slurp|facebookexternalhit|facebookcatalog|meta-externalagent|embedly|"
    r"whatsapp|telegrambot|discordbot|slackbot|skypeuripreview|linkedinbot|pinterest|redditbot|"
    r"bingpreview|google-inspectiontool|googleother|yandex|baiduspider|duckduckbot|applebot|petalbot|"
    r"headlesschrome|phantomjs|curl/|wget/|python-requests|python-urllib|httpx|go-http-client|okhttp|"
    r"java/|libwww|axios/|node-fetch|^$",
    re.IGNORECASE,
)


def is_bot(user_agent):
    return bool(BOT_PATTERN.search(user_agent or ""))


def hash_ip(ip):
    """A keyed hash: the same IP gives the same value (for fraud rules), but the IP cannot be read back."""
    if not ip:
        return ""
    return salted_hmac("chorus.touches.ip", ip, algorithm="sha256").hexdigest()


@dataclass
class TouchFacts:
    """What a request tells about the visitor: tracking parameters, bot or not, hashed IP."""

    utm: dict = field(default_factory=dict)
    click_ids: dict = field(default_factory=dict)
    ip_hash: str = ""
    is_bot: bool = False


CONTROL_CHARACTERS = dict.fromkeys([*range(32), 127])


def clean_parameter(name, value):
    """Printable text only (PostgreSQL refuses NUL outright), cut to the column's length."""
    return (value or "").translate(CONTROL_CHARACTERS).strip()[: MAX_VALUE_LENGTHS[name]]


def touch_facts_from_request(request, *, client_ip):
    query = request.GET
    return TouchFacts(
        utm={name: clean_parameter(name, query.get(name)) for name in UTM_FIELDS if query.get(name)},
        click_ids={name: clean_parameter(name, query.get(name)) for name in CLICK_ID_FIELDS if query.get(name)},
        ip_hash=hash_ip(client_ip),
        is_bot=is_bot(request.headers.get("User-Agent", "")),
    )


def record_touch(*, visitor_id, campaign, account, kind, facts, user=None, link=None, reference="", at=None):
    """Write one Touch row: a single INSERT and nothing else.

    `campaign`, `account`, `link` and `user` may be objects or ids. The INSERT
    is built from the model's own fields (so columns and value conversion stay
    Django's) but skips model instantiation and the query compiler, which were
    a third of a click's cost; see docs/performance.md.
    """
    values = {
        "visitor_id": visitor_id,
        "user_id": getattr(user, "pk", user),
        "campaign_id": getattr(campaign, "pk", campaign),
        "account_id": getattr(account, "pk", account),
        "link_id": getattr(link, "pk", link),
        "kind": kind,
        "reference": reference,
        "ip_hash": facts.ip_hash,
        "is_bot": facts.is_bot,
        "occurred_at": at or timezone.now(),
        **dict.fromkeys(UTM_FIELDS + CLICK_ID_FIELDS, ""),
        **facts.utm,
        **facts.click_ids,
    }
    alias = router.db_for_write(Touch)
    connection = connections[alias]
    fields = [Touch._meta.get_field(name) for name in values]
    parameters = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values.values(),
                                                                                    strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(insert_statement(alias, tuple(values)), parameters)


@functools.cache
def insert_statement(alias, names):
    """The INSERT for these Touch columns on this database, built once per process."""
    connection = connections[alias]
    fields = [Touch._meta.get_field(name) for name in names]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {connection.ops.quote_name(Touch._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
