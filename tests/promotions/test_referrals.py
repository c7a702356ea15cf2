"""Referral groups: starting, joining, generations, self-referral, holds, refunds, reviews, the budget, settlement.

The fixture offer: list price USD 200.00, tiers 2 → 10 %, 4 → 20 %, 6 → 30 %, maximum 50 %, no refund hold,
open from NOW − 1 day to NOW + 10 days; `group` is dana's.
"""

import datetime
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.models import Campaign, Touch
from campaigns.touches import TouchFacts, agent_hash_of, network_hash_of, record_touch
from promotions import referrals, tiers
from promotions.models import GroupMember, LedgerEntry, ReferralGroup, ReferralOffer, TierChange
from promotions.referrals import GroupRefused
from tests.promotions.conftest import DAY, NOW, buy, make_offer, make_person

pytestmark = pytest.mark.django_db
D = Decimal


def refreshed(obj):
    obj.refresh_from_db()
    return obj


def member_of(outcome):
    assert outcome.member is not None, outcome.message
    return refreshed(outcome.member)


def ledger_kinds(member):
    return list(member.ledger.order_by("id").values_list("kind", "amount"))


def fill(group, count, *, start=0, amount="200.00", at=NOW):
    return [member_of(buy(group.code, f"friend{start + i}@example.com", f"order-{start + i}", amount, at=at))
            for i in range(count)]


# --- starting groups ---


def test_a_founder_gets_one_group_per_item(offer, dana):
    item = offer.items.get()
    first = referrals.start_group(offer=offer, item=item, participant=dana, at=NOW)
    again = referrals.start_group(offer=offer, item=item, participant=dana, at=NOW)
    assert first == again
    assert len(first.code) == referrals.GROUP_CODE_LENGTH
    assert ReferralGroup.objects.count() == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"starts_at": NOW + DAY}, "not started yet"),
    ({"ends_at": NOW - datetime.timedelta(seconds=1), "starts_at": NOW - 2 * DAY}, "has ended"),
    ({"budget_reached_at": NOW}, "budget is used up"),
])
def test_groups_cannot_start_outside_the_offer_or_past_its_budget(offer, dana, change, message):
    ReferralOffer.objects.filter(pk=offer.pk).update(**change)
    with pytest.raises(GroupRefused, match=message):
        referrals.start_group(offer=refreshed(offer), item=offer.items.get(), participant=dana, at=NOW)


def test_groups_cannot_start_while_the_campaign_is_not_live(offer, dana):
    Campaign.objects.filter(pk=offer.campaign_id).update(status=Campaign.Status.PAUSED)
    with pytest.raises(GroupRefused, match="not running"):
        referrals.start_group(offer=ReferralOffer.objects.get(pk=offer.pk), item=offer.items.get(), participant=dana,
                              at=NOW)


def test_groups_cannot_start_while_the_offers_account_is_switched_off(offer, dana):
    type(offer.account).objects.filter(pk=offer.account_id).update(active=False)
    with pytest.raises(GroupRefused, match="not running"):
        referrals.start_group(offer=ReferralOffer.objects.get(pk=offer.pk), item=offer.items.get(), participant=dana,
                              at=NOW)


def test_an_item_of_another_offer_is_refused(offer, dana, live_giveaway_campaign):
    other = make_offer(live_giveaway_campaign, slug="other")
    with pytest.raises(GroupRefused, match="not part of this offer"):
        referrals.start_group(offer=offer, item=other.items.get(), participant=dana, at=NOW)


# --- joining ---


def test_purchases_join_and_record_who_referred_whom(group):
    friend = member_of(buy(group.code, "mina@example.com", "A-1"))
    assert (friend.generation, friend.referred_by, friend.status) == (1, None, GroupMember.Status.CONFIRMED)
    second = member_of(buy(friend.share_code, "joon@example.com", "A-2"))
    assert (second.generation, second.referred_by) == (2, friend)
    third = member_of(buy(second.share_code, "yuna@example.com", "A-3"))
    assert (third.generation, third.referred_by) == (3, second)
    assert third.share_code.startswith(group.code) and len(third.share_code) > referrals.GROUP_CODE_LENGTH
    group = refreshed(group)
    assert (group.confirmed_count, group.member_count, group.tier_percent) == (3, 3, D("10.00"))


def test_a_purchase_without_a_code_joins_through_the_visitors_referral_click(group):
    visitor = uuid.uuid4()
    facts = TouchFacts(network_hash=network_hash_of("198.51.100.9"), agent_hash=agent_hash_of("Mozilla/5.0 (iPhone)"))
    record_touch(visitor_id=visitor, campaign=group.offer.campaign_id, account=group.offer.account_id,
                 kind=Touch.Kind.REFERRAL_CLICK, reference=referrals.touch_reference(group), facts=facts,
                 at=NOW - datetime.timedelta(hours=2))
    member = member_of(buy("", "mina@example.com", "B-1", visitor_id=visitor))
    assert (member.group, member.generation, member.referred_by) == (group, 1, None)
    assert member.network_hash == facts.network_hash and member.agent_hash == facts.agent_hash


def test_a_bots_click_or_a_stale_click_joins_nothing(group):
    visitor = uuid.uuid4()
    record_touch(visitor_id=visitor, campaign=group.offer.campaign_id, account=group.offer.account_id,
                 kind=Touch.Kind.REFERRAL_CLICK, reference=referrals.touch_reference(group),
                 facts=TouchFacts(is_bot=True), at=NOW - datetime.timedelta(hours=1))
    record_touch(visitor_id=visitor, campaign=group.offer.campaign_id, account=group.offer.account_id,
                 kind=Touch.Kind.REFERRAL_CLICK, reference=referrals.touch_reference(group), facts=TouchFacts(),
                 at=NOW - referrals.CLICK_LOOKBACK - datetime.timedelta(minutes=1))
    outcome = buy("", "mina@example.com", "B-2", visitor_id=visitor)
    assert outcome.member is None and "matches a group" in outcome.message


def test_the_same_order_twice_joins_once(group):
    first = buy(group.code, "mina@example.com", "C-1")
    again = buy(group.code, "mina@example.com", "C-1")
    assert first.created and not again.created and again.member == first.member
    assert GroupMember.objects.count() == 1
    assert LedgerEntry.objects.count() == 2  # the payment and the discount row, once


def test_the_same_order_number_from_another_source_is_another_purchase(group):
    buy(group.code, "mina@example.com", "C-2", source="web")
    buy(group.code, "joon@example.com", "C-2", source="app")
    assert GroupMember.objects.count() == 2


@pytest.mark.parametrize(("change", "message"), [
    ({"amount": 12.5}, "never floats"),
    ({"amount": "12.345"}, "at most two decimal places"),
    ({"amount": "abc"}, "not an amount"),
    ({"amount": "0.00"}, "more than zero"),
    ({"amount": "-5.00"}, "more than zero"),
    ({"currency": "EUR"}, "in EUR, the offer in USD"),
    ({"at": NOW + 11 * DAY}, "outside the offer's dates"),
    ({"email": "not an address"}, "cannot identify a person"),
    ({"lines": [{"sku": "BUSAN-RT", "quantity": 1, "amount": "90.00"}]}, "no line for JEJU-RT"),
    ({"order": ""}, "no order reference"),
    ({"lines": [{"sku": "JEJU-RT", "quantity": 1, "amount": "0.00"}]}, "no amount above zero"),
    ({"lines": [{"sku": "JEJU-RT", "quantity": 1, "amount": 9.5}]}, "unreadable"),
])
def test_purchases_that_cannot_join_say_why_and_write_nothing(group, change, message):
    values = {"email": "mina@example.com", "order": "D-1", "amount": "200.00", **change}
    outcome = buy(group.code, values.pop("email"), values.pop("order"), values.pop("amount"), **values)
    assert outcome.member is None and message in outcome.message
    assert not GroupMember.objects.exists() and not LedgerEntry.objects.exists()


def test_unknown_and_switched_off_codes_join_nothing(group):
    assert "matches a group" in buy("nope-nope-nope", "mina@example.com", "E-1").message
    referrals.disable_group(group=group, reason="Posted on a coupon site", at=NOW)
    outcome = buy(group.code, "mina@example.com", "E-2")
    assert outcome.member is None and "switched off" in outcome.message
    assert referrals.enable_group(group=group) == 1
    assert buy(group.code, "mina@example.com", "E-3").created


def test_switching_a_link_off_needs_a_reason(group):
    with pytest.raises(GroupRefused, match="Say why"):
        referrals.disable_group(group=group, reason="  ", at=NOW)


def test_the_items_own_line_and_quantity_are_what_counts(group):
    member = member_of(buy(group.code, "mina@example.com", "F-1", "500.00",
                           lines=[{"sku": "BAG", "quantity": 1, "amount": "100.00"},
                                  {"sku": "JEJU-RT", "quantity": 2, "amount": "400.00"}]))
    assert (member.quantity, member.list_price, member.paid) == (2, D("400.00"), D("400.00"))


# --- self-referral ---


def test_the_founders_own_purchase_does_not_count_by_default(group, dana):
    member = member_of(buy(group.code, "dana@gmail.com", "G-1"))
    assert (member.generation, member.counts_toward_tier) == (0, False)
    assert "founder" in member.reason
    assert refreshed(group).confirmed_count == 0


def test_the_founders_first_purchase_counts_when_the_offer_says_so(group):
    ReferralOffer.objects.filter(pk=group.offer_id).update(self_referral=ReferralOffer.SelfReferral.FOUNDER_COUNTS)
    first = member_of(buy(group.code, "d.ana@gmail.com", "G-2"))  # another spelling of dana's address
    second = member_of(buy(group.code, "dana+trip@gmail.com", "G-3"))
    assert (first.generation, first.counts_toward_tier, second.counts_toward_tier) == (0, True, False)
    assert refreshed(group).confirmed_count == 1


def test_buying_through_ones_own_link_or_with_the_sharers_card_does_not_count(group):
    mina = member_of(buy(group.code, "mina@example.com", "H-1", payment_fingerprint="card-mina"))
    own_link = member_of(buy(mina.share_code, "mina@example.com", "H-2"))
    same_card = member_of(buy(mina.share_code, "other@example.com", "H-3", payment_fingerprint="card-mina"))
    again = member_of(buy(group.code, "mina@example.com", "H-4"))
    assert [m.counts_toward_tier for m in (mina, own_link, same_card, again)] == [True, False, False, False]
    assert "own link" in own_link.reason and "same card" in same_card.reason and "Already a member" in again.reason
    assert refreshed(group).confirmed_count == 1


def test_a_purchase_with_the_founders_card_through_the_founders_link_does_not_count(group):
    ReferralOffer.objects.filter(pk=group.offer_id).update(self_referral=ReferralOffer.SelfReferral.FOUNDER_COUNTS)
    member_of(buy(group.code, "dana@gmail.com", "H-5", payment_fingerprint="card-dana"))
    sock_puppet = member_of(buy(group.code, "not-dana@example.com", "H-6", payment_fingerprint="card-dana"))
    assert not sock_puppet.counts_toward_tier


# --- tiers, rebates and the ledger ---


def test_reaching_a_tier_owes_earlier_buyers_a_rebate(group):
    first, second = fill(group, 2)
    assert refreshed(group).tier_percent == D("10.00")
    assert [refreshed(m).rebate_owed for m in (first, second)] == [D("20.00"), D("20.00")]
    third = member_of(buy(group.code, "mina@example.com", "I-1", "180.00"))  # paid the group price
    assert third.rebate_owed == D("0.00")
    fourth = member_of(buy(group.code, "joon@example.com", "I-2", "180.00"))
    assert refreshed(group).tier_percent == D("20.00")
    owed = [refreshed(m).rebate_owed for m in (first, second, third, fourth)]
    assert owed == [D("40.00"), D("40.00"), D("20.00"), D("20.00")]
    assert ledger_kinds(refreshed(first)) == [("payment", D("200.00")), ("discount", D("0.00")),
                                              ("rebate", D("20.00")), ("rebate", D("20.00"))]
    assert ledger_kinds(refreshed(third)) == [("payment", D("180.00")), ("discount", D("20.00")),
                                              ("rebate", D("20.00"))]
    assert refreshed(group.offer).liability == D("120.00")
    assert referrals.recount_group(group) == {}


def test_one_tier_change_per_tier_crossed(group, offer):
    ReferralOffer.objects.filter(pk=offer.pk).update(hold_days=3)
    fill(group, 5)
    assert refreshed(group).tier_percent == D("0.00")
    referrals.confirm_due_members(at=NOW + 3 * DAY)
    group = refreshed(group)
    assert group.tier_percent == D("20.00")
    changes = list(TierChange.objects.filter(group=group).values_list("from_percent", "to_percent", "cause"))
    assert changes == [(D("0.00"), D("10.00"), "hold"), (D("10.00"), D("20.00"), "hold")]


def test_paying_above_the_current_price_is_owed_at_once(group):
    fill(group, 2)
    late = member_of(buy(group.code, "mina@example.com", "J-1", "200.00"))  # the shop charged list price at 10 %
    assert late.rebate_owed == D("20.00")


# --- refund holds ---


def test_purchases_count_only_once_their_hold_is_over(group, offer):
    ReferralOffer.objects.filter(pk=offer.pk).update(hold_days=14)
    members = fill(group, 2)
    assert {m.status for m in members} == {GroupMember.Status.PENDING}
    assert members[0].hold_until == NOW + 14 * DAY
    assert referrals.confirm_due_members(at=NOW + 14 * DAY - datetime.timedelta(seconds=1)) == 0
    assert refreshed(group).confirmed_count == 0
    assert referrals.confirm_due_members(at=NOW + 14 * DAY) == 2
    assert refreshed(group).confirmed_count == 2 and refreshed(group).tier_percent == D("10.00")
    assert referrals.confirm_due_members(at=NOW + 15 * DAY) == 0  # the sweep is idempotent


def test_the_settlement_date_rule_holds_every_purchase_until_close_plus_hold(group, offer):
    ReferralOffer.objects.filter(pk=offer.pk).update(hold_days=7, hold_rule=ReferralOffer.HoldRule.AT_SETTLEMENT)
    member = fill(group, 1)[0]
    assert member.hold_until == offer.ends_at + 7 * DAY


# --- refunds ---


def test_a_full_refund_takes_the_member_out_and_pulls_the_tier_back(group):
    members = fill(group, 4)
    assert refreshed(group).tier_percent == D("20.00")
    outcome = referrals.record_refund(order_reference="order-3", refunded_total="200.00", at=NOW + DAY)
    assert outcome.members == 1
    group = refreshed(group)
    assert (group.confirmed_count, group.member_count, group.tier_percent) == (3, 3, D("10.00"))
    refunded = refreshed(members[3])
    assert refunded.status == GroupMember.Status.REFUNDED and refunded.rebate_owed == D("0.00")
    assert ledger_kinds(refunded)[-2:] == [("refund", D("-200.00")), ("reversal", D("-40.00"))]
    assert [refreshed(m).rebate_owed for m in members[:3]] == [D("20.00")] * 3
    assert list(TierChange.objects.filter(group=group, cause="refund").values_list("from_percent", "to_percent")) \
        == [(D("20.00"), D("10.00"))]
    assert refreshed(group.offer).liability == D("60.00")
    assert referrals.recount_group(group) == {}


def test_a_partial_refund_lowers_what_is_owed(group):
    first, _ = fill(group, 2)
    referrals.record_refund(order_reference="order-0", refunded_total="15.00", at=NOW)
    first = refreshed(first)
    assert (first.status, first.refunded, first.rebate_owed) == (GroupMember.Status.CONFIRMED, D("15.00"), D("5.00"))
    assert first.net_paid - first.rebate_owed == tiers.price_at(first.list_price, D("10"))


def test_refund_totals_are_idempotent_and_order_independent(group):
    member = fill(group, 1)[0]
    referrals.record_refund(order_reference="order-0", refunded_total="50.00", at=NOW)
    assert referrals.record_refund(order_reference="order-0", refunded_total="30.00", at=NOW).members == 0
    assert referrals.record_refund(order_reference="order-0", refunded_total="50.00", at=NOW).members == 0
    assert refreshed(member).refunded == D("50.00")
    assert member.ledger.filter(kind="refund").count() == 1


def test_a_refund_above_what_was_paid_counts_as_the_whole_payment(group):
    member = fill(group, 1)[0]
    referrals.record_refund(order_reference="order-0", refunded_total="250.00", at=NOW)
    member = refreshed(member)
    assert (member.refunded, member.status) == (D("200.00"), GroupMember.Status.REFUNDED)
    assert "250.00 refunded; 200.00 was paid" in member.ledger.get(kind="refund").note


@pytest.mark.parametrize(("total", "message"), [
    ("12.345", "two decimal places"), ("-1.00", "cannot be negative"),
])
def test_unreadable_refunds_change_nothing(group, total, message):
    fill(group, 1)
    assert message in referrals.record_refund(order_reference="order-0", refunded_total=total, at=NOW).message
    assert not LedgerEntry.objects.filter(kind="refund").exists()


def test_a_refund_for_an_unknown_order_changes_nothing(group):
    outcome = referrals.record_refund(order_reference="nobody", refunded_total="10.00", at=NOW)
    assert outcome.members == 0 and "No purchase" in outcome.message


# --- fraud: bursts from one network and browser ---


def click_from(group, ip, agent="Mozilla/5.0 (iPhone)", at=NOW):
    visitor = uuid.uuid4()
    record_touch(visitor_id=visitor, campaign=group.offer.campaign_id, account=group.offer.account_id,
                 kind=Touch.Kind.REFERRAL_CLICK, reference=referrals.touch_reference(group),
                 facts=TouchFacts(network_hash=network_hash_of(ip), agent_hash=agent_hash_of(agent)),
                 at=at - datetime.timedelta(minutes=1))
    return visitor


def test_a_burst_from_one_network_and_browser_is_held_for_review(group):
    members = [member_of(buy(group.code, f"p{i}@example.com", f"K-{i}", visitor_id=click_from(group, f"203.0.113.{i}")))
               for i in range(4)]
    assert [m.status for m in members] == ["confirmed"] * 3 + ["flagged"]
    assert "4 purchases" in members[3].reason
    other = member_of(buy(group.code, "q@example.com", "K-9", visitor_id=click_from(group, "198.51.100.1")))
    assert other.status == "confirmed"
    later = member_of(buy(group.code, "r@example.com", "K-10", at=NOW + datetime.timedelta(minutes=11),
                          visitor_id=click_from(group, "203.0.113.50", at=NOW + datetime.timedelta(minutes=11))))
    assert later.status == "confirmed"
    group = refreshed(group)
    assert (group.confirmed_count, group.member_count) == (5, 5)


def test_reviews_clear_or_reject_a_held_purchase(group, alice):
    held = [member_of(buy(group.code, f"p{i}@example.com", f"L-{i}", visitor_id=click_from(group, "203.0.113.8")))
            for i in range(5)][3:]
    assert [m.status for m in held] == ["flagged", "flagged"]
    assert refreshed(group).tier_percent == D("10.00")
    cleared = referrals.review_member(member=held[0], approve=True, by=alice, at=NOW)
    assert cleared.status == "confirmed"
    assert refreshed(group).confirmed_count == 4 and refreshed(group).tier_percent == D("20.00")
    rejected = referrals.review_member(member=held[1], approve=False, by=alice, at=NOW, reason="Same household")
    assert (rejected.status, rejected.reason, rejected.rebate_owed) == ("rejected", "Same household", D("0.00"))
    with pytest.raises(GroupRefused, match="not waiting for review"):
        referrals.review_member(member=held[1], approve=True, by=alice, at=NOW)
    assert referrals.recount_group(group) == {}


# --- the budget ---


def test_the_budget_stops_deeper_tiers_and_new_groups(live_giveaway_campaign, dana):
    offer = make_offer(live_giveaway_campaign, slug="small", budget="50.00")
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=dana, at=NOW)
    fill(group, 2)
    assert refreshed(group).tier_percent == D("10.00") and refreshed(offer).liability == D("40.00")
    third, fourth = fill(group, 2, start=2)  # 20 % would owe 160 in all: more than the budget
    group, offer = refreshed(group), refreshed(offer)
    assert (group.confirmed_count, group.tier_percent) == (4, D("10.00"))
    assert offer.budget_reached_at == NOW
    # Each paid list price at 10 % (owed 20): the first gets the 10 that was left, the second nothing.
    assert [refreshed(m).rebate_owed for m in (third, fourth)] == [D("10.00"), D("0.00")]
    assert "Capped" in third.ledger.get(kind="rebate").note
    assert offer.liability == offer.budget
    with pytest.raises(GroupRefused, match="budget is used up"):
        referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("eve@example.com"), at=NOW)
    referrals.record_refund(order_reference="order-0", refunded_total="200.00", at=NOW)  # frees 20
    assert refreshed(offer).liability == D("30.00")
    assert refreshed(group).tier_percent == D("10.00")  # 3 confirmed: still the 10 % tier


def test_a_tier_stops_at_the_deepest_one_the_budget_pays_for(live_giveaway_campaign, dana):
    offer = make_offer(live_giveaway_campaign, slug="mid", budget="300.00")
    ReferralOffer.objects.filter(pk=offer.pk).update(hold_days=2)
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=dana, at=NOW)
    fill(group, 6)
    referrals.confirm_due_members(at=NOW + 2 * DAY)  # 30 % would owe 360; 20 % owes 240
    assert refreshed(group).tier_percent == D("20.00") and refreshed(offer).liability == D("240.00")


# --- settlement ---


def settle(offer, at=None):
    return referrals.settle_offer(offer=refreshed(offer), at=at or offer.settles_at)


def test_settlement_waits_for_the_end(group, offer):
    with pytest.raises(GroupRefused, match="still open"):
        referrals.settle_offer(offer=offer, at=NOW)


def test_settlement_is_idempotent_and_reconciles_to_the_cent(group, offer, live_giveaway_campaign):
    ReferralOffer.objects.filter(pk=offer.pk).update(hold_days=5)
    prices = ["200.00", "200.00", "180.00", "180.00", "160.00", "199.99", "200.00"]
    hour = datetime.timedelta(hours=1)
    members = [member_of(buy(group.code, f"f{i}@example.com", f"N-{i}", price, at=NOW + i * hour))
               for i, price in enumerate(prices)]
    referrals.record_refund(order_reference="N-6", refunded_total="200.00", at=NOW + DAY)
    referrals.record_refund(order_reference="N-0", refunded_total="10.00", at=NOW + DAY)
    other = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("eve@example.com"),
                                  at=NOW)
    fill(other, 1, start=50)
    assert settle(offer) == 2
    offer = refreshed(offer)
    assert offer.settled_at == offer.settles_at
    rows = LedgerEntry.objects.count()
    assert settle(offer, offer.settles_at + DAY) == 0 and LedgerEntry.objects.count() == rows
    assert referrals.settle_due_offers(at=offer.settles_at + 2 * DAY) == 0
    group = refreshed(group)
    assert (group.confirmed_count, group.tier_percent, group.settled_at) == (6, D("30.00"), offer.settles_at)
    final_price = tiers.price_at(D("200.00"), group.tier_percent)
    for member in members[:6]:
        member = refreshed(member)
        sums = {kind: sum((row.amount for row in member.ledger.filter(kind=kind)), D(0))
                for kind in ("payment", "refund", "rebate", "reversal")}
        paid = sums["payment"] + sums["refund"]
        rebates = sums["rebate"] + sums["reversal"]
        assert paid - rebates == final_price, member.order_reference
    assert refreshed(members[6]).rebate_owed == D("0.00")
    assert referrals.recount_group(group) == {}
    assert set(GroupMember.objects.filter(group=group, status__in=referrals.LIVE)
               .values_list("notice_due", flat=True)) == {"settled"}


def test_a_settlement_killed_half_way_completes_on_the_rerun(group, offer, monkeypatch):
    second = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("eve@example.com"),
                                   at=NOW)
    fill(group, 4)
    fill(second, 2, start=10)
    monkeypatch.setattr(referrals, "SETTLE_BATCH", 1)  # one group per transaction
    real = referrals.settle_batch
    calls = []

    def dies_on_the_second_batch(**kwargs):
        calls.append(kwargs["group_ids"])
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(referrals, "settle_batch", dies_on_the_second_batch)
    with pytest.raises(SystemExit):
        settle(offer)
    assert ReferralGroup.objects.filter(settled_at__isnull=False).count() == 1
    assert refreshed(offer).settled_at is None
    monkeypatch.setattr(referrals, "settle_batch", real)
    rebates = LedgerEntry.objects.filter(kind="rebate").count()
    assert settle(offer) == 1
    assert ReferralGroup.objects.filter(settled_at__isnull=True).count() == 0
    assert LedgerEntry.objects.filter(kind="rebate").count() == rebates  # nothing owed twice
    assert refreshed(offer).settled_at is not None
    assert all(referrals.recount_group(each) == {} for each in ReferralGroup.objects.all())


def test_a_batch_the_budget_cannot_pay_settles_group_by_group(live_giveaway_campaign, dana):
    offer = make_offer(live_giveaway_campaign, slug="tight", budget="60.00")
    ReferralOffer.objects.filter(pk=offer.pk).update(hold_days=20)  # nothing counts before settlement
    offer = refreshed(offer)
    first = referrals.start_group(offer=offer, item=offer.items.get(), participant=dana, at=NOW)
    second = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("eve@example.com"),
                                   at=NOW)
    fill(first, 2)
    fill(second, 2, start=10)  # each group reaches 10 % at settlement: 40 each, 80 in all, more than 60
    settle(offer, offer.ends_at + 30 * DAY)
    first, second, offer = refreshed(first), refreshed(second), refreshed(offer)
    assert (first.tier_percent, second.tier_percent) == (D("10.00"), D("0.00"))
    assert offer.liability == D("40.00") and offer.budget_reached_at is not None
    assert first.settled_at and second.settled_at


def test_settling_early_leaves_purchases_still_in_their_hold_uncounted(group, offer):
    ReferralOffer.objects.filter(pk=offer.pk).update(hold_days=30)
    fill(group, 2)
    preview = referrals.settlement_preview(offer=refreshed(offer), at=offer.ends_at)
    assert [(row.confirmed, row.percent, row.rebates) for row in preview] == [(0, D("0.00"), D("0.00"))]
    settle(offer, offer.ends_at)
    assert refreshed(group).tier_percent == D("0.00")


def test_the_preview_matches_what_settlement_writes(group, offer):
    fill(group, 4)
    member_of(buy(group.code, "x@example.com", "P-1", "150.00"))
    preview = referrals.settlement_preview(offer=refreshed(offer), at=offer.settles_at)
    settle(offer)
    assert preview[0].rebates == sum(GroupMember.objects.filter(group=group).values_list("rebate_owed", flat=True))


def test_after_settlement_a_refund_reverses_only_that_members_rebate(group, offer):
    members = fill(group, 4)
    settle(offer)
    referrals.record_refund(order_reference="order-0", refunded_total="200.00", at=offer.settles_at + DAY)
    group = refreshed(group)
    assert group.tier_percent == D("20.00")  # settled: the tier stays
    assert refreshed(members[0]).rebate_owed == D("0.00") and refreshed(members[1]).rebate_owed == D("40.00")


def test_a_settled_group_takes_no_more_purchases(group, offer):
    fill(group, 1)
    settle(offer)
    ReferralOffer.objects.filter(pk=offer.pk).update(ends_at=offer.settles_at + 5 * DAY)
    assert "settled" in buy(group.code, "late@example.com", "Q-1", at=offer.settles_at + DAY).message


# --- the ledger is append-only ---


def test_ledger_rows_are_never_changed_or_deleted(group):
    row = LedgerEntry.objects.filter(member=fill(group, 1)[0]).first()
    row.amount = D("1.00")
    with pytest.raises(ValueError, match="never changed"):
        row.save()
    with pytest.raises(ValueError, match="never deleted"):
        row.delete()


# --- any order, any repeats: the same end state ---


EVENTS = [("paid", 0), ("paid", 1), ("paid", 2), ("paid", 3), ("refund", 1, "50.00"), ("refund", 1, "200.00"),
          ("refund", 2, "30.00")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(EVENTS), repeats=st.lists(st.sampled_from(EVENTS), max_size=4))
def test_events_in_any_order_and_repeated_give_the_same_end_state(live_giveaway_campaign, order, repeats):
    """Refunds that arrive before their purchase are the ingest's to replay (it applies them after the sale)."""
    slug = f"prop-{uuid.uuid4().hex[:8]}"
    offer = make_offer(live_giveaway_campaign, slug=slug)
    founder = make_person(f"{slug}@example.com")
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=founder, at=NOW)
    paid = set()
    refunds = {}
    for event in [*order, *repeats]:
        number = event[1]
        if event[0] == "paid":
            buy(group.code, f"{slug}-{number}@example.com", f"{slug}-{number}")
            paid.add(number)
            if number in refunds:  # the ingest's replay of a refund that came first
                referrals.record_refund(order_reference=f"{slug}-{number}", refunded_total=refunds[number], at=NOW)
        else:
            refunds[number] = max(refunds.get(number, D(0)), D(event[2]))
            referrals.record_refund(order_reference=f"{slug}-{number}", refunded_total=refunds[number], at=NOW)
    group = refreshed(group)
    assert (group.confirmed_count, group.tier_percent) == (3, D("10.00"))
    by_order = {m.order_reference: m for m in GroupMember.objects.filter(group=group)}
    assert by_order[f"{slug}-1"].status == "refunded"
    assert by_order[f"{slug}-2"].refunded == D("30.00")
    assert [by_order[f"{slug}-{n}"].rebate_owed for n in (0, 2, 3)] == [D("20.00"), D("0.00"), D("20.00")]
    assert referrals.recount_group(group) == {}


# --- changing a started offer ---


def test_before_the_first_group_the_set_up_may_change(offer):
    assert referrals.setup_change_problem(offer=offer, changed_fields=["currency"], tiers_changed=True) == ""


def test_a_started_offer_keeps_its_promises(group, offer):
    problem = referrals.setup_change_problem(offer=offer, changed_fields=["hold_days", "title"], tiers_changed=True,
                                             prices_changed=True)
    assert "the refund hold, the tier table, the items' list prices can no longer change" in problem
    assert referrals.setup_change_problem(offer=offer, changed_fields=["title", "ends_at", "budget"]) == ""


def test_the_budget_never_falls_below_what_is_owed(group, offer):
    fill(group, 2)
    offer = refreshed(offer)
    assert "already owes 40.00 USD" in referrals.setup_change_problem(offer=offer, new_budget=D("39.99"))
    assert referrals.setup_change_problem(offer=offer, new_budget=D("40.00")) == ""
