"""The moderation queue (entries), the fraud review queue (flags) and blocking people, in the admin."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from promotions.models import Entry, Flag, Mission, Participant
from tests.promotions.conftest import NOW, make_mission, make_person
from tests.promotions.test_reviews import held_entry, proof_entry

Status = Entry.Status
ENTRIES = reverse("admin:promotions_entry_changelist")
FLAGS = reverse("admin:promotions_flag_changelist")
PEOPLE = reverse("admin:promotions_participant_changelist")


@pytest.fixture
def waiting(giveaway, dana):
    """dana's proof link, awaiting review."""
    return proof_entry(dana, make_mission(giveaway, Mission.Kind.PROOF_URL),
                       link="https://x.com/dana/status/1?a=1&b=2")


@pytest.fixture
def co_run(giveaway, deals_account):
    giveaway.campaign.co_accounts.add(deals_account)
    return giveaway


def action(name, *objects, **fields):
    return {"action": name, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **fields}


def test_the_queue_lists_entries_awaiting_review_with_safe_proof_links(client, alice, waiting, code_mission):
    from promotions.giveaways import complete_mission
    from tests.promotions.conftest import facts

    erin = make_person("erin@example.org")
    complete_mission(participant=erin, mission=code_mission, facts=facts(ip="192.0.2.8"), answer="JEJU 2026",
                     at=NOW)
    client.force_login(alice)
    page = client.get(ENTRIES).content.decode()
    assert ('<a href="https://x.com/dana/status/1?a=1&amp;b=2" target="_blank" rel="noopener nofollow noreferrer">'
            in page)
    assert "erin@example.org" not in page  # counted entries are not in the queue by default
    assert "erin@example.org" in client.get(ENTRIES + "?status=all").content.decode()


def test_the_filters_offer_only_what_the_user_sees(client, alice, bob, waiting, deals_account):
    from tests.campaigns.conftest import make_campaign
    from tests.promotions.conftest import make_giveaway

    bobs = make_giveaway(make_campaign(deals_account, slug="bobs"), slug="bobs-prize",
                         title="Bob's secret prize")
    client.force_login(alice)
    page = client.get(ENTRIES + f"?giveaway={waiting.round.giveaway_id}").content.decode()
    assert "Two tickets to Jeju" in page and "Bob&#x27;s secret prize" not in page
    assert "Round 1" in page and "Share our post" in page  # rounds and missions of the chosen giveaway
    assert "Bob&#x27;s secret prize" not in client.get(ENTRIES + f"?giveaway={bobs.pk}").content.decode()


def test_approving_counts_the_selected_entries(client, alice, waiting):
    client.force_login(alice)
    response = client.post(ENTRIES, action("approve", waiting), follow=True)
    assert "Approved 1 entry." in response.content.decode()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.reviewed_by) == (Status.COUNTED, alice)


def test_rejecting_asks_for_a_reason_first(client, alice, waiting):
    client.force_login(alice)
    page = client.post(ENTRIES, action("reject", waiting))
    assert page.status_code == 200
    assert "Why are these entries rejected?" in page.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == Status.AWAITING_REVIEW
    blank = client.post(ENTRIES, action("reject", waiting, confirm="yes", reason="  "))
    assert "Write the reason before rejecting." in blank.content.decode()
    done = client.post(ENTRIES, action("reject", waiting, confirm="yes", reason="Not our post"), follow=True)
    assert "Rejected 1 entry." in done.content.decode()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.review_note) == (Status.REJECTED, "Not our post")


def test_a_co_running_marketer_sees_the_queue_but_cannot_decide_it(client, bob, co_run, waiting):
    client.force_login(bob)
    assert "dana@gmail.com" in client.get(ENTRIES).content.decode()
    for data in (action("approve", waiting), action("reject", waiting, confirm="yes", reason="Bob says no")):
        response = client.post(ENTRIES, data, follow=True)
        assert "where you may only look" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == Status.AWAITING_REVIEW
    assert client.get(reverse("admin:promotions_entry_change", args=[waiting.pk])).status_code == 200


def test_others_see_nothing_of_the_queues(client, bob, charlie, waiting):
    held = held_entry(make_person("erin@example.org"), make_mission(waiting.round.giveaway))
    for who in (bob, charlie):
        client.force_login(who)
        for url in (ENTRIES + "?status=all", FLAGS + "?decision=all", PEOPLE):
            response = client.get(url)
            assert response.status_code in (200, 403)
            assert b"dana@gmail.com" not in response.content and b"erin@example.org" not in response.content
        response = client.post(ENTRIES, action("approve", waiting))
        waiting.refresh_from_db()
        assert waiting.status == Status.AWAITING_REVIEW
        client.post(FLAGS, action("clear", *held.flags.all()))
        assert held.flags.get().decision == Flag.Decision.OPEN


def test_the_fraud_queue_shows_reasons_and_clears_or_upholds(client, alice, giveaway, code_mission, dana):
    held = held_entry(dana, code_mission, rules=[Flag.Rule.CLUSTER])
    other = held_entry(make_person("erin@example.org"), code_mission, ip="192.0.2.99",
                       rules=[Flag.Rule.DISPOSABLE_EMAIL])
    client.force_login(alice)
    page = client.get(FLAGS).content.decode()
    assert f"Reason for {Flag.Rule.CLUSTER}" in page and "Many people on one network and browser" in page
    assert "Disposable email address" in client.get(FLAGS + "?rule=disposable").content.decode()
    response = client.post(FLAGS, action("clear", held.flags.get()), follow=True)
    assert "Cleared 1 flag." in response.content.decode()
    client.post(FLAGS, action("uphold", other.flags.get()))
    held.refresh_from_db()
    other.refresh_from_db()
    assert (held.status, other.status) == (Status.COUNTED, Status.REJECTED)


def test_a_co_running_marketer_cannot_clear_flags(client, bob, co_run, code_mission, dana):
    held = held_entry(dana, code_mission)
    client.force_login(bob)
    assert "dana@gmail.com" in client.get(FLAGS).content.decode()
    client.post(FLAGS, action("clear", held.flags.get()))
    assert held.flags.get().decision == Flag.Decision.OPEN


def test_blocking_asks_for_a_reason_and_never_deletes(client, alice, waiting, dana):
    client.force_login(alice)
    assert "Why are these people blocked?" in client.post(PEOPLE, action("block", dana)).content.decode()
    response = client.post(PEOPLE, action("block", dana, confirm="yes", reason="Fake accounts"), follow=True)
    assert "Blocked 1 person." in response.content.decode()
    dana.refresh_from_db()
    assert dana.blocked_reason == "Fake accounts"
    assert Participant.objects.filter(pk=dana.pk).exists()
    assert client.get(reverse("admin:promotions_participant_delete", args=[dana.pk])).status_code == 403


def test_people_are_listed_only_with_entries_in_giveaways_the_user_sees(client, alice, superuser, waiting):
    make_person("nobody@example.org")  # signed up, entered nothing
    client.force_login(alice)
    page = client.get(PEOPLE).content.decode()
    assert "dana@gmail.com" in page and "nobody@example.org" not in page
    client.force_login(superuser)
    assert "nobody@example.org" in client.get(PEOPLE).content.decode()


def test_a_co_running_marketer_cannot_block(client, bob, co_run, waiting, dana):
    client.force_login(bob)
    assert "dana@gmail.com" in client.get(PEOPLE).content.decode()
    response = client.post(PEOPLE, action("block", dana, confirm="yes", reason="Bob says so"), follow=True)
    assert "where you may only look" in response.content.decode()
    dana.refresh_from_db()
    assert dana.blocked_at is None
