"""Finance pulls an export: request it, watch its progress while a worker writes it, download the file,
and find in it the totals the page shows."""

import csv
import hashlib
import io
import uuid
from decimal import Decimal

import django_rq

from accounts.memberships import add_member
from accounts.roles import Role
from attribution import sources
from campaigns.models import Campaign
from tests.attribution.conftest import DAY, HOUR, NOW, deliver, paid, refunded, touch
from tests.browser.conftest import assert_accessible, sign_in_to_admin
from tests.campaigns.conftest import make_campaign
from tests.conftest import make_user


def test_finance_requests_an_export_watches_it_and_downloads_totals_that_match(desktop, main_account):
    fiona = make_user("fiona@example.org", name="Fiona")
    add_member(account=main_account, user=fiona, role=Role.FINANCE)
    campaign = make_campaign(main_account, slug="winter-sale", status=Campaign.Status.LIVE,
                             starts_at=NOW - 20 * DAY, ends_at=NOW + 10 * DAY)
    shop = sources.create_source(account=main_account, name="Web shop", key="alice-web-shop", at=NOW)
    for number in range(6):
        visitor = uuid.uuid5(uuid.NAMESPACE_URL, f"finance-journey-{number}")
        touch(campaign, at=NOW - 2 * DAY, visitor=visitor)
        touch(campaign, at=NOW - DAY, visitor=visitor)
        deliver(shop, paid(f"F-{number}", amount=f"{100 + number}.50", currency="USD", at=NOW - HOUR,
                           visitor_id=str(visitor), customer_email=f"buyer{number}@example.com"))
    deliver(shop, paid("F-KRW", amount="129000", currency="KRW", at=NOW - HOUR))
    deliver(shop, refunded("F-1", event_id="r1", amount="50.25", currency="USD", at=NOW - HOUR / 2))

    sign_in_to_admin(desktop, fiona)
    desktop.goto("/admin/attribution/financeexport/add/")
    assert_accessible(desktop)
    desktop.get_by_role("checkbox", name="Alice Air", exact=True).check()
    desktop.get_by_label("First day").fill("2026-11-30")
    desktop.get_by_label("Last day").fill("2026-12-01")
    desktop.get_by_role("button", name="Request the export").click()
    desktop.wait_for_url("**/change/")
    assert desktop.locator(".export-progress").is_visible()  # queued: a worker has not started yet
    assert_accessible(desktop)

    django_rq.get_worker("exports").work(burst=True)  # a real worker takes the job from the queue
    desktop.wait_for_selector("text=Download", timeout=10_000)  # the page refreshed itself
    shown = desktop.locator(".export-sha256").inner_text()
    totals_on_page = {table.locator("caption").inner_text(): {
        row.locator("th").inner_text().lower(): row.locator("td").inner_text()
        for row in table.locator("tr").all()} for table in desktop.locator("table.export-totals").all()}
    assert_accessible(desktop)

    with desktop.expect_download() as download_info:
        desktop.get_by_role("link", name="Download CSV").click()
    with open(download_info.value.path(), "rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == shown
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    credited = {}
    for row in rows:
        credited[row["currency"]] = credited.get(row["currency"], Decimal(0)) + Decimal(row["credited_net"])
    assert credited["USD"] == Decimal("567.75")  # six sales of 100.50 … 105.50 (618.00) less a refund of 50.25
    assert Decimal(totals_on_page["USD"]["credited net"].replace(",", "")) == credited["USD"]
    assert Decimal(totals_on_page["KRW"]["sales net"].replace(",", "")) == Decimal("129000")
