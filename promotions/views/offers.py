"""Referral offers' public pages: the offer (`/o/<slug>/`), a group (`/o/<slug>/g/<code>/`), starting a group,
and the customer's own groups (`/my/groups/`). Server-rendered, no JavaScript, phone first.

Who sees an offer follows its campaign, as for giveaways (campaigns/status.py): a draft is the friendly 404
except to staff of its accounts (a preview); a scheduled, paused or ended one is shown with nothing to start
and no booking link. The rules (starting a group, prices, the next tier) are in promotions/referrals.py; these
views read and answer. Every page here is personal (who is signed in decides the buttons, the share link and
the booking code), so none is kept by shared caches.
"""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_POST, require_safe

from accounts.models import SocialHandle
from campaigns.models import Campaign
from campaigns.schedules import to_local
from campaigns.views.landing import allow_own_styles, style_sources
from common.addresses import absolute_url
from promotions import identities, referrals, throttle, tiers
from promotions.giveaways import MissionRefused, participant_for
from promotions.landing import zone_name
from promotions.models import GroupMember, Participant, ReferralGroup, ReferralItem, ReferralOffer, TierChange
from promotions.referrals import GroupRefused
from promotions.views.giveaways import preview_or_404
from promotions.views.giveaways import share_links as plain_share_links

INACTIVE_LINK = ("This share link no longer takes bookings (it was switched off, or the offer has ended), so "
                 "nothing is credited through it. Here is the offer at list price.")


@dataclass(frozen=True)
class TierRow:
    members: int
    percent: Decimal
    price: Decimal
    current: bool = False


def tier_rows(offer, list_price, *, current_percent=None):
    """The offer's tier table as prices of `list_price`, the row at `current_percent` marked."""
    rows = []
    for tier in referrals.offer_tiers(offer):
        percent = min(tier.discount_percent, offer.max_discount_percent)
        rows.append(TierRow(tier.min_members, percent, tiers.price_at(list_price, percent),
                            current=current_percent is not None and percent == current_percent))
    return rows


def load_offer(slug):
    """The offer with its campaign, owner, account, items and the account's handles: four queries."""
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


def status_notice(offer, at):
    """Why nobody can start a group or book through a link now, in words for the customer, or "".

    The campaign's status first, in the words its page uses (paused: back soon; ended), then
    referrals.offer_problem() (not started, ended, the budget used up).
    """
    campaign = offer.campaign
    if campaign.status == Campaign.Status.PAUSED:
        return "This offer is paused — back soon. Groups cannot start and links take no bookings until then."
    if campaign.has_ended():
        return "This offer has ended."
    if not offer.account.active:
        return "This offer is not running at the moment."
    opens = max(offer.starts_at, campaign.starts_at or offer.starts_at)
    if campaign.status == Campaign.Status.SCHEDULED and at < offer.ends_at:
        tz_name = campaign.owner_account.timezone
        local = to_local(opens, tz_name)
        return f"This offer opens on {local.day} {local:%b %Y, %H:%M} {zone_name(tz_name)} time."
    return referrals.offer_problem(offer, at)


def takes_bookings(offer, at):
    """Whether the offer's links take bookings now (as /r/ decides): its campaign live, its account switched on,
    the offer open."""
    return (offer.campaign.status == Campaign.Status.LIVE and offer.account.active
            and referrals.is_open(offer, at))


def account_mentions(account):
    """The account's X handles ("@alice_air"), or its name: what share texts say."""
    return " ".join(f"@{handle.handle}" for handle in account.handles.all()
                    if handle.platform == SocialHandle.Platform.X) or account.name


def share_links(text, url, *, subject):
    """Plain share links (no scripts): X, Facebook and LINE as on giveaway pages, plus WhatsApp and e-mail."""
    return [
        *plain_share_links(text, url),
        ("WhatsApp", "https://wa.me/?" + urlencode({"text": f"{text} {url}"})),
        # %20 rather than +: mail apps show a + in a mailto: body as it is.
        ("e-mail", "mailto:?" + urlencode({"subject": subject, "body": f"{text}\n\n{url}"}, quote_via=quote)),
    ]


def personal(response, html):
    patch_cache_control(response, private=True, no_cache=True)
    return allow_own_styles(response, style_sources(html))


def rendered(request, template, context, status=200):
    response = render(request, template, context, status=status)
    return personal(response, response.content.decode())


# --- the offer ---


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
        "problem": status_notice(offer, at),
        "inactive_link": INACTIVE_LINK if request.GET.get("link") == "inactive" else "",
        "lowest": min((row.price for _item, rows, _group in items for row in rows), default=None),
        "page_path": request.path,
    })


@require_POST
def start_group(request, slug, item_id):
    """Start (or find) the signed-in person's group for an item, then show it; a refusal says why on the offer."""
    page = reverse("promotions:offer-detail", args=[slug])
    limited = throttle.refuse(request, back=page)  # first: a script's POSTs cost one Redis round trip
    if limited:
        return limited
    offer = load_offer(slug)
    preview_or_404(request, offer.campaign)
    if not request.user.is_authenticated:
        return redirect_to_login(page)
    item = get_object_or_404(ReferralItem, pk=item_id, offer=offer)
    try:
        participant = participant_for(user=request.user)
        group = referrals.start_group(offer=offer, item=item, participant=participant, at=timezone.now())
    except (MissionRefused, GroupRefused) as refusal:
        messages.error(request, str(refusal))
        return redirect(page)
    return redirect(group.get_absolute_url())


# --- a group ---


def booking_link(url, code):
    """The item's booking address carrying the referral code: `{code}` replaced, or `ref=<code>` added."""
    if not url:
        return ""
    if "{code}" in url:
        return url.replace("{code}", code)
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != "ref"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("ref", code)])))


def booking_code(group, *, own_code, via):
    """The code the booking link passes to the shop: the viewer's own (a member's share code, or the group's
    for its founder), else the code of the link they came through if it is this group's, else the group's."""
    if own_code:
        return own_code
    if via == group.code or (via.startswith(group.code) and group.members.filter(share_code=via).exists()):
        return via
    return group.code


@require_safe
def group_page(request, slug, code):
    group = get_object_or_404(ReferralGroup.objects.select_related("item"), code=code, offer__slug=slug)
    offer = load_offer(slug)
    group.offer = offer
    preview = preview_or_404(request, offer.campaign)
    at = timezone.now()
    standing = referrals.standing(group)
    participant = viewer_participant(request.user)
    mine = (group.members.filter(participant=participant).order_by("bought_at", "pk").first()
            if participant else None)
    founder = participant is not None and participant.pk == group.founder_id
    own_code = mine.share_code if mine else group.code if founder else ""
    share_url = absolute_url(reverse("promotions:share-link", args=[own_code])) if own_code else ""
    pending = group.members.filter(status=GroupMember.Status.PENDING, counts_toward_tier=True).count()
    active = group.disabled_at is None and group.settled_at is None and takes_bookings(offer, at)
    card = group.card if group.card and group.card_rendered_version else group.item.image_card
    item, currency = group.item, offer.currency
    if group.disabled_at is not None:
        og_title = f"{item.name} — {standing.list_price} {currency}"
        description = "This group's link no longer takes bookings; the offer is open at list price."
    else:
        og_title = f"{item.name} — {standing.price} {currency} for our group"
        description = f"{standing.confirmed} booked so far" + (
            f"; {standing.members_to_next} more and it drops to {standing.next_price} {currency} for everyone."
            if standing.next_price and not group.settled_at else ".")
    share_text = (f"{item.name}: {standing.price} {currency} each when we book together — "
                  f"{offer.title} by {account_mentions(offer.account)}")
    return rendered(request, "promotions/offers/group.html", {
        "offer": offer, "account": offer.account, "group": group, "item": item, "standing": standing,
        "preview": preview, "tiers": tier_rows(offer, standing.list_price, current_percent=standing.percent),
        "active": active, "notice": "" if active or group.settled_at else status_notice(offer, at),
        "pending": pending, "member": mine, "founder": founder, "share_url": share_url,
        "share_links": share_links(share_text, share_url, subject=f"{item.name} together: {offer.title}")
        if share_url else [],
        "booking_url": booking_link(item.booking_url,
                                    booking_code(group, own_code=own_code, via=request.GET.get("via", ""))),
        "og_title": og_title, "og_description": description,
        "og_image": absolute_url(card.url) if card else "",
        "page_url": absolute_url(group.get_absolute_url()),
        "page_path": request.get_full_path(),
    })


# --- your groups ---


@dataclass(frozen=True)
class Join:
    member: GroupMember
    who: str  # "You", "The founder", "Your friend (generation 2)", "A friend (generation 3)": never an address
    counted: str
    effect: str  # what the TierChange rows it caused did (at its join, or when its refund window passed), or ""


@dataclass(frozen=True)
class MyGroup:
    group: ReferralGroup
    standing: referrals.Standing
    founded: bool
    rebate_owed: Decimal
    share_url: str
    joins: list
    changes: list  # every TierChange of the group, oldest first
    tz_name: str  # the offer account's time zone: times are shown in it

    @property
    def zone(self):
        return zone_name(self.tz_name)


def who_joined(member, *, participant, my_member_ids, founded):
    """How a purchase is named on someone's "your groups" page: by its relation to them, never by address."""
    if member.participant_id == participant.pk:
        return "You"
    if member.generation == 0:
        return "The founder"
    through_me = member.referred_by_id in my_member_ids or (founded and member.referred_by_id is None)
    return f"{'Your friend' if through_me else 'A friend'} (generation {member.generation})"


def how_it_counted(member):
    Status = GroupMember.Status
    if member.status == Status.REFUNDED:
        return "No — refunded"
    if member.status == Status.REJECTED:
        return "No — not accepted on review"
    if member.status == Status.FLAGGED:
        return "Not yet — being checked"
    if not member.counts_toward_tier:
        return f"No — {member.reason.rstrip('.')}"
    if member.status == Status.PENDING:
        return "Once its refund window passes"
    return "Yes"


def effect_of(changes):
    """ "Price dropped to −10 %." for the tier changes one purchase caused (crossing two tiers names both)."""
    sentences = []
    for change in changes:
        percent = f"{change.to_percent.normalize():f}"
        moved = "dropped" if change.to_percent > change.from_percent else "rose"
        when = " once its refund window passed" if change.cause == TierChange.Cause.HOLD else ""
        sentences.append(f"Price {moved} to −{percent} %{when}.")
    return " ".join(sentences)


def my_group_rows(participant):
    """The participant's groups (founded or joined, across offers) with their joins: five queries, plus the tier
    table of each offer this process has not read in the last few seconds."""
    mine = list(GroupMember.objects.filter(participant=participant).values_list("pk", "group_id"))
    my_member_ids = {pk for pk, _group_id in mine}
    group_ids = {group_id for _pk, group_id in mine} | set(
        ReferralGroup.objects.filter(founder=participant).values_list("pk", flat=True))
    if not group_ids:
        return []
    groups = (ReferralGroup.objects.filter(pk__in=group_ids).select_related("item", "offer__account")
              .order_by("-created_at", "-pk"))
    members = list(GroupMember.objects.filter(group_id__in=group_ids).order_by("bought_at", "pk"))
    changes, caused = {}, {}
    for change in TierChange.objects.filter(group_id__in=group_ids).order_by("at", "pk"):
        changes.setdefault(change.group_id, []).append(change)
        if change.cause in (TierChange.Cause.JOIN, TierChange.Cause.HOLD):
            caused.setdefault((change.group_id, change.cause, change.at), []).append(change)
    shown = []
    for group in groups:
        founded = group.founder_id == participant.pk
        own = [member for member in members if member.group_id == group.pk and member.pk in my_member_ids]
        joins = []
        for member in (member for member in members if member.group_id == group.pk):
            made = caused.pop((group.pk, TierChange.Cause.JOIN, member.bought_at), [])
            if member.confirmed_at and member.confirmed_at != member.bought_at:
                made += caused.pop((group.pk, TierChange.Cause.HOLD, member.confirmed_at), [])
            joins.append(Join(member, who_joined(member, participant=participant, my_member_ids=my_member_ids,
                                                 founded=founded), how_it_counted(member), effect_of(made)))
        code = own[0].share_code if own else group.code
        shown.append(MyGroup(
            group=group, standing=referrals.standing(group), founded=founded,
            rebate_owed=sum((member.rebate_owed for member in own), Decimal(0)).quantize(tiers.CENT),
            share_url=absolute_url(reverse("promotions:share-link", args=[code])), joins=joins,
            changes=changes.get(group.pk, []), tz_name=group.offer.account.timezone,
        ))
    return shown


@require_safe
def my_groups(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    participant = viewer_participant(request.user)
    return rendered(request, "promotions/offers/my_groups.html", {
        "groups": my_group_rows(participant) if participant is not None else [], "participant": participant,
    })
