"""`POST /g/<slug>/missions/<id>/`: each mission's small form, completed in place, Post/Redirect/Get.

The rules themselves (codes, quizzes, limits, eligibility) are promotions/giveaways.py's and tested there;
these tests check what the page sends, what the person reads afterwards, and that a refusal writes nothing.
"""

import pytest
from django.conf import settings
from django.test import Client

from campaigns.models import Campaign, Touch, TrackingLink
from campaigns.status import change_status
from promotions.models import Entry, Mission, NewsletterConsent, Referral
from tests.promotions.conftest import make_giveaway, make_mission, make_person
from tests.promotions.test_giveaway_page import campaign_running_now, giveaway_running_now

Kind = Mission.Kind
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"


@pytest.fixture
def live_giveaway(main_account):
    return giveaway_running_now(main_account)


@pytest.fixture
def yuna(db):
    return make_person("yuna@gmail.com")


def mission_of(giveaway, kind, **fields):
    found = giveaway.missions.filter(kind=kind).first()
    return found or make_mission(giveaway, kind, **fields)


def complete(client, mission, data=None, **extra):
    return client.post(f"/g/{mission.giveaway.slug}/missions/{mission.pk}/", data or {}, **extra)


def page_after(client, response):
    """The page the person lands on after the redirect, with its messages."""
    assert response.status_code == 302, response.content[:500]
    return client.get(response["Location"]).content.decode()


@pytest.fixture
def signed_in(client, yuna):
    client.force_login(yuna.user)
    return client


def test_it_completes_a_secret_code_mission_and_shows_the_new_total_at_once(signed_in, live_giveaway, yuna):
    mission = mission_of(live_giveaway, Kind.SECRET_CODE)
    response = complete(signed_in, mission, {"answer": "  jeju 2026 "})
    assert response["Location"] == "/g/free-tickets/"
    html = page_after(signed_in, response)
    assert "Done: +1 entry. You have 1 in this round." in html
    assert "You have 1 entry in this round." in html
    assert "1 of 2 missions done." in html
    assert f'action="/g/free-tickets/missions/{mission.pk}/"' not in html  # done: no form any more
    assert Entry.objects.get(participant=yuna, mission=mission).answer == "jeju 2026"


def test_it_refuses_a_wrong_code_on_the_page_and_writes_nothing(signed_in, live_giveaway):
    mission = mission_of(live_giveaway, Kind.SECRET_CODE)
    html = page_after(signed_in, complete(signed_in, mission, {"answer": "SEOUL"}))
    assert "That is not the code. Check the post and try again." in html
    assert "You have 0 entries in this round." in html
    assert not Entry.objects.exists()


def test_it_says_a_second_submit_is_already_done_and_keeps_one_row(signed_in, live_giveaway):
    mission = mission_of(live_giveaway, Kind.SECRET_CODE)
    complete(signed_in, mission, {"answer": "JEJU2026"})
    html = page_after(signed_in, complete(signed_in, mission, {"answer": "JEJU2026"}))
    assert "You have already completed this mission in this round." in html
    assert Entry.objects.count() == 1


@pytest.mark.parametrize(("answer", "message", "entries"), [
    ("Jeju", "Done: +1 entry.", 1),
    ("Busan", "That is not the right answer.", 0),
    ("", "Pick an answer.", 0),
])
def test_it_checks_a_quiz_answer_from_its_radio_buttons(signed_in, live_giveaway, answer, message, entries):
    mission = mission_of(live_giveaway, Kind.QUIZ)
    assert 'type="radio"' in signed_in.get("/g/free-tickets/").content.decode()
    html = page_after(signed_in, complete(signed_in, mission, {"answer": answer}))
    assert message in html
    assert Entry.objects.count() == entries


def test_it_takes_a_proof_link_for_review_and_refuses_what_is_not_a_link(signed_in, live_giveaway):
    mission = make_mission(live_giveaway, Kind.PROOF_URL)
    html = page_after(signed_in, complete(signed_in, mission, {"answer": "my post on X"}))
    assert "That is not a web link. Paste a link starting with https://." in html
    assert not Entry.objects.exists()
    html = page_after(signed_in, complete(signed_in, mission, {"answer": "https://x.com/yuna/status/1"}))
    assert "Your link will be checked" in html
    assert Entry.objects.get().status == Entry.Status.AWAITING_REVIEW


def test_it_completes_a_visit_then_sends_the_person_through_the_tracking_link(signed_in, live_giveaway, main_account):
    link = TrackingLink.objects.create(campaign=live_giveaway.campaign, account=main_account, channel="post",
                                       label="deals", destination_url="")
    mission = make_mission(live_giveaway, Kind.VISIT_LINK, link=link)
    response = complete(signed_in, mission)
    assert response.status_code == 302
    assert response["Location"] == f"/l/{link.code}"
    assert Entry.objects.filter(mission=mission).count() == 1


def test_it_sets_a_visitor_cookie_so_the_entry_is_recorded_as_a_touch(signed_in, live_giveaway, yuna):
    mission = mission_of(live_giveaway, Kind.SECRET_CODE)
    response = complete(signed_in, mission, {"answer": "JEJU2026"}, headers={"User-Agent": IPHONE})
    assert settings.VISITOR_COOKIE_NAME in response.cookies
    touch = Touch.objects.get(kind=Touch.Kind.ENTRY)
    assert str(touch.visitor_id) == response.cookies[settings.VISITOR_COOKIE_NAME].value
    assert touch.reference == f"giveaway:{live_giveaway.pk}" and touch.user_id == yuna.user_id


def test_it_counts_a_daily_visit_from_its_button(signed_in, live_giveaway):
    mission = make_mission(live_giveaway, Kind.DAILY_VISIT)
    assert "I'm here today" in signed_in.get("/g/free-tickets/").content.decode()
    html = page_after(signed_in, complete(signed_in, mission))
    assert "Done: +1 entry." in html
    assert "Done 1 time this round" in html


def test_it_signs_up_for_the_newsletter_only_with_the_box_ticked(signed_in, live_giveaway, yuna):
    mission = make_mission(live_giveaway, Kind.NEWSLETTER, instructions="Send me Alice Air's monthly fares.")
    html = signed_in.get("/g/free-tickets/").content.decode()
    assert 'type="checkbox"' in html and "Send me Alice Air&#x27;s monthly fares." in html
    html = page_after(signed_in, complete(signed_in, mission))
    assert "Tick the box to agree to the newsletter first." in html
    assert not Entry.objects.exists() and not NewsletterConsent.objects.exists()
    complete(signed_in, mission, {"consent": "yes"})
    assert NewsletterConsent.objects.get(participant=yuna).text == "Send me Alice Air's monthly fares."


@pytest.mark.parametrize("kind", [Kind.REFER_FRIEND, Kind.PURCHASE])
def test_it_refuses_missions_that_complete_elsewhere(signed_in, live_giveaway, kind):
    mission = make_mission(live_giveaway, kind)
    html = page_after(signed_in, complete(signed_in, mission))
    assert "This mission completes by itself" in html
    assert not Entry.objects.exists()


def test_it_refuses_entries_while_the_campaign_is_paused(signed_in, live_giveaway):
    change_status(campaign=live_giveaway.campaign, to=Campaign.Status.PAUSED)
    mission = mission_of(live_giveaway, Kind.SECRET_CODE)
    html = page_after(signed_in, complete(signed_in, mission, {"answer": "JEJU2026"}))
    assert "This giveaway is not taking entries right now." in html
    assert not Entry.objects.exists()


def test_it_refuses_staff_of_the_brand_and_writes_nothing(client, live_giveaway, alice):
    from promotions.giveaways import participant_for, save_details

    save_details(participant=participant_for(user=alice), country="KR", birth_date="1980-01-01")
    client.force_login(alice)
    html = page_after(client, complete(client, mission_of(live_giveaway, Kind.SECRET_CODE), {"answer": "JEJU2026"}))
    assert "cannot enter its giveaways" in html
    assert not Entry.objects.exists()


def test_it_sends_an_anonymous_post_to_sign_in_and_back(client, live_giveaway):
    response = complete(client, mission_of(live_giveaway, Kind.SECRET_CODE), {"answer": "JEJU2026"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/g/free-tickets/"
    assert not Entry.objects.exists()


def test_it_answers_a_get_of_the_post_address_with_405(signed_in, live_giveaway):
    mission = mission_of(live_giveaway, Kind.SECRET_CODE)
    assert signed_in.get(f"/g/free-tickets/missions/{mission.pk}/").status_code == 405
    assert signed_in.get("/g/free-tickets/details/").status_code == 405


def test_it_refuses_a_post_without_the_csrf_token(live_giveaway, yuna):
    client = Client(enforce_csrf_checks=True)
    client.force_login(yuna.user)
    response = complete(client, mission_of(live_giveaway, Kind.SECRET_CODE), {"answer": "JEJU2026"})
    assert response.status_code == 403
    assert not Entry.objects.exists()


def test_it_does_not_complete_another_giveaways_mission_through_this_address(signed_in, live_giveaway, main_account):
    other = make_giveaway(live_giveaway.campaign, slug="other")
    mission = make_mission(other, Kind.SECRET_CODE)
    response = signed_in.post(f"/g/{live_giveaway.slug}/missions/{mission.pk}/", {"answer": "JEJU2026"})
    assert response.status_code == 404
    assert not Entry.objects.exists()


def test_it_hides_a_draft_campaigns_missions_from_posts_too(signed_in, main_account):
    giveaway = make_giveaway(campaign_running_now(main_account, slug="draft", status=Campaign.Status.DRAFT))
    mission = make_mission(giveaway)
    assert complete(signed_in, mission, {"answer": "JEJU2026"}).status_code == 404
    assert not Entry.objects.exists() and not Referral.objects.exists()
