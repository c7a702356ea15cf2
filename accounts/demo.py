"""Demo data: Hanbit Air, an airline with a main account, a deals account and two product lines.

`load_demo()` is idempotent: it finds rows by their natural keys and creates
only what is missing, so running it twice changes nothing the second time.
"""

from allauth.account.models import EmailAddress
from django.contrib.sites.models import Site
from django.db import transaction

from accounts.memberships import add_member
from accounts.models import BrandAccount, SocialHandle, User
from accounts.roles import Role

DEMO_PASSWORD = "chorus-demo-2026"

ACCOUNTS = [
    # slug, name, kind, parent slug, description
    ("hanbit-air", "Hanbit Air", BrandAccount.Kind.MAIN, None,
     "Service news, flight status and answers from the Hanbit Air team, every day of the year."),
    ("hanbit-air-deals", "Hanbit Air Deals", BrandAccount.Kind.DEALS, "hanbit-air",
     "Last-minute fares and flash sales. Follow for the 10th-of-the-month ticket giveaways."),
    ("hanbit-jeju-shuttle", "Jeju Shuttle by Hanbit", BrandAccount.Kind.PRODUCT, "hanbit-air",
     "Hourly Seoul–Jeju shuttle flights: timetables, seat sales and island tips."),
    ("hanbit-skypoints", "Hanbit SkyPoints", BrandAccount.Kind.PRODUCT, "hanbit-air",
     "The Hanbit Air loyalty programme: earn, spend and double-points weeks."),
]

HANDLES = [
    ("hanbit-air", SocialHandle.Platform.X, "hanbitair"),
    ("hanbit-air", SocialHandle.Platform.FACEBOOK, "hanbitair"),
    ("hanbit-air", SocialHandle.Platform.INSTAGRAM, "hanbit.air"),
    ("hanbit-air-deals", SocialHandle.Platform.X, "hanbitair_deals"),
    ("hanbit-air-deals", SocialHandle.Platform.FACEBOOK, "hanbitairdeals"),
    ("hanbit-jeju-shuttle", SocialHandle.Platform.X, "hanbit_jeju"),
    ("hanbit-skypoints", SocialHandle.Platform.X, "hanbit_skypoints"),
    ("hanbit-skypoints", SocialHandle.Platform.KAKAO, "hanbitskypoints"),
]

PROFILE_URLS = {
    SocialHandle.Platform.X: "https://x.com/{}",
    SocialHandle.Platform.FACEBOOK: "https://www.facebook.com/{}",
    SocialHandle.Platform.INSTAGRAM: "https://www.instagram.com/{}/",
    SocialHandle.Platform.KAKAO: "https://pf.kakao.com/{}",
}

STAFF = [
    # email, name, [(account slug, role)]
    ("alice@hanbit-air.example", "Alice Park", [("hanbit-air", Role.MANAGER)]),
    ("bob@hanbit-air.example", "Bob Kim", [("hanbit-air-deals", Role.MARKETER)]),
    ("mina@hanbit-air.example", "Mina Choi",
     [("hanbit-jeju-shuttle", Role.MARKETER), ("hanbit-skypoints", Role.MARKETER)]),
    ("jun@hanbit-air.example", "Jun Lee", [("hanbit-air", Role.ANALYST), ("hanbit-air-deals", Role.ANALYST)]),
    ("sora@hanbit-air.example", "Sora Han", [("hanbit-air", Role.FINANCE), ("hanbit-air-deals", Role.FINANCE)]),
]

CUSTOMERS = [
    ("yuna@customer.example", "Yuna"),
    ("haruto@customer.example", "Haruto"),
    ("daniel@customer.example", "Daniel"),
    ("seoyeon@customer.example", "Seo-yeon"),
]

SUPERUSER = ("admin@hanbit-air.example", "Chorus Admin")


def verified_user(email, name, *, superuser=False):
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        make = User.objects.create_superuser if superuser else User.objects.create_user
        user = make(email=email, password=DEMO_PASSWORD, name=name)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


@transaction.atomic
def load_demo():
    """Create the Hanbit Air demo; returns {"created": bool} telling whether anything was new."""
    created = not BrandAccount.objects.filter(slug=ACCOUNTS[0][0]).exists()
    Site.objects.filter(pk=1).update(name="Chorus")  # the domain is PUBLIC_BASE_URL's business, not the demo's
    accounts = {}
    for slug, name, kind, parent_slug, description in ACCOUNTS:
        accounts[slug], _ = BrandAccount.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "parent": accounts.get(parent_slug),
                "description": description,
                "timezone": "Asia/Seoul",
                "currency": "KRW",
                "brand_colour": "#0B5CAD" if kind != BrandAccount.Kind.DEALS else "#B3261E",
            },
        )
    for slug, platform, handle in HANDLES:
        url = PROFILE_URLS.get(platform, "").format(handle)
        SocialHandle.objects.get_or_create(
            platform=platform, handle=handle, defaults={"account": accounts[slug], "profile_url": url}
        )
    verified_user(*SUPERUSER, superuser=True)
    for email, name, roles in STAFF:
        user = verified_user(email, name)
        for slug, role in roles:
            add_member(account=accounts[slug], user=user, role=role)
    for email, name in CUSTOMERS:
        verified_user(email, name)
    return {"created": created}


def logins():
    """(email, what they can do) for the people a demo visitor can sign in as."""
    rows = [(SUPERUSER[0], "superuser: everything, the job dashboard")]
    for email, _, roles in STAFF:
        rows.append((email, ", ".join(f"{role.label.lower()} of {slug}" for slug, role in roles)))
    rows.append((CUSTOMERS[0][0], "customer"))
    return rows
