"""Real Chromium (Debian's, never a downloaded one) driven by Playwright against pytest-django's live server.

Browser journeys run on the SQLite leg only: they test what the browser sees, which does not
depend on the database, and one run keeps the test command short.
"""

import os
import shutil

import pytest
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; Django's check for ORM calls
# from async code would then refuse the fixtures' plain, synchronous queries. Tests that start
# Chorus in a subprocess leave this variable out (check --deploy rightly refuses it).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium")

# Without the background-networking flags Chromium's own connections are refused on an
# offline machine, and the refusals slow every page down.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

IPHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
                   "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"),
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# A live-server page answers in well under a second; a missing element fails in seconds, not 30.
PATIENCE_MS = 5_000


# axe-core leaves its WCAG 2.2 rules off by default; target size is one we promise.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}

# Every link and button on the page smaller than WCAG 2.2's 24 × 24 CSS pixels, as "text (w×h)".
SMALL_TARGETS_SCRIPT = """() => Array.from(document.querySelectorAll('a[href], button, input[type=submit]'))
    .map(element => [element, element.getBoundingClientRect()])
    .filter(([, box]) => box.width < 24 || box.height < 24)
    .map(([element, box]) => `${(element.innerText || element.value || '').trim()} `
                             + `(${box.width.toFixed(1)}×${box.height.toFixed(1)})`)"""


NO_CHROMIUM = "browser journeys need Debian's chromium on PATH (apt-get install chromium)"


@pytest.fixture(autouse=True)
def _browser_leg_only(request):
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    request.getfixturevalue("transactional_db")  # the live server's thread must see committed rows
    if connection.vendor != "sqlite":
        pytest.skip("browser journeys run on the SQLite leg only")


def assert_accessible(page, *, leaving_out=()):
    """No axe-core violations on the page, listed readably if any.

    `leaving_out` names selectors of parts that are Django's own admin chrome, which we cannot
    change from here; every caller says why it leaves something out.
    """
    from axe_playwright_python.sync_playwright import Axe

    context = {"include": ["html"], "exclude": list(leaving_out)} if leaving_out else None
    results = Axe().run(page, context=context, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def assert_targets_large_enough(page):
    small = page.evaluate(SMALL_TARGETS_SCRIPT)
    assert small == [], f"{page.url}: links and buttons under 24×24 px: {small}"


@pytest.fixture(scope="session")
def chromium():
    # Session fixtures are set up before the autouse skip above runs, so this one checks too.
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(chromium, live_server, device):
    """A page in a fresh browser context on the live server (no cookies shared with other tests)."""
    context = chromium.new_context(base_url=live_server.url, **device)
    context.set_default_timeout(PATIENCE_MS)
    return context, context.new_page()


@pytest.fixture
def phone(chromium, live_server):
    context, page = open_page(chromium, live_server, IPHONE)
    yield page
    context.close()


@pytest.fixture
def desktop(chromium, live_server):
    context, page = open_page(chromium, live_server, DESKTOP)
    yield page
    context.close()


def sign_in_to_admin(page, user):
    """Sign `user` in through the admin's login page (allauth's form), their address verified."""
    from allauth.account.models import EmailAddress

    from tests.conftest import PASSWORD

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
