"""complete_mission(): every mission kind, unlocking, limits, eligibility, windows, touches, double submits, Redis down.

The fixtures' round at NOW (12:00 in Seoul) opened at 10:00 Seoul (01:00 UTC) and takes entries for 24 hours.
"""

import datetime
import uuid

import django_rq
import pytest

from campaigns.models import Campaign, Touch
from campaigns.running import add_tracking_link, set_co_accounts
from promotions import jobs, tallies
from promotions.giveaways import (
    EntryFacts,
    MissionRefused,
    complete_mission,
    participant_for,
    record_purchase,
    record_referral,
    save_details,
)
from promotions.models import (
    Draw,
    Entry,
    EntryTally,
    Mission,
    NewsletterConsent,
    Participant,
    Round,
    RulesVersion,
    Winner,
)
from tests.concurrency import run_concurrently
from tests.promotions.conftest import DAY, HOUR, NOW, facts, make_giveaway, make_mission, make_person


def complete(participant, mission, answer="", at=NOW, **extra):
    return complete_mission(participant=participant, mission=mission, facts=extra.pop("facts", facts()),
                            answer=answer, at=at, **extra)


def refused(participant, mission, answer="", at=NOW, **extra):
    with pytest.raises(MissionRefused) as caught:
        complete(participant, mission, answer, at=at, **extra)
    return str(caught.value)


# --- every mission kind ---


def test_it_accepts_a_secret_code_whatever_its_case_and_spaces(code_mission, dana):
    completion = complete(dana, code_mission, "  jeju2026 ")
    assert completion.created
    assert (completion.entry.status, completion.entry.weight, completion.round_total) == ("counted", 1, 1)
    assert completion.message == "Done: +1 entry. You have 1 in this round."


def test_it_refuses_a_wrong_code_and_writes_nothing(code_mission, dana):
    assert refused(dana, code_mission, "JEJU 2025") == "That is not the code. Check the post and try again."
    assert refused(dana, code_mission, "   ") == "Enter the code from the post."
    assert Entry.objects.count() == 0


def test_it_names_the_account_that_posted_the_code_when_the_code_is_wrong(giveaway, dana, main_account):
    mission = make_mission(giveaway, Mission.Kind.SECRET_CODE, account=main_account)
    assert "Check the post on Alice Air" in refused(dana, mission, "nope")


def test_it_accepts_only_the_right_quiz_answer(giveaway, dana):
    quiz = make_mission(giveaway, Mission.Kind.QUIZ)
    assert refused(dana, quiz, "Busan") == "That is not the right answer. Have another look and try again."
    assert refused(dana, quiz, "Tokyo") == "Pick one of the listed answers."
    assert complete(dana, quiz, "Jeju").entry.answer == "Jeju"


def test_it_puts_a_proof_link_in_the_review_queue(giveaway, dana):
    proof = make_mission(giveaway, Mission.Kind.PROOF_URL, entries=2)
    completion = complete(dana, proof, "https://x.com/dana/status/1")
    assert completion.entry.status == Entry.Status.AWAITING_REVIEW
    assert completion.message == "Thanks! Your link will be checked; 2 entries count once it is approved."
    assert completion.round_total == 2  # shown to the person while it waits


@pytest.mark.parametrize("answer", ["my profile", "javascript:alert(1)", "ftp://example.com/x", "x.com/dana"])
def test_it_refuses_a_proof_that_is_not_a_web_link(giveaway, dana, answer):
    proof = make_mission(giveaway, Mission.Kind.PROOF_URL)
    assert "Paste a link starting with https://" in refused(dana, proof, answer)
    assert Entry.objects.count() == 0


def test_it_credits_a_visited_link_to_the_co_running_account_that_carries_it(giveaway, dana, main_account,
                                                                              deals_account):
    campaign = giveaway.campaign
    set_co_accounts(campaign=campaign, accounts=[deals_account])
    link = add_tracking_link(campaign=campaign, account=deals_account, label="deals post")
    visit = make_mission(giveaway, Mission.Kind.VISIT_LINK, link=link)
    assert complete(dana, visit).entry.account == deals_account
    code = make_mission(giveaway, Mission.Kind.SECRET_CODE)
    assert complete(dana, code, "JEJU 2026").entry.account == main_account


def test_it_counts_a_daily_visit_once_per_calendar_day_in_the_account_zone(giveaway, dana):
    daily = make_mission(giveaway, Mission.Kind.DAILY_VISIT)
    first = complete(dana, daily, at=NOW)  # 12:00 on 1 December in Seoul
    assert first.entry.occurrence == "2026-12-01"
    assert complete(dana, daily, at=NOW + 11 * HOUR).created is False  # 23:00 the same day in Seoul
    second = complete(dana, daily, at=NOW + 13 * HOUR)  # 01:00 on 2 December in Seoul, still the same round
    assert (second.created, second.entry.occurrence, second.round_total) == (True, "2026-12-02", 2)
    assert second.entry.round_id == first.entry.round_id


def test_it_records_newsletter_consent_separately_from_the_entry(giveaway, dana, main_account):
    newsletter = make_mission(giveaway, Mission.Kind.NEWSLETTER, instructions="Send me Alice Air's weekly fares.")
    entry = complete(dana, newsletter).entry
    consent = NewsletterConsent.objects.get()
    assert (consent.participant, consent.account, consent.text, consent.given_at) == (
        dana, main_account, "Send me Alice Air's weekly fares.", NOW)
    assert entry.status == Entry.Status.COUNTED


def test_it_credits_the_referrer_once_when_the_friend_has_a_counted_entry(giveaway, code_mission, dana):
    refer = make_mission(giveaway, Mission.Kind.REFER_FRIEND)
    proof = make_mission(giveaway, Mission.Kind.PROOF_URL)
    erin = make_person("erin@example.com")
    assert record_referral(giveaway=giveaway, friend=erin, code=dana.referral_code, at=NOW) is not None
    complete(erin, proof, "https://x.com/erin/status/2")
    assert not Entry.objects.filter(participant=dana).exists()  # awaiting review: not yet verified
    complete(erin, code_mission, "jeju 2026", at=NOW + HOUR)
    credit = Entry.objects.get(participant=dana)
    assert (credit.mission, credit.occurrence, credit.weight, credit.status) == (
        refer, f"friend:{erin.pk}", 3, Entry.Status.COUNTED)
    quiz = make_mission(giveaway, Mission.Kind.QUIZ)
    complete(erin, quiz, "Jeju", at=NOW + 2 * HOUR)
    assert Entry.objects.filter(participant=dana).count() == 1


def test_it_refuses_referrals_of_oneself_and_of_people_already_taking_part(giveaway, code_mission, dana):
    erin = make_person("erin@example.com")
    assert record_referral(giveaway=giveaway, friend=dana, code=dana.referral_code, at=NOW) is None
    complete(erin, code_mission, "JEJU 2026")
    assert record_referral(giveaway=giveaway, friend=erin, code=dana.referral_code, at=NOW) is None
    assert record_referral(giveaway=giveaway, friend=dana, code="no-such-code", at=NOW) is None


def test_it_completes_a_purchase_mission_from_a_matching_sale(giveaway, dana):
    purchase = make_mission(giveaway, Mission.Kind.PURCHASE, minimum_purchase="50.00")
    campaign_id = giveaway.campaign_id
    assert record_purchase(email="dana@gmail.com", campaign_id=campaign_id, amount="49.99", currency="USD",
                           at=NOW) == []
    assert record_purchase(email="dana@gmail.com", campaign_id=campaign_id, amount="80.00", currency="KRW",
                           at=NOW) == []
    assert record_purchase(email="nobody@example.com", campaign_id=campaign_id, amount="80.00", currency="USD",
                           at=NOW) == []
    [entry] = record_purchase(email="D.ana+shop@GoogleMail.com", campaign_id=campaign_id, amount="50.00",
                              currency="usd", at=NOW)
    assert (entry.participant, entry.mission, entry.weight) == (dana, purchase, 5)
    assert record_purchase(email="dana@gmail.com", campaign_id=campaign_id, amount="90.00", currency="USD",
                           at=NOW + HOUR) == []  # once per round
    assert Entry.objects.count() == 1


def test_it_ignores_a_sale_it_cannot_read(giveaway, dana):
    make_mission(giveaway, Mission.Kind.PURCHASE, minimum_purchase="10.00")
    assert record_purchase(email="not an address", campaign_id=giveaway.campaign_id, amount="20", currency="USD",
                           at=NOW) == []
    assert record_purchase(email="dana@gmail.com", campaign_id=giveaway.campaign_id, amount="twenty",
                           currency="USD", at=NOW) == []


# --- required, optional, unlocking, the entry limit ---


def test_it_takes_optional_missions_before_required_ones(giveaway, dana):
    required = make_mission(giveaway, Mission.Kind.SECRET_CODE, required=True)
    optional = make_mission(giveaway, Mission.Kind.NEWSLETTER)
    assert complete(dana, optional).entry.status == Entry.Status.COUNTED
    assert complete(dana, required, "JEJU 2026").round_total == 2


def test_it_keeps_a_locked_mission_closed_until_enough_others_are_done(giveaway, code_mission, dana):
    locked = make_mission(giveaway, Mission.Kind.QUIZ, unlock_after=1)
    assert refused(dana, locked, "Jeju") == "This mission unlocks after you complete 1 other mission."
    complete(dana, code_mission, "JEJU 2026")
    assert complete(dana, locked, "Jeju").created


def test_it_cuts_the_last_entries_to_the_limit_then_refuses(giveaway, dana):
    giveaway.entry_limit_per_person = 3
    giveaway.save()
    first = make_mission(giveaway, Mission.Kind.NEWSLETTER, entries=2)
    second = make_mission(giveaway, Mission.Kind.QUIZ, entries=2)
    third = make_mission(giveaway, Mission.Kind.SECRET_CODE)
    complete(dana, first)
    cut = complete(dana, second, "Jeju")
    assert (cut.entry.weight, cut.round_total, cut.message) == (1, 3, "Done: +1 entry. You have 3 in this round.")
    assert refused(dana, third, "JEJU 2026") == (
        "You have the most entries one person can earn in this round (3).")
    assert Entry.objects.count() == 2


# --- eligibility ---


def test_it_judges_age_on_the_date_in_the_account_zone(giveaway, code_mission):
    # 18 on 2 December: in Seoul that day starts at 15:00 UTC on 1 December.
    young = make_person("young@example.com", birth_date=datetime.date(2008, 12, 2))
    assert refused(young, code_mission, "JEJU 2026", at=NOW) == "You must be 18 or older to enter."
    assert complete(young, code_mission, "JEJU 2026", at=NOW + 13 * HOUR).created


def test_it_refuses_countries_outside_the_allowed_list_and_inside_the_denied_one(giveaway, code_mission):
    giveaway.allowed_countries = "kr, JP"
    giveaway.denied_countries = "JP"
    giveaway.save()
    message = "This giveaway is not open to residents of your country (see the official rules)."
    assert refused(make_person("us@example.com", country="US"), code_mission, "JEJU 2026") == message
    assert refused(make_person("jp@example.com", country="JP"), code_mission, "JEJU 2026") == message
    assert complete(make_person("kr@example.com", country="kr"), code_mission, "JEJU 2026").created


def test_it_asks_for_country_and_birth_date_first(code_mission):
    from accounts.models import User

    user = User.objects.create_user(email="new@example.com", password="correct horse battery staple")
    participant = participant_for(user=user, at=NOW)
    assert refused(participant, code_mission, "JEJU 2026") == (
        "Tell us your country and date of birth first: the rules depend on them.")


@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_it_refuses_staff_and_members_of_the_brand_accounts(request, code_mission, who):
    user = request.getfixturevalue(who)
    participant = participant_for(user=user, at=NOW)
    save_details(participant=participant, country="KR", birth_date=datetime.date(1990, 1, 1))
    assert refused(participant, code_mission, "JEJU 2026") == (
        "Staff of Alice Air and its partner accounts cannot enter its giveaways.")
    assert Entry.objects.count() == 0


def test_it_refuses_a_blocked_participant_without_deleting_anything(code_mission, giveaway, dana):
    quiz = make_mission(giveaway, Mission.Kind.QUIZ)
    complete(dana, quiz, "Jeju")
    Participant.objects.filter(pk=dana.pk).update(blocked_at=NOW, blocked_reason="Many accounts")
    dana.refresh_from_db()
    assert refused(dana, code_mission, "JEJU 2026") == (
        "Your participation is on hold. Contact the organiser if you think this is a mistake.")
    assert Entry.objects.filter(participant=dana).count() == 1


def won_an_earlier_round(giveaway, participant):
    version = RulesVersion.objects.create(giveaway=giveaway, number=1, text="rules", created_at=NOW - 3 * DAY)
    earlier = Round.objects.create(giveaway=giveaway, number=1, opens_at=NOW - 3 * DAY, closes_at=NOW - 2 * DAY,
                                   status=Round.Status.DRAWN, seed="0" * 64, commitment="1" * 64,
                                   rules_version=version)
    draw = Draw.objects.create(round=earlier, algorithm="chorus-draw-1", seed="0" * 64, commitment="1" * 64,
                               digest="2" * 64, winners=1, alternates=0, result=["abc"], drawn_at=NOW - 2 * DAY)
    Winner.objects.create(draw=draw, place=1, participant=participant, pseudonym="abc",
                          status=Winner.Status.CLAIMED)


def test_it_refuses_past_winners_when_the_giveaway_says_so(giveaway, code_mission, dana):
    won_an_earlier_round(giveaway, dana)
    giveaway.exclude_past_winners = True
    giveaway.save()
    assert refused(dana, code_mission, "JEJU 2026") == (
        "You won an earlier round; past winners cannot win this giveaway again.")
    giveaway.exclude_past_winners = False
    giveaway.save()
    # The round opened under the exclusion: an edit applies from the next round, like the rules text.
    assert refused(dana, code_mission, "JEJU 2026") == (
        "You won an earlier round; past winners cannot win this giveaway again.")


def test_past_winners_may_enter_a_giveaway_that_lets_them(giveaway, code_mission, dana):
    won_an_earlier_round(giveaway, dana)
    completion = complete(dana, code_mission, "JEJU 2026")
    assert completion.created and completion.entry.round.number == 2


# --- one person, one entry ---


def test_it_treats_two_spellings_of_one_address_as_one_person(code_mission):
    from accounts.models import User

    first = User.objects.create_user(email="alice@gmail.com", password="correct horse battery staple")
    second = User.objects.create_user(email="A.Lice+x@googlemail.com", password="correct horse battery staple")
    participant = participant_for(user=first, at=NOW)
    save_details(participant=participant, country="KR", birth_date=datetime.date(1990, 1, 1))
    assert participant_for(user=second, at=NOW) == participant
    results = [complete(participant_for(user=user, at=NOW), code_mission, "JEJU 2026", user=user)
               for user in (first, second, first, second)]
    assert [result.created for result in results] == [True, False, False, False]
    assert results[-1].message == "You have already completed this mission in this round."
    assert Entry.objects.count() == 1


def test_a_second_submit_writes_nothing_and_says_already_done(code_mission, dana):
    complete(dana, code_mission, "JEJU 2026")
    again = complete(dana, code_mission, "jeju 2026", at=NOW + HOUR)
    assert (again.created, again.round_total) == (False, 1)
    assert again.message == "You have already completed this mission in this round."
    assert Entry.objects.count() == 1


def test_the_next_round_takes_the_same_mission_again(code_mission, dana):
    complete(dana, code_mission, "JEJU 2026")
    assert complete(dana, code_mission, "JEJU 2026", at=NOW + DAY).created
    assert Entry.objects.values("round").distinct().count() == 2


# --- windows and campaign status ---


def test_it_refuses_between_rounds_and_says_when_the_next_opens(live_giveaway_campaign, dana):
    short = make_giveaway(live_giveaway_campaign, slug="two-hours", window_hours=2)  # 10:00 to 12:00 in Seoul
    mission = make_mission(short, Mission.Kind.SECRET_CODE)
    assert refused(dana, mission, "JEJU 2026") == (
        "Entries are closed between rounds. The next round opens 2026-12-02 10:00.")
    assert (Entry.objects.count(), Round.objects.count(), Touch.objects.count()) == (0, 0, 0)


def test_it_refuses_after_the_last_round(code_mission, dana, live_giveaway_campaign):
    after_the_end = live_giveaway_campaign.ends_at + HOUR
    assert refused(dana, code_mission, "JEJU 2026", at=after_the_end) == "Entries are closed between rounds."
    assert Entry.objects.count() == 0


@pytest.mark.parametrize("status", [Campaign.Status.PAUSED, Campaign.Status.ENDED, Campaign.Status.SCHEDULED])
def test_it_refuses_when_the_campaign_is_not_live(code_mission, dana, live_giveaway_campaign, status):
    Campaign.objects.filter(pk=live_giveaway_campaign.pk).update(status=status)
    code_mission.giveaway.campaign.refresh_from_db()
    assert refused(dana, code_mission, "JEJU 2026") == "This giveaway is not taking entries right now."
    assert (Entry.objects.count(), Round.objects.count()) == (0, 0)


def test_it_refuses_entries_to_a_round_closed_early(code_mission, dana, live_giveaway_campaign):
    from promotions.rounds import change_round_status, open_round

    round = open_round(giveaway=code_mission.giveaway, at=NOW)
    change_round_status(round=round, to=Round.Status.CLOSED, at=NOW)
    assert refused(dana, code_mission, "JEJU 2026").startswith("Entries are closed between rounds.")


# --- the touch and the tally ---


def test_it_records_an_entry_touch_when_the_visitor_is_known(code_mission, dana, main_account):
    visitor = uuid.uuid4()
    with_cookie = facts()
    with_cookie.visitor_id = visitor
    complete(dana, code_mission, "JEJU 2026", facts=with_cookie, user=dana.user)
    touch = Touch.objects.get()
    assert (touch.kind, touch.reference, touch.visitor_id, touch.account, touch.user, touch.occurred_at) == (
        Touch.Kind.ENTRY, f"giveaway:{code_mission.giveaway_id}", visitor, main_account, dana.user, NOW)
    assert touch.ip_hash == with_cookie.touch.ip_hash


def test_it_records_no_touch_without_a_visitor(code_mission, dana):
    complete(dana, code_mission, "JEJU 2026")
    assert Touch.objects.count() == 0


def test_it_asks_for_a_tally_once_the_entry_is_committed(code_mission, dana, django_capture_on_commit_callbacks):
    jobs.recently_requested.clear()
    with django_capture_on_commit_callbacks(execute=True):
        entry = complete(dana, code_mission, "JEJU 2026").entry
    [job] = django_rq.get_queue("tallies").get_jobs()
    assert (job.func_name, job.args) == ("promotions.jobs.tally_round", (entry.round_id,))


def test_it_accepts_entries_while_redis_is_down_and_the_sweep_counts_them(
        code_mission, dana, settings, tmp_path, django_capture_on_commit_callbacks):
    from config import embedded_redis

    jobs.recently_requested.clear()
    settings.RQ_QUEUES = {name: {"URL": embedded_redis.url_for(tmp_path / "gone")} for name in settings.RQ_QUEUES}
    with django_capture_on_commit_callbacks(execute=True):
        completion = complete(dana, code_mission, "JEJU 2026")
    assert completion.created and Entry.objects.count() == 1
    assert EntryTally.objects.count() == 0
    tallies.recount_recent_rounds(at=NOW + datetime.timedelta(minutes=2))  # a later sweep, workers back
    tally = EntryTally.objects.get()
    assert (tally.mission, tally.day, tally.counted_entries, tally.completions) == (
        code_mission, datetime.date(2026, 12, 1), 1, 1)


# --- double submits from many threads at once ---


@pytest.mark.django_db(transaction=True)
def test_sixteen_simultaneous_submits_make_one_entry(main_account):
    """On PostgreSQL and on the SQLite file alike: one row, fifteen polite "already done", no error."""
    from campaigns.models import Campaign as CampaignModel
    from tests.campaigns.conftest import make_campaign

    campaign = make_campaign(main_account, status=CampaignModel.Status.LIVE, starts_at=NOW - DAY,
                             ends_at=NOW + 10 * DAY)
    mission = make_mission(make_giveaway(campaign), Mission.Kind.SECRET_CODE)
    dana = make_person("dana@gmail.com")

    def submit():
        return complete_mission(participant=dana, mission=mission, facts=EntryFacts(), answer="JEJU 2026", at=NOW)

    results, errors = run_concurrently(submit, threads=16)
    assert errors == []
    assert sorted(result.created for result in results) == [False] * 15 + [True]
    assert {result.message for result in results if not result.created} == {
        "You have already completed this mission in this round."}
    assert Entry.objects.count() == 1
    assert Round.objects.count() == 1


def test_it_refuses_a_staff_login_that_shares_a_customers_address(code_mission, dana, main_account):
    from accounts.memberships import add_member
    from accounts.models import User
    from accounts.roles import Role

    staff = User.objects.create_user(email="D.ana+work@googlemail.com", password="correct horse battery staple")
    add_member(account=main_account, user=staff, role=Role.MARKETER)
    assert participant_for(user=staff, at=NOW) == dana  # one person: the customer's participant
    assert refused(dana, code_mission, "JEJU 2026", user=staff) == (
        "Staff of Alice Air and its partner accounts cannot enter its giveaways.")


def test_a_second_daily_visit_on_one_day_says_come_back_tomorrow(giveaway, dana):
    daily = make_mission(giveaway, Mission.Kind.DAILY_VISIT)
    complete(dana, daily)
    assert complete(dana, daily, at=NOW + HOUR).message == (
        "You have already checked in today. Come back tomorrow for another entry.")
