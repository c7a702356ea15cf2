"""Recording touches: the one place every touch is written (`record_touch()`).

Later apps record referral clicks and giveaway entries through the same
function, so attribution reads a single table. The request is read once here
(`touch_facts_from_request()`), into plain values the writer stores.
"""

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from campaigns.bots import is_bot
from campaigns.models import Campaign, Touch
from common.inserts import insert_row

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
CLICK_ID_FIELDS = ("gclid", "fbclid", "msclkid", "ttclid", "twclid")
MAX_VALUE_LENGTHS = {name: Touch._meta.get_field(name).max_length for name in UTM_FIELDS + CLICK_ID_FIELDS}

def hash_ip(ip):
    """A keyed hash: the same IP gives the same value (for fraud rules), but the IP cannot be read back."""
    if not ip:
        return ""
    return salted_hmac("chorus.touches.ip", ip, algorithm="sha256").hexdigest()


def network_of(ip):
    """The /24 of an IPv4 address or the /48 of an IPv6 one: what one household or office shares."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def keyed_hash(purpose, value):
    """A keyed hash for fraud rules that compare values without keeping them (network, browser).

    The salt keeps the name it had when only giveaway entries used it, so stored hashes still compare.
    """
    return salted_hmac(f"chorus.promotions.{purpose}", value, algorithm="sha256").hexdigest() if value else ""


def network_hash_of(ip):
    return keyed_hash("network", network_of(ip))


def agent_hash_of(user_agent):
    return keyed_hash("agent", (user_agent or "")[:500])


def referrer_host_of(referer):
    """The host a click came from (e.g. a coupon site), lower case, without port; "" when none or unreadable."""
    try:
        host = urlsplit((referer or "")[:2000]).hostname or ""
    except ValueError:
        return ""
    return host.translate(CONTROL_CHARACTERS)[:MAX_HOST_LENGTH]


@dataclass
class TouchFacts:
    """What a request tells about the visitor: tracking parameters, bot or not, hashed IP, network and browser,
    and the host of the page the click came from."""

    utm: dict = field(default_factory=dict)
    click_ids: dict = field(default_factory=dict)
    ip_hash: str = ""
    is_bot: bool = False
    network_hash: str = ""
    agent_hash: str = ""
    referrer_host: str = ""


CONTROL_CHARACTERS = dict.fromkeys([*range(32), *range(127, 160)])
MAX_HOST_LENGTH = Touch._meta.get_field("referrer_host").max_length


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
        network_hash=network_hash_of(client_ip),
        agent_hash=agent_hash_of(request.headers.get("User-Agent", "")),
        referrer_host=referrer_host_of(request.headers.get("Referer", "")),
    )


class TouchRefused(Exception):
    """A touch was to be credited to an account that does not run the campaign."""


def record_touch(*, visitor_id, campaign, account, kind, facts, user=None, link=None, reference="", at=None):
    """Write one Touch row: a single INSERT, after checking that `account` runs `campaign`.

    `campaign`, `account`, `link` and `user` may be objects or ids. The check costs no query when the
    campaign object already tells (a link from `find_clickable_link()`, or the owner account), else one.
    Runs inside the caller's transaction and lets an IntegrityError through: retrying inside an atomic
    block is not safe on PostgreSQL, so the caller decides. Keep that transaction short (no email, HTTP or
    image work inside it): the rollup tally waits for every transaction still running when it reads its
    target (campaigns/rollups.py), so a slow one delays the admin's figures for everyone.

    The INSERT is common.inserts.insert_row(): built from the model's own fields (so columns and value
    conversion stay Django's) but without model instantiation or the query compiler, which were a third of
    a click's cost; see docs/performance.md. Fields not named here get their Python-side default.
    """
    campaign_id = getattr(campaign, "pk", campaign)
    account_id = getattr(account, "pk", account)
    if not account_runs_campaign(account_id=account_id, campaign=campaign):
        raise TouchRefused(
            f"Brand account {account_id} does not run campaign {campaign_id}: a touch can only be credited to "
            "the campaign's owner or one of its co-running accounts. Record it for one of those, or add the "
            "account to the campaign's co-running accounts first."
        )
    link_facts = getattr(link, "__dict__", {})
    if ("campaign_id" in link_facts and link.campaign_id != campaign_id) or (
            "account_id" in link_facts and link.account_id != account_id):
        raise TouchRefused(f"Tracking link {link.pk} belongs to campaign {link.campaign_id} and account "
                           f"{link.account_id}; record its touches for those, not campaign {campaign_id} and "
                           f"account {account_id}.")
    values = {
        "visitor_id": visitor_id,
        "user_id": getattr(user, "pk", user),
        "campaign_id": campaign_id,
        "account_id": account_id,
        "link_id": getattr(link, "pk", link),
        "kind": kind,
        "reference": reference,
        "ip_hash": facts.ip_hash,
        "is_bot": facts.is_bot,
        "network_hash": facts.network_hash,
        "agent_hash": facts.agent_hash,
        "referrer_host": facts.referrer_host,
        "occurred_at": at or timezone.now(),
        **dict.fromkeys(UTM_FIELDS + CLICK_ID_FIELDS, ""),
        **facts.utm,
        **facts.click_ids,
    }
    insert_row(Touch, values)


def account_runs_campaign(*, account_id, campaign):
    """Whether the account owns or co-runs the campaign (an object or an id).

    No query when the campaign object says so: `checked_running_account_ids`, set by
    `find_clickable_link()` for the link's account, or a loaded `owner_account_id`. Else one query.
    """
    if account_id in getattr(campaign, "checked_running_account_ids", ()):
        return True
    if "owner_account_id" in getattr(campaign, "__dict__", {}) and campaign.owner_account_id == account_id:
        return True
    return (Campaign.objects.filter(Q(owner_account_id=account_id) | Q(co_accounts=account_id),
                                    pk=getattr(campaign, "pk", campaign))
            .exists())
