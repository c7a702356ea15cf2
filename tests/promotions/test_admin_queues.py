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
    page = client.get(ENTRIES).content.decode()
    assert "d…@gmail.com" in page and "dana@gmail.com" not in page  # the row, not the person's address
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
    page = client.get(FLAGS).content.decode()
    assert "d…@gmail.com" in page and "dana@gmail.com" not in page
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
    page = client.get(PEOPLE).content.decode()
    assert "d…@gmail.com" in page and "dana@gmail.com" not in page
    assert "dana@gmail.com" not in client.post(PEOPLE, action("block", dana)).content.decode()  # the reason page
    response = client.post(PEOPLE, action("block", dana, confirm="yes", reason="Bob says so"), follow=True)
    assert "where you may only look" in response.content.decode()
    dana.refresh_from_db()
    assert dana.blocked_at is None


# --- personal data: the person's address is for those who run the giveaway ---------------------------------


def queue_pages(entry):
    flag = entry.flags.get()
    return [ENTRIES + "?status=all", reverse("admin:promotions_entry_change", args=[entry.pk]),
            reverse("admin:promotions_entry_history", args=[entry.pk]), FLAGS + "?decision=all",
            reverse("admin:promotions_flag_change", args=[flag.pk]), PEOPLE,
            reverse("admin:promotions_participant_change", args=[entry.participant_id]),
            reverse("admin:promotions_participant_history", args=[entry.participant_id])]


def test_a_co_running_team_sees_people_only_by_a_masked_address(client, alice, bob, co_run, code_mission, dana):
    entry = held_entry(dana, code_mission)
    client.force_login(bob)
    for url in queue_pages(entry):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "dana@gmail.com" not in page, f"bob sees dana's address on {url}"
        assert "d…@gmail.com" in page, url
    client.force_login(alice)
    for url in queue_pages(entry):
        assert "dana@gmail.com" in client.get(url).content.decode(), f"alice misses dana's address on {url}"


def test_the_owners_analysts_see_addresses_masked_too(client, main_account, co_run, code_mission, dana):
    from accounts.memberships import add_member
    from accounts.roles import Role
    from tests.conftest import make_user

    ann = make_user("ann@example.org", name="Ann")
    add_member(account=main_account, user=ann, role=Role.ANALYST)
    entry = held_entry(dana, code_mission)
    client.force_login(ann)
    for url in queue_pages(entry):
        assert "dana@gmail.com" not in client.get(url).content.decode(), url


def test_a_marketer_sees_the_address_of_someone_who_entered_his_own_giveaway(client, bob, co_run, code_mission,
                                                                             dana, deals_account):
    from campaigns.models import Campaign
    from tests.campaigns.conftest import DAY, make_campaign
    from tests.promotions.conftest import make_giveaway

    held_entry(dana, code_mission)
    bobs = make_giveaway(make_campaign(deals_account, slug="bobs", status=Campaign.Status.LIVE,
                                       starts_at=NOW - DAY, ends_at=NOW + DAY), slug="bobs-prize")
    held_entry(dana, make_mission(bobs), ip="192.0.2.77")
    client.force_login(bob)
    assert "dana@gmail.com" in client.get(PEOPLE).content.decode()  # she entered bob's giveaway
    entries = client.get(ENTRIES + "?status=all").content.decode()
    assert "dana@gmail.com" in entries and "d…@gmail.com" in entries  # whole on bob's row, masked on alice's


def test_blocking_leaves_other_accounts_entries_to_them(client, alice, bob, giveaway, code_mission, dana,
                                                         deals_account):
    from campaigns.models import Campaign
    from tests.campaigns.conftest import DAY, make_campaign
    from tests.promotions.conftest import make_giveaway

    bobs = make_giveaway(make_campaign(deals_account, slug="bobs", status=Campaign.Status.LIVE,
                                       starts_at=NOW - DAY, ends_at=NOW + DAY), slug="bobs-prize")
    alices_entry = held_entry(dana, code_mission)
    bobs_entry = held_entry(dana, make_mission(bobs), ip="192.0.2.77")
    client.force_login(bob)
    page = client.post(PEOPLE, action("block", dana)).content.decode()
    assert "Blocking is brand-wide" in page and "left to their marketers" in page
    response = client.post(PEOPLE, action("block", dana, confirm="yes", reason="Bot"), follow=True)
    assert "Blocked 1 person." in response.content.decode()
    dana.refresh_from_db()
    assert dana.blocked_at is not None
    alices_entry.refresh_from_db()
    bobs_entry.refresh_from_db()
    assert (alices_entry.status, alices_entry.flags.get().decision) == (Status.HELD, Flag.Decision.OPEN)
    assert (bobs_entry.status, bobs_entry.flags.get().decision) == (Status.REJECTED, Flag.Decision.UPHELD)
