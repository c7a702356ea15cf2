"""`manage.py verify_draw`: every check printed; exit status 1 when the stored data was tampered with."""

import io

import pytest
from django.core.management import CommandError, call_command

from promotions import draws
from promotions.drawing import draw_round
from tests.promotions.test_drawing import AFTER, round_with_entries


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def draw(giveaway):
    round, _persons = round_with_entries(giveaway, [3, 1, 4, 1, 5])
    return draw_round(round=round, at=AFTER)


def run(draw_id):
    out = io.StringIO()
    try:
        call_command("verify_draw", str(draw_id), stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_it_prints_each_check_and_passes_an_untouched_draw(draw):
    out, error = run(draw.pk)
    assert error is None
    assert out.count("ok      ") == 3 and draw.seed in out and draw.digest in out
    assert f"Draw {draw.pk} verifies" in out


def test_it_fails_when_the_entrants_file_was_tampered_with(draw):
    with draw.entrants_file.open("rb") as file:
        rows = draws.read_entrants(file)
    rows[0] = (rows[0][0], rows[0][1] + 100)
    with draw.entrants_file.open("wb") as file:
        draws.write_entrants(weights=rows, file=file)
    out, error = run(draw.pk)
    assert error is not None and error.returncode == 1
    assert "MISMATCH the entrants file hashes to the digest" in out


def test_it_fails_when_the_seed_was_swapped(draw):
    draw.seed = draws.new_seed()
    draw.save()
    out, error = run(draw.pk)
    assert error.returncode == 1
    assert "MISMATCH the seed hashes to the commitment" in out


def test_it_fails_when_the_result_was_edited(draw):
    draw.result = [draw.result[1], draw.result[0], *draw.result[2:]]
    draw.save()
    out, error = run(draw.pk)
    assert error.returncode == 1
    assert "MISMATCH re-running the draw gives the published result" in out
    assert "ok       the entrants file hashes to the digest" in out


def test_it_says_which_id_to_give_for_an_unknown_draw(db):
    out, error = run(999)
    assert "There is no draw 999" in str(error)
