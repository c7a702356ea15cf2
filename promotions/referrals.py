"""Referral groups: starting them, purchases joining them, refunds, holds, reviews and settlement.

Every change to a group's members, counts, tier or ledger happens here, in one transaction
holding the group's row lock (`SELECT … FOR UPDATE`), so concurrent purchases, refunds,
the hold sweep and settlement apply one after another. Lock order is always the group
first, then the offer's row (the budget), so two transactions never wait on each other
in a circle.

Money rules (docs/referrals.md):

- A member's rebate is what they paid, net of refunds, above the price at the group's
  discount (promotions/tiers.py), so members who paid more earlier are owed the
  difference when the group goes deeper, and a refund that pulls the tier back reverses
  it. Nobody is asked to pay back: a member who paid less than the final price is owed 0.
- The ledger is append-only: a rebate that shrinks gets a reversal row, never an edit.
- The offer's `liability` (rebates owed) only grows by a conditional UPDATE that keeps it
  within the budget; a tier move that does not fit stops at the deepest tier that does,
  and the offer takes no new groups from then on.

`record_purchase()` and `record_refund()` take the plain facts of a sale (attribution's
ingest calls them; promotions never imports attribution). Refunds are given as the
order's refunded total so far, which makes them idempotent and order-independent: a
repeated or late event changes nothing.
"""

import copy
import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Campaign, Touch
from campaigns.running import running_account_ids
from common.recent import RecentCache
from promotions import identities
from promotions import tiers as tier_maths
from promotions.models import (
    GroupMember,
    LedgerEntry,
    Participant,
    ReferralGroup,
    ReferralOffer,
    TierChange,
)
from promotions.tiers import ZERO

LIVE = (GroupMember.Status.PENDING, GroupMember.Status.CONFIRMED)
GROUP_CODE_LENGTH = 8  # secrets.token_urlsafe(6)
REFERENCE_PREFIX = "group:"
CLICK_LOOKBACK = datetime.timedelta(days=30)
TIER_CACHE_SECONDS = 5
recent_tiers = RecentCache(max_entries=1000)
GROUP_CACHE_SECONDS = 5
recent_groups = RecentCache(max_entries=10_000)
# Fraud: this many purchases in one offer from one network and browser within the window hold the next one.
BURST_SIZE = 3
BURST_WINDOW = datetime.timedelta(minutes=10)


class JoinStopped(Exception):
    """The group stopped taking purchases (found under its lock); the message says why."""


class GroupRefused(Exception):
    """A group cannot be started or changed; the message says why and what to do."""


@dataclass(frozen=True)
class JoinOutcome:
    member: GroupMember | None  # None: the purchase joined no group (message says why)
    created: bool
    message: str


@dataclass(frozen=True)
class RefundOutcome:
    members: int  # purchases in referral groups the refund applied to
    message: str


def touch_reference(group):
    return f"{REFERENCE_PREFIX}{getattr(group, 'pk', group)}"


def money(value):
    """A Decimal of at most two decimal places from a decimal string or Decimal; ValueError otherwise."""
    if isinstance(value, float):
        raise ValueError("Amounts must be decimal strings, never floats.")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount; send a decimal string such as \"129.00\".") from None
    if not amount.is_finite() or amount != amount.quantize(tier_maths.CENT):
        raise ValueError(f"{value!r} is not an amount in cents; send at most two decimal places.")
    return amount.quantize(tier_maths.CENT)


# --- reading ---


def offer_tiers(offer):
    """The offer's tier table (promotions.tiers.Tier list), remembered by this process for a few seconds.

    Every join and every page reads it; a marketer's edit applies within TIER_CACHE_SECONDS.
    """
    cached = recent_tiers.get(offer.pk)
    if cached is None:
        cached = tier_maths.as_tiers(offer.tiers.all())
        recent_tiers.put(offer.pk, cached, seconds=TIER_CACHE_SECONDS)
    return cached


def is_open(offer, at):
    return offer.starts_at <= at < offer.ends_at and offer.settled_at is None


def offer_problem(offer, at):
    """Why nobody can start a group now, in words for the customer, or ""."""
    if offer.campaign.status != Campaign.Status.LIVE or not offer.account.active:
        return "This offer is not running at the moment."
    if at < offer.starts_at:
        return "This offer has not started yet."
    if at >= offer.ends_at or offer.settled_at is not None:
        return "This offer has ended."
    if offer.budget_reached_at is not None or offer.liability >= offer.budget:
        return "This offer's discount budget is used up, so no new groups can start. Existing groups keep their price."
    return ""


@dataclass(frozen=True)
class Standing:
    """Where a group stands, for its pages and card: price now, members, the next tier and its price."""

    list_price: Decimal
    percent: Decimal
    price: Decimal
    confirmed: int
    members: int
    next_percent: Decimal | None
    next_price: Decimal | None
    members_to_next: int | None


def standing(group, tiers=None):
    offer = group.offer
    tiers = tiers if tiers is not None else offer_tiers(offer)
    list_price = group.item.base_price
    following = None if group.settled_at else tier_maths.next_tier(tiers, group.confirmed_count,
                                                                       max_discount=offer.max_discount_percent)
    next_percent = min(following.discount_percent, offer.max_discount_percent) if following else None
    return Standing(
        list_price=list_price,
        percent=group.tier_percent,
        price=tier_maths.price_at(list_price, group.tier_percent),
        confirmed=group.confirmed_count,
        members=group.member_count,
        next_percent=next_percent,
        next_price=tier_maths.price_at(list_price, next_percent) if following else None,
        members_to_next=following.min_members - group.confirmed_count if following else None,
    )


def find_group_by_code(code):
    """The group a share code belongs to (a founder's code, or a member's, which starts with it), or None.

    Remembered by this process for GROUP_CACHE_SECONDS with its offer and item: joins read what rarely changes
    from here, and what does change (switched off, settled, the counters) is read again under the group's lock.
    The object is shared: read it, never change it.
    """
    code = (code or "").strip()
    if len(code) < GROUP_CODE_LENGTH:
        return None
    key = code[:GROUP_CODE_LENGTH]
    group = recent_groups.get(key)
    if group is None:
        group = ReferralGroup.objects.select_related("offer__campaign", "item").filter(code=key).first()
        if group is not None:
            recent_groups.put(key, group, seconds=GROUP_CACHE_SECONDS)
    return group


def sharer_for_code(group, code):
    """The member whose share code `code` is, or None for the founder's (or an unknown member's) code."""
    if len(code) <= GROUP_CODE_LENGTH:
        return None
    return GroupMember.objects.filter(group=group, share_code=code).select_related("participant").first()


# --- changing the set-up ---

# What customers were shown and what the money rules rest on: fixed once the offer's first group has started.
FIXED_ONCE_STARTED = {
    "currency": "the currency", "max_discount_percent": "the maximum discount", "hold_days": "the refund hold",
    "hold_rule": "the hold rule", "self_referral": "the self-referral rule",
}


def setup_change_problem(*, offer, changed_fields=(), tiers_changed=False, prices_changed=False, new_budget=None):
    """Why a change to a started offer's set-up cannot be saved, in words a marketer can act on, or "".

    Before the first group everything may change. After it, the tier table, the items' prices and the
    fields in FIXED_ONCE_STARTED are what customers were promised and what rebates are computed from:
    changing them would change what existing members are owed. The budget may grow, never fall below what
    the offer already owes; the window may move.
    """
    if offer.pk is None:
        return ""
    if new_budget is not None and new_budget < offer.liability:
        return (f"The offer already owes {offer.liability} {offer.currency} in rebates; the budget cannot be "
                "lower than that.")
    if not ReferralGroup.objects.filter(offer_id=offer.pk).exists():
        return ""
    fixed = [FIXED_ONCE_STARTED[name] for name in changed_fields if name in FIXED_ONCE_STARTED]
    fixed += ["the tier table"] if tiers_changed else []
    fixed += ["the items' list prices"] if prices_changed else []
    if fixed:
        return (f"Groups have started, so {', '.join(fixed)} can no longer change: members were shown these prices "
                "and their rebates are computed from them. Start a new offer for new terms.")
    return ""


def offer_account_problem(*, campaign, account, account_changed=True):
    """Why `account` cannot run an offer of `campaign`, in words a marketer can act on, or "".

    Share clicks are credited to the offer's account, and record_touch() refuses an account that does not
    run the campaign: the owner or a co-running account, and (when it is being chosen) an active one.
    """
    if account.pk not in running_account_ids(campaign):
        return (f"{account} does not run this campaign; pick its owner or one of its co-running accounts (add the "
                "account to the campaign's co-running accounts first).")
    if not account.active and account_changed:
        return f"{account} is switched off; pick an active account that runs the campaign."
    return ""


# --- starting a group ---


def start_group(*, offer, item, participant, at=None):
    """The participant's group for `item`, started now if they have none; GroupRefused when it cannot start."""
    at = at or timezone.now()
    if item.offer_id != offer.pk:
        raise GroupRefused("That item is not part of this offer; pick one of the offer's items.")
    existing = ReferralGroup.objects.filter(item=item, founder=participant).first()
    if existing is not None:
        return existing
    if participant.blocked_at is not None:
        raise GroupRefused("This account cannot start groups. If you think this is a mistake, contact the organiser.")
    problem = offer_problem(offer, at)
    if problem:
        raise GroupRefused(problem)
    try:
        with transaction.atomic():
            return ReferralGroup.objects.create(offer=offer, item=item, founder=participant, created_at=at)
    except IntegrityError:
        return ReferralGroup.objects.get(item=item, founder=participant)  # a second tab started it at the same moment


def disable_group(*, group, reason, at=None):
    """Stop new joins through the group's links (e.g. found on a coupon site); members and ledger stay."""
    reason = reason.strip()
    if not reason:
        raise GroupRefused("Say why the link is switched off (e.g. “posted on a coupon site”); the reason is kept.")
    return ReferralGroup.objects.filter(pk=group.pk, disabled_at__isnull=True).update(
        disabled_at=at or timezone.now(), disabled_reason=reason[:300])


def enable_group(*, group):
    return ReferralGroup.objects.filter(pk=group.pk).exclude(disabled_at=None).update(disabled_at=None,
                                                                                      disabled_reason="")


# --- purchases ---


def participant_for_identity(identity, *, email, at):
    """The participant with this identity, created when the buyer never took part; no savepoint needed.

    One SELECT for someone known; for a new buyer an INSERT that skips a row someone else inserted at the
    same moment (ON CONFLICT DO NOTHING), then the SELECT, inside the caller's transaction.
    """
    found = Participant.objects.filter(identity=identity).first()
    if found is None:
        Participant.objects.bulk_create([Participant(identity=identity, email=email.strip(), created_at=at)],
                                        ignore_conflicts=True)
        found = Participant.objects.get(identity=identity)
    return found


def referral_click(*, visitor_id, at, group=None):
    """The visitor's latest referral click (not a bot) within the lookback, into `group` or any group."""
    if not visitor_id:
        return None
    clicks = Touch.objects.filter(visitor_id=visitor_id, kind=Touch.Kind.REFERRAL_CLICK, is_bot=False,
                                  occurred_at__lte=at, occurred_at__gt=at - CLICK_LOOKBACK)
    clicks = clicks.filter(reference=touch_reference(group)) if group is not None else clicks.filter(
        reference__startswith=REFERENCE_PREFIX)
    return clicks.order_by("-occurred_at", "-id").only("reference", "network_hash", "agent_hash").first()


def matched_group(*, referral_code, visitor_id, at):
    """(group, sharer member or None, click touch or None) for a purchase; group None when nothing matches.

    The referral code on the order wins; without one, the visitor's latest referral click. A click does
    not say which member shared the link, so such a join is credited to the founder's link.
    """
    code = (referral_code or "").strip()
    if code:
        group = find_group_by_code(code)
        if group is None:
            return None, None, None
        return group, sharer_for_code(group, code), referral_click(visitor_id=visitor_id, at=at, group=group)
    click = referral_click(visitor_id=visitor_id, at=at)
    if click is None:
        return None, None, None
    group_id = click.reference.removeprefix(REFERENCE_PREFIX)
    group = (ReferralGroup.objects.select_related("offer__campaign", "item").filter(pk=group_id).first()
             if group_id.isdigit() else None)
    return group, None, click


def join_problem(group, *, currency, at):
    """Why a purchase cannot join `group`, for the outcome's message, or ""."""
    offer = group.offer
    if group.disabled_at is not None:
        return "The group's link is switched off; the purchase joins no group."
    if group.settled_at is not None or offer.settled_at is not None:
        return "The offer is settled; the purchase joins no group."
    if not offer.starts_at <= at < offer.ends_at:
        return "The purchase was made outside the offer's dates; it joins no group."
    if currency != offer.currency:
        return f"The purchase is in {currency}, the offer in {offer.currency}; it joins no group."
    return ""


def purchased_line(item, lines):
    """(quantity, amount or None) of the item's SKU among the order's lines; (1, None) without lines; None if absent."""
    if not lines:
        return 1, None
    for line in lines:
        if str(line.get("sku", "")).strip() == item.sku:
            quantity = int(line.get("quantity") or 1)
            return max(quantity, 1), money(line["amount"]) if line.get("amount") not in (None, "") else None
    return None


def counting_decision(*, group, buyer, sharer, fingerprint):
    """(generation, referred_by, counts, reason) for a purchase by `buyer` through `sharer`'s link (None: founder's).

    `group` is the row from lock_group_for_join(), which also tells whether the buyer already counts in the
    group (`buyer_counts`), the founder's login (`founder_user_id`) and whether the founder paid with this
    card (`founder_card`).
    """
    offer = group.offer
    already = group.buyer_counts
    if buyer.pk == group.founder_id:
        if offer.self_referral != ReferralOffer.SelfReferral.FOUNDER_COUNTS:
            return 0, None, False, "The founder's own purchase: under this offer's rules it does not count."
        if already:
            return 0, None, False, "The founder's second purchase: a person counts once per group."
        return 0, None, True, ""
    generation = sharer.generation + 1 if sharer is not None else 1
    sharer_id, sharer_user_id = ((sharer.participant_id, sharer.participant.user_id) if sharer is not None
                                 else (group.founder_id, group.founder_user_id))
    if buyer.pk == sharer_id or (buyer.user_id is not None and buyer.user_id == sharer_user_id):
        return generation, sharer, False, "Bought through their own link (self-referral)."
    same_card = sharer.payment_fingerprint == fingerprint if sharer is not None else group.founder_card
    if fingerprint and same_card:
        return generation, sharer, False, ("Paid with the same card as the person whose link it came through "
                                           "(self-referral).")
    if already:
        return generation, sharer, False, "Already a member of this group: a person counts once per group."
    return generation, sharer, True, ""


def burst_reason(*, offer, network_hash, agent_hash, at):
    """A reason to hold the purchase for review when it is one of a burst from one network and browser."""
    if not network_hash or not agent_hash:
        return ""
    recent = GroupMember.objects.filter(offer=offer, network_hash=network_hash, agent_hash=agent_hash,
                                        bought_at__gt=at - BURST_WINDOW, bought_at__lte=at).count()
    if recent >= BURST_SIZE:
        return (f"{recent + 1} purchases in this offer within {BURST_WINDOW.seconds // 60} minutes from one network "
                "and browser.")
    return ""


def hold_until(offer, at):
    if offer.hold_rule == ReferralOffer.HoldRule.AT_SETTLEMENT:
        return offer.settles_at
    return at + datetime.timedelta(days=offer.hold_days)


def record_purchase(*, order_reference, amount, currency, email, at, referral_code="", visitor_id=None,
                    payment_fingerprint="", source="", lines=()):
    """Join the purchase to the group its referral code or the buyer's referral click points to.

    Never raises for a purchase that cannot join (a sale is not a form): the outcome says why. A
    second call for the same (source, order reference) changes nothing and returns the member.
    """
    order_reference = (order_reference or "").strip()[:128]
    source = (source or "").strip()[:64]
    currency = (currency or "").strip().upper()
    fingerprint = (payment_fingerprint or "").strip()[:128]
    if not order_reference:
        return JoinOutcome(None, False, "The purchase has no order reference.")
    try:
        amount = money(amount)
    except ValueError as error:
        return JoinOutcome(None, False, str(error))
    if amount <= 0:
        return JoinOutcome(None, False, "The purchase amount must be more than zero.")
    group, sharer, click = matched_group(referral_code=referral_code, visitor_id=visitor_id, at=at)
    if group is None:
        return JoinOutcome(None, False, "No referral code or referral click matches a group; it joins no group.")
    try:
        line = purchased_line(group.item, lines)
    except (ValueError, TypeError, KeyError) as error:
        return JoinOutcome(None, False, f"The order's line for {group.item.sku} is unreadable: {error}")
    if line is None:
        return JoinOutcome(None, False, f"The order has no line for {group.item.sku}; it joins no group.")
    quantity, line_amount = line
    paid = line_amount if line_amount is not None else amount
    if paid <= 0:
        return JoinOutcome(None, False, f"The order's line for {group.item.sku} has no amount above zero.")
    try:
        identity = identities.normalise_email(email)
    except ValueError as error:
        return JoinOutcome(None, False, f"The buyer's email address cannot identify a person: {error}")
    try:
        with transaction.atomic():
            buyer = participant_for_identity(identity, email=email, at=at)
            member = join(group=group, buyer=buyer, sharer=sharer, click=click, order_reference=order_reference,
                          source=source, quantity=quantity, paid=paid, currency=currency,
                          fingerprint=fingerprint, at=at)
    except JoinStopped as stopped:  # switched off, settled, outside the dates or another currency
        return already_joined(group, source, order_reference) or JoinOutcome(None, False, str(stopped))
    except IntegrityError:
        # The same order delivered again (or twice at once): the first delivery's row stands. The unique
        # (offer, source, order reference) key finds repeats, rather than a read before every join.
        repeat = already_joined(group, source, order_reference)
        if repeat is None:
            raise
        return repeat
    return JoinOutcome(member, True, member.reason or "Joined the group.")


def already_joined(group, source, order_reference):
    """The outcome for an order that joined before (a repeated delivery), or None."""
    member = GroupMember.objects.filter(offer_id=group.offer_id, source=source, order_reference=order_reference).first()
    return JoinOutcome(member, False, "This order has joined its group before.") if member is not None else None


def join(*, group, buyer, sharer, click, order_reference, source, quantity, paid, currency, fingerprint, at):
    """Write the member and its ledger rows and move the group, under the group's lock. Runs in a transaction."""
    locked = lock_group_for_join(group=group, buyer=buyer, fingerprint=fingerprint)
    offer = locked.offer
    problem = join_problem(locked, currency=currency, at=at)
    if problem:
        raise JoinStopped(problem)
    generation, referred_by, counts, reason = counting_decision(group=locked, buyer=buyer, sharer=sharer,
                                                                fingerprint=fingerprint)
    network_hash = click.network_hash if click is not None else ""
    agent_hash = click.agent_hash if click is not None else ""
    flagged = burst_reason(offer=offer, network_hash=network_hash, agent_hash=agent_hash, at=at)
    until = hold_until(offer, at)
    if flagged:
        status = GroupMember.Status.FLAGGED
    elif until <= at:
        status = GroupMember.Status.CONFIRMED
    else:
        status = GroupMember.Status.PENDING
    member = GroupMember.objects.create(
        offer_id=offer.pk, group_id=locked.pk, participant=buyer, referred_by=referred_by, generation=generation,
        share_code=locked.code + secrets.token_urlsafe(4), source=source, order_reference=order_reference,
        quantity=quantity, list_price=(group.item.base_price * quantity).quantize(tier_maths.CENT), paid=paid,
        currency=currency, payment_fingerprint=fingerprint, network_hash=network_hash, agent_hash=agent_hash,
        status=status, counts_toward_tier=counts, reason=" ".join(filter(None, [flagged, reason])), bought_at=at,
        hold_until=until,
        confirmed_at=at if status == GroupMember.Status.CONFIRMED else None,
    )
    ledger = Ledger(offer=offer, group=locked, at=at)
    ledger.write(member, LedgerEntry.Kind.PAYMENT, paid, "Paid at purchase.")
    ledger.write(member, LedgerEntry.Kind.DISCOUNT, member.list_price - paid,
                 f"List price {member.list_price}, paid {paid}.")
    if status in LIVE:
        locked.member_count += 1
    if status == GroupMember.Status.CONFIRMED and counts:
        locked.confirmed_count += 1
    if not ledger.move_tier(cause=TierChange.Cause.JOIN):
        ledger.settle_member(member, note="Paid above the group's price at purchase.")
    ledger.finish(count_changed=status in LIVE)
    return member


# --- refunds ---


def record_refund(*, order_reference, refunded_total, at, source=""):
    """Apply an order's refunds so far (the total, not the latest amount) to its purchases in referral groups.

    A total above what was paid counts as the whole payment (the ledger says what the shop sent); a total
    at or below what is already recorded changes nothing, so repeats and late events are harmless. A full
    refund takes the member out of the group's count and may pull the tier back.
    """
    try:
        total = money(refunded_total)
    except ValueError as error:
        return RefundOutcome(0, str(error))
    if total < 0:
        return RefundOutcome(0, "A refunded total cannot be negative.")
    found = list(GroupMember.objects.filter(source=(source or "").strip()[:64],
                                            order_reference=(order_reference or "").strip()[:128])
                 .values_list("pk", "group_id"))
    if not found:
        return RefundOutcome(0, "No purchase in a referral group has this order reference; nothing changed.")
    changed = 0
    for member_id, group_id in found:
        with transaction.atomic():
            changed += refund_member(member_id=member_id, group_id=group_id, total=total, at=at)
    return RefundOutcome(changed, f"Applied to {changed} purchase(s) in referral groups." if changed else
                         "Already applied; nothing changed.")


def refund_member(*, member_id, group_id, total, at):
    locked = lock_group(group_id)
    member = GroupMember.objects.get(pk=member_id)
    capped = min(total, member.paid)
    delta = capped - member.refunded
    if delta <= 0:
        return 0
    ledger = Ledger(offer=locked.offer, group=locked, at=at)
    note = "Refund." if total <= member.paid else f"The shop reported {total} refunded; {member.paid} was paid."
    ledger.write(member, LedgerEntry.Kind.REFUND, -delta, note)
    member.refunded = capped
    fields = ["refunded"]
    if capped == member.paid and member.status != GroupMember.Status.REFUNDED:
        was_live, was_counting = member.status in LIVE, counts_now(member)
        member.status = GroupMember.Status.REFUNDED
        fields.append("status")
        locked.member_count -= 1 if was_live else 0
        locked.confirmed_count -= 1 if was_counting else 0
    member.save(update_fields=fields)
    ledger.settle_member(member, note="Refund.")
    if locked.settled_at is None:
        ledger.move_tier(cause=TierChange.Cause.REFUND)
    ledger.finish(count_changed=True)
    return 1


def counts_now(member):
    return member.status == GroupMember.Status.CONFIRMED and member.counts_toward_tier


# --- holds and reviews ---


def confirm_due_members(*, at=None):
    """Members whose refund hold is over start to count (the every-minute sweep); returns how many."""
    at = at or timezone.now()
    group_ids = (GroupMember.objects.filter(status=GroupMember.Status.PENDING, hold_until__lte=at,
                                            group__settled_at__isnull=True)
                 .values_list("group_id", flat=True).distinct())
    confirmed = 0
    for group_id in list(group_ids):
        with transaction.atomic():
            confirmed += confirm_group_members(group_id=group_id, at=at)
    return confirmed


def confirm_group_members(*, group_id, at, cause=TierChange.Cause.HOLD):
    locked = lock_group(group_id)
    due = GroupMember.objects.filter(group_id=group_id, status=GroupMember.Status.PENDING, hold_until__lte=at)
    counting = due.filter(counts_toward_tier=True).count()
    updated = due.update(status=GroupMember.Status.CONFIRMED, confirmed_at=at)
    if not updated:
        return 0
    locked.confirmed_count += counting
    ledger = Ledger(offer=locked.offer, group=locked, at=at)
    ledger.move_tier(cause=cause)
    ledger.finish(count_changed=True)
    return updated


def review_member(*, member, approve, by, at=None, reason=""):
    """Clear a flagged purchase (it counts once its hold is over) or reject it (it never counts or earns)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = lock_group(member.group_id)
        member = GroupMember.objects.select_for_update().get(pk=member.pk)
        if member.status != GroupMember.Status.FLAGGED:
            raise GroupRefused("This purchase is not waiting for review (someone may have reviewed it already).")
        if locked.settled_at is not None:
            raise GroupRefused("The group is settled; its purchases can no longer be reviewed.")
        if approve:
            member.status = (GroupMember.Status.CONFIRMED if member.hold_until <= at else GroupMember.Status.PENDING)
            member.confirmed_at = at if member.status == GroupMember.Status.CONFIRMED else None
            member.reason = "Cleared on review." if member.counts_toward_tier else (
                "Cleared on review; it does not count toward the tier (self-referral or a second purchase).")
            locked.member_count += 1
            locked.confirmed_count += 1 if counts_now(member) else 0
        else:
            member.status = GroupMember.Status.REJECTED
            member.reason = (reason or "Rejected on review.").strip()[:300]
        member.reviewed_by, member.reviewed_at = by, at
        member.save(update_fields=["status", "confirmed_at", "reason", "reviewed_by", "reviewed_at"])
        ledger = Ledger(offer=locked.offer, group=locked, at=at)
        if not ledger.move_tier(cause=TierChange.Cause.REVIEW):
            ledger.settle_member(member, note="Reviewed.")
        ledger.finish(count_changed=approve)
    return member


# --- settlement ---


@dataclass(frozen=True)
class GroupSettlement:
    group: ReferralGroup
    confirmed: int
    percent: Decimal
    rebates: Decimal  # owed to members at the final tier, all together
    unreviewed: int  # flagged purchases that settle as not counting


def settlement_preview(*, offer, at=None):
    """What settling now would give each unsettled group, without writing anything.

    Purchases whose hold is over by `at` count; those still in their hold (settling early) and
    those waiting for review do not. The budget is not applied here: the real settlement stops a
    group at the deepest tier the remaining budget pays for.
    """
    at = at or timezone.now()
    tiers = offer_tiers(offer)
    rows = []
    groups = list(offer.groups.filter(settled_at__isnull=True).select_related("item").order_by("pk"))
    by_group = {}
    for member in GroupMember.objects.filter(group__in=[group.pk for group in groups]):  # one query for all
        by_group.setdefault(member.group_id, []).append(member)
    for group in groups:
        members = by_group.get(group.pk, [])
        confirmed = sum(1 for m in members if m.counts_toward_tier and (
            m.status == GroupMember.Status.CONFIRMED or (m.status == GroupMember.Status.PENDING
                                                         and m.hold_until <= at)))
        percent = tier_maths.discount_for(tiers, confirmed, max_discount=offer.max_discount_percent)
        rebates = sum((tier_maths.rebate_target(list_price=m.list_price, net_paid=m.net_paid, percent=percent)
                       for m in members if m.status in LIVE), ZERO)
        unreviewed = sum(1 for m in members if m.status == GroupMember.Status.FLAGGED)
        rows.append(GroupSettlement(group=group, confirmed=confirmed, percent=percent, rebates=rebates,
                                    unreviewed=unreviewed))
    return rows


SETTLE_BATCH = 500  # groups settled together in one transaction


def settle_offer(*, offer, at=None):
    """Settle every group of an offer that has closed: final tier, final rebates, members told. Idempotent.

    Groups settle in batches of SETTLE_BATCH, each batch in one transaction with a fixed number of
    statements (settle_batch); a batch whose rebates would not fit the remaining budget settles group by
    group instead, each as deep as the budget allows (settle_group). A worker killed half-way leaves whole
    batches settled and the rest untouched; running again settles the rest and writes nothing for the
    settled ones. Returns the number of groups settled by this call.
    """
    at = at or timezone.now()
    if at < offer.ends_at:
        raise GroupRefused("The offer is still open; it can be settled once it has ended.")
    settled = 0
    group_ids = list(offer.groups.filter(settled_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(group_ids), SETTLE_BATCH):
        batch = group_ids[start:start + SETTLE_BATCH]
        with transaction.atomic():
            done = settle_batch(offer=offer, group_ids=batch, at=at)
        if done is None:  # the budget cannot pay for the whole batch at once
            for group_id in batch:
                with transaction.atomic():
                    settled += settle_group(group_id=group_id, at=at)
        else:
            settled += done
    if not offer.groups.filter(settled_at__isnull=True).exists():
        ReferralOffer.objects.filter(pk=offer.pk, settled_at__isnull=True).update(settled_at=at)
        transaction.on_commit(lambda: after_settlement(offer.pk))
    return settled


def settle_batch(*, offer, group_ids, at):
    """Settle these groups together (their rows locked): the same result as settle_group() on each.

    Returns the number settled, or None, writing nothing, when the rebates of the batch do not fit the
    remaining budget (the caller then settles group by group).
    """
    groups = list(ReferralGroup.objects.select_for_update(of=("self",))
                  .filter(pk__in=group_ids, settled_at__isnull=True).order_by("pk"))
    if not groups:
        return 0
    ids = [group.pk for group in groups]
    tiers = offer_tiers(offer)
    members = list(GroupMember.objects.filter(group_id__in=ids, status__in=LIVE))
    due = [m for m in members if m.status == GroupMember.Status.PENDING and m.hold_until <= at]
    newly = {}
    for member in due:
        if member.counts_toward_tier:
            newly[member.group_id] = newly.get(member.group_id, 0) + 1
        member.status, member.confirmed_at = GroupMember.Status.CONFIRMED, at
    final = {}
    for group in groups:
        group.confirmed_count += newly.get(group.pk, 0)
        final[group.pk] = tier_maths.discount_for(tiers, group.confirmed_count, max_discount=offer.max_discount_percent)
    deltas = []
    for member in members:
        target = tier_maths.rebate_target(list_price=member.list_price, net_paid=member.net_paid,
                                          percent=final[member.group_id])
        if target != member.rebate_owed:
            deltas.append((member, target - member.rebate_owed))
    need = sum((delta for _member, delta in deltas if delta > 0), ZERO)
    if not reserve(offer, need):
        return None
    release(offer, -sum((delta for _member, delta in deltas if delta < 0), ZERO))
    if due:
        GroupMember.objects.filter(pk__in=[m.pk for m in due]).update(status=GroupMember.Status.CONFIRMED,
                                                                      confirmed_at=at)
    changes, rows = [], []
    for group in groups:
        previous = group.tier_percent
        for level in tier_maths.crossed(tiers, previous, final[group.pk], max_discount=offer.max_discount_percent):
            changes.append(TierChange(group_id=group.pk, from_percent=previous, to_percent=level,
                                      confirmed_count=group.confirmed_count, cause=TierChange.Cause.SETTLEMENT, at=at))
            previous = level
        group.tier_percent, group.settled_at = final[group.pk], at
        group.card_version += 1
    for member, delta in deltas:
        member.rebate_owed += delta
        rows.append(LedgerEntry(offer_id=offer.pk, group_id=member.group_id, member=member,
                                kind=LedgerEntry.Kind.REBATE if delta > 0 else LedgerEntry.Kind.REVERSAL,
                                amount=delta, currency=member.currency, tier_percent=final[member.group_id],
                                note=f"Settlement: the group's final discount is {final[member.group_id]} %.",
                                at=at))
    TierChange.objects.bulk_create(changes)
    LedgerEntry.objects.bulk_create(rows, batch_size=2000)
    by_value = {}
    for member, _delta in deltas:  # one UPDATE per distinct amount: members of a group mostly paid alike
        by_value.setdefault(member.rebate_owed, []).append(member.pk)
    for value, member_ids in by_value.items():
        GroupMember.objects.filter(pk__in=member_ids).update(rebate_owed=value)
    GroupMember.objects.filter(group_id__in=ids, status__in=LIVE).update(notice_due=NOTICE_SETTLED)
    ReferralGroup.objects.bulk_update(groups, ["confirmed_count", "tier_percent", "settled_at", "card_version"],
                                      batch_size=1000)
    return len(groups)


def after_settlement(offer_id):
    """After an offer is settled: its members' e-mails and its groups' final cards, by the sweeps' jobs."""
    from promotions import jobs

    jobs.enqueue_settlement_followups(offer_id)


def settle_group(*, group_id, at):
    locked = lock_group(group_id)
    if locked.settled_at is not None:
        return 0
    confirm_group_members(group_id=group_id, at=at, cause=TierChange.Cause.SETTLEMENT)
    locked = lock_group(group_id)  # re-read: confirming may have moved it
    ledger = Ledger(offer=locked.offer, group=locked, at=at)
    ledger.move_tier(cause=TierChange.Cause.SETTLEMENT)
    for member in locked.members.filter(status__in=LIVE):
        ledger.settle_member(member, note="Settlement.")
    locked.settled_at = at
    ledger.finish(count_changed=True, extra_fields=["settled_at"])
    GroupMember.objects.filter(group_id=group_id, status__in=LIVE).update(notice_due=NOTICE_SETTLED)
    return 1


def settle_due_offers(*, at=None):
    """Every minute, from config/cron.py: settle offers whose close plus hold has passed."""
    at = at or timezone.now()
    settled = 0
    for offer in ReferralOffer.objects.filter(settled_at__isnull=True, ends_at__lte=at):
        if offer.settles_at <= at:
            settled += settle_offer(offer=offer, at=at)
    return settled


# --- the group's lock, the ledger and the budget ---


NOTICE_TIER = "tier"
NOTICE_SETTLED = "settled"


# The group's row, locked, with what counting_decision() needs about the buyer and the founder, in one
# statement: joins queue on a hot group's lock, so the fewer round trips while holding it, the more joins
# per second (docs/performance.md).
JOIN_LOCK_SQL = f"""
    SELECT g.*,
           EXISTS (SELECT 1 FROM promotions_groupmember m
                   WHERE m.group_id = g.id AND m.participant_id = %s AND m.counts_toward_tier
                     AND m.status IN ({", ".join(f"'{status}'" for status in LIVE)})) AS buyer_counts,
           (SELECT p.user_id FROM promotions_participant p WHERE p.id = g.founder_id) AS founder_user_id,
           EXISTS (SELECT 1 FROM promotions_groupmember f
                   WHERE f.group_id = g.id AND f.participant_id = g.founder_id AND f.payment_fingerprint <> ''
                     AND f.payment_fingerprint = %s) AS founder_card,
           o.starts_at AS offer_starts_at, o.ends_at AS offer_ends_at, o.settled_at AS offer_settled_at,
           o.currency AS offer_currency
    FROM promotions_referralgroup g JOIN promotions_referraloffer o ON o.id = g.offer_id
    WHERE g.id = %s"""  # noqa: S608 (constants only)


def lock_group_for_join(*, group, buyer, fingerprint):
    """lock_group() for a join, plus `buyer_counts`, `founder_user_id` and `founder_card` (counting_decision)."""
    statement = JOIN_LOCK_SQL + (" FOR UPDATE OF g" if connection.features.has_select_for_update_of else "")
    locked = next(iter(ReferralGroup.objects.raw(statement, [buyer.pk, fingerprint, group.pk])))
    # The offer as remembered (find_group_by_code), with what may have changed since read afresh: the dates,
    # the settlement stamp and the currency decide whether the purchase joins. The offer's row is not locked.
    offer = copy.copy(group.offer)
    offer.starts_at, offer.ends_at = db_datetime(locked.offer_starts_at), db_datetime(locked.offer_ends_at)
    offer.settled_at, offer.currency = db_datetime(locked.offer_settled_at), locked.offer_currency
    locked.offer, locked.item = offer, group.item
    locked.buyer_counts, locked.founder_card = bool(locked.buyer_counts), bool(locked.founder_card)
    return locked


def db_datetime(value):
    """A datetime column read by raw SQL as a model field would give it: SQLite returns text or naive UTC."""
    if value is None or isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return value
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=datetime.UTC)


def lock_group(group_id):
    """The group's row, locked until the transaction ends (only the group's row, not its offer's)."""
    return (ReferralGroup.objects.select_for_update(of=("self",)).select_related("offer", "item")
            .get(pk=group_id))


class Ledger:
    """The writes of one locked transaction on one group: ledger rows, rebates within the budget, tier moves."""

    def __init__(self, *, offer, group, at):
        self.offer, self.group, self.at = offer, group, at
        self.rows = []
        self.tier_moved = False

    def write(self, member, kind, amount, note):
        self.rows.append(LedgerEntry(offer_id=self.offer.pk, group_id=self.group.pk, member=member, kind=kind,
                                     amount=amount, currency=member.currency, tier_percent=self.group.tier_percent,
                                     note=note[:300], at=self.at))

    def target(self, member, percent):
        if member.status not in LIVE:
            return ZERO
        return tier_maths.rebate_target(list_price=member.list_price, net_paid=member.net_paid, percent=percent)

    def settle_member(self, member, *, note):
        """Bring one member's rebate to what the group's tier gives them, within the budget."""
        delta = self.target(member, self.group.tier_percent) - member.rebate_owed
        if delta > 0:
            granted = reserve_up_to(self.offer, delta, at=self.at)
            if granted < delta:
                note = f"{note} Capped: the offer's discount budget is used up."
            delta = granted
        elif delta < 0:
            release(self.offer, -delta)
        if delta:
            self.write(member, LedgerEntry.Kind.REBATE if delta > 0 else LedgerEntry.Kind.REVERSAL, delta, note)
            member.rebate_owed += delta
            GroupMember.objects.filter(pk=member.pk).update(rebate_owed=member.rebate_owed)
        return delta

    def move_tier(self, *, cause):
        """Move the group to the tier its confirmed count earns (as deep as the budget pays for).

        Rewrites every live member's rebate and writes one TierChange per tier crossed. Returns whether
        the tier moved. A settled group never moves.
        """
        group, offer = self.group, self.offer
        if group.settled_at is not None:
            return False
        tiers = offer_tiers(offer)
        earned = tier_maths.discount_for(tiers, group.confirmed_count, max_discount=offer.max_discount_percent)
        current = group.tier_percent
        if earned == current:
            return False
        members = list(group.members.filter(status__in=LIVE))
        if earned > current:
            reached = ZERO
            for level in reversed(tier_maths.crossed(tiers, current, earned, max_discount=offer.max_discount_percent)):
                need = sum((max(ZERO, self.target(m, level) - m.rebate_owed) for m in members), ZERO)
                if reserve(offer, need):
                    reached = level
                    break
            if reached != earned:
                mark_budget_reached(offer, at=self.at)
            if reached <= current:
                return False
            earned = reached
        crossings = tier_maths.crossed(tiers, current, earned, max_discount=offer.max_discount_percent)
        previous = current
        for level in crossings:
            TierChange.objects.create(group_id=group.pk, from_percent=previous, to_percent=level,
                                      confirmed_count=group.confirmed_count, cause=cause, at=self.at)
            previous = level
        group.tier_percent = earned
        released = ZERO
        for member in members:
            delta = self.target(member, earned) - member.rebate_owed
            if not delta:
                continue
            self.write(member, LedgerEntry.Kind.REBATE if delta > 0 else LedgerEntry.Kind.REVERSAL, delta,
                       f"The group's discount moved from {current} % to {earned} %.")
            member.rebate_owed += delta
            GroupMember.objects.filter(pk=member.pk).update(rebate_owed=member.rebate_owed)
            released -= min(delta, ZERO)
        if released:
            release(offer, released)
        self.tier_moved = True
        return True

    def finish(self, *, count_changed, extra_fields=()):
        """Write the rows, save the group's counters, and ask for its card and notices after the commit."""
        LedgerEntry.objects.bulk_create(self.rows)
        group = self.group
        fields = ["confirmed_count", "member_count", "tier_percent", *extra_fields]
        if self.tier_moved or count_changed:
            # The card shows the count too, so it goes stale; the every-minute sweep renders it. A new tier (or
            # the settlement) is worth a job at once, with the members' e-mails.
            group.card_version += 1
            fields.append("card_version")
        if self.tier_moved or "settled_at" in extra_fields:
            group_id = group.pk
            transaction.on_commit(lambda: after_group_change(group_id))
        if self.tier_moved:
            GroupMember.objects.filter(group_id=group.pk, status__in=LIVE).exclude(notice_due=NOTICE_SETTLED).update(
                notice_due=NOTICE_TIER)
        ReferralGroup.objects.filter(pk=group.pk).update(**{name: getattr(group, name) for name in fields})


def after_group_change(group_id):
    from promotions import jobs

    jobs.enqueue_group_followups(group_id)


def reserve(offer, amount):
    """Add `amount` to the offer's rebates owed if it stays within the budget; whether it did."""
    if amount <= 0:
        return True
    return bool(ReferralOffer.objects.filter(pk=offer.pk, liability__lte=F("budget") - amount)
                .update(liability=F("liability") + amount))


def reserve_up_to(offer, amount, *, at):
    """Reserve `amount`, or as much of it as the budget has left; the amount reserved."""
    if reserve(offer, amount):
        return amount
    mark_budget_reached(offer, at=at)
    for _ in range(3):  # the remainder can shrink between reading it and reserving it
        left = ReferralOffer.objects.filter(pk=offer.pk).values_list(F("budget") - F("liability"), flat=True).get()
        left = max(ZERO, Decimal(left).quantize(tier_maths.CENT))
        if left == 0 or reserve(offer, left):
            return left
    return ZERO


def release(offer, amount):
    if amount > 0:
        ReferralOffer.objects.filter(pk=offer.pk).update(liability=F("liability") - amount)


def mark_budget_reached(offer, *, at):
    ReferralOffer.objects.filter(pk=offer.pk, budget_reached_at__isnull=True).update(budget_reached_at=at)
    offer.budget_reached_at = offer.budget_reached_at or at


# --- checking the counters against the rows ---


def recount_group(group):
    """{counter: (stored, from the rows)} for every counter of the group and its members that disagrees."""
    members = list(GroupMember.objects.filter(group=group))
    fresh = ReferralGroup.objects.get(pk=group.pk)
    wrong = {}
    confirmed = sum(1 for m in members if counts_now(m))
    live = sum(1 for m in members if m.status in LIVE)
    if fresh.confirmed_count != confirmed:
        wrong["confirmed_count"] = (fresh.confirmed_count, confirmed)
    if fresh.member_count != live:
        wrong["member_count"] = (fresh.member_count, live)
    sums = {}
    for kind, member_id, amount in LedgerEntry.objects.filter(group=group).values_list("kind", "member_id", "amount"):
        sums.setdefault(member_id, {}).setdefault(kind, ZERO)
        sums[member_id][kind] += amount
    for m in members:
        kinds = sums.get(m.pk, {})
        owed = kinds.get("rebate", ZERO) + kinds.get("reversal", ZERO)
        net = kinds.get("payment", ZERO) + kinds.get("refund", ZERO)
        if owed != m.rebate_owed:
            wrong[f"member {m.pk} rebate_owed"] = (m.rebate_owed, owed)
        if net != m.net_paid:
            wrong[f"member {m.pk} net paid"] = (m.net_paid, net)
    return wrong
