"""The claim page: only the winner, signed in, sees it; a form that says what to fix; no second claim."""

import pytest
from django.urls import reverse

from promotions.drawing import draw_round
from promotions.models import Winner
from promotions.winners import forfeit
from tests.conftest import PASSWORD
from tests.promotions.test_drawing import AFTER, round_with_entries

FORM = {"full_name": "Dana Kim", "shipping_address": "1 Jeju-ro\nJeju 63000\nKorea", "phone": "+82 10 1234 5678",
        "confirms_eligibility": "on"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def winner(giveaway):
    round, _persons = round_with_entries(giveaway, [1, 2, 3])
    draw_round(round=round, at=AFTER)
    return Winner.objects.select_related("participant__user").get(place=1)


def claim_url(winner):
    return reverse("promotions:claim", args=[winner.claim_token])


def sign_in(client, winner):
    client.login(email=winner.participant.user.email, password=PASSWORD)


def test_it_sends_a_visitor_who_is_not_signed_in_to_sign_in_and_back(client, winner):
    response = client.get(claim_url(winner))
    assert response.status_code == 302 and "next=" in response["Location"]


def test_it_shows_the_winner_the_form_with_the_deadline_and_the_brand(client, winner):
    sign_in(client, winner)
    response = client.get(claim_url(winner))
    html = response.content.decode()
    assert response.status_code == 200 and "Claim my prize" in html
    assert "16 December 2026" in html and "Asia/Seoul" in html
    assert winner.draw.round.giveaway.campaign.owner_account.brand_colour in html
    assert "<script" not in html
    assert response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]


def test_it_records_the_claim_and_shows_it_after_a_redirect(client, winner):
    sign_in(client, winner)
    response = client.post(claim_url(winner), FORM)
    assert response.status_code == 302 and response["Location"] == claim_url(winner)
    winner.refresh_from_db()
    assert (winner.status, winner.full_name, winner.phone) == ("claimed", "Dana Kim", "+82 10 1234 5678")
    html = client.get(claim_url(winner)).content.decode()
    assert "You claimed this prize" in html and "Claim my prize" not in html


def test_it_says_what_to_fix_and_writes_nothing(client, winner):
    sign_in(client, winner)
    response = client.post(claim_url(winner), {**FORM, "phone": "call me", "confirms_eligibility": "",
                                               "shipping_address": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a phone number with digits only" in html
    assert "Tick this box to confirm you are eligible" in html
    assert "Enter the address to send the prize to" in html
    winner.refresh_from_db()
    assert winner.status == "notified" and winner.full_name == ""


def test_another_signed_in_person_gets_not_found_for_a_real_token(client, winner, giveaway):
    other = Winner.objects.select_related("participant__user").get(place=2)  # an entrant too, yet not this winner
    client.login(email=other.participant.user.email, password=PASSWORD)
    assert client.get(claim_url(winner)).status_code == 404
    assert client.post(claim_url(winner), FORM).status_code == 404
    winner.refresh_from_db()
    assert winner.status == "notified"


@pytest.mark.parametrize("who", ["alice", "charlie", "superuser"])
def test_staff_get_not_found_for_a_winners_token(client, winner, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(claim_url(winner)).status_code == 404


def test_an_unknown_token_is_not_found(client, winner):
    sign_in(client, winner)
    assert client.get(reverse("promotions:claim", args=["no-such-token"])).status_code == 404


def test_a_forfeited_prize_says_so_and_offers_no_form(client, winner):
    forfeit(winner=winner, reason="missed the claim window", at=AFTER)
    sign_in(client, winner)
    html = client.get(claim_url(winner)).content.decode()
    assert "it was forfeited" in html and "Claim my prize" not in html
    assert client.post(claim_url(winner), FORM).status_code == 200
    winner.refresh_from_db()
    assert winner.status == "forfeited" and winner.full_name == ""
