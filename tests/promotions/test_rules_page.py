"""`GET /g/<slug>/rules/`: the official rules of the round open now, their versions, the seed commitment, the draws."""

from django.utils import timezone

from campaigns.models import Campaign
from promotions import rounds
from promotions.models import Draw
from tests.campaigns.conftest import DAY, make_campaign
from tests.promotions.conftest import make_giveaway, make_mission
from tests.promotions.test_giveaway_page import campaign_running_now

Status = Campaign.Status


def rules(client, giveaway):
    return client.get(f"/g/{giveaway.slug}/rules/")


def test_it_shows_the_generated_rules_marked_provisional_before_any_round_opens(client, main_account):
    giveaway = make_giveaway(campaign_running_now(main_account))
    make_mission(giveaway, title="Find the code on @alice_air")
    response = rules(client, giveaway)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Provisional: no round has opened yet." in html
    assert "Official rules — Two tickets to Jeju" in html
    assert "Find the code on @alice_air: 1 entry" in html
    assert "Version 1" not in html


def test_it_shows_which_version_governs_which_rounds_and_the_text_of_the_current_one(client, main_account):
    now = timezone.now()
    giveaway = make_giveaway(make_campaign(main_account, slug="anniversary", status=Status.LIVE,
                                           starts_at=now - 5 * DAY, ends_at=now + 5 * DAY))
    first = rounds.open_round(giveaway=giveaway, at=now - 2 * DAY)
    giveaway.rules_text = "Prizes are not transferable."
    giveaway.save()
    rounds.open_round(giveaway=giveaway, at=now - DAY)
    current = rounds.open_round(giveaway=giveaway, at=now)
    assert first.number == 1 and current.number == 3
    html = rules(client, giveaway).content.decode()
    assert "Version 1 governs round 1." in html
    assert "Version 2 governs rounds 2–3." in html
    assert "Version 2, governing round 3." in html
    assert "Prizes are not transferable." in html
    assert "Provisional" not in html


def test_it_publishes_the_current_rounds_seed_commitment_never_the_seed(client, main_account):
    giveaway = make_giveaway(campaign_running_now(main_account))
    current = rounds.open_round(giveaway=giveaway)
    html = rules(client, giveaway).content.decode()
    assert f"Round {current.number}: the draw's commitment" in html
    assert current.commitment in html
    assert current.seed not in html


def test_it_links_each_drawn_round_to_its_draw_page(client, main_account):
    giveaway = make_giveaway(campaign_running_now(main_account))
    drawn = rounds.open_round(giveaway=giveaway, at=timezone.now() - DAY)
    draw = Draw.objects.create(round=drawn, algorithm="es-hmac-sha256-v1", seed=drawn.seed, commitment=drawn.commitment,
                               digest="d" * 64, winners=1, alternates=0, result=["K7QX2M"], drawn_at=timezone.now())
    html = rules(client, giveaway).content.decode()
    assert f'href="/g/{giveaway.slug}/draws/{draw.pk}/"' in html
    assert f"Round {drawn.number}: the draw and how to check it" in html


def test_it_hides_a_draft_campaigns_rules_from_the_public_and_outsiders(client, main_account, charlie, alice):
    giveaway = make_giveaway(campaign_running_now(main_account, status=Status.DRAFT))
    assert rules(client, giveaway).status_code == 404
    client.force_login(charlie)
    assert rules(client, giveaway).status_code == 404
    client.force_login(alice)
    assert "Preview" in rules(client, giveaway).content.decode()


def test_it_escapes_what_marketers_wrote(client, main_account):
    giveaway = make_giveaway(campaign_running_now(main_account), title="<script>alert(1)</script>",
                             rules_text="<img src=x onerror=alert(2)>")
    html = rules(client, giveaway).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_answers_unknown_giveaways_with_the_friendly_404(client, db):
    assert client.get("/g/nothing-here/rules/").status_code == 404
