"""`GET /g/<slug>/`: the giveaway page for the public, for signed-in people, per campaign status; the details form.

Pages read the clock (views take `timezone.now()` at the edge), so these campaigns run around the real
now: a daily giveaway opening at 10:00 Seoul time for 24 hours always has a round taking entries.
"""

import base64
import datetime
import hashlib
import re

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.memberships import add_member
from accounts.models import Membership
from accounts.roles import Role
from campaigns.models import Campaign
from campaigns.schedules import to_local
from campaigns.status import change_status
from promotions import rounds
from promotions.giveaways import participant_for
from promotions.models import Draw, Mission, Participant, Referral
from promotions.views.giveaways import recent_setups
from tests.campaigns.conftest import DAY, make_campaign
from tests.conftest import make_user
from tests.promotions.conftest import make_giveaway, make_mission, make_person

Status = Campaign.Status


def campaign_running_now(account, *, slug="anniversary", status=Status.LIVE, **fields):
    now = timezone.now()
    return make_campaign(account, slug=slug, status=status, starts_at=now - 2 * DAY, ends_at=now + 10 * DAY, **fields)


def giveaway_running_now(account):
    """Daily at 10:00 Seoul for 24 hours, in a live campaign around the real now: always taking entries.

    With a secret-code mission (“JEJU 2026”) and a quiz (“Jeju”).
    """
    giveaway = make_giveaway(campaign_running_now(account))
    make_mission(giveaway, Mission.Kind.SECRET_CODE)
    make_mission(giveaway, Mission.Kind.QUIZ)
    return giveaway


@pytest.fixture
def live_giveaway(main_account):
    return giveaway_running_now(main_account)


@pytest.fixture
def yuna(db):
    """A signed-up customer with her country and date of birth given: eligible."""
    return make_person("yuna@gmail.com")


def page(client, giveaway, query=""):
    return client.get(f"/g/{giveaway.slug}/{query}")


def html_of(response):
    return response.content.decode()


def deadline_words(giveaway):
    """What the page says about the round open now: “Closes 2 Dec 10:00 Seoul time”."""
    window = rounds.window_at(giveaway, timezone.now())
    return f"Closes {to_local(window.closes_at, 'Asia/Seoul'):%-d %b %H:%M} Seoul time"


# --- what everyone sees -------------------------------------------------------------------


def test_it_shows_anonymous_visitors_the_prize_the_deadline_and_the_missions(client, live_giveaway):
    response = page(client, live_giveaway)
    assert response.status_code == 200
    html = html_of(response)
    assert "<h1>Two tickets to Jeju</h1>" in html
    assert "Prize worth about 1,200.00 USD" in html
    assert deadline_words(live_giveaway) in html
    assert "Find the code" in html and "Quiz" in html
    assert "Alice Air" in html and "@alice_air" in html
    assert 'name="csrfmiddlewaretoken"' not in html  # no forms before signing in


def test_it_sends_anonymous_visitors_to_sign_up_and_sign_in_and_back_here(client, live_giveaway):
    html = html_of(page(client, live_giveaway))
    assert 'href="/accounts/signup/?next=/g/free-tickets/"' in html
    assert 'href="/accounts/login/?next=/g/free-tickets/"' in html


def test_it_says_when_the_next_round_opens_between_rounds(client, main_account):
    # One-hour rounds opening three hours from now: none is open now.
    opens = (to_local(timezone.now(), "Asia/Seoul") + datetime.timedelta(hours=3)).replace(minute=0, second=0,
                                                                                             microsecond=0)
    giveaway = make_giveaway(campaign_running_now(main_account), opens_at_local_time=opens.time(), window_hours=1)
    html = html_of(page(client, giveaway))
    assert f"Next round opens {opens:%-d %b %H:%M} Seoul time" in html
    assert "Closes" not in html


def test_it_says_the_giveaway_has_ended_when_its_campaign_has(client, live_giveaway):
    change_status(campaign=live_giveaway.campaign, to=Status.ENDED)
    response = page(client, live_giveaway)
    assert response.status_code == 200
    assert "This giveaway has ended" in html_of(response)


def test_it_shows_a_paused_giveaway_with_nothing_to_enter(client, live_giveaway, yuna):
    change_status(campaign=live_giveaway.campaign, to=Status.PAUSED)
    client.force_login(yuna.user)
    html = html_of(page(client, live_giveaway))
    assert "Paused — nothing can be entered until it resumes" in html
    assert "Find the code" in html
    assert "/missions/" not in html


def test_it_hides_a_draft_campaigns_giveaway_behind_the_friendly_404(client, main_account, charlie, bob):
    giveaway = make_giveaway(campaign_running_now(main_account, status=Status.DRAFT))
    response = page(client, giveaway)
    assert response.status_code == 404
    assert b"could not find that page" in response.content
    for outsider in (charlie, bob):  # staff, but not of this campaign's accounts
        client.force_login(outsider)
        assert page(client, giveaway).status_code == 404


def test_it_shows_staff_of_the_campaigns_accounts_a_preview_with_nothing_to_enter(client, main_account, alice):
    giveaway = make_giveaway(campaign_running_now(main_account, status=Status.DRAFT))
    make_mission(giveaway)
    client.force_login(alice)
    response = page(client, giveaway)
    assert response.status_code == 200
    assert "Preview: this campaign is draft" in html_of(response)
    assert "/missions/" not in html_of(response)


def test_it_answers_an_unknown_giveaway_with_the_friendly_404(client, db):
    assert page(client, type("G", (), {"slug": "nothing-here"})).status_code == 404


def test_it_escapes_titles_and_text_from_marketers(client, main_account, yuna):
    giveaway = make_giveaway(campaign_running_now(main_account), title='<script>alert("g")</script>',
                             prize_description="<img src=x onerror=alert(1)>")
    make_mission(giveaway, title="<script>alert('m')</script>", instructions="<b>bold</b>")
    make_mission(giveaway, Mission.Kind.QUIZ, question="<script>q</script>", choices="<i>A</i>\nB",
                 correct_choice="B")
    client.force_login(yuna.user)
    html = html_of(page(client, giveaway))
    assert "<script>alert" not in html and "<script>q" not in html
    assert "<img src=x" not in html and "<b>bold</b>" not in html and "<i>A</i>" not in html
    assert "&lt;script&gt;alert(&quot;g&quot;)&lt;/script&gt;" in html


def test_it_allows_the_brand_colour_by_its_hash_in_the_csp(client, live_giveaway):
    response = page(client, live_giveaway)
    [style] = re.findall(r"<style>(.*?)</style>", html_of(response), re.DOTALL)
    assert "--brand: #1F4E8C" in style
    source = "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"
    assert source in response["Content-Security-Policy"]
    assert "private" in response["Cache-Control"]


def test_it_answers_a_post_to_the_page_with_405(client, live_giveaway):
    assert client.post(f"/g/{live_giveaway.slug}/").status_code == 405


# --- signed in ----------------------------------------------------------------------------


def test_it_asks_a_signed_in_person_for_their_details_first(client, live_giveaway):
    user = make_user("minji@example.org")
    client.force_login(user)
    html = html_of(page(client, live_giveaway))
    assert 'action="/g/free-tickets/details/"' in html
    assert 'autocomplete="country"' in html and 'type="date"' in html
    assert "/missions/" not in html  # missions come after the details


def test_it_saves_the_details_and_then_offers_the_missions(client, live_giveaway):
    user = make_user("minji@example.org")
    client.force_login(user)
    response = client.post(f"/g/{live_giveaway.slug}/details/", {"country": "kr", "birth_date": "1994-03-02"})
    assert response.status_code == 302 and response["Location"] == "/g/free-tickets/"
    participant = Participant.objects.get(user=user)
    assert participant.country == "KR" and participant.birth_date == datetime.date(1994, 3, 2)
    html = html_of(client.get(response["Location"]))
    assert "Now complete the missions below" in html
    assert html.count('action="/g/free-tickets/missions/') == 2


def test_a_person_refused_for_their_age_cannot_declare_another_birthday(client, live_giveaway):
    user = make_user("teen@example.org")
    client.force_login(user)
    client.post(f"/g/{live_giveaway.slug}/details/", {"country": "KR", "birth_date": "2012-03-02"})
    assert "You must be 18 or older to enter." in html_of(client.get(f"/g/{live_giveaway.slug}/"))
    response = client.post(f"/g/{live_giveaway.slug}/details/", {"country": "KR", "birth_date": "1980-03-02"})
    assert "already recorded and cannot be changed here" in html_of(client.get(response["Location"]))
    assert Participant.objects.get(user=user).birth_date == datetime.date(2012, 3, 2)


@pytest.mark.parametrize(("data", "message"), [
    ({"country": "Korea", "birth_date": "1994-03-02"}, "Enter your country as two letters, e.g. KR."),
    ({"country": "K1", "birth_date": "1994-03-02"}, "Enter your country as two letters, e.g. KR."),
    ({"country": "KR", "birth_date": "tomorrow"}, "Enter your date of birth as a date, e.g. 1990-05-17."),
    ({"country": "KR", "birth_date": "2999-01-01"}, "Enter your real date of birth: the rules depend on your age."),
])
def test_it_refuses_details_it_cannot_use_and_says_what_to_fix(client, live_giveaway, data, message):
    user = make_user("minji@example.org")
    client.force_login(user)
    response = client.post(f"/g/{live_giveaway.slug}/details/", data, follow=True)
    assert message in html_of(response)
    assert not Participant.objects.filter(user=user).exclude(country="").exists()


def test_it_sends_an_anonymous_details_post_to_sign_in(client, live_giveaway):
    response = client.post(f"/g/{live_giveaway.slug}/details/", {"country": "KR", "birth_date": "1990-01-01"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/g/free-tickets/"


def test_it_shows_entries_in_this_round_with_rank_free_odds_wording(client, live_giveaway, yuna):
    client.force_login(yuna.user)
    html = html_of(page(client, live_giveaway))
    assert "You have 0 entries in this round. Each entry is one chance; winners are drawn by weight." in html
    assert "0 of 2 missions done." in html


def test_it_tells_staff_why_they_cannot_enter_and_offers_no_forms(client, live_giveaway, alice):
    participant = participant_for(user=alice)
    participant.country, participant.birth_date = "KR", datetime.date(1980, 1, 1)
    participant.save()
    client.force_login(alice)
    html = html_of(page(client, live_giveaway))
    assert "Staff of Alice Air and its partner accounts cannot enter its giveaways." in html
    assert "/missions/" not in html


def test_it_refuses_staff_who_sign_in_with_another_spelling_of_their_address(client, live_giveaway, main_account):
    staff = make_user("yunakim@gmail.com")
    add_member(account=main_account, user=staff, role=Role.MARKETER)
    participant = participant_for(user=staff)  # the person's first login, a member of the brand's account
    participant.country, participant.birth_date = "KR", datetime.date(1990, 1, 1)
    participant.save()
    client.force_login(make_user("Yuna.Kim+giveaways@gmail.com"))  # the same person: not staff, member of nothing
    html = html_of(page(client, live_giveaway))
    assert "Staff of Alice Air and its partner accounts cannot enter its giveaways." in html
    assert "/missions/" not in html


def test_it_refuses_a_member_of_a_brand_account_even_without_the_staff_flag(client, live_giveaway, deals_account):
    person = make_person("minji@example.org")
    Membership.objects.create(user=person.user, account=deals_account, role=Role.MARKETER)
    client.force_login(person.user)
    html = html_of(page(client, live_giveaway))
    assert "Staff of Alice Air and its partner accounts cannot enter its giveaways." in html
    assert "/missions/" not in html


def test_it_tells_a_blocked_person_their_participation_is_on_hold(client, live_giveaway, yuna):
    Participant.objects.filter(pk=yuna.pk).update(blocked_at=timezone.now(), blocked_reason="Many accounts")
    client.force_login(yuna.user)
    html = html_of(page(client, live_giveaway))
    assert "Your participation is on hold." in html
    assert "/missions/" not in html


def test_it_shows_the_entries_of_a_round_opened_since_the_last_view(client, live_giveaway, yuna):
    mission = live_giveaway.missions.get(kind=Mission.Kind.SECRET_CODE)
    client.force_login(yuna.user)
    assert "You have 0 entries in this round." in html_of(page(client, live_giveaway))  # no round opened yet
    client.post(f"/g/{live_giveaway.slug}/missions/{mission.pk}/", {"answer": "jeju2026"})  # opens it
    html = html_of(page(client, live_giveaway))
    assert "You have 1 entry in this round." in html
    assert "1 of 2 missions done." in html


def test_it_shows_a_missions_lock_until_enough_others_are_done(client, live_giveaway, yuna):
    make_mission(live_giveaway, Mission.Kind.DAILY_VISIT, title="Come back", unlock_after=2)
    client.force_login(yuna.user)
    html = html_of(page(client, live_giveaway))
    assert "Locked until you complete 2 other missions" in html
    assert html.count('action="/g/free-tickets/missions/') == 2


def test_it_reads_a_fixed_number_of_rows_whatever_the_number_of_missions(client, live_giveaway, yuna, deals_account,
                                                                        django_assert_max_num_queries):
    live_giveaway.campaign.co_accounts.add(deals_account)
    client.force_login(yuna.user)
    page(client, live_giveaway)  # the participant exists from here on, as for anyone coming back
    rounds.open_round(giveaway=live_giveaway)
    recent_setups.clear()  # read everything, as the first visitor after a few seconds does
    with django_assert_max_num_queries(12) as cold:
        assert page(client, live_giveaway).status_code == 200
    with django_assert_max_num_queries(5):  # session, user, stamp, participant, progress: the rest is in the Setup
        assert page(client, live_giveaway).status_code == 200
    for kind in [Mission.Kind.PROOF_URL, Mission.Kind.DAILY_VISIT, Mission.Kind.NEWSLETTER, Mission.Kind.REFER_FRIEND,
                 Mission.Kind.PURCHASE] * 3:
        make_mission(live_giveaway, kind, account=deals_account)
    recent_setups.clear()
    with django_assert_max_num_queries(len(cold.captured_queries)):
        html = html_of(page(client, live_giveaway))
    assert html.count('class="mission ') == 17


def test_it_shows_an_edit_of_the_giveaway_at_once_despite_the_process_cache(client, live_giveaway):
    page(client, live_giveaway)
    live_giveaway.title = "Four tickets to Jeju"
    live_giveaway.save()
    assert "<h1>Four tickets to Jeju</h1>" in html_of(page(client, live_giveaway))


# --- referrals ----------------------------------------------------------------------------


def test_it_gives_a_signed_in_person_their_referral_link_and_plain_share_links(client, live_giveaway, yuna,
                                                                             deals_account):
    live_giveaway.campaign.co_accounts.add(deals_account)
    client.force_login(yuna.user)
    html = html_of(page(client, live_giveaway))
    assert f'value="{settings.PUBLIC_BASE_URL}/g/free-tickets/?ref={yuna.referral_code}"' in html
    assert "https://x.com/intent/tweet?text=" in html
    assert "%40alice_air+%40bob_deals" in html  # both running accounts' handles, in the X text
    assert "https://www.facebook.com/sharer/sharer.php?u=" in html
    assert "https://line.me/R/share?text=" in html
    assert "<script" not in html  # share links are plain links


def test_it_remembers_a_referral_code_until_the_friend_enters(client, live_giveaway, yuna):
    response = page(client, live_giveaway, f"?ref={yuna.referral_code}")
    assert "A friend sent you this giveaway" in html_of(response)
    assert client.session["promotions_referrals"] == {str(live_giveaway.pk): yuna.referral_code}
    assert "A friend sent you this giveaway" in html_of(page(client, live_giveaway))  # remembered without ?ref


def test_it_records_the_referral_before_the_friends_first_completion(client, live_giveaway, yuna):
    mission = live_giveaway.missions.get(kind=Mission.Kind.SECRET_CODE)
    make_mission(live_giveaway, Mission.Kind.REFER_FRIEND)
    page(client, live_giveaway, f"?ref={yuna.referral_code}")
    friend = make_person("haru@example.org")
    client.force_login(friend.user)  # signing in keeps the session's data
    client.post(f"/g/{live_giveaway.slug}/missions/{mission.pk}/", {"answer": "jeju2026"})
    referral = Referral.objects.get(giveaway=live_giveaway)
    assert (referral.referrer, referral.friend) == (yuna, friend)
    assert yuna.entries.filter(mission__kind=Mission.Kind.REFER_FRIEND).count() == 1  # the friend's entry counted
    assert str(live_giveaway.pk) not in client.session["promotions_referrals"]


def test_it_takes_the_referral_back_when_the_completion_is_refused(client, live_giveaway, yuna):
    mission = live_giveaway.missions.get(kind=Mission.Kind.SECRET_CODE)
    page(client, live_giveaway, f"?ref={yuna.referral_code}")
    friend = make_person("haru@example.org")
    client.force_login(friend.user)
    response = client.post(f"/g/{live_giveaway.slug}/missions/{mission.pk}/", {"answer": "wrong"}, follow=True)
    assert "That is not the code." in html_of(response)
    assert not Referral.objects.exists()
    assert client.session["promotions_referrals"] == {str(live_giveaway.pk): yuna.referral_code}  # kept for later


def test_it_ignores_a_referral_code_that_cannot_be_one(client, live_giveaway):
    page(client, live_giveaway, "?ref=" + "x" * 40)
    assert "promotions_referrals" not in client.session


# --- after the draw ------------------------------------------------------------------------


def test_it_shows_the_winners_by_pseudonym_and_links_to_the_draw(client, live_giveaway):
    round = rounds.open_round(giveaway=live_giveaway, at=timezone.now() - DAY)
    draw = Draw.objects.create(round=round, algorithm="es-hmac-sha256-v1", seed="s" * 64, commitment=round.commitment,
                               digest="d" * 64, winners=1, alternates=1, result=["K7QX2M", "ZZ9PL3"],
                               drawn_at=timezone.now())
    html = html_of(page(client, live_giveaway))
    assert f"Winners of round {round.number}" in html
    assert "<li>K7QX2M</li>" in html
    assert "ZZ9PL3" not in html  # an alternate, not a winner
    assert f'href="/g/free-tickets/draws/{draw.pk}/"' in html


# --- signing up from the page --------------------------------------------------------------


def emailed_code():
    from django.core import mail

    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.MULTILINE)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_it_brings_a_person_who_signs_up_by_email_code_back_to_the_giveaway(client, live_giveaway):
    from django.urls import reverse

    response = client.post(f"{reverse('account_signup')}?next=/g/free-tickets/", {
        "email": "minji@example.org", "password1": "correct horse battery staple",
        "password2": "correct horse battery staple", "next": "/g/free-tickets/",
    })
    assert response["Location"] == reverse("account_email_verification_sent")
    response = client.post(reverse("account_email_verification_sent"), {"code": emailed_code()})
    assert response.status_code == 302
    assert response["Location"] == "/g/free-tickets/"


def test_it_brings_a_person_who_signs_in_by_email_code_back_to_the_giveaway(client, live_giveaway):
    from allauth.account.models import EmailAddress
    from django.urls import reverse

    user = make_user("minji@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    login_page = client.get(f"{reverse('account_login')}?next=/g/free-tickets/").content.decode()
    [code_link] = re.findall(r'href="(/accounts/login/code/[^"]*)"', login_page)
    assert "next=%2Fg%2Ffree-tickets%2F" in code_link
    response = client.post(code_link.replace("&amp;", "&"), {"email": "minji@example.org"})
    confirm_page = response["Location"]
    assert confirm_page.startswith(reverse("account_confirm_login_code")) and "next=" in confirm_page
    response = client.post(confirm_page, {"code": emailed_code(), "next": "/g/free-tickets/"})
    assert response.status_code == 302
    assert response["Location"] == "/g/free-tickets/"
