"""Shared people and accounts, in the healthchecks manner.

alice manages the main account, bob markets for the deals account, charlie is
staff but a member of nothing. Each test gets them fresh.
"""

import django_rq
import pytest
from django.db import connection

from accounts.memberships import add_member
from accounts.models import BrandAccount, SocialHandle, User
from accounts.roles import Role

PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks: they run on the PostgreSQL leg only."""
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(autouse=True)
def _skip_postgres_only_tests(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (runs on the PostgreSQL leg of the test command)")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _forget_recent_links_and_pages():
    """The per-process caches of hot public paths start empty in every test."""
    from campaigns.links import recent_links
    from campaigns.views.landing import recent_pages
    from promotions.referrals import recent_groups, recent_tiers
    from promotions.rounds import recent_rounds
    from promotions.views.giveaways import recent_setups
    from promotions.views.share import recent_shares

    caches = [recent_links, recent_pages, recent_setups, recent_rounds, recent_tiers, recent_shares, recent_groups]
    for cache in caches:
        cache.clear()
    yield
    for cache in caches:
        cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _embedded_redis():
    """The embedded Redis is started by the processes that use it (settings start nothing); pytest is one.

    A server this session started is stopped at its end; one that was already running (`make test`
    starts it for both legs) is left to whoever started it.
    """
    from django.conf import settings

    from config import embedded_redis

    started = settings.EMBEDDED_REDIS and not embedded_redis.is_answering(embedded_redis.socket_path(settings.VAR_DIR))
    embedded_redis.ensure_running_if_embedded()
    yield
    if started:
        embedded_redis.stop(settings.VAR_DIR)


@pytest.fixture(autouse=True)
def _empty_queues(_embedded_redis):
    """Each test starts with empty job queues on the embedded Redis."""
    for name in ("default", "tallies", "exports"):
        django_rq.get_queue(name).empty()
    # The giveaway velocity counters live in the same Redis (promotions/throttle.py).
    connection = django_rq.get_connection("default")
    stale = list(connection.scan_iter("promotions:throttle:*"))
    if stale:
        connection.delete(*stale)
    yield


def make_user(email, **fields):
    return User.objects.create_user(email=email, password=PASSWORD, **fields)


@pytest.fixture
def main_account(db):
    account = BrandAccount.objects.create(name="Alice Air", slug="alice-air", kind=BrandAccount.Kind.MAIN,
                                          timezone="Asia/Seoul", currency="KRW")
    SocialHandle.objects.create(account=account, platform=SocialHandle.Platform.X, handle="alice_air")
    return account


@pytest.fixture
def deals_account(db):
    account = BrandAccount.objects.create(name="Bob Deals", slug="bob-deals", kind=BrandAccount.Kind.DEALS,
                                          timezone="Asia/Tokyo", currency="JPY")
    SocialHandle.objects.create(account=account, platform=SocialHandle.Platform.X, handle="bob_deals")
    return account


@pytest.fixture
def alice(main_account):
    user = make_user("alice@example.org", name="Alice")
    add_member(account=main_account, user=user, role=Role.MANAGER)
    return user


@pytest.fixture
def bob(deals_account):
    user = make_user("bob@example.org", name="Bob")
    add_member(account=deals_account, user=user, role=Role.MARKETER)
    return user


@pytest.fixture
def charlie(db):
    return make_user("charlie@example.org", name="Charlie", is_staff=True)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(email="root@example.org", password=PASSWORD)
