"""Seeding for the HTTP benchmarks; run inside `manage.py shell` by bench/*.py."""

import datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import BrandAccount, SocialHandle
from bench.benchsite.models import BarePage
from campaigns.models import Campaign, TrackingLink


def seed_campaign(*, co_accounts=1):
    now = timezone.now()
    owner = BrandAccount.objects.create(name="Bench Air", slug="bench-air", timezone="Asia/Seoul", currency="KRW")
    SocialHandle.objects.create(account=owner, platform="x", handle="bench_air")
    campaign = Campaign.objects.create(
        owner_account=owner, name="Bench campaign", slug="bench", status=Campaign.Status.LIVE,
        starts_at=now - datetime.timedelta(days=1), ends_at=now + datetime.timedelta(days=30),
        headline="Ten years, ten free tickets", body="Complete missions to enter.\n\nWinners on the 10th.",
    )
    for number in range(co_accounts):
        account = BrandAccount.objects.create(name=f"Bench Deals {number}", slug=f"bench-deals-{number}")
        SocialHandle.objects.create(account=account, platform="x", handle=f"bench_deals_{number}")
        campaign.co_accounts.add(account)
    link = TrackingLink.objects.create(campaign=campaign, account=owner, destination_url="/c/bench/")
    page = BarePage.objects.create(headline=campaign.headline, body=campaign.body)
    return campaign, link, page


# --- bench/admin_scale.py ---------------------------------------------------------------------

ADMIN_CAMPAIGNS = 20  # besides the big co-run one: what a marketer's list shows on one page


def seed_admin_scale():
    """Accounts, 21 campaigns with links, a superuser and a marketer of the co-running deals account.

    Returns {"big": id of the viral campaign (co-run by the deals account), "sessions": {who: session key}}.
    """
    from django.test import Client

    from accounts.memberships import add_member
    from accounts.models import User
    from accounts.roles import Role

    now = timezone.now()
    main = BrandAccount.objects.create(name="Bench Air", slug="bench-air", timezone="Asia/Seoul", currency="KRW")
    deals = BrandAccount.objects.create(name="Bench Deals", slug="bench-deals", kind=BrandAccount.Kind.DEALS)
    window = {"starts_at": now - datetime.timedelta(days=20), "ends_at": now + datetime.timedelta(days=20),
              "status": Campaign.Status.LIVE}
    big = Campaign.objects.create(owner_account=main, name="Viral fares", slug="viral", **window)
    big.co_accounts.add(deals)
    campaigns = [big]
    for number in range(ADMIN_CAMPAIGNS):
        owner = deals if number == 0 else main
        campaigns.append(Campaign.objects.create(owner_account=owner, name=f"Campaign {number:02}",
                                                 slug=f"campaign-{number:02}", **window))
    for campaign in campaigns:
        TrackingLink.objects.create(campaign=campaign, account=campaign.owner_account, platform="x", label="post")
    TrackingLink.objects.create(campaign=big, account=main, platform="instagram", label="story")
    TrackingLink.objects.create(campaign=big, account=deals, platform="x", label="deal")

    root = User.objects.create_superuser(email="root@bench.example", password="bench-password-1")
    marketer = User.objects.create_user(email="deals@bench.example", password="bench-password-1")
    add_member(account=deals, user=marketer, role=Role.MARKETER)
    sessions = {}
    for who, user in (("superuser", root), ("marketer", marketer)):
        client = Client()
        client.force_login(user)
        sessions[who] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"big": big.pk, "sessions": sessions}


def add_touches(count, *, visitors_per_touch=0.4):
    """INSERT … SELECT generate_series: `count` more touches over the last 30 days, in id order of time.

    80% on the big campaign's three links, the rest spread over the others;
    one touch in 20 a bot; about `visitors_per_touch` distinct visitors per touch.
    Columns not named here get their field's default, so new Touch fields need no change.
    """
    from django.db import connection

    from campaigns.models import Touch

    links = list(TrackingLink.objects.order_by("pk").values_list("campaign_id", "account_id", "pk",
                                                                  "campaign__slug"))
    big_links = [link for link in links if link[3] == "viral"]
    weighted = big_links * 27 + [link for link in links if link[3] != "viral"]  # 81 of 101: 80%
    pick = f"(1 + (i * 7) %% {len(weighted)})"  # %% : the statement also carries parameters
    start = Touch.objects.count()
    distinct = max(1, int((start + count) * visitors_per_touch))

    def array(position):
        return "(ARRAY[" + ",".join(str(link[position]) for link in weighted) + f"]::bigint[])[{pick}]"

    expressions = {
        "visitor_id": f"md5(((i * 2654435761) %% {distinct})::text)::uuid",
        "campaign_id": array(0), "account_id": array(1), "link_id": array(2),
        "kind": "'link_click'", "is_bot": "(i %% 20 = 0)",
        "occurred_at": f"now() - interval '30 days' + (i - {start})::float8 / {count} * interval '30 days'",
    }
    columns, values, parameters = [], [], []
    for field in Touch._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname])
        elif field.null and not field.has_default():
            values.append("NULL")
        elif field.get_default() is not None:  # the default, or "" for text fields
            values.append("%s")
            parameters.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            raise RuntimeError(f"bench/seed.py: say what to put in Touch.{field.name} when seeding")
    table = connection.ops.quote_name(Touch._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608
                       f"FROM generate_series({start + 1}, {start + count}) AS i", parameters)
        cursor.execute(f"VACUUM ANALYZE {table}")
    return Touch.objects.count()


# --- giveaways: bench/tally_and_draw.py and bench/entries.py -------------------------------------

GIVEAWAY_DAYS = 7  # entries spread over a week of local days


def seed_giveaway(*, now=None):
    """A live campaign (owner + co-running deals account) with a one-off giveaway, six missions and its open round.

    The round opened a week ago and stays open until the campaign ends in 30 days, so every entry of
    the benchmarks falls inside it. Returns the giveaway, its missions and the round.
    """
    from campaigns.schedules import to_local
    from promotions.models import Giveaway, Mission
    from promotions.rounds import open_round

    now = now or timezone.now()
    starts_at = now - datetime.timedelta(days=GIVEAWAY_DAYS, hours=1)
    owner = BrandAccount.objects.create(name="Bench Air", slug="bench-air", timezone="Asia/Seoul", currency="KRW")
    deals = BrandAccount.objects.create(name="Bench Deals", slug="bench-deals", kind=BrandAccount.Kind.DEALS,
                                        timezone="Asia/Seoul")
    SocialHandle.objects.create(account=owner, platform="x", handle="bench_air")
    SocialHandle.objects.create(account=deals, platform="x", handle="bench_deals")
    campaign = Campaign.objects.create(
        owner_account=owner, name="Bench anniversary", slug="bench", status=Campaign.Status.LIVE,
        starts_at=starts_at, ends_at=now + datetime.timedelta(days=30),
        headline="Ten years, ten free tickets", body="Complete missions to enter.",
    )
    campaign.co_accounts.add(deals)
    giveaway = Giveaway.objects.create(
        campaign=campaign, title="Two tickets to Jeju", slug="bench-tickets", prize_value="1200.00",
        currency="USD", winners_per_round=10, alternates_per_round=10, recurrence=Giveaway.Recurrence.ONCE,
        opens_on=to_local(starts_at, owner.timezone).date(), opens_at_local_time=datetime.time(0, 0),
        sponsor="Bench Air Co., Seoul",
    )
    kinds = [  # (kind, account, entries, extra fields): half announced by each account, as in the model case
        (Mission.Kind.SECRET_CODE, owner, 1, {"secret_code": "JEJU 2026"}),
        (Mission.Kind.SECRET_CODE, deals, 2, {"secret_code": "DEALS 10"}),
        (Mission.Kind.QUIZ, owner, 1, {"question": "Where?", "choices": "Jeju\nBusan", "correct_choice": "Jeju"}),
        (Mission.Kind.PROOF_URL, deals, 3, {}),
        (Mission.Kind.DAILY_VISIT, owner, 1, {}),
        (Mission.Kind.NEWSLETTER, deals, 1, {}),
    ]
    missions = [Mission.objects.create(giveaway=giveaway, position=position, kind=kind, account=account,
                                       entries=entries, title=f"Mission {position}", **fields)
                for position, (kind, account, entries, fields) in enumerate(kinds)]
    round = open_round(giveaway=giveaway, at=starts_at + datetime.timedelta(minutes=1))
    return giveaway, missions, round


def insert_series(model, *, count, expressions, start=0, derived=None):
    """INSERT INTO model's table SELECT <expressions> FROM generate_series(start, start + count - 1) AS i.

    `derived` names expressions of `i` computed once per row for the others to use ({"m": "i %% 6"}).
    Columns not in `expressions` get NULL (nullable without default) or their field's default; a field
    with neither stops the seeding with its name, so a new field is noticed rather than guessed.
    """
    from django.db import connection

    columns, values, parameters = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname])
        elif field.null and not field.has_default():
            values.append("NULL")
        elif field.has_default() or field.blank:
            values.append("%s")
            parameters.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            raise RuntimeError(f"bench/seed.py: say what to put in {model.__name__}.{field.name} when seeding")
    table = connection.ops.quote_name(model._meta.db_table)
    source = f"generate_series({start}, {start + count - 1}) AS i"
    if derived:
        names = ", ".join(f"{expression} AS {name}" for name, expression in derived.items())
        source += f" CROSS JOIN LATERAL (SELECT {names}) AS derived"
    with connection.cursor() as cursor:
        # Always with a parameter list (maybe empty), so "%%" in expressions means "%".
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                       f"SELECT {', '.join(values)} FROM {source}", parameters)
        cursor.execute(f"VACUUM ANALYZE {table}")


def seed_round_entries(*, entries, participants):
    """One round with `entries` entries of `participants` people over 6 missions, 2 accounts and 7 local days.

    INSERT … SELECT generate_series, so a million rows take seconds. Entry i belongs to participant
    i mod P and to mission (i div P + participant) mod 6, so nobody completes a mission twice (the
    daily visit once per local day); about 3% are held by a fraud rule, 0.5% rejected, a fifth of the
    proof-link mission awaits review. Returns {"round": id, "participants": P, "entries": N}.
    """
    from django.db import connection

    from promotions.models import Entry, Mission, Participant

    if entries > participants * 6:
        raise ValueError("bench/seed.py: at most 6 entries per participant (one per mission)")
    giveaway, missions, round = seed_giveaway()
    insert_series(Participant, count=participants, start=1, expressions={
        "identity": "'p' || i || '@bench.example'", "email": "'p' || i || '@bench.example'",
        "user_id": "NULL", "country": "'KR'", "birth_date": "DATE '1990-05-17'",
        "referral_code": "'b' || i", "blocked_at": "NULL", "created_at": f"TIMESTAMPTZ '{round.opens_at.isoformat()}'",
    })
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM promotions_participant")
        first_participant = cursor.fetchone()[0]

    def by_mission(values):
        return "(ARRAY[" + ",".join(str(value) for value in values) + "])[1 + m]"

    mission_index = f"((i / {participants} + i %% {participants}) %% 6)"  # %% : the statement has parameters
    created_at = (f"(TIMESTAMPTZ '{round.opens_at.isoformat()}' + interval '1 minute' "
                  f"+ ((i::bigint * 7919) %% {entries})::float8 / {entries} * interval '{GIVEAWAY_DAYS} days')")
    daily = next(index for index, mission in enumerate(missions) if mission.kind == Mission.Kind.DAILY_VISIT)
    proof = next(index for index, mission in enumerate(missions) if mission.kind == Mission.Kind.PROOF_URL)
    local_day = f"to_char(({created_at} AT TIME ZONE 'Asia/Seoul')::date, 'YYYY-MM-DD')"
    expressions = {
        "round_id": str(round.pk),
        "mission_id": by_mission(mission.pk for mission in missions),
        "participant_id": f"{first_participant} + i %% {participants}",
        "account_id": by_mission(mission.account_id for mission in missions),
        "occurrence": f"CASE WHEN m = {daily} THEN {local_day} ELSE '' END",
        "weight": by_mission(mission.entries for mission in missions),
        "status": (f"CASE WHEN i %% 97 < 3 THEN 'held' WHEN i %% 211 = 0 THEN 'rejected' "
                   f"WHEN m = {proof} AND i %% 5 = 0 THEN 'review' ELSE 'counted' END"),
        "ip_hash": "md5((i %% 50000)::text)", "network_hash": "md5((i %% 20000)::text)",
        "agent_hash": "md5((i %% 40)::text)", "created_at": created_at,
    }
    insert_series(Entry, count=entries, expressions=expressions, derived={"m": mission_index})
    return {"round": round.pk, "participants": participants, "entries": Entry.objects.filter(round=round).count()}


def seed_giveaway_people(*, people):
    """The giveaway of seed_giveaway() and `people` signed-in, eligible participants, each with a session.

    Returns {"slug", "page" (a BarePage for the baseline), "missions": [{"id", "fields"}…],
    "people": [{"session", "visitor"}…], "csrf"}: everything a load generator needs to POST each
    person's completion of each mission once, as a browser that had opened the page would.
    """
    import uuid
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.utils.crypto import get_random_string

    from accounts.models import User
    from promotions.identities import normalise_email
    from promotions.models import Mission, Participant

    now = timezone.now()
    giveaway, missions, round = seed_giveaway(now=now)
    page = BarePage.objects.create(headline=giveaway.title, body=giveaway.campaign.body)
    unusable = make_password(None)  # nobody signs in with a password here: sessions are made below
    users = User.objects.bulk_create([User(email=f"person{number}@bench.example", password=unusable)
                                      for number in range(people)])
    Participant.objects.bulk_create([
        Participant(identity=normalise_email(user.email), user=user, email=user.email, country="KR",
                    birth_date=datetime.date(1990, 5, 17), created_at=now)
        for user in users
    ])
    # The session a sign-in would leave: what django.contrib.auth.login() stores.
    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = []
    for user in users:
        session = session_store()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                        HASH_SESSION_KEY: user.get_session_auth_hash()})
        session.create()
        sessions.append(session.session_key)
    # The form fields a person sends for each mission (templates/promotions/_mission_form.html).
    fields = {Mission.Kind.SECRET_CODE: lambda mission: {"answer": mission.secret_code.lower()},  # any case
              Mission.Kind.QUIZ: lambda mission: {"answer": mission.correct_choice},
              Mission.Kind.PROOF_URL: lambda mission: {"answer": "https://x.com/someone/status/1"},
              Mission.Kind.NEWSLETTER: lambda mission: {"consent": "yes"}}
    return {
        "slug": giveaway.slug, "page": page.pk, "round": round.pk,
        "missions": [{"id": mission.pk, "fields": fields.get(mission.kind, lambda mission: {})(mission)}
                     for mission in missions],
        "people": [{"session": key, "visitor": str(uuid.uuid4())} for key in sessions],
        # Django's CSRF check compares the cookie's secret with the form's token; one secret serves everyone.
        "csrf": get_random_string(32),
        "cookies": {"session": settings.SESSION_COOKIE_NAME, "csrf": settings.CSRF_COOKIE_NAME,
                    "visitor": settings.VISITOR_COOKIE_NAME},
    }
