"""`GET /r/<code>`: a referral group's share link records a referral-click touch and redirects to the group.

Like `/l/<code>` (campaigns/views/links.py): two queries for a click (the group's lookup, kept by this process
for a few seconds, and the touch INSERT), bots recorded apart, HEAD answers the redirect and records nothing,
responses never cached. A link that cannot take purchases (switched off, its offer ended or settled, its
campaign not live, the offer's account switched off or no longer running the campaign) records nothing and
lands on the offer page at list price with a notice; an unknown code, or a draft campaign's, gets a friendly
404. The code a visitor clicked travels on (`?via=`) so the group page's booking link passes the right
sharer to the shop.
"""

import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from campaigns.models import Campaign, Touch
from campaigns.touches import record_touch, touch_facts_from_request
from campaigns.views.links import signed_in_user_id
from campaigns.visitors import client_ip, set_visitor_cookie, visitor_id_from
from common.recent import RecentCache
from promotions import referrals
from promotions.models import ReferralGroup

# The ShareTarget of each recently clicked group code, kept by this process for TRACKING_LINK_CACHE_SECONDS
# (tests/conftest.py clears it around every test).
recent_shares = RecentCache(max_entries=10_000)
MAX_CODE_LENGTH = 16  # GroupMember.share_code's column: the group's 8 characters and the member's 6


@dataclass(frozen=True)
class ShareTarget:
    group_id: int
    group_code: str
    offer_slug: str
    campaign: Campaign  # a bare row (pk, owner): enough for record_touch, with the running account checked
    account_id: int
    active: bool  # takes purchases: not switched off, offer open and unsettled, campaign live, account running it
    public: bool  # the campaign's pages are shown to the public (not a draft)


def share_target(code):
    """The ShareTarget behind a share code (a group's, or a member's, which starts with it), or None.

    One query, then remembered by this process for TRACKING_LINK_CACHE_SECONDS under the group's code, so a
    viral post's clicks cost only their INSERT; switching a group off or pausing the campaign takes that long
    to apply to clicks. A member's part of a code is not looked up here: the group page checks it before
    putting it on the booking link, and a purchase with an unknown member code counts as the founder's link.
    """
    if not referrals.GROUP_CODE_LENGTH <= len(code) <= MAX_CODE_LENGTH:
        return None
    key = code[: referrals.GROUP_CODE_LENGTH]
    cached = recent_shares.get(key)
    if cached is not None:
        return cached
    co_running = Campaign.co_accounts.through.objects.filter(campaign_id=OuterRef("offer__campaign_id"),
                                                             brandaccount_id=OuterRef("offer__account_id"))
    row = (ReferralGroup.objects.filter(code=key)
           .annotate(runs=Q(offer__account_id=F("offer__campaign__owner_account_id")) | Exists(co_running))
           .values("pk", "code", "disabled_at", "settled_at", "offer__slug", "offer__campaign_id",
                   "offer__campaign__owner_account_id", "offer__campaign__status", "offer__account_id",
                   "offer__starts_at", "offer__ends_at", "offer__settled_at", "offer__account__active", "runs")
           .first())
    if row is None:
        return None
    now = timezone.now()
    campaign = Campaign(pk=row["offer__campaign_id"], owner_account_id=row["offer__campaign__owner_account_id"],
                        status=row["offer__campaign__status"])
    campaign.checked_running_account_ids = {row["offer__account_id"]} if row["runs"] else set()
    target = ShareTarget(
        group_id=row["pk"], group_code=row["code"], offer_slug=row["offer__slug"], campaign=campaign,
        account_id=row["offer__account_id"],
        active=(row["disabled_at"] is None and row["settled_at"] is None and row["offer__settled_at"] is None
                and row["offer__starts_at"] <= now < row["offer__ends_at"]
                and row["runs"] and row["offer__account__active"]
                and row["offer__campaign__status"] == Campaign.Status.LIVE),
        public=row["offer__campaign__status"] != Campaign.Status.DRAFT,
    )
    recent_shares.put(key, target, seconds=settings.TRACKING_LINK_CACHE_SECONDS)
    return target


@require_safe
def follow_share_link(request, code):
    target = share_target(code)
    if target is None or not target.public:
        response = render(request, "promotions/offers/unknown_link.html", status=404)
        patch_cache_control(response, no_store=True)
        return response
    if not target.active:
        # Nothing is credited: the visitor sees the offer at list price and why.
        return redirect_to(reverse("promotions:offer-detail", args=[target.offer_slug]), link="inactive")
    group_page = reverse("promotions:group-detail", args=[target.offer_slug, target.group_code])
    response = redirect_to(group_page, via=code)
    if request.method == "HEAD":
        return response  # unfurlers and link checkers: nobody followed the link
    facts = touch_facts_from_request(request, client_ip=client_ip(request))
    known_visitor = visitor_id_from(request)
    visitor_id = known_visitor or uuid.uuid4()
    record_touch(visitor_id=visitor_id, campaign=target.campaign, account=target.account_id,
                 kind=Touch.Kind.REFERRAL_CLICK, reference=referrals.touch_reference(target.group_id), facts=facts,
                 user=signed_in_user_id(request))
    if not facts.is_bot and known_visitor is None:
        set_visitor_cookie(response, request, visitor_id)
    return response


def redirect_to(path, **query):
    response = HttpResponseRedirect(f"{path}?{urlencode(query)}")
    patch_cache_control(response, no_store=True)
    return response
