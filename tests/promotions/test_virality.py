"""Viral figures on a hand-built example: generations 0–3 and beyond, refunded, rejected, held and self-referred
purchases, groups nobody joined, and the breakdowns per offer, campaign and account."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, Touch
from campaigns.touches import TouchFacts, agent_hash_of, network_hash_of, record_touch
from promotions import referrals, virality
from promotions.models import ReferralOffer
from tests.campaigns.conftest import make_campaign
from tests.promotions.conftest import DAY, NOW, buy, make_offer, make_person

pytestmark = pytest.mark.django_db


def held_for_review(group, orders):
    """Purchases through the group's link, each after a click from one network and browser: the fourth and
    later are held for review (referrals.BURST_SIZE)."""
    members = []
    for order in orders:
        visitor = uuid.uuid4()
        record_touch(visitor_id=visitor, campaign=group.offer.campaign_id, account=group.offer.account_id,
                     kind=Touch.Kind.REFERRAL_CLICK, reference=referrals.touch_reference(group),
                     facts=TouchFacts(network_hash=network_hash_of("203.0.113.8"),
                                      agent_hash=agent_hash_of("Mozilla/5.0 (iPhone)")), at=NOW)
        members.append(buy(group.code, f"{order.lower()}@example.com", order, visitor_id=visitor).member)
    return members


@pytest.fixture
def example(group, offer, alice):
    """dana's group (the founder counts) and a second group nobody joined. In dana's group:

    | order | generation | through | |
    |---|---|---|---|
    | O-0 | 0 | — | dana's own purchase |
    | O-1 | 1 | dana | g1 |
    | O-2 | 2 | g1 | g2 |
    | O-3 | 3 | g2 | g3 |
    | O-4 | 4 → "3+" | g3 | g4 |
    | O-5 | 1 | dana | refunded: left out |
    | O-7 | 2 | g1 | g1's friend |
    | O-8 | 1 | dana | g1 again: live, but already counting, so no new person |
    | B-0…B-2 | 1 | dana | one network and browser |
    | B-3 | 1 | dana | the burst's fourth: held, then rejected: left out |
    | B-4 | 1 | dana | held for review: left out |

    Members (live): O-0, O-1, O-2, O-3, O-4, O-7, O-8, B-0, B-1, B-2 = 10: generation 0: 1, 1: 5, 2: 2, 3+: 2.
    New people through a link (generation ≥ 1, counting): O-1, O-2, O-3, O-4, O-7, B-0, B-1, B-2 = 8.
    People in groups: 2 founders + 8 = 10. K-factor: 8 / 10 = 0.8. Members per group: 10 / 2 = 5.
    """
    ReferralOffer.objects.filter(pk=offer.pk).update(self_referral=ReferralOffer.SelfReferral.FOUNDER_COUNTS)
    buy(group.code, "dana@gmail.com", "O-0")
    first = buy(group.code, "g1@example.com", "O-1").member
    second = buy(first.share_code, "g2@example.com", "O-2").member
    third = buy(second.share_code, "g3@example.com", "O-3").member
    buy(third.share_code, "g4@example.com", "O-4")
    buy(group.code, "refunded@example.com", "O-5")
    referrals.record_refund(order_reference="O-5", refunded_total="200.00", at=NOW)
    buy(first.share_code, "friend-of-g1@example.com", "O-7")
    again = buy(group.code, "g1@example.com", "O-8").member
    *_, fourth, fifth = held_for_review(group, ["B-0", "B-1", "B-2", "B-3", "B-4"])
    assert (fourth.status, fifth.status, again.counts_toward_tier) == ("flagged", "flagged", False)
    referrals.review_member(member=fourth, approve=False, by=alice, at=NOW, reason="One household")
    referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("quiet@example.com"), at=NOW)
    assert referrals.recount_group(group) == {}
    return offer


def test_the_figures_of_an_offer_are_counted_by_hand(example):
    figures = virality.for_offer(example)
    assert (figures.groups, figures.members, figures.new_people, figures.people) == (2, 10, 8, 10)
    assert figures.by_generation == {"0": 1, "1": 5, "2": 2, "3+": 2}
    assert figures.members_per_group == 5
    assert figures.group_sizes == {"0": 1, "1": 0, "2–4": 0, "5–9": 0, "10+": 1}
    assert figures.k_factor == 0.8
    assert [figures.share(generation) for generation in virality.GENERATIONS] == [10.0, 50.0, 20.0, 20.0]


def test_refunded_rejected_and_held_purchases_are_left_out(example):
    referrals.record_refund(order_reference="O-4", refunded_total="200.00", at=NOW)
    after = virality.for_offer(example)
    assert (after.members, after.new_people, after.by_generation["3+"]) == (9, 7, 1)
    assert after.group_sizes["5–9"] == 1
    assert after.k_factor == round(7 / 9, 2)


def test_each_figure_costs_two_queries(example):
    with CaptureQueriesContext(connection) as queries:
        virality.for_offer(example)
    assert len(queries) == 2
    with CaptureQueriesContext(connection) as queries:
        virality.figures_by(ReferralOffer.objects.all(), "campaign")
    assert len(queries) == 2


def test_breakdowns_per_campaign_and_account_add_up(example, live_giveaway_campaign, main_account, deals_account):
    other = make_offer(live_giveaway_campaign, slug="second-offer")
    group = referrals.start_group(offer=other, item=other.items.get(), participant=make_person("x@example.com"), at=NOW)
    buy(group.code, "y@example.com", "P-1")
    elsewhere = make_campaign(deals_account, slug="deals-week", status=Campaign.Status.LIVE, starts_at=NOW - DAY,
                              ends_at=NOW + 10 * DAY)
    deals_offer = make_offer(elsewhere, slug="deals-offer")
    referrals.start_group(offer=deals_offer, item=deals_offer.items.get(), participant=make_person("z@example.com"),
                          at=NOW)

    every_offer = ReferralOffer.objects.all()
    per_campaign = virality.figures_by(every_offer, "campaign")
    assert (per_campaign[live_giveaway_campaign.pk].groups, per_campaign[live_giveaway_campaign.pk].members) == (3, 11)
    assert (per_campaign[elsewhere.pk].groups, per_campaign[elsewhere.pk].members) == (1, 0)
    per_account = virality.figures_by(every_offer, "account")
    assert set(per_account) == {main_account.pk, deals_account.pk}
    per_offer = virality.figures_by(every_offer, "offer")
    assert per_offer[other.pk].k_factor == 0.5  # y through x's link: 1 ÷ (1 founder + 1)
    assert virality.for_campaign(live_giveaway_campaign.pk, offers=every_offer) == per_campaign[
        live_giveaway_campaign.pk]
    # An account's figures only cover the offers the reader was given.
    only_mine = ReferralOffer.objects.filter(campaign=live_giveaway_campaign)
    assert virality.for_account(deals_account.pk, offers=only_mine).groups == 0
    assert virality.for_account(main_account.pk, offers=every_offer).groups == 3


def test_an_offer_without_groups_has_zero_figures(offer):
    figures = virality.for_offer(offer)
    assert (figures.groups, figures.members, figures.k_factor, figures.members_per_group) == (0, 0, 0, 0)
    assert figures.share("1") == 0
