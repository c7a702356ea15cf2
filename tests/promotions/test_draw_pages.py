"""The public proof of a draw and its entrants file; outsiders and drafts get the friendly 404."""

import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from campaigns.models import Campaign
from promotions.drawing import draw_round
from promotions.views.draws import recent_verifications
from promotions.winners import forfeit
from tests.promotions.test_drawing import AFTER, closed_round, round_with_entries


@pytest.fixture(autouse=True)
def _media_in_tmp_and_no_cached_checks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    recent_verifications.clear()
    yield
    recent_verifications.clear()


@pytest.fixture
def draw(giveaway):
    giveaway.alternates_per_round = 2
    giveaway.save()
    round, _persons = round_with_entries(giveaway, [1, 2, 3, 4])
    return draw_round(round=round, at=AFTER)


def page_of(draw):
    return draw.get_absolute_url()


def test_it_shows_the_proof_the_places_and_that_the_draw_verifies(client, draw):
    response = client.get(page_of(draw))
    assert response.status_code == 200
    html = response.content.decode()
    for value in (draw.commitment, draw.seed, draw.digest, draw.algorithm, *draw.result):
        assert value in html
    assert "Verified: re-running this draw" in html
    assert reverse("promotions:draw-entrants", args=[draw.round.giveaway.slug, draw.pk]) in html
    assert "sha256-" in response["Content-Security-Policy"]


def test_it_shows_the_offline_script_exactly_as_documented(client, draw):
    docs = (Path(settings.BASE_DIR) / "docs" / "draws.md").read_text()
    script = re.search(r"```python\n(# rerun_draw\.py.*?)```", docs, re.DOTALL).group(1)
    assert script in client.get(page_of(draw)).content.decode()


def test_it_shows_a_forfeited_winner_as_history_with_the_replacement(client, draw):
    winner = draw.places.get(place=1)
    forfeit(winner=winner, reason="ID check: applicant is 16", at=AFTER)
    html = client.get(page_of(draw)).content.decode()
    assert "forfeited, replaced by" in html and f"in place of {winner.pseudonym}" in html
    # The reason is for the team: the public page says what happened, never why about a person.
    assert ": forfeited</li>" in html
    assert "applicant is 16" not in html


def test_it_says_when_the_stored_data_no_longer_verifies(client, draw):
    draw.result = list(reversed(draw.result))
    draw.save()
    html = client.get(page_of(draw)).content.decode()
    assert "This draw does not verify." in html
    assert "other winners or alternates than the published result" in html


def test_it_says_so_when_nobody_entered(client, giveaway):
    draw = draw_round(round=closed_round(giveaway), at=AFTER)
    html = client.get(page_of(draw)).content.decode()
    assert "Nobody had an eligible entry in this round" in html


def test_it_serves_the_entrants_file_as_text_whose_hash_is_the_digest(client, draw):
    response = client.get(reverse("promotions:draw-entrants", args=[draw.round.giveaway.slug, draw.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert 'filename="free-tickets-round-1-entrants.txt"' in response["Content-Disposition"]
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == draw.digest


def test_a_draft_campaigns_draw_is_not_found(client, draw):
    Campaign.objects.filter(pk=draw.round.giveaway.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(page_of(draw)).status_code == 404
    assert client.get(f"{page_of(draw)}entrants.txt").status_code == 404


def test_a_draw_under_another_giveaways_slug_is_not_found(client, draw, live_giveaway_campaign):
    from tests.promotions.conftest import make_giveaway

    make_giveaway(live_giveaway_campaign, slug="other")
    assert client.get(reverse("promotions:draw-detail", args=["other", draw.pk])).status_code == 404
    assert client.get(reverse("promotions:draw-detail", args=["free-tickets", draw.pk + 1])).status_code == 404


def test_it_shows_no_personal_data_of_the_winners(client, draw):
    html = client.get(page_of(draw)).content.decode()
    for place in draw.places.select_related("participant"):
        assert place.participant.email not in html
        assert place.claim_token is None or place.claim_token not in html
