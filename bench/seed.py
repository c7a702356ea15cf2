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
