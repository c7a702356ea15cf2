"""Properties that must hold for every input, checked with hypothesis."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

from crawleruseragents import CRAWLER_USER_AGENTS_DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import BrandAccount
from campaigns.bots import ADDED_PREFIXES, ADDED_WORDS, EXCLUDED_LIST_PATTERNS, matches_a_bot
from campaigns.destinations import destination_problem, host_is_allowed
from campaigns.links import redirect_url
from campaigns.models import Campaign, TrackingLink
from campaigns.schedules import WallClockError, to_local, to_utc
from campaigns.touches import CLICK_ID_FIELDS, MAX_VALUE_LENGTHS, clean_parameter

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


@settings(max_examples=300, deadline=None)
@given(click_ids=st.dictionaries(st.sampled_from(CLICK_ID_FIELDS), st.text(min_size=1, max_size=400), min_size=1),
       destination=st.sampled_from(["", "/c/other/?seat=window", "https://shop.hanbit-air.example/fares"]))
def test_forwarded_click_ids_are_the_stored_ones_and_never_steer_the_redirect(click_ids, destination):
    account = BrandAccount(slug="alice-air")
    link = TrackingLink(campaign=Campaign(slug="live-now", owner_account=account), account=account, label="launch",
                        destination_url=destination)
    stored = {name: clean_parameter(name, value) for name, value in click_ids.items()}
    location = redirect_url(link, extra_parameters={name: value for name, value in stored.items() if value})
    parts, expected = urlsplit(location), urlsplit(destination or "/c/live-now/")
    assert (parts.scheme, parts.netloc, parts.path) == (expected.scheme, expected.netloc, expected.path)
    assert not re.search(r"[\x00-\x20\x7f-\x9f]", location)
    forwarded = parse_qs(parts.query, keep_blank_values=True)
    for name, value in stored.items():
        assert len(value) <= MAX_VALUE_LENGTHS[name]
        if value:
            assert forwarded[name] == [value]


LIST_PATTERNS = [entry["pattern"] for entry in CRAWLER_USER_AGENTS_DATA
                 if entry["pattern"] not in EXCLUDED_LIST_PATTERNS]
PLAIN_BOT_PATTERN = re.compile("|".join([*LIST_PATTERNS, *map(re.escape, ADDED_WORDS),
                                         *(f"^{re.escape(prefix)}" for prefix in ADDED_PREFIXES)]))
FRAGMENTS = [fragment for pattern in LIST_PATTERNS for fragment in re.split(r"[\\()\[\]|^$*+?.]+", pattern)
             if fragment] + ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) ", " ", "/", "bot", "Bot"]


@settings(max_examples=500, deadline=None)
@given(agent=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=6).map("".join))
def test_the_bot_trie_means_what_the_list_joined_plainly_means(agent):
    assert matches_a_bot(agent) == (PLAIN_BOT_PATTERN.search(agent) is not None)
