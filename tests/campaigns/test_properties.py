"""Properties that must hold for every input, checked with hypothesis."""

import datetime
from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.links import destination_problem, host_is_allowed
from campaigns.schedules import WallClockError, to_local, to_utc

ZONES = ["Asia/Seoul", "Asia/Tokyo", "America/New_York", "Europe/Paris", "Australia/Lord_Howe", "America/Sao_Paulo",
         "Pacific/Chatham", "UTC"]
ALLOWED = ["shop.hanbit-air.example", ".hanbit-air.example"]


@settings(max_examples=400, deadline=None)
@given(local=st.datetimes(min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2037, 12, 31)),
       zone=st.sampled_from(ZONES))
def test_a_wall_clock_time_either_round_trips_exactly_or_is_refused(local, zone):
    local = local.replace(microsecond=0)
    try:
        instant = to_utc(local, zone)
    except WallClockError:
        return
    assert instant.tzinfo == datetime.UTC
    assert to_local(instant, zone) == local


@settings(max_examples=600, deadline=None)
@given(url=st.one_of(
    st.text(max_size=60),
    st.builds(lambda scheme, middle, host: f"{scheme}{middle}{host}",
              st.sampled_from(["", "/", "//", "/\\", "http:", "https:", "https://", "javascript:", " ", "%2F%2F"]),
              st.sampled_from(["", "@", "\\", "/", "%2F", "\t", ":443"]),
              st.sampled_from(["evil.example", "shop.hanbit-air.example", "hanbit-air.example.evil", "x/y"])),
))
def test_an_accepted_destination_is_a_local_path_or_an_allowed_host(url):
    if destination_problem(url, ALLOWED) is not None:
        return
    if url.startswith("/"):
        assert not url.startswith("//") and "\\" not in url
    else:
        parts = urlsplit(url)
        assert parts.scheme in {"http", "https"}
        assert host_is_allowed(parts.hostname or "", ALLOWED)
        assert "@" not in parts.netloc
