"""The finance pages: who sees sales, credit, the inbox and sources; rotating secrets; importing a CSV."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attribution import imports
from attribution.models import InboxEvent, Sale, SalesImport, SourceSecret
from tests.attribution.conftest import HOUR, NOW, VISITOR, deliver, paid, touch

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale(shop, running):
    touch(running, at=NOW - 2 * HOUR)
    deliver(shop, paid(at=NOW - HOUR, visitor_id=str(VISITOR), customer_email="buyer@example.com"))
    return Sale.objects.get()


PAGES = ["/admin/attribution/sale/", "/admin/attribution/credit/", "/admin/attribution/inboxevent/",
         "/admin/attribution/rejecteddelivery/", "/admin/attribution/salessource/", "/admin/attribution/salesimport/"]


@pytest.mark.parametrize("page", PAGES)
def test_finance_sees_the_accounts_sales_pages(client, fiona, sale, page):
    client.force_login(fiona)
    response = client.get(page)
    assert response.status_code == 200


def test_the_sale_page_shows_its_credit_and_nothing_is_editable(client, fiona, sale):
    client.force_login(fiona)
    page = client.get(f"/admin/attribution/sale/{sale.pk}/change/").content.decode()
    assert "A-1001" in page and "Winter Sale" in page and "Last touch" in page
    assert 'name="_save"' not in page
    assert client.post(f"/admin/attribution/sale/{sale.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Sale.objects.count() == 1


@pytest.mark.parametrize("page", PAGES)
def test_a_marketer_of_the_same_account_sees_no_sales(client, mark, sale, page):
    client.force_login(mark)
    assert client.get(page).status_code == 403


def test_a_marketer_cannot_open_a_sale_by_its_id(client, mark, bob, sale):
    for user in (mark, bob):
        client.force_login(user)
        assert client.get(f"/admin/attribution/sale/{sale.pk}/change/").status_code in {403, 404}


def test_another_accounts_finance_sees_none_of_alices_sales(client, deals_account, sale):
    from accounts.memberships import add_member
    from accounts.roles import Role
    from tests.conftest import make_user

    other = make_user("felix@example.org")
    add_member(account=deals_account, user=other, role=Role.FINANCE)
    client.force_login(other)
    listing = client.get("/admin/attribution/sale/").content.decode()
    assert "A-1001" not in listing
    assert client.get(f"/admin/attribution/sale/{sale.pk}/change/").status_code in {302, 404}
    assert Sale.objects.filter(pk=sale.pk).exists()


def test_finance_sees_secrets_masked_and_cannot_rotate(client, fiona, shop, secret):
    client.force_login(fiona)
    page = client.get(f"/admin/attribution/salessource/{shop.pk}/change/").content.decode()
    assert secret not in page and secret[:10] in page
    assert client.post(f"/admin/attribution/salessource/{shop.pk}/rotate/", {"overlap_hours": "1"}).status_code == 403
    assert SourceSecret.objects.count() == 1


def test_a_manager_sees_the_secret_and_rotates_it_with_an_overlap(client, alice, shop, secret):
    client.force_login(alice)
    page = client.get(f"/admin/attribution/salessource/{shop.pk}/change/").content.decode()
    assert secret in page and "Rotate secret" in page
    response = client.post(f"/admin/attribution/salessource/{shop.pk}/rotate/", {"overlap_hours": "12"})
    assert response.status_code == 302
    old, new = SourceSecret.objects.order_by("created_at")
    assert old.expires_at is not None and new.expires_at is None
    bad = client.post(f"/admin/attribution/salessource/{shop.pk}/rotate/", {"overlap_hours": "x"}, follow=True)
    assert "whole number from 0 to 168" in bad.content.decode()


def test_a_new_source_gets_its_first_secret(client, alice, main_account):
    client.force_login(alice)
    response = client.post("/admin/attribution/salessource/add/", {"account": main_account.pk, "name": "Till",
                                                                   "key": "alice-till", "active": "on"})
    assert response.status_code == 302
    assert SourceSecret.objects.filter(source__key="alice-till").count() == 1


def test_a_sources_key_is_kept_once_events_arrived(client, alice, shop, sale):
    client.force_login(alice)
    response = client.post(f"/admin/attribution/salessource/{shop.pk}/change/", {
        "account": shop.account_id, "name": shop.name, "key": "renamed", "active": "on"})
    assert response.status_code == 200 and "keep the key" in response.content.decode()


def test_uploading_a_csv_runs_the_import_and_shows_its_report(client, fiona, shop, settings, tmp_path):
    settings.IMPORTS_ROOT = tmp_path
    client.force_login(fiona)
    csv_text = ("type,order_id,occurred_at,amount,currency\norder.paid,U-1,2026-11-20T10:00:00Z,1000,KRW\n"
                "order.paid,U-2,someday,1000,KRW\n")
    response = client.post("/admin/attribution/salesimport/add/", {
        "source": shop.pk, "upload": SimpleUploadedFile("sales.csv", csv_text.encode())})
    assert response.status_code == 302
    job = SalesImport.objects.get()
    assert (job.dry_run, job.status, job.original_name) == (False, "queued", "sales.csv")
    assert "waiting for a worker" in client.get(response.url).content.decode()
    page = client.get(response.url).content.decode()
    assert 'data-refresh-while-working' in page
    imports.run_import(import_id=job.pk, at=NOW)
    page = client.get(response.url).content.decode()
    assert "2 of 2 rows" in page and re.search(r"someday", page) and 'data-refresh-while-working' not in page
    assert list(Sale.objects.values_list("order_id", flat=True)) == ["U-1"]
    assert InboxEvent.objects.get().via == "csv"


def test_a_marketer_cannot_upload_sales(client, mark, shop):
    client.force_login(mark)
    assert client.get("/admin/attribution/salesimport/add/").status_code == 403


def test_finance_sees_the_campaign_page_read_only_with_its_lift(client, fiona, running, sale):
    client.force_login(fiona)
    page = client.get(f"/admin/campaigns/campaign/{running.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Sales lift and credit" in body and 'name="_save"' not in body
    response = client.post(f"/admin/campaigns/campaign/{running.pk}/change/", {"name": "Taken over"})
    assert response.status_code == 403
    running.refresh_from_db()
    assert running.name == "Winter Sale"
