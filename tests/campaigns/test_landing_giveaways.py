"""The campaign page `/c/<slug>/` shows its giveaways through the seam promotions registers (add_to_landing_page).

campaigns never imports promotions; these tests live with the landing page's because they check that the
page's own promises (flat query count, one cached body per slug, ETag, CSP hash) hold with giveaways on it.
"""

import base64
import hashlib
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.schedules import to_local
from campaigns.status import change_status
from campaigns.views.landing import page_parts, recent_pages
from promotions import rounds
from promotions.landing import giveaways_on_landing_page
from tests.campaigns.conftest import DAY, make_campaign
from tests.promotions.conftest import make_giveaway

Status = Campaign.Status


def running_campaign(account, status=Status.LIVE):
    now = timezone.now()
    return make_campaign(account, slug="anniversary", status=status, starts_at=now - 2 * DAY, ends_at=now + 10 * DAY)


def landing(client, campaign, **headers):
    return client.get(f"/c/{campaign.slug}/", headers=headers)


def test_promotions_registers_its_part_of_the_page(db):
    assert giveaways_on_landing_page in page_parts


def test_it_shows_each_giveaway_with_its_prize_deadline_and_a_button_to_enter(client, main_account):
    campaign = running_campaign(main_account)
    giveaway = make_giveaway(campaign)
    window = rounds.window_at(giveaway, timezone.now())
    html = landing(client, campaign).content.decode()
    assert "<h3>Two tickets to Jeju</h3>" in html
    assert "Prize worth about 1,200.00 USD" in html
    assert f"Closes {to_local(window.closes_at, 'Asia/Seoul'):%-d %b %H:%M} Seoul time" in html
    assert ('<a class="button" href="/g/free-tickets/">Enter the giveaway'
            '<span class="visually-hidden">: Two tickets to Jeju</span></a>') in html


def test_it_shows_no_giveaway_section_for_a_campaign_without_one(client, main_account):
    html = landing(client, running_campaign(main_account)).content.decode()
    assert "giveaways-heading" not in html


def test_it_offers_to_see_not_to_enter_a_paused_campaigns_giveaway(client, main_account):
    campaign = running_campaign(main_account)
    make_giveaway(campaign)
    change_status(campaign=campaign, to=Status.PAUSED)
    html = landing(client, campaign).content.decode()
    assert "Paused — nothing can be entered until it resumes" in html
    assert "See the giveaway" in html and "Enter the giveaway" not in html


def test_it_keeps_the_query_count_flat_as_giveaways_are_added(client, main_account):
    campaign = running_campaign(main_account)

    def queries_for_page():
        recent_pages.clear()
        with CaptureQueriesContext(connection) as queries:
            assert landing(client, campaign).status_code == 200
        return len(queries)

    make_giveaway(campaign, slug="one")
    rounds.open_round(giveaway=campaign.giveaways.get())
    with_one = queries_for_page()
    for number in range(4):
        giveaway = make_giveaway(campaign, slug=f"more-{number}", title=f"Prize {number}")
        rounds.open_round(giveaway=giveaway)
    assert queries_for_page() == with_one
    assert landing(client, campaign).content.decode().count('class="giveaway-card"') == 5


def test_it_keeps_one_cached_body_its_etag_and_its_style_hash_with_giveaways_on_it(client, main_account):
    campaign = running_campaign(main_account)
    make_giveaway(campaign)
    first = landing(client, campaign)
    html = first.content.decode()
    [style] = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)  # giveaways add no style of their own
    assert "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'" in \
        first["Content-Security-Policy"]
    with CaptureQueriesContext(connection) as queries:
        second = landing(client, campaign)
    assert len(queries) == 0 and second.content == first.content
    assert landing(client, campaign, **{"If-None-Match": first["ETag"]}).status_code == 304
    assert 'name="csrfmiddlewaretoken"' not in html  # the shared page holds nothing personal


def test_it_escapes_giveaway_titles_and_image_descriptions(client, main_account):
    campaign = running_campaign(main_account)
    make_giveaway(campaign, title="<script>alert(1)</script>", prize_alt='"><script>alert(2)</script>')
    html = landing(client, campaign).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_hides_a_draft_campaign_and_its_giveaways_from_outsiders(client, main_account, charlie, alice):
    campaign = running_campaign(main_account, status=Status.DRAFT)
    make_giveaway(campaign)
    assert landing(client, campaign).status_code == 404
    client.force_login(charlie)
    assert landing(client, campaign).status_code == 404
    client.force_login(alice)
    html = landing(client, campaign).content.decode()
    assert "Preview" in html and "See the giveaway" in html  # staff preview: nothing to enter
