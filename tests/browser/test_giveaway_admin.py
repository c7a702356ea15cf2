"""A marketer running a giveaway in the admin: the giveaway page with its figures, Draw now, the moderation queue."""

import datetime

from django.utils import timezone

from promotions import rounds, tallies
from promotions.giveaways import complete_mission
from promotions.models import Draw, Entry, Mission, Round
from tests.browser.conftest import assert_accessible, sign_in_to_admin
from tests.promotions.conftest import facts, make_mission, make_person
from tests.promotions.test_giveaway_page import giveaway_running_now


def test_alice_draws_a_closed_round_and_reviews_a_proof_link(desktop, alice, main_account):
    giveaway = giveaway_running_now(main_account)
    code = giveaway.missions.get(kind=Mission.Kind.SECRET_CODE)
    proof = make_mission(giveaway, Mission.Kind.PROOF_URL)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    people = [make_person(f"fan{number}@example.com") for number in range(3)]
    for number, person in enumerate(people):
        complete_mission(participant=person, mission=code, facts=facts(ip=f"203.0.113.{number}"), answer="jeju 2026",
                         at=yesterday)
    complete_mission(participant=people[0], mission=proof, facts=facts(), answer="https://x.com/fan0/status/1",
                     at=timezone.now())
    rounds.advance_due_rounds(at=timezone.now())  # closes yesterday's round
    closed = Round.objects.get(giveaway=giveaway, status=Round.Status.CLOSED)
    for round in Round.objects.filter(giveaway=giveaway):
        tallies.recount_round(round)

    sign_in_to_admin(desktop, alice)
    desktop.goto(f"/admin/promotions/giveaway/{giveaway.pk}/change/")
    assert desktop.locator("#id_title").input_value() == "Two tickets to Jeju"
    assert desktop.locator("svg").first.is_visible()  # the entries-per-day chart
    assert_accessible(desktop)

    desktop.locator("#id_title").press("Enter")  # Enter saves; it never presses "Draw now" below
    desktop.wait_for_url(f"**/admin/promotions/giveaway/{giveaway.pk}/change/")
    assert "was changed successfully" in desktop.locator(".messagelist").inner_text()
    assert not Draw.objects.filter(round=closed).exists()

    desktop.get_by_role("button", name="Draw now").first.click()
    desktop.wait_for_url(f"**/admin/promotions/giveaway/{giveaway.pk}/change/")
    assert "Drew" in desktop.locator(".messagelist").inner_text()
    draw = Draw.objects.get(round=closed)
    assert draw.places.filter(place=1).get().participant in people

    desktop.goto("/admin/promotions/entry/")
    row = desktop.locator("#result_list tbody tr", has_text="fan0@example.com")
    assert "https://x.com/fan0/status/1" in row.inner_text()
    assert_accessible(desktop)
    row.locator("input[type=checkbox]").check()
    desktop.get_by_label("Action:").select_option(label="Approve the selected entries (they count)")
    desktop.get_by_role("button", name="Go").click()
    desktop.wait_for_load_state()
    assert Entry.objects.get(mission=proof).status == Entry.Status.COUNTED
