"""Tracking-link destinations: only this site's paths and allowed hosts, whatever the encoding."""

import pytest

from campaigns.destinations import destination_problem, new_code
from campaigns.links import redirect_url
from campaigns.models import TrackingLink

ALLOWED = ["shop.hanbit-air.example", ".hanbit-air.example"]


@pytest.mark.parametrize("url", [
    "/c/anniversary/",
    "/c/anniversary/?seat=window",
    "https://shop.hanbit-air.example/fares?from=ICN",
    "https://www.hanbit-air.example/",
    "https://hanbit-air.example/",
    "http://shop.hanbit-air.example/",
])
def test_it_accepts_this_sites_paths_and_allowed_hosts(url):
    assert destination_problem(url, ALLOWED) is None


@pytest.mark.parametrize("url", [
    "//evil.example",
    "//evil.example/c/anniversary/",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http:///evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example/",
    "https://evil.example/?next=https://shop.hanbit-air.example",
    "https://shop.hanbit-air.example.evil.example/",
    "https://hanbit-air.example@evil.example/",
    "https://evilhanbit-air.example/",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example".replace("/%2F", "//%2F"),
    "https://evil.example%2F@shop.hanbit-air.example/",
    "ftp://shop.hanbit-air.example/",
    "c/anniversary/",
    "",
    "/c/anniversary/\r\nLocation: https://evil.example",
])
def test_it_refuses_open_redirect_tricks(url):
    assert destination_problem(url, ALLOWED) is not None


def test_codes_are_short_random_and_url_safe():
    codes = {new_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(code) == 8 and code.isalnum() and code.islower() or code.isdigit() for code in codes)


def test_the_redirect_carries_campaign_utms_without_overriding_the_destinations_own(live_campaign, main_account):
    link = TrackingLink(campaign=live_campaign, account=main_account, channel="post", label="launch",
                        destination_url="/c/live-now/?utm_source=newsletter&seat=window")
    url = redirect_url(link, extra_parameters={"fbclid": "abc"})
    assert url.startswith("/c/live-now/?")
    assert "utm_source=newsletter" in url
    assert "utm_medium=social" in url
    assert "utm_campaign=live-now" in url
    assert "utm_content=launch" in url
    assert "seat=window" in url
    assert "fbclid=abc" in url
