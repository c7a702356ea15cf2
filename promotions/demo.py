"""Demo giveaway for Hanbit Air: free tickets on the 10th of every month, on the anniversary campaign.

Idempotent like the other loaders: the giveaway is found by its slug, so a second run changes
nothing. Everything goes through the real functions — complete_mission() with `at` in the past,
the rounds sweep, draw_round(), claim_prize() — so the demo obeys the same rules as customers
and the drawn round verifies (`manage.py verify_draw`). Times are relative to `at`.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import BrandAccount, User
from campaigns.models import Campaign
from campaigns.schedules import to_local, to_utc
from campaigns.touches import TouchFacts, hash_ip, keyed_hash, network_of
from promotions import recurrence, rounds
from promotions.drawing import draw_round
from promotions.giveaways import (
    EntryFacts,
    MissionRefused,
    complete_mission,
    participant_for,
    record_referral,
    save_details,
)
from promotions.models import Giveaway, Mission
from promotions.winners import claim_prize, verify_winner

SLUG = "hanbit-10th-tickets"

# (email, country, birth date, a network of their own) for the accounts demo's customers.
CUSTOMERS = [
    ("yuna@customer.example", "KR", datetime.date(1994, 3, 2), "203.0.113.10"),
    ("haruto@customer.example", "JP", datetime.date(1988, 11, 20), "198.51.100.20"),
    ("daniel@customer.example", "KR", datetime.date(1979, 7, 14), "192.0.2.30"),
    ("seoyeon@customer.example", "KR", datetime.date(2001, 1, 9), "203.0.114.40"),
]


def demo_facts(ip):
    """What a request from `ip` would tell complete_mission() (no visitor cookie: no touch is recorded)."""
    return EntryFacts(touch=TouchFacts(ip_hash=hash_ip(ip)), network_hash=keyed_hash("network", network_of(ip)),
                      agent_hash=keyed_hash("agent", "Mozilla/5.0 (iPhone; demo)"))


def make_missions(giveaway, *, main, deals, code_posted_at):
    Kind = Mission.Kind
    missions = [
        {"kind": Kind.SECRET_CODE, "title": "Find the code in @hanbitair's anniversary post", "account": main,
         "secret_code": "HANBIT 10", "code_posted_at": code_posted_at, "entries": 2, "required": True,
         "instructions": "Our main account posts a code on the 10th of every month."},
        {"kind": Kind.SECRET_CODE, "title": "Find the code in @hanbitair_deals' fare of the month", "account": deals,
         "secret_code": "FARES10", "code_posted_at": code_posted_at, "entries": 2},
        {"kind": Kind.QUIZ, "title": "Anniversary quiz", "account": main, "question": "Where did our first flight go?",
         "choices": "Jeju\nBusan\nOsaka", "correct_choice": "Jeju", "entries": 1},
        {"kind": Kind.PROOF_URL, "title": "Share the anniversary post", "account": deals, "entries": 3,
         "instructions": "Share the post and paste the link to your share."},
        {"kind": Kind.REFER_FRIEND, "title": "Bring a friend", "entries": 3,
         "instructions": "3 entries for every friend who enters through your link."},
        {"kind": Kind.DAILY_VISIT, "title": "Come back every day", "entries": 1},
    ]
    return [Mission.objects.create(giveaway=giveaway, position=position, **fields)
            for position, fields in enumerate(missions)]


def answer_for(mission):
    return {Mission.Kind.SECRET_CODE: mission.secret_code.lower(), Mission.Kind.QUIZ: mission.correct_choice,
            Mission.Kind.PROOF_URL: "https://x.com/yuna/status/1"}.get(mission.kind, "")


def enter(participant, missions, *, ip, at):
    for step, mission in enumerate(missions):
        if mission.kind == Mission.Kind.REFER_FRIEND:
            continue  # earned when a friend enters, not on the page
        try:
            complete_mission(participant=participant, mission=mission, facts=demo_facts(ip), answer=answer_for(mission),
                             at=at + datetime.timedelta(minutes=7 * step))
        except MissionRefused:
            continue  # e.g. a mission not unlocked yet: the demo shows what the rules allow


@transaction.atomic
def load_promotions_demo(*, at=None):
    """Create the demo giveaway with a drawn earlier round and an open current one; {"created": bool}."""
    at = at or timezone.now()
    if Giveaway.objects.filter(slug=SLUG).exists():
        return {"created": False}
    campaign = Campaign.objects.select_related("owner_account").get(slug="hanbit-10th-anniversary")
    main = campaign.owner_account
    deals = BrandAccount.objects.get(slug="hanbit-air-deals")
    alice = User.objects.get(email="alice@hanbit-air.example")

    # The campaign's demo starts it on the 1st of this month; a round already drawn needs it to have
    # started by the 1st of last month (the anniversary year was under way). Only ever moved earlier.
    this_month = to_local(at, main.timezone).date().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    wanted_start = to_utc(datetime.datetime.combine(last_month, datetime.time()), main.timezone)
    if campaign.starts_at > wanted_start:
        Campaign.objects.filter(pk=campaign.pk).update(starts_at=wanted_start)
        campaign.starts_at = wanted_start

    giveaway = Giveaway.objects.create(
        campaign=campaign, slug=SLUG, title="Return tickets for two, anywhere we fly",
        prize_description="Two return economy tickets to any Hanbit Air destination, taxes included.\n\n"
                          "Drawn on the 10th of every month at 10:00 Seoul time.",
        prize_value="1800000", currency="KRW", winners_per_round=1, alternates_per_round=2, claim_days=14,
        minimum_age=18, recurrence=Giveaway.Recurrence.MONTHLY, day_of_month=10,
        opens_at_local_time=datetime.time(10, 0), window_hours=None,
        sponsor="Hanbit Air Co., Ltd., 1 Haneul-gil, Gangseo-gu, Seoul, Korea",
        free_entry_method="No purchase is needed: every mission is free.",
    )
    windows = recurrence.round_windows(recurrence=giveaway.schedule(), tz_name=main.timezone,
                                       starts_at=campaign.starts_at, ends_at=campaign.ends_at)
    earlier = [window for window in windows if window.closes_at <= at][-1]
    missions = make_missions(giveaway, main=main, deals=deals, code_posted_at=earlier.opens_at)

    people = []
    for number, (email, country, birth_date, ip) in enumerate(CUSTOMERS):
        joined = earlier.opens_at + datetime.timedelta(hours=2 + number)
        participant = participant_for(user=User.objects.get(email=email), at=joined)
        save_details(participant=participant, country=country, birth_date=birth_date)
        people.append((participant, ip, joined))
    # Haruto came through Yuna's referral link, so his first counted entry earns her "Bring a friend".
    record_referral(giveaway=giveaway, friend=people[1][0], code=people[0][0].referral_code, at=people[1][2])
    for participant, ip, joined in people:
        enter(participant, missions, ip=ip, at=joined)

    # The sweep closes the earlier round and opens the current one, as it does every minute.
    rounds.advance_due_rounds(at=at)
    earlier_round = giveaway.rounds.get(opens_at=earlier.opens_at)
    drawn_at = earlier.closes_at + datetime.timedelta(minutes=1)
    draw = draw_round(round=earlier_round, at=drawn_at)
    winner = draw.places.select_related("participant").order_by("place").first()
    if winner is not None:
        claim_prize(winner=winner, full_name=winner.participant.user.name or "Demo Winner",
                    shipping_address="12 Gonghang-daero, Gangseo-gu, Seoul 07505, Korea", phone="+82 10 5555 0101",
                    confirms_eligibility=True, at=drawn_at + datetime.timedelta(days=1))
        verify_winner(winner=winner, by=alice, at=drawn_at + datetime.timedelta(days=2))

    # Two customers have started on the current round already.
    current = rounds.window_at(giveaway, at)
    started = max(current.opens_at, at - datetime.timedelta(minutes=30))
    for participant, ip, _joined in people[2:]:
        enter(participant, missions[:3], ip=ip, at=started)
    return {"created": True}
