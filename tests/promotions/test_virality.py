"""Viral figures on a hand-built example: generations 0–3, a refund and a rejection left out."""

import pytest

from promotions import referrals, virality
from promotions.models import GroupMember, ReferralOffer
from tests.promotions.conftest import NOW, buy, make_offer, make_person

pytestmark = pytest.mark.django_db


def test_figures_of_an_offer_its_campaign_and_its_account(group, offer, live_giveaway_campaign, alice):
    ReferralOffer.objects.filter(pk=offer.pk).update(self_referral=ReferralOffer.SelfReferral.FOUNDER_COUNTS)
    buy(group.code, "dana@gmail.com", "O-0")                       # generation 0: the founder's own
    first = buy(group.code, "g1@example.com", "O-1").member        # 1
    second = buy(first.share_code, "g2@example.com", "O-2").member  # 2
    third = buy(second.share_code, "g3@example.com", "O-3").member  # 3
    buy(third.share_code, "g4@example.com", "O-4")                 # 4, counted as 3+
    buy(group.code, "refunded@example.com", "O-5")
    referrals.record_refund(order_reference="O-5", refunded_total="200.00", at=third.bought_at)
    rejected = buy(group.code, "rejected@example.com", "O-6").member
    GroupMember.objects.filter(pk=rejected.pk).update(status=GroupMember.Status.REJECTED)
    referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("quiet@example.com"), at=NOW)

    figures = virality.for_offer(offer)
    assert (figures.groups, figures.members) == (2, 5)
    assert figures.by_generation == {"0": 1, "1": 1, "2": 1, "3+": 2}
    assert figures.members_per_group == 2.5
    assert figures.group_sizes == {"0": 1, "1": 0, "2–4": 0, "5–9": 1, "10+": 0}
    assert figures.through_links == 4
    assert figures.k_factor == round(4 / 7, 2)  # 4 through links ÷ (2 founders + 5 members)
    assert (figures.share("0"), figures.share("3+")) == (20.0, 40.0)
    assert figures.growth() == [(0, 0.5), (1, 1.0), (2, 2.0)]

    other = make_offer(live_giveaway_campaign, slug="second-offer")
    referrals.start_group(offer=other, item=other.items.get(), participant=make_person("x@example.com"), at=NOW)
    assert virality.for_campaign(offer.campaign_id).groups == 3
    assert virality.for_account(offer.account_id).members == 5


def test_an_offer_without_groups_has_zero_figures(offer):
    figures = virality.for_offer(offer)
    assert (figures.groups, figures.members, figures.k_factor, figures.members_per_group) == (0, 0, 0, 0)
