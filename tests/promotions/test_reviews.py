"""Deciding entries: the moderation queue, the fraud review queue and blocking people (promotions/reviews.py)."""

import pytest

from promotions import rounds
from promotions.giveaways import complete_mission, record_referral
from promotions.models import Entry, Flag, Mission, Participant, Round
from promotions.reviews import ReviewRefused, block_participant, decide_flags, review_entries
from tests.promotions.conftest import NOW, facts, make_mission, make_person

Status = Entry.Status


def proof_entry(participant, mission, *, ip="203.0.113.7", link="https://x.com/someone/status/1"):
    """An entry awaiting review: a proof link submitted for `mission`."""
    return complete_mission(participant=participant, mission=mission, facts=facts(ip=ip), answer=link,
                            at=NOW).entry


def held_entry(participant, mission, *, rules=(Flag.Rule.IP_VELOCITY,), answer="JEJU 2026", ip="198.51.100.9"):
    """An entry written by complete_mission and then held by fraud flags, as a fraud rule would leave it."""
    entry = complete_mission(participant=participant, mission=mission, facts=facts(ip=ip), answer=answer,
                             at=NOW).entry
    Entry.objects.filter(pk=entry.pk).update(status=Status.HELD)
    for rule in rules:
        Flag.objects.create(entry=entry, rule=rule, reason=f"Reason for {rule}", created_at=NOW)
    entry.refresh_from_db()
    return entry


@pytest.fixture
def proof_mission(giveaway):
    return make_mission(giveaway, Mission.Kind.PROOF_URL)


def test_it_approves_entries_awaiting_review_so_they_count(alice, dana, proof_mission):
    entry = proof_entry(dana, proof_mission)
    assert entry.status == Status.AWAITING_REVIEW
    outcome = review_entries(entries=[entry], approve=True, by=alice, at=NOW)
    assert (outcome.changed, outcome.unchanged) == (1, 0)
    entry.refresh_from_db()
    assert (entry.status, entry.reviewed_by, entry.reviewed_at) == (Status.COUNTED, alice, NOW)


def test_it_refuses_to_reject_without_a_reason_and_changes_nothing(alice, dana, proof_mission):
    entry = proof_entry(dana, proof_mission)
    with pytest.raises(ReviewRefused, match="reason"):
        review_entries(entries=[entry], approve=False, note="  ", by=alice, at=NOW)
    entry.refresh_from_db()
    assert entry.status == Status.AWAITING_REVIEW


def test_it_rejects_with_the_reason_kept_on_the_entry(alice, dana, proof_mission):
    entry = proof_entry(dana, proof_mission)
    review_entries(entries=[entry.pk], approve=False, note="The link shows someone else's post", by=alice, at=NOW)
    entry.refresh_from_db()
    assert (entry.status, entry.review_note) == (Status.REJECTED, "The link shows someone else's post")


def test_it_changes_an_entry_once_when_two_reviewers_decide_it(alice, dana, proof_mission):
    entry = proof_entry(dana, proof_mission)
    assert review_entries(entries=[entry], approve=True, by=alice, at=NOW).changed == 1
    second = review_entries(entries=[entry], approve=False, note="Too late", by=alice, at=NOW)
    assert (second.changed, second.unchanged) == (0, 1)
    entry.refresh_from_db()
    assert entry.status == Status.COUNTED


def test_it_leaves_entries_of_a_drawn_round_as_the_draw_read_them(alice, dana, proof_mission):
    entry = proof_entry(dana, proof_mission)
    Round.objects.filter(pk=entry.round_id).update(status=Round.Status.DRAWN)
    assert review_entries(entries=[entry], approve=True, by=alice, at=NOW).changed == 0
    entry.refresh_from_db()
    assert entry.status == Status.AWAITING_REVIEW


def test_it_credits_the_referrer_when_a_friends_first_entry_is_approved(alice, giveaway, dana, proof_mission):
    refer = make_mission(giveaway, Mission.Kind.REFER_FRIEND)
    erin = make_person("erin@example.org")
    record_referral(giveaway=giveaway, friend=erin, code=dana.referral_code, at=NOW)
    entry = proof_entry(erin, proof_mission, ip="192.0.2.44")
    assert not Entry.objects.filter(participant=dana, mission=refer).exists()  # not before the approval
    review_entries(entries=[entry], approve=True, by=alice, at=NOW)
    credit = Entry.objects.get(participant=dana, mission=refer)
    assert (credit.status, credit.weight, credit.occurrence) == (Status.COUNTED, 3, f"friend:{erin.pk}")


def test_it_enqueues_the_rounds_tally_on_commit(alice, dana, proof_mission, django_capture_on_commit_callbacks):
    entry = proof_entry(dana, proof_mission)
    with django_capture_on_commit_callbacks() as callbacks:
        review_entries(entries=[entry], approve=True, by=alice, at=NOW)
    assert callbacks  # the tally job, enqueued once the decision is committed


def test_it_counts_a_held_entry_once_its_last_open_flag_is_cleared(alice, dana, code_mission):
    entry = held_entry(dana, code_mission, rules=[Flag.Rule.IP_VELOCITY, Flag.Rule.CLUSTER])
    first, second = entry.flags.order_by("pk")
    assert decide_flags(flags=[first], clear=True, by=alice, at=NOW).changed == 1
    entry.refresh_from_db()
    assert entry.status == Status.HELD  # another flag is still open
    decide_flags(flags=[second.pk], clear=True, note="Same office", by=alice, at=NOW)
    entry.refresh_from_db()
    assert (entry.status, entry.review_note) == (Status.COUNTED, "Same office")
    assert set(entry.flags.values_list("decision", flat=True)) == {Flag.Decision.CLEARED}


def test_it_sends_a_cleared_proof_nobody_approved_to_the_moderation_queue(alice, dana, proof_mission):
    entry = held_entry(dana, proof_mission, answer="https://x.com/dana/status/2")
    decide_flags(flags=entry.flags.all(), clear=True, by=alice, at=NOW)
    entry.refresh_from_db()
    assert entry.status == Status.AWAITING_REVIEW


def test_it_rejects_the_entry_of_an_upheld_flag_with_the_flags_reason(alice, dana, code_mission):
    entry = held_entry(dana, code_mission)
    flag = entry.flags.get()
    decide_flags(flags=[flag], clear=False, by=alice, at=NOW)
    entry.refresh_from_db()
    flag.refresh_from_db()
    assert entry.status == Status.REJECTED
    assert entry.review_note == f"Fraud flag upheld: {flag.reason}"
    assert (flag.decision, flag.decided_by) == (Flag.Decision.UPHELD, alice)
    assert decide_flags(flags=[flag], clear=True, by=alice, at=NOW).changed == 0  # decided once


def test_it_blocks_a_person_without_deleting_anything(alice, dana, code_mission, proof_mission):
    counted = complete_mission(participant=dana, mission=code_mission, facts=facts(), answer="jeju2026", at=NOW).entry
    waiting = proof_entry(dana, proof_mission)
    with pytest.raises(ReviewRefused, match="reason"):
        block_participant(participant=dana, reason="", by=alice, at=NOW)
    assert block_participant(participant=dana, reason="Bought followers", by=alice, at=NOW) is True
    assert block_participant(participant=dana, reason="Again", by=alice, at=NOW) is False
    dana.refresh_from_db()
    assert (dana.blocked_at, dana.blocked_reason) == (NOW, "Bought followers")
    assert Participant.objects.filter(pk=dana.pk).exists()
    assert set(Entry.objects.filter(pk__in=[counted.pk, waiting.pk]).values_list("status", flat=True)) == {
        Status.REJECTED}
    assert Entry.objects.get(pk=counted.pk).review_note == "Participant blocked: Bought followers"


def test_blocking_keeps_entries_of_drawn_rounds(alice, dana, code_mission):
    entry = complete_mission(participant=dana, mission=code_mission, facts=facts(), answer="jeju2026", at=NOW).entry
    round = rounds.open_round(giveaway=code_mission.giveaway, at=NOW)
    Round.objects.filter(pk=round.pk).update(status=Round.Status.DRAWN)
    block_participant(participant=dana, reason="Cheating", by=alice, at=NOW)
    entry.refresh_from_db()
    assert entry.status == Status.COUNTED


@pytest.fixture
def bobs_code_mission(deals_account):
    from campaigns.models import Campaign
    from tests.campaigns.conftest import DAY, make_campaign
    from tests.promotions.conftest import make_giveaway

    campaign = make_campaign(deals_account, slug="bobs-sale", status=Campaign.Status.LIVE, starts_at=NOW - DAY,
                             ends_at=NOW + DAY)
    return make_mission(make_giveaway(campaign, slug="bobs-prize", title="Bob's prize"))


def test_blocking_rejects_entries_only_in_the_blockers_campaigns(bob, dana, code_mission, bobs_code_mission):
    """The block is brand-wide; what it rejects is only what the blocker decides (alice's entries stay hers)."""
    alices = held_entry(dana, code_mission)
    bobs = held_entry(dana, bobs_code_mission, ip="192.0.2.61")
    assert block_participant(participant=dana, reason="Bot", by=bob, at=NOW,
                             campaign_ids=[bobs_code_mission.giveaway.campaign_id]) is True
    dana.refresh_from_db()
    assert dana.blocked_at == NOW  # brand-wide: she can enter alice's giveaways no more either
    alices.refresh_from_db()
    bobs.refresh_from_db()
    assert (alices.status, alices.flags.get().decision) == (Status.HELD, Flag.Decision.OPEN)
    assert (bobs.status, bobs.flags.get().decision) == (Status.REJECTED, Flag.Decision.UPHELD)
