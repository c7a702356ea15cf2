"""Share cards: a real 1200×630 image per group, rendered again only when the group's figures moved."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from accounts.images import SOCIAL_CARD, render_image
from promotions import referrals, sharecards
from promotions.models import ReferralGroup
from promotions.referrals import Standing
from tests.promotions.conftest import NOW, buy, make_person

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)
LONG_NAME = "Seoul Incheon to Jeju International with a stopover in Busan Gimhae and a night in Daegu " * 3


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def stored_card(group):
    group.refresh_from_db()
    with group.card.open("rb") as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, len(data)


def exists(name):
    return sharecards.card_storage().exists(name)


def give_item_an_image(item, colour=(200, 30, 30)):
    """A photo uploaded as the admin would: a real PNG through accounts.images, its card rendition stored."""
    photo = Image.new("RGB", (1600, 900), colour)
    ImageDraw.Draw(photo).ellipse((500, 200, 1100, 700), fill=(30, 30, 200))
    buffer = io.BytesIO()
    photo.save(buffer, "PNG")
    renditions = render_image(upload=ContentFile(buffer.getvalue(), name="jeju.png"), renditions=[SOCIAL_CARD])
    item.image_card.save(renditions["card"].name, renditions["card"])


def standing(**fields):
    figures = {"list_price": Decimal("200.00"), "percent": Decimal("10.00"), "price": Decimal("180.00"),
               "confirmed": 2, "members": 2, "next_percent": Decimal("20.00"), "next_price": Decimal("160.00"),
               "members_to_next": 2}
    return Standing(**{**figures, **fields})


# --- rendering and recording ---


def test_it_renders_a_real_jpeg_of_1200_by_630_and_records_the_version_it_drew(group):
    assert sharecards.render_group_card(group.pk, at=NOW)
    image, size = stored_card(group)
    assert (image.format, image.size) == ("JPEG", (1200, 630))
    assert size < 300 * 1024
    assert group.card_rendered_version == group.card_version == 1
    assert group.card.name.startswith(f"promotions/cards/{group.pk}/1-")


def test_a_second_call_with_nothing_new_renders_nothing(group):
    sharecards.render_group_card(group.pk, at=NOW)
    name = ReferralGroup.objects.get(pk=group.pk).card.name
    assert not sharecards.render_group_card(group.pk, at=NOW + MINUTE)
    assert ReferralGroup.objects.get(pk=group.pk).card.name == name


def test_without_an_item_image_the_card_is_all_brand_colour(group):
    sharecards.render_group_card(group.pk, at=NOW)
    image, _size = stored_card(group)
    brand = sharecards.hex_to_rgb(group.offer.account.brand_colour)
    for corner in ((10, 10), (10, 620), (1190, 620)):
        assert all(abs(a - b) < 12 for a, b in zip(image.convert("RGB").getpixel(corner), brand, strict=True))


def test_the_item_image_sits_beside_the_text_on_the_brand_colour(group):
    give_item_an_image(group.item)
    sharecards.render_group_card(group.pk, at=NOW)
    image, size = stored_card(group)
    image = image.convert("RGB")
    assert image.size == (1200, 630) and size < 300 * 1024
    red, green, blue = image.getpixel((10, 10))  # the photo's red background, on the left
    assert red > 150 and green < 80 and blue < 80
    brand = sharecards.hex_to_rgb(group.offer.account.brand_colour)
    assert all(abs(a - b) < 12 for a, b in zip(image.getpixel((1190, 620)), brand, strict=True))


def test_an_item_image_that_cannot_be_read_gives_a_card_without_it(group, caplog):
    item = group.item
    item.image_card.save("broken.jpg", ContentFile(b"not a jpeg at all"))
    assert sharecards.render_group_card(group.pk, at=NOW)
    image, _size = stored_card(group)
    assert image.size == (1200, 630)
    assert "could not be read" in caplog.text


def test_a_join_makes_the_card_stale_and_the_next_render_draws_the_new_figures(group):
    sharecards.render_group_card(group.pk, at=NOW)
    first = ReferralGroup.objects.get(pk=group.pk).card.name
    buy(group.code, "mina@example.com", "A-1")
    group.refresh_from_db()
    assert (group.card_rendered_version, group.card_version) == (1, 2)
    assert sharecards.render_group_card(group.pk, at=NOW + MINUTE)
    group.refresh_from_db()
    assert group.card.name != first and group.card_rendered_version == group.card_version == 2


def test_an_older_render_never_replaces_a_newer_card(group):
    older = sharecards.stale_group(group.pk)  # a slow worker reads version 1 ...
    buy(group.code, "mina@example.com", "B-1")  # ... a join moves the group to version 2 ...
    assert sharecards.render_group_card(group.pk, at=NOW)  # ... and a quick worker records it
    newer = ReferralGroup.objects.get(pk=group.pk).card.name
    late = sharecards.store_card(older, at=NOW)  # the slow worker's card lands last
    assert not sharecards.record_card(group=older, name=late, at=NOW)
    group.refresh_from_db()
    assert (group.card.name, group.card_rendered_version) == (newer, 2)
    assert exists(newer) and not exists(late)


def test_the_same_version_rendered_twice_is_recorded_once(group):
    first, second = sharecards.stale_group(group.pk), sharecards.stale_group(group.pk)
    assert sharecards.record_card(group=first, name=sharecards.store_card(first, at=NOW), at=NOW)
    late = sharecards.store_card(second, at=NOW)
    assert not sharecards.record_card(group=second, name=late, at=NOW)
    assert not exists(late)


def test_a_replaced_card_stays_for_the_grace_period_then_goes(group):
    sharecards.render_group_card(group.pk, at=NOW)
    first = ReferralGroup.objects.get(pk=group.pk).card.name
    buy(group.code, "a@example.com", "C-1")
    sharecards.render_group_card(group.pk, at=NOW + MINUTE)
    second = ReferralGroup.objects.get(pk=group.pk).card.name
    assert exists(first)  # a page served a moment ago still names it
    buy(group.code, "b@example.com", "C-2")
    sharecards.render_group_card(group.pk, at=NOW + MINUTE + sharecards.CARD_GRACE)
    third = ReferralGroup.objects.get(pk=group.pk).card.name
    assert not exists(first)  # replaced by the second a grace period ago
    assert exists(second) and exists(third)  # the second was replaced only now


def test_the_sweep_renders_every_stale_card_once(group, offer):
    other = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("erin@example.com"),
                                  at=NOW)
    third = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("finn@example.com"),
                                  at=NOW)
    sharecards.render_group_card(third.pk, at=NOW)
    assert sharecards.render_stale_cards(at=NOW) == 2
    assert sharecards.render_stale_cards(at=NOW) == 0
    buy(other.code, "mina@example.com", "D-1")
    assert sharecards.render_stale_cards(limit=1, at=NOW + MINUTE) == 1
    assert set(ReferralGroup.objects.values_list("pk", "card_rendered_version")) == {
        (group.pk, 1), (other.pk, 2), (third.pk, 1)}


def test_a_very_long_item_name_still_gives_a_card(group):
    item = group.item
    item.name = LONG_NAME[:120]
    item.save()
    assert sharecards.render_group_card(group.pk, at=NOW)
    assert stored_card(group)[0].size == (1200, 630)


# --- the pure parts ---


def test_long_names_wrap_to_two_lines_that_fit_and_end_with_an_ellipsis():
    width = 1200 - sharecards.PANEL - 2 * sharecards.MARGIN
    face, lines = sharecards.fitted(LONG_NAME, None, 48, width, lines=2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(face.length(line) <= width for line in lines)
    face, lines = sharecards.fitted("Antidisestablishmentarianism" * 4, None, 48, width)
    assert len(lines) == 1 and face.length(lines[0]) <= width  # one word wider than the card is cut too


@pytest.mark.parametrize(("colour", "ink"), [("#FFFFFF", sharecards.DARK), ("#F5D90A", sharecards.DARK),
                                             ("#7FD3E6", sharecards.DARK), ("#1F4E8C", sharecards.LIGHT),
                                             ("#B00020", sharecards.LIGHT), ("#000000", sharecards.LIGHT)])
def test_text_is_white_or_near_black_whichever_reads_better(colour, ink):
    background = sharecards.hex_to_rgb(colour)
    assert sharecards.text_colour(background) == ink
    assert sharecards.contrast(ink, background) >= 4.5


def test_a_colour_that_is_not_rrggbb_falls_back_to_the_default():
    assert sharecards.hex_to_rgb("red") == sharecards.hex_to_rgb(sharecards.DEFAULT_COLOUR)


def test_prices_have_two_decimals_grouped_thousands_and_the_currency_code():
    assert sharecards.money(Decimal("1290000"), "KRW") == "1,290,000.00 KRW"
    assert sharecards.money(Decimal("180.5"), "USD") == "180.50 USD"
    assert (sharecards.percent_text(Decimal("10.00")), sharecards.percent_text(Decimal("12.50"))) == ("10", "12.5")


def test_the_card_says_the_price_what_it_was_who_joined_and_what_comes_next():
    text = sharecards.card_text(item_name="Seoul → Jeju", account_name="Hanbit Air",
                                standing=standing(members=3), currency="USD", settled=False)
    assert (text.price, text.was, text.joined) == ("180.00 USD", "was 200.00 USD, 10 % off", "3 booked, 2 confirmed")
    assert text.next_step == "2 more bookings: 160.00 USD each (20 % off)" and text.progress == 0.5


def test_at_the_deepest_tier_and_once_settled_the_card_says_so():
    deepest = standing(confirmed=6, members=6, percent=Decimal("30.00"), price=Decimal("140.00"), next_percent=None,
                       next_price=None, members_to_next=None)
    text = sharecards.card_text(item_name="Jeju", account_name="Hanbit", standing=deepest, currency="USD",
                                settled=False)
    assert (text.next_step, text.progress, text.joined) == ("The deepest discount is reached", None, "6 booked")
    settled = sharecards.card_text(item_name="Jeju", account_name="Hanbit", standing=deepest, currency="USD",
                                   settled=True)
    assert (settled.label, settled.next_step) == ("Final group price", "Settled: this is the final price")
    nobody = sharecards.card_text(item_name="Jeju", account_name="Hanbit", currency="USD", settled=False,
                                  standing=standing(percent=Decimal("0.00"), price=Decimal("200.00"), confirmed=0,
                                                    members=0, members_to_next=2, next_percent=Decimal("10.00"),
                                                    next_price=Decimal("180.00")))
    assert (nobody.was, nobody.progress) == ("", 0)


def test_characters_the_built_in_font_lacks_are_spelled_in_ones_it_has():
    assert sharecards.typeface(["Seoul", "Hanbit Air"]) is None  # the built-in font shows plain Latin
    assert sharecards.typeface(["Seoul → Jeju"], candidates=()) is None
    assert sharecards.spelled("São Paulo → Jeju – return", None) == "Sao Paulo -> Jeju - return"
    assert sharecards.spelled("서울 → 제주", None) == ""  # nothing left worth showing


def test_a_card_in_a_script_no_font_shows_still_renders():
    text = sharecards.card_text(item_name="서울 → 제주", account_name="한빛항공", standing=standing(),
                                currency="KRW", settled=False)
    image = sharecards.card_image(text=text, brand_colour="#1F4E8C")
    assert image.size == (1200, 630)


def test_without_freetype_the_bitmap_font_is_drawn_larger(monkeypatch):
    monkeypatch.setattr(sharecards, "scalable", lambda: False)
    sharecards.face.cache_clear()
    sharecards.shows.cache_clear()
    try:
        assert sharecards.face(None, 88).size >= 80
        text = sharecards.card_text(item_name=LONG_NAME, account_name="Hanbit Air", standing=standing(),
                                    currency="USD", settled=False)
        image = sharecards.card_image(text=text, brand_colour="#FFFFFF")
        assert image.size == (1200, 630)
        assert image.getextrema() != ((255, 255), (255, 255), (255, 255))  # something was written
    finally:
        sharecards.face.cache_clear()
        sharecards.shows.cache_clear()


def test_only_cards_replaced_a_grace_period_ago_are_deleted():
    def name(version, at):
        return f"{version}-{int(at.timestamp())}-abcd1234.jpg"

    later = NOW + sharecards.CARD_GRACE + MINUTE
    names = [name(1, NOW - MINUTE), name(2, NOW), name(3, later), name(4, later), "notes.txt", "5-x-y.jpg"]
    # 1 was replaced by 2 over a grace period ago; 2 by 3 only a minute ago; 4 is newer than the recorded 3.
    assert sharecards.replaced_cards(names, version=3, at=later + MINUTE) == [name(1, NOW - MINUTE)]
    assert sharecards.replaced_cards(names, version=3, at=NOW) == []
