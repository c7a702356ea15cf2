"""Attribution fixtures: a web-shop source of alice's main account, signed deliveries and touches.

Webhook tests run on the real clock (the signature's five-minute tolerance is against `time.time()`);
everything else passes `at`, around NOW (2026-12-01 03:00 UTC) like the other apps' tests.
"""

import json
import time
import uuid

import pytest
from django.utils import timezone

from accounts.memberships import add_member
from accounts.roles import Role
from attribution import signatures, sources
from campaigns.models import Campaign, Touch
from campaigns.touches import TouchFacts, record_touch
from tests.campaigns.conftest import DAY, HOUR, NOW, make_campaign
from tests.conftest import make_user

__all__ = ["DAY", "HOUR", "NOW", "deliver", "paid", "refunded", "post_event", "touch", "VISITOR"]

WEBHOOK = "/api/v1/sales/"
VISITOR = uuid.UUID("00000000-0000-4000-8000-000000000001")


@pytest.fixture(autouse=True)
def _forget_recent_sources():
    sources.recent_sources.clear()
    yield
    sources.recent_sources.clear()


@pytest.fixture
def shop(main_account):
    return sources.create_source(account=main_account, name="Web shop", key="alice-web-shop", at=timezone.now())


@pytest.fixture
def secret(shop):
    return shop.secrets.get().secret


@pytest.fixture
def running(main_account):
    """A live campaign of the main account, from 20 days before NOW to 10 days after."""
    return make_campaign(main_account, slug="winter-sale", status=Campaign.Status.LIVE,
                         starts_at=NOW - 20 * DAY, ends_at=NOW + 10 * DAY)


def paid(order_id="A-1001", *, event_id=None, amount="129000", currency="KRW", at=None, source="alice-web-shop",
         **fields):
    """An order.paid event as a shop would send it (a dict; json.dumps it to send)."""
    return {"id": event_id or f"evt_paid_{order_id}", "type": "order.paid", "source": source,
            "occurred_at": (at or timezone.now()).isoformat().replace("+00:00", "Z"), "order_id": order_id,
            "amount": amount, "currency": currency, "customer_email": fields.pop("customer_email", "mina@example.com"),
            **fields}


def refunded(order_id="A-1001", *, event_id, amount, currency="KRW", at=None, source="alice-web-shop"):
    return {"id": event_id, "type": "order.refunded", "source": source, "order_id": order_id,
            "occurred_at": (at or timezone.now()).isoformat().replace("+00:00", "Z"), "amount": amount,
            "currency": currency}


def post_event(client, event, *, secrets, body=None, timestamp=None, header=None):
    """POST `event` (or raw `body` bytes) signed with `secrets` at `timestamp` (now by default)."""
    raw = body if body is not None else json.dumps(event).encode()
    if header is None:
        header = signatures.header_value(secrets, timestamp if timestamp is not None else time.time(), raw)
    return client.generic("POST", WEBHOOK, raw, content_type="application/json",
                          headers={"Chorus-Signature": header})


def touch(campaign, *, at, visitor=VISITOR, account=None, kind=Touch.Kind.LINK_CLICK, reference="", user=None,
          is_bot=False):
    record_touch(visitor_id=visitor, campaign=campaign, account=account or campaign.owner_account, kind=kind,
                 facts=TouchFacts(is_bot=is_bot), user=user, reference=reference, at=at)
    return Touch.objects.latest("id")


def deliver(source, event, *, at=NOW):
    """Check and store `event` as the webhook would at `at`, then apply it here (as the worker would)."""
    from attribution import events, ingest
    from attribution.models import InboxEvent

    facts = events.read_event(event, now=at)
    return ingest.receive_event(source=source, facts=facts, via=InboxEvent.Via.WEBHOOK, at=at, apply_now=True)


def member(account, email, role):
    """A new staff user with `role` in `account`, named after the address (fiona@… is Fiona)."""
    user = make_user(email, name=email.split("@")[0].capitalize())
    add_member(account=account, user=user, role=role)
    return user


@pytest.fixture
def fiona(main_account):
    """Finance of the main account."""
    return member(main_account, "fiona@example.org", Role.FINANCE)


@pytest.fixture
def mark(main_account):
    """A marketer of the main account (no finance role)."""
    return member(main_account, "mark@example.org", Role.MARKETER)


@pytest.fixture(autouse=True)
def _exports_folder(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"


@pytest.fixture
def november(shop, running):
    """Sales and credit of alice's account in November (tests/attribution/test_exports.py: make_november)."""
    from tests.attribution.test_exports import make_november

    return make_november(shop, running)
