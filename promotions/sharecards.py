"""Share cards: a 1200×630 image per referral group showing the item, the live price and the way to the next tier.

The group page serves the card in its Open Graph tags, so a share on a social network shows the live price.
Every change of a group's figures bumps `ReferralGroup.card_version` (promotions/referrals.py); a job
renders the card after the commit (`render_group_card`) and the sweep renders what a lost job left stale
(`render_stale_cards`). A render records the version it drew with a conditional UPDATE, so a slow render of
an older version never replaces a newer card. Text uses Pillow's built-in scalable font: no font files needed.
"""

import io
import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F
from PIL import Image, ImageDraw, ImageFont, ImageOps

from promotions import referrals
from promotions.models import ReferralGroup

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
PANEL = 560  # the item image's width on the left; the text sits on the brand colour on the right
MARGIN = 48
DARK, LIGHT = (17, 24, 39), (255, 255, 255)


def hex_to_rgb(colour):
    colour = colour.lstrip("#")
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))


def luminance(rgb):
    """Relative luminance (WCAG 2)."""
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour(background):
    """White or near-black, whichever reads better on `background`."""
    return LIGHT if contrast(LIGHT, background) >= contrast(DARK, background) else DARK


def font(size):
    return ImageFont.load_default(size=size)


def fitted(draw, text, size, width, *, lines=2, smallest=28):
    """(font, wrapped lines) for `text` in at most `lines` lines of `width` px, shrinking to `smallest`, then cut."""
    while True:
        face = font(size)
        wrapped = wrap(draw, text, face, width)
        if len(wrapped) <= lines or size <= smallest:
            break
        size -= 4
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        last = wrapped[-1]
        while last and draw.textlength(last + "…", font=face) > width:
            last = last[:-1]
        wrapped[-1] = last.rstrip() + "…"
    return face, wrapped


def wrap(draw, text, face, width):
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=face) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines


def card_image(*, item_name, item_image, brand_colour, account_name, standing, currency):
    """The card as a Pillow image (pure: no database), from the group's `standing` (referrals.Standing)."""
    background = hex_to_rgb(brand_colour)
    ink = text_colour(background)
    card = Image.new("RGB", (WIDTH, HEIGHT), background)
    text_left = MARGIN
    if item_image is not None:
        card.paste(ImageOps.fit(item_image.convert("RGB"), (PANEL, HEIGHT)), (0, 0))
        text_left = PANEL + MARGIN
    draw = ImageDraw.Draw(card)
    width = WIDTH - text_left - MARGIN
    y = MARGIN
    draw.text((text_left, y), account_name[:60], font=font(28), fill=ink)
    y += 52
    face, lines = fitted(draw, item_name, 48, width)
    for line in lines:
        draw.text((text_left, y), line, font=face, fill=ink)
        y += face.size + 8
    y += 16
    draw.text((text_left, y), "Group price now", font=font(28), fill=ink)
    y += 38
    price_face, price_lines = fitted(draw, f"{standing.price} {currency}", 88, width, lines=1, smallest=40)
    draw.text((text_left, y), price_lines[0], font=price_face, fill=ink)
    y += price_face.size + 12
    if standing.percent:
        draw.text((text_left, y), f"was {standing.list_price} {currency} · −{standing.percent.normalize()} %",
                  font=font(28), fill=ink)
    y += 44
    joined = f"{standing.confirmed} booked"
    if standing.next_price is not None:
        needed = standing.confirmed + standing.members_to_next
        draw.text((text_left, y), joined, font=font(28), fill=ink)
        y += 42
        bar_height = 24
        draw.rectangle((text_left, y, text_left + width, y + bar_height), outline=ink, width=3)
        filled = int(width * standing.confirmed / needed) if needed else 0
        if filled:
            draw.rectangle((text_left, y, text_left + filled, y + bar_height), fill=ink)
        y += bar_height + 14
        _face, next_lines = fitted(draw, f"{standing.members_to_next} more: {standing.next_price} {currency} each",
                                   28, width, lines=1, smallest=20)
        draw.text((text_left, y), next_lines[0], font=_face, fill=ink)
    else:
        draw.text((text_left, y), f"{joined} · the deepest discount", font=font(28), fill=ink)
    return card


def encode(image):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def render_group_card(group_id):
    """Render the group's card if it is older than the group's figures; whether it rendered."""
    group = (ReferralGroup.objects.select_related("item", "offer__account")
             .filter(pk=group_id, card_rendered_version__lt=F("card_version")).first())
    if group is None:
        return False
    version = group.card_version
    item_image = None
    if group.item.image_card:
        try:
            with group.item.image_card.open("rb") as stored:
                item_image = Image.open(io.BytesIO(stored.read()))
                item_image.load()
        except (OSError, ValueError) as error:
            log.warning("The image of item %s could not be read for a share card (%s).", group.item_id, error)
            item_image = None
    image = card_image(item_name=group.item.name, item_image=item_image, brand_colour=group.offer.account.brand_colour,
                       account_name=group.offer.account.name, standing=referrals.standing(group),
                       currency=group.offer.currency)
    name = default_storage.save(f"promotions/cards/{group.code}-{uuid.uuid4().hex[:8]}.jpg", ContentFile(encode(image)))
    replaced = ReferralGroup.objects.filter(pk=group_id, card_rendered_version__lt=version).update(
        card=name, card_rendered_version=version)
    if not replaced:  # a newer card is already there
        default_storage.delete(name)
        return False
    if group.card and group.card.name != name:
        default_storage.delete(group.card.name)
    return True


def render_stale_cards(*, limit=200):
    """Render the cards a lost job left stale (the sweep); the number rendered."""
    stale = (ReferralGroup.objects.filter(card_rendered_version__lt=F("card_version"))
             .order_by("pk").values_list("pk", flat=True)[:limit])
    return sum(1 for group_id in list(stale) if render_group_card(group_id))
