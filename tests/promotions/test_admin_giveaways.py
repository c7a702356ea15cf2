"""The giveaway admin: setting up a giveaway and its missions, the figures on its page, and who may do what."""

import datetime

import pytest
from django.urls import reverse

from campaigns.models import TrackingLink
from promotions import rounds
from promotions.models import Draw, EntryTally, Giveaway, Mission, Round
from tests.campaigns.conftest import campaign_page_post, change_url
from tests.promotions.conftest import NOW, make_giveaway, make_mission

Kind = Mission.Kind


def giveaway_url(giveaway):
    return reverse("admin:promotions_giveaway_change", args=[giveaway.pk])


def giveaway_post(giveaway=None, *, campaign=None, missions=(), **fields):
    """What the giveaway page posts: the giveaway's fields (or a new one's for `campaign`) plus mission rows.

    `missions` are dicts of mission fields, existing rows (with "id") first.
    """
    data = {
        "campaign": campaign.pk if campaign else giveaway.campaign_id, "title": "Two tickets to Jeju",
        "slug": "jeju-tickets", "prize_description": "", "prize_alt": "", "prize_value": "1200.00", "currency": "USD",
        "winners_per_round": "1", "alternates_per_round": "2", "claim_days": "14", "minimum_age": "18",
        "allowed_countries": "", "denied_countries": "", "entry_limit_per_person": "", "recurrence": "daily",
        "opens_at_local_time": "10:00", "window_hours": "24", "opens_on": "", "day_of_week": "", "day_of_month": "",
        "draws_automatically": "on", "sponsor": "Alice Air Co.", "free_entry_method": "", "rules_text": "",
        "registration_threshold": "5000",
    }
    if giveaway is not None:
        data.update({name: getattr(giveaway, name) for name in ("title", "slug", "sponsor", "free_entry_method")})
        data.update({"prize_value": str(giveaway.prize_value), "recurrence": giveaway.recurrence})
    data.update({"missions-TOTAL_FORMS": str(len(missions)),
                 "missions-INITIAL_FORMS": str(sum("id" in row for row in missions)),
                 "missions-MIN_NUM_FORMS": "0", "missions-MAX_NUM_FORMS": "1000"})
    for index, row in enumerate(missions):
        defaults = {"position": str(index), "kind": "secret_code", "title": f"Mission {index}", "instructions": "",
                    "entries": "1", "unlock_after": "0", "account": "", "secret_code": "", "code_posted_at_0": "",
                    "code_posted_at_1": "", "link": "", "question": "", "choices": "", "correct_choice": "",
                    "minimum_purchase": ""}
        data.update({f"missions-{index}-{name}": value for name, value in {**defaults, **row}.items()})
    data.update(fields)
    return data


@pytest.fixture
def co_run(giveaway, deals_account):
    """alice's giveaway campaign, co-run by bob's deals account."""
    giveaway.campaign.co_accounts.add(deals_account)
    return giveaway


def test_it_lets_alice_set_up_a_giveaway_with_missions(client, alice, live_giveaway_campaign, main_account):
    client.force_login(alice)
    response = client.post(reverse("admin:promotions_giveaway_add"), giveaway_post(
        campaign=live_giveaway_campaign,
        missions=[{"kind": "secret_code", "title": "Find the code", "secret_code": "JEJU 2026",
                   "account": str(main_account.pk), "code_posted_at_0": "2026-12-01", "code_posted_at_1": "09:00"},
                  {"kind": "quiz", "title": "Quiz", "question": "Where?", "choices": "Jeju\nBusan",
                   "correct_choice": "Jeju"}]))
    assert response.status_code == 302, response.content.decode()[:3000]
    giveaway = Giveaway.objects.get(slug="jeju-tickets")
    assert list(giveaway.missions.values_list("kind", flat=True)) == [Kind.SECRET_CODE, Kind.QUIZ]


def test_code_posting_times_are_read_in_the_owners_zone(client, alice, giveaway, code_mission, main_account):
    client.force_login(alice)
    response = client.post(giveaway_url(giveaway), giveaway_post(giveaway, missions=[
        {"id": str(code_mission.pk), "giveaway": str(giveaway.pk), "title": code_mission.title,
         "secret_code": "JEJU 2026", "account": str(main_account.pk), "code_posted_at_0": "2026-12-01",
         "code_posted_at_1": "09:00"}]))
    assert response.status_code == 302, response.content.decode()[:3000]
    code_mission.refresh_from_db()
    assert code_mission.code_posted_at == datetime.datetime(2026, 12, 1, 0, 0, tzinfo=datetime.UTC)  # 09:00 Seoul
    page = client.get(giveaway_url(giveaway)).content.decode()
    assert "2026-12-01 09:00 Asia/Seoul" in page  # who posts which code, and when


def test_a_purchase_mission_needs_a_free_method_of_entry(client, alice, giveaway):
    client.force_login(alice)
    response = client.post(giveaway_url(giveaway), giveaway_post(giveaway, missions=[
        {"kind": "purchase", "title": "Book a flight", "entries": "5"}]))
    assert response.status_code == 200
    assert "needs a free method of entry" in response.content.decode()
    assert not giveaway.missions.exists()
    response = client.post(giveaway_url(giveaway), giveaway_post(giveaway, free_entry_method="Send a postcard.",
                                                                 missions=[{"kind": "purchase", "title": "Book"}]))
    assert response.status_code == 302
    assert giveaway.missions.get().kind == Kind.PURCHASE


def test_a_newsletter_mission_cannot_be_required(client, alice, giveaway):
    client.force_login(alice)
    response = client.post(giveaway_url(giveaway), giveaway_post(giveaway, missions=[
        {"kind": "newsletter", "title": "Newsletter", "required": "on"}]))
    assert response.status_code == 200
    assert "A newsletter sign-up cannot be required" in response.content.decode()
    assert not giveaway.missions.exists()


@pytest.mark.parametrize(("kind", "why"), [
    ("purchase", "A purchase can never be required: no purchase is necessary to enter or win"),
    ("refer_friend", "A referral cannot be required: it depends on someone else entering"),
])
def test_a_purchase_or_referral_mission_cannot_be_required(client, alice, giveaway, kind, why):
    client.force_login(alice)
    post = giveaway_post(giveaway, free_entry_method="Send a postcard.", missions=[
        {"kind": kind, "title": "Not for everyone", "required": "on"}])
    response = client.post(giveaway_url(giveaway), post)
    assert response.status_code == 200
    assert why in response.content.decode()
    assert not giveaway.missions.exists()
    del post["missions-0-required"]  # the same mission, optional: saved
    assert client.post(giveaway_url(giveaway), post).status_code == 302
    assert giveaway.missions.get().required is False


def test_each_kind_says_what_it_is_missing(client, alice, giveaway):
    client.force_login(alice)
    response = client.post(giveaway_url(giveaway), giveaway_post(giveaway, missions=[
        {"kind": "secret_code", "title": "Code"}, {"kind": "quiz", "title": "Quiz", "question": "Where?",
                                                   "choices": "Jeju\nBusan", "correct_choice": "Seoul"},
        {"kind": "visit_link", "title": "Visit"}]))
    page = response.content.decode()
    assert "Enter the code the account will post." in page
    assert "Copy the right answer exactly" in page
    assert "Pick the tracking link people should visit" in page


def test_a_weekly_giveaway_needs_its_weekday(client, alice, giveaway):
    client.force_login(alice)
    response = client.post(giveaway_url(giveaway), giveaway_post(giveaway, recurrence="weekly"))
    assert "Pick the weekday on which the weekly rounds open." in response.content.decode()


def test_link_choices_are_the_campaigns_links_alice_may_edit(client, alice, co_run, main_account, deals_account):
    campaign = co_run.campaign
    hers = TrackingLink.objects.create(campaign=campaign, account=main_account, label="hers")
    bobs = TrackingLink.objects.create(campaign=campaign, account=deals_account, label="bobs")
    elsewhere = TrackingLink.objects.create(campaign=rounds.Campaign.objects.create(
        owner_account=main_account, name="Other", slug="other"), account=main_account, label="elsewhere")
    client.force_login(alice)
    page = client.get(giveaway_url(co_run)).content.decode()
    assert f"· hers ({hers})</option>" in page
    assert f"({bobs})</option>" not in page and f"({elsewhere})</option>" not in page
    response = client.post(giveaway_url(co_run), giveaway_post(co_run, missions=[
        {"kind": "visit_link", "title": "Visit", "link": str(bobs.pk)}]))
    assert response.status_code == 200  # a crafted id is not among the choices
    assert not co_run.missions.exists()


def test_the_page_shows_live_counts_the_chart_and_the_series_total(client, alice, giveaway, code_mission,
                                                                   settings):
    settings.PUBLIC_BASE_URL = "https://chorus.example.com"
    round = rounds.open_round(giveaway=giveaway, at=NOW)
    EntryTally.objects.create(round=round, mission=code_mission, account=giveaway.campaign.owner_account,
                              day=datetime.date(2026, 12, 1), counted_entries=42, completions=40, waiting=3)
    client.force_login(alice)
    page = client.get(giveaway_url(giveaway)).content.decode()
    assert "<th scope=\"row\">Find the code</th><td>Enter a secret code</td><td>42</td><td>40</td><td>3</td>" in page
    assert '<svg class="entries-chart"' in page and "Entries per day as a table" in page
    assert "Above the registration threshold." in page and "12,000.00 USD" in page
    assert "https://chorus.example.com/g/free-tickets/" in page
    assert "https://chorus.example.com/g/free-tickets/rules/" in page
    assert "Round 1" in page and round.commitment[:12] in page


def test_the_page_costs_the_same_queries_with_ten_missions_and_rounds(client, alice, giveaway,
                                                                     django_assert_max_num_queries):
    def add_round(number):
        template = Round.objects.filter(giveaway=giveaway).first()
        Round.objects.create(giveaway=giveaway, number=number, opens_at=NOW + datetime.timedelta(days=number),
                             closes_at=NOW + datetime.timedelta(days=number, hours=1), status=Round.Status.CLOSED,
                             seed="0" * 64, commitment="1" * 64, rules_version=template.rules_version)

    client.force_login(alice)
    make_mission(giveaway, Kind.SECRET_CODE)
    rounds.open_round(giveaway=giveaway, at=NOW)
    client.get(giveaway_url(giveaway))  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(giveaway_url(giveaway)).status_code == 200
    for number in range(2, 11):
        make_mission(giveaway, Kind.QUIZ, title=f"Quiz {number}")
        add_round(number)
    with django_assert_max_num_queries(len(one)):
        assert client.get(giveaway_url(giveaway)).status_code == 200


def test_draw_now_on_the_giveaway_page_draws_a_closed_round(client, alice, giveaway, code_mission, dana):
    from promotions.giveaways import complete_mission
    from tests.promotions.conftest import facts

    complete_mission(participant=dana, mission=code_mission, facts=facts(), answer="JEJU2026", at=NOW)
    round = Round.objects.get(giveaway=giveaway)
    rounds.change_round_status(round=round, to=Round.Status.CLOSED, at=NOW)
    client.force_login(alice)
    page = client.get(giveaway_url(giveaway)).content.decode()
    draw_url = reverse("admin:promotions_round_draw", args=[round.pk])
    assert f'formaction="{draw_url}"' in page
    response = client.post(draw_url, {"return_to": "giveaway"}, follow=True)
    assert response.redirect_chain[-1][0] == giveaway_url(giveaway)
    assert "Drew" in response.content.decode()
    assert Draw.objects.get(round=round).places.get().participant == dana


def test_a_co_running_marketer_may_look_but_not_change(client, bob, co_run, code_mission):
    client.force_login(bob)
    page = client.get(giveaway_url(co_run))
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()  # no form fields: view only
    response = client.post(giveaway_url(co_run), giveaway_post(co_run, title="Bob's now"))
    assert response.status_code == 403
    co_run.refresh_from_db()
    assert co_run.title == "Two tickets to Jeju"


def test_bob_cannot_add_a_giveaway_to_a_campaign_he_co_runs(client, bob, co_run):
    client.force_login(bob)
    response = client.post(reverse("admin:promotions_giveaway_add"), giveaway_post(campaign=co_run.campaign,
                                                                                   slug="bobs"))
    assert response.status_code == 200  # the campaign is not among his choices
    assert "Select a valid choice" in response.content.decode()
    assert not Giveaway.objects.filter(slug="bobs").exists()


def test_others_see_no_giveaway(client, bob, charlie, giveaway):
    for who in (bob, charlie):
        client.force_login(who)
        assert client.get(giveaway_url(giveaway)).status_code in (302, 403, 404)
        assert giveaway.title not in client.get(reverse("admin:promotions_giveaway_changelist")).content.decode()


def test_the_campaign_page_lists_its_giveaways_and_still_saves(client, alice, giveaway):
    campaign = giveaway.campaign
    client.force_login(alice)
    page = client.get(change_url(campaign)).content.decode()
    assert f'href="{giveaway_url(giveaway)}">Two tickets to Jeju</a>' in page
    assert f'{reverse("admin:promotions_giveaway_add")}?campaign={campaign.pk}' in page
    response = client.post(change_url(campaign), campaign_page_post(campaign, headline="Still saves"))
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign.refresh_from_db()
    assert campaign.headline == "Still saves"
    assert Giveaway.objects.filter(pk=giveaway.pk, campaign=campaign).exists()


def test_a_co_running_marketer_gets_no_add_link_on_the_campaign_page(client, bob, co_run):
    client.force_login(bob)
    page = client.get(change_url(co_run.campaign)).content.decode()
    assert "Two tickets to Jeju" in page
    assert "Add a giveaway" not in page


def test_a_giveaway_that_held_a_round_cannot_be_deleted_and_keeps_its_address(client, alice, giveaway):
    rounds.open_round(giveaway=giveaway, at=NOW)
    client.force_login(alice)
    assert client.get(reverse("admin:promotions_giveaway_delete", args=[giveaway.pk])).status_code == 403
    client.post(giveaway_url(giveaway), giveaway_post(giveaway, slug="new-address"))
    giveaway.refresh_from_db()
    assert giveaway.slug == "free-tickets"


def test_a_giveaway_keeps_its_address_once_its_campaign_has_left_the_draft(client, alice, giveaway, main_account):
    from campaigns.models import Campaign
    from tests.campaigns.conftest import make_campaign

    assert giveaway.campaign.status == Campaign.Status.LIVE and not giveaway.rounds.exists()
    client.force_login(alice)
    page = client.get(giveaway_url(giveaway)).content.decode()
    assert 'name="slug"' not in page  # read-only, and why
    assert "The address can no longer change: the campaign has left its draft" in page
    client.post(giveaway_url(giveaway), giveaway_post(giveaway, slug="new-address"))
    giveaway.refresh_from_db()
    assert giveaway.slug == "free-tickets"

    drafted = make_giveaway(make_campaign(main_account, slug="not-yet"), slug="draft-prize")
    page = client.get(giveaway_url(drafted)).content.decode()
    assert 'name="slug"' in page and "can no longer change" not in page
    response = client.post(giveaway_url(drafted), giveaway_post(drafted, slug="better-address"))
    assert response.status_code == 302, response.content.decode()[:3000]
    drafted.refresh_from_db()
    assert drafted.slug == "better-address"


def test_the_list_counts_rounds_and_entries_from_the_tallies(client, alice, giveaway, code_mission):
    round = rounds.open_round(giveaway=giveaway, at=NOW)
    EntryTally.objects.create(round=round, mission=code_mission, account=giveaway.campaign.owner_account,
                              day=datetime.date(2026, 12, 1), counted_entries=17)
    make_giveaway(giveaway.campaign, slug="second")
    client.force_login(alice)
    page = client.get(reverse("admin:promotions_giveaway_changelist")).content.decode()
    assert '<td class="field-round_count">1</td><td class="field-entries_column">17</td>' in page


def prize_photo(width=1600, height=1200, image_format="JPEG"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#0B5CAD").save(buffer, image_format)
    return SimpleUploadedFile("../../prize photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_a_prize_image_becomes_a_social_card_and_a_phone_image(client, alice, giveaway, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(alice)
    response = client.post(giveaway_url(giveaway), giveaway_post(giveaway, prize_upload=prize_photo(),
                                                                 prize_alt="Two boarding passes"))
    assert response.status_code == 302, response.content.decode()[:3000]
    giveaway.refresh_from_db()
    assert (giveaway.prize_card.width, giveaway.prize_card.height) == (1200, 630)
    assert giveaway.prize_mobile.width == 600 and giveaway.prize_mobile.name.endswith(".webp")
    assert ".." not in giveaway.prize_card.name and "prize photo" not in giveaway.prize_card.name
    page = client.get(reverse("promotions:giveaway-detail", args=[giveaway.slug]))
    assert giveaway.prize_mobile.url in page.content.decode()


def test_a_bad_prize_image_is_refused_with_a_clear_error_and_nothing_saved(client, alice, giveaway, settings,
                                                                            tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(alice)
    response = client.post(giveaway_url(giveaway), giveaway_post(giveaway, title="Changed",
                                                                 prize_upload=prize_photo(3000, 1, "PNG")))
    assert response.status_code == 200
    assert "prize_upload" in response.context["adminform"].form.errors
    giveaway.refresh_from_db()
    assert giveaway.title == "Two tickets to Jeju" and not giveaway.prize_card
    assert not any(tmp_path.rglob("*.*"))


def test_the_page_says_when_the_counts_were_tallied(client, alice, giveaway, code_mission):
    from promotions import tallies

    round = rounds.open_round(giveaway=giveaway, at=NOW)
    client.force_login(alice)
    assert "Not tallied yet: the workers count within a minute." in client.get(giveaway_url(giveaway)).content.decode()
    tallies.recount_round(round, at=NOW)
    page = client.get(giveaway_url(giveaway)).content.decode()
    assert "Counts tallied by the workers at 2026-12-01 12:00 Asia/Seoul" in page  # 03:00 UTC, in the owner's zone
