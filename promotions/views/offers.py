"""Referral offers' public pages: the offer (`/o/<slug>/`), a group (`/o/<slug>/g/<code>/`), starting a group,
and the customer's own groups (`/my/groups/`). Server-rendered, no JavaScript, phone first.

Who sees an offer follows its campaign, as for giveaways (campaigns/status.py): a draft is the friendly 404
except to staff of its accounts (a preview); a paused or ended one is shown with nothing to start. The rules
(starting a group, prices, the next tier) are in promotions/referrals.py; these views read and answer.
"""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_POST, require_safe

from accounts.models import SocialHandle
from campaigns.views.landing import allow_own_styles, style_sources
from common.addresses import absolute_url
from promotions import identities, referrals, tiers
from promotions.giveaways import MissionRefused, participant_for
from promotions.models import GroupMember, Participant, ReferralGroup, ReferralItem, ReferralOffer, TierChange
from promotions.referrals import GroupRefused
from promotions.views.giveaways import preview_or_404, share_links

INACTIVE_LINK = ("This share link no longer takes bookings (it was switched off, or the offer has ended), so "
                 "nothing is credited through it. Here is the offer at list price.")


@dataclass(frozen=True)
class TierRow:
    members: int
    percent: Decimal
    price: Decimal
    current: bool = False


def tier_rows(offer, list_price, *, current_percent=None):
    rows = []
    for tier in referrals.offer_tiers(offer):
        percent = min(tier.discount_percent, offer.max_discount_percent)
        rows.append(TierRow(tier.min_members, percent, tiers.price_at(list_price, percent),
                            current=current_percent is not None and percent == current_percent))
    return rows


def load_offer(slug):
    handles = Prefetch("account__handles", queryset=SocialHandle.objects.order_by("platform", "handle"))
    offer = (ReferralOffer.objects.select_related("campaign__owner_account", "account")
             .prefetch_related("items", handles).filter(slug=slug).first())
    if offer is None:
        raise Http404("No offer here.")
    return offer


def viewer_participant(user):
    """The signed-in person's participant, without creating one (a page view is not taking part), or None."""
    if not user.is_authenticated:
        return None
    try:
        return Participant.objects.filter(identity=identities.normalise_email(user.email)).first()
    except ValueError:
        return None


def personal(response, html):
    patch_cache_control(response, private=True, no_cache=True)
    return allow_own_styles(response, style_sources(html))


def rendered(request, template, context, status=200):
    response = render(request, template, context, status=status)
    return personal(response, response.content.decode())


@require_safe
def offer_page(request, slug):
    offer = load_offer(slug)
    preview = preview_or_404(request, offer.campaign)
    at = timezone.now()
    participant = viewer_participant(request.user)
    own = ({group.item_id: group for group in ReferralGroup.objects.filter(offer=offer, founder=participant)}
           if participant else {})
    items = [(item, tier_rows(offer, item.base_price), own.get(item.pk)) for item in offer.items.all()]
    return rendered(request, "promotions/offers/offer.html", {
        "offer": offer, "account": offer.account, "items": items, "preview": preview,
        "problem": referrals.offer_problem(offer, at),
        "inactive_link": INACTIVE_LINK if request.GET.get("link") == "inactive" else "",
        "lowest": min((row.price for _item, rows, _group in items for row in rows), default=None),
        "page_path": request.path,
    })


@require_POST
def start_group(request, slug, item_id):
    offer = load_offer(slug)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("promotions:offer-detail", args=[slug]))
    preview_or_404(request, offer.campaign)
    item = get_object_or_404(ReferralItem, pk=item_id, offer=offer)
    try:
        participant = participant_for(user=request.user)
        group = referrals.start_group(offer=offer, item=item, participant=participant, at=timezone.now())
    except (MissionRefused, GroupRefused) as refusal:
        messages.error(request, str(refusal))
        return redirect("promotions:offer-detail", slug)
    return redirect(group.get_absolute_url())


def booking_link(url, code):
    """The item's booking address carrying the referral code: `{code}` replaced, or `ref=<code>` added."""
    if not url:
        return ""
    if "{code}" in url:
        return url.replace("{code}", code)
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != "ref"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("ref", code)])))


@require_safe
def group_page(request, slug, code):
    group = get_object_or_404(ReferralGroup.objects.select_related("item", "founder"), code=code, offer__slug=slug)
    offer = load_offer(slug)
    group.offer = offer
    preview = preview_or_404(request, offer.campaign)
    standing = referrals.standing(group)
    participant = viewer_participant(request.user)
    mine = (group.members.filter(participant=participant).order_by("bought_at", "pk").first()
            if participant else None)
    own_code = mine.share_code if mine else group.code if participant and participant.pk == group.founder_id else ""
    via = request.GET.get("via", "")
    valid_via = via == group.code or (via.startswith(group.code) and group.members.filter(share_code=via).exists())
    share_url = absolute_url(reverse("promotions:share-link", args=[own_code])) if own_code else ""
    pending = group.members.filter(status=GroupMember.Status.PENDING, counts_toward_tier=True).count()
    card = group.card if group.card and group.card_rendered_version else group.item.image_card
    active = group.disabled_at is None and group.settled_at is None and referrals.is_open(offer, timezone.now())
    price_text = f"{standing.price} {offer.currency}"
    return rendered(request, "promotions/offers/group.html", {
        "offer": offer, "account": offer.account, "group": group, "item": group.item, "standing": standing,
        "preview": preview, "tiers": tier_rows(offer, standing.list_price, current_percent=standing.percent),
        "active": active, "pending": pending, "own_code": own_code, "share_url": share_url,
        "share_links": share_links(f"{group.item.name}: {price_text} when we book together", share_url)
        if share_url else [],
        "booking_url": booking_link(group.item.booking_url, own_code or (via if valid_via else group.code)),
        "og_image": absolute_url(card.url) if card else "",
        "og_title": f"{group.item.name} — {price_text} for our group",
        "page_url": absolute_url(group.get_absolute_url()),
    })


@dataclass(frozen=True)
class Join:
    member: GroupMember
    changes: list  # the TierChange rows this purchase caused


@dataclass(frozen=True)
class MyGroup:
    group: ReferralGroup
    standing: referrals.Standing
    founded: bool
    rebate_owed: Decimal
    share_url: str
    joins: list


@require_safe
def my_groups(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    participant = viewer_participant(request.user)
    shown = []
    if participant is not None:
        mine = list(GroupMember.objects.filter(participant=participant).order_by("bought_at", "pk"))
        group_ids = {member.group_id for member in mine} | set(
            ReferralGroup.objects.filter(founder=participant).values_list("pk", flat=True))
        groups = (ReferralGroup.objects.filter(pk__in=group_ids)
                  .select_related("item", "offer__campaign", "offer__account").order_by("-created_at"))
        owed = dict(GroupMember.objects.filter(participant=participant).values("group_id")
                    .annotate(total=Sum("rebate_owed")).values_list("group_id", "total"))
        members = list(GroupMember.objects.filter(group_id__in=group_ids).order_by("bought_at", "pk"))
        changes = {}
        for change in TierChange.objects.filter(group_id__in=group_ids, cause=TierChange.Cause.JOIN):
            changes.setdefault((change.group_id, change.at), []).append(change)
        for group in groups:
            own = next((member for member in mine if member.group_id == group.pk), None)
            code = own.share_code if own else group.code
            joins = [Join(member, changes.pop((group.pk, member.bought_at), []))
                     for member in members if member.group_id == group.pk]
            shown.append(MyGroup(group=group, standing=referrals.standing(group), founded=group.founder_id ==
                                 participant.pk, rebate_owed=Decimal(owed.get(group.pk) or 0).quantize(tiers.CENT),
                                 share_url=absolute_url(reverse("promotions:share-link", args=[code])),
                                 joins=joins))
    return rendered(request, "promotions/offers/my_groups.html", {"groups": shown, "participant": participant})
