"""Friendly error pages, a refused request logged in one line, the favicon, and the job dashboard under the CSP."""

import base64
import hashlib
import logging
import re
from pathlib import Path

import pytest


def test_a_refused_page_is_friendly_and_logged_as_one_line(client, charlie, caplog):
    client.force_login(charlie)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/admin/django_rq/dashboard/")
    assert response.status_code == 403
    assert b"This page is not open to you" in response.content
    assert b'<main id="main">' in response.content
    records = [record for record in caplog.records if record.name == "django.request"]
    assert len(records) == 1
    line = logging.Formatter("%(message)s").format(records[0])
    assert "\n" not in line and "Traceback" not in line
    assert "The job dashboard is for superusers." in line


def test_a_missing_page_is_friendly(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"We could not find that page" in response.content


def test_the_server_error_page_renders_without_a_request_or_database():
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html
    assert "favicon.svg" in html


def test_browsers_asking_for_favicon_ico_get_the_svg(client, db, settings):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    assert (Path(settings.BASE_DIR) / "static" / "favicon.svg").read_text().startswith("<svg")


@pytest.mark.parametrize("page", ["/admin/django_rq/dashboard/", "/admin/django_rq/dashboard/queues/0/"])
def test_the_job_dashboard_allows_its_own_inline_script_and_nothing_else(client, superuser, page):
    client.force_login(superuser)
    response = client.get(page)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "'unsafe-inline'" not in script_src
    inline = [body for body in re.findall(r"<script[^>]*>(.*?)</script>", response.content.decode(), re.DOTALL)
              if body.strip()]
    if "queues" in page:
        assert inline  # the job list's action checkboxes
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src


def test_other_pages_do_not_get_the_dashboards_script_hash(client, db):
    assert "sha256-" not in client.get("/")["Content-Security-Policy"]
