"""Share cards: a real 1200×630 image per group, re-rendered only when the group's figures moved."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from accounts.images import SOCIAL_CARD, render_image
from promotions import sharecards
from promotions.models import ReferralGroup
from tests.promotions.conftest import buy

pytestmark = pytest.mark.django_db


def stored_card(group):
    group.refresh_from_db()
    with group.card.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        image.load()
    return image


def test_a_group_gets_a_real_card_of_the_right_size(group):
    assert sharecards.render_group_card(group.pk)
    image = stored_card(group)
    assert (image.format, image.size) == ("JPEG", (1200, 630))
    assert group.card_rendered_version == group.card_version
    assert not sharecards.render_group_card(group.pk)  # nothing new: nothing rendered


def test_the_card_shows_the_item_image_and_the_brand_colour(group):
    photo = Image.new("RGB", (1600, 900), (200, 30, 30))
    buffer = io.BytesIO()
    photo.save(buffer, "PNG")
    upload = ContentFile(buffer.getvalue(), name="jeju.png")
    renditions = render_image(upload=upload, renditions=[SOCIAL_CARD])
    item = group.item
    item.image_card.save("jeju.jpg", renditions["card"])
    sharecards.render_group_card(group.pk)
    image = stored_card(group).convert("RGB")
    red, green, blue = image.getpixel((100, 300))  # the photo on the left
    assert red > 150 and green < 80
    brand = sharecards.hex_to_rgb(group.offer.account.brand_colour)
    assert all(abs(a - b) < 12 for a, b in zip(image.getpixel((1190, 620)), brand, strict=True))


def test_a_join_makes_the_card_stale_and_the_next_render_replaces_it(group):
    sharecards.render_group_card(group.pk)
    first = ReferralGroup.objects.get(pk=group.pk).card.name
    buy(group.code, "mina@example.com", "A-1")
    group.refresh_from_db()
    assert group.card_rendered_version < group.card_version
    assert sharecards.render_stale_cards() == 1
    group.refresh_from_db()
    assert group.card.name != first and group.card_rendered_version == group.card_version
    assert not group.card.storage.exists(first)  # the old file is gone


def test_an_older_render_never_replaces_a_newer_card(group, monkeypatch):
    ReferralGroup.objects.filter(pk=group.pk).update(card_version=5, card_rendered_version=0)
    real_save = sharecards.default_storage.save

    def newer_card_lands_meanwhile(name, content):
        ReferralGroup.objects.filter(pk=group.pk).update(card_version=6, card_rendered_version=6, card="newer.jpg")
        return real_save(name, content)

    monkeypatch.setattr(sharecards.default_storage, "save", newer_card_lands_meanwhile)
    assert not sharecards.render_group_card(group.pk)
    group.refresh_from_db()
    assert (group.card.name, group.card_rendered_version) == ("newer.jpg", 6)


def test_very_long_names_still_fit(group):
    item = group.item
    item.name = "Seoul Incheon to Jeju International with a stopover in Busan Gimhae " * 3
    item.save()
    assert sharecards.render_group_card(group.pk)
    assert stored_card(group).size == (1200, 630)


@pytest.mark.parametrize(("colour", "ink"), [("#FFFFFF", sharecards.DARK), ("#F5D90A", sharecards.DARK),
                                             ("#1F4E8C", sharecards.LIGHT), ("#000000", sharecards.LIGHT)])
def test_text_reads_on_light_and_dark_brand_colours(colour, ink):
    background = sharecards.hex_to_rgb(colour)
    assert sharecards.text_colour(background) == ink
    assert sharecards.contrast(ink, background) >= 4.5
