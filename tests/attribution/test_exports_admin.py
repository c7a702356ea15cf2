"""The finance export pages: who sees what (finance only, every account of an export), requesting, progress,
download and closing a period, in the admin as people use it."""

import hashlib

import pytest

import attribution.admin.exports  # noqa: F401 - registers the pages (attribution/admin/__init__.py will import it)
from accounts.memberships import add_member
from accounts.roles import Role
from attribution import exports
from attribution.models import ClosedPeriod, FinanceExport
from tests.attribution.conftest import NOW, member
from tests.attribution.test_exports import (
    NOVEMBER,
    path_of,
    request,
    written,
)

pytestmark = pytest.mark.django_db


LIST = "/admin/attribution/financeexport/"
ADD = LIST + "add/"


def page(export, what="change"):
    return f"{LIST}{export.pk}/{what}/"


@pytest.fixture
def dana(deals_account):
    """Finance of the deals account only."""
    return member(deals_account, "dana@example.org", Role.FINANCE)


@pytest.fixture
def alices_export(alice, main_account, november):
    return written(request(alice, main_account))


def form_data(account, **choices):
    return {"kind": "credits", "accounts": [account.pk], "starts_on": "2026-11-01", "ends_on": "2026-11-30",
            "timezone_name": "UTC", "model": "last_touch", "file_format": "csv", **choices}


# --- who sees what ------------------------------------------------------------------------------------------


def test_finance_sees_the_accounts_exports_and_the_request_page(client, fiona, alices_export):
    client.force_login(fiona)
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert f"Sales and credit export #{alices_export.pk}" in listing.content.decode()
    assert "Request an export" in listing.content.decode()
    assert client.get(ADD).status_code == 200
    assert client.get(page(alices_export)).status_code == 200


@pytest.mark.parametrize("who", ["mark", "bob", "charlie"])
def test_people_without_a_finance_role_get_403_everywhere(client, alices_export, who, request):
    client.force_login(request.getfixturevalue(who))
    for url in (LIST, ADD, page(alices_export), page(alices_export, "download"), page(alices_export, "close-period"),
                f"{LIST}123456/change/"):
        assert client.get(url).status_code == 403, url
    assert client.post(ADD, form_data(alices_export.accounts.get())).status_code == 403
    assert client.post(page(alices_export, "close-period")).status_code == 403
    assert FinanceExport.objects.count() == 1 and not ClosedPeriod.objects.exists()


def test_another_accounts_finance_gets_404_for_alices_exports(client, dana, alices_export, main_account):
    client.force_login(dana)
    listing = client.get(LIST).content.decode()
    assert f"export #{alices_export.pk}" not in listing
    for what in ("change", "download", "close-period"):
        assert client.get(page(alices_export, what)).status_code == 404
    assert client.post(page(alices_export, "close-period")).status_code == 404
    response = client.post(ADD, form_data(main_account))
    assert response.status_code == 200 and FinanceExport.objects.count() == 1  # alice's account is no choice of hers
    assert "Select a valid choice" in response.content.decode()


def test_an_export_of_two_accounts_is_visible_only_with_finance_in_both(client, superuser, alice, dana, fiona,
                                                                      main_account, deals_account, november):
    both = written(exports.request_export(by=superuser, kind="credits", file_format="csv",
                                          accounts=[main_account, deals_account], starts_on=NOVEMBER[0],
                                          ends_on=NOVEMBER[1], at=NOW))
    for user in (alice, dana, fiona):
        client.force_login(user)
        assert client.get(page(both)).status_code == 404
        assert client.get(page(both, "download")).status_code == 404
        assert f"export #{both.pk}" not in client.get(LIST).content.decode()
    add_member(account=deals_account, user=alice, role=Role.FINANCE)
    client.force_login(alice)
    assert client.get(page(both)).status_code == 200
    client.force_login(superuser)
    assert client.get(page(both, "download")).status_code == 200


def test_finance_may_look_at_campaigns_but_not_change_them(client, fiona, november):
    campaign = november["running"]
    client.force_login(fiona)
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Renamed by finance"}).status_code == 403
    assert client.get("/admin/campaigns/campaign/add/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.name == "Winter Sale"


def test_nothing_on_an_export_is_editable(client, alice, alices_export):
    client.force_login(alice)
    for what in ("delete", "history"):
        assert client.get(page(alices_export, what)).status_code in (302, 404)
    assert client.post(page(alices_export), {"status": "queued"}).status_code == 405
    alices_export.refresh_from_db()
    assert alices_export.status == "done"


# --- requesting, progress, download ---------------------------------------------------------------------------


def test_requesting_shows_the_progress_then_the_file(client, fiona, main_account, november):
    client.force_login(fiona)
    response = client.post(ADD, form_data(main_account))
    export = FinanceExport.objects.get()
    assert response.status_code == 302 and response["Location"] == page(export)
    assert export.requested_by == fiona and export.status == "queued"
    waiting = client.get(page(export)).content.decode()
    assert "waiting for a worker" in waiting and 'data-refresh-while-working' in waiting

    FinanceExport.objects.filter(pk=export.pk).update(status="running", rows_expected=4000, rows_written=1500)
    running = client.get(page(export)).content.decode()
    assert "1,500 of 4,000 rows" in running and 'data-refresh-while-working' in running

    FinanceExport.objects.filter(pk=export.pk).update(status="queued")
    done = written(export)
    ready = client.get(page(export)).content.decode()
    assert 'data-refresh-while-working' not in ready
    assert done.sha256 in ready and page(export, "download") in ready
    assert "159001" in ready and "Credited net" in ready and "KRW" in ready and "USD" in ready
    assert "2026-11-01 to 2026-11-30 (UTC)" in ready and "Last touch" in ready and "Alice Air" in ready
    assert "Close this period" in ready


def test_the_download_streams_the_file_with_its_checksum(client, fiona, alices_export):
    client.force_login(fiona)
    response = client.get(page(alices_export, "download"))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body == path_of(alices_export).read_bytes()
    assert response["Content-Disposition"] == f'attachment; filename="chorus-{alices_export.file_name}"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["X-Content-SHA256"] == alices_export.sha256 == hashlib.sha256(body).hexdigest()
    assert response["Repr-Digest"].startswith("sha-256=:")
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def test_a_file_that_is_missing_or_changed_is_not_served(client, fiona, alices_export):
    client.force_login(fiona)
    path_of(alices_export).write_bytes(b"tampered")
    assert client.get(page(alices_export, "download")).status_code == 404
    path_of(alices_export).unlink()
    assert client.get(page(alices_export, "download")).status_code == 404


def test_an_export_not_ready_has_no_download(client, fiona, main_account):
    export = request(fiona, main_account)
    client.force_login(fiona)
    assert client.get(page(export, "download")).status_code == 404
    assert "Download" not in client.get(page(export)).content.decode()


def test_a_failed_export_says_why(client, fiona, main_account):
    export = request(fiona, main_account)
    FinanceExport.objects.filter(pk=export.pk).update(status="failed", error="OperationalError: the database went away")
    client.force_login(fiona)
    assert "The export failed: OperationalError: the database went away" in client.get(page(export)).content.decode()


def test_the_request_page_says_what_is_wrong(client, fiona, main_account, deals_account):
    client.force_login(fiona)
    response = client.post(ADD, form_data(main_account, starts_on="2026-11-30", ends_on="2026-11-01"))
    assert "last on or after the first" in response.content.decode()
    response = client.post(ADD, {**form_data(main_account), "accounts": []})
    assert "Choose at least one account." in response.content.decode()
    assert FinanceExport.objects.count() == 0


# --- closing a period and restating it -------------------------------------------------------------------------


def test_closing_a_period_from_the_page_then_a_refusal_points_to_it(client, fiona, main_account, alices_export):
    client.force_login(fiona)
    assert client.get(page(alices_export, "close-period")).status_code == 405
    response = client.post(page(alices_export, "close-period"))
    assert response.status_code == 302
    period = ClosedPeriod.objects.get()
    assert period.export == alices_export and period.closed_by == fiona
    closed = client.get(page(alices_export)).content.decode()
    assert "This export closed Alice Air, 2026-11-01 to 2026-11-30 (UTC)" in closed
    assert "Close this period" not in closed
    restate = f"{ADD}?kind=restatement&amp;closed_period={period.pk}"
    assert restate in closed

    refused = client.post(ADD, form_data(main_account, starts_on="2026-11-20", ends_on="2026-12-10")).content.decode()
    assert "Alice Air, 2026-11-01 to 2026-11-30 (UTC) is closed" in refused
    assert f'href="{page(alices_export)}"' in refused and restate in refused
    assert FinanceExport.objects.count() == 1

    prefilled = client.get(f"{ADD}?kind=restatement&closed_period={period.pk}").content.decode()
    assert f'<option value="{period.pk}" selected>' in prefilled
    response = client.post(ADD, {"kind": "restatement", "closed_period": period.pk, "model": "linear",
                                 "file_format": "xlsx", "timezone_name": "UTC"})
    restatement = FinanceExport.objects.get(kind="restatement")
    assert response["Location"] == page(restatement)
    assert restatement.parameters["closed_period"] == period.pk and restatement.parameters["model"] == "linear"


def test_closing_twice_says_it_is_closed_already(client, fiona, alices_export):
    client.force_login(fiona)
    client.post(page(alices_export, "close-period"))
    client.post(page(alices_export, "close-period"))
    assert ClosedPeriod.objects.count() == 1
    messages = [str(message) for message in client.get(page(alices_export)).context["messages"]]
    assert any("is closed already" in message for message in messages)


def test_requesting_and_closing_need_a_csrf_token(fiona, main_account, alices_export):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(fiona)
    assert client.post(ADD, form_data(main_account, starts_on="2026-10-01", ends_on="2026-10-31")).status_code == 403
    assert client.post(page(alices_export, "close-period")).status_code == 403
    assert FinanceExport.objects.count() == 1 and not ClosedPeriod.objects.exists()


def test_names_are_escaped_on_the_export_pages(client, fiona, main_account, alices_export):
    main_account.name = "<script>alert(1)</script>"
    main_account.save(update_fields=["name"])
    client.force_login(fiona)
    for url in (LIST, ADD, page(alices_export)):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html, url
