"""Share cards: a 1200×630 image per referral group showing the item, the live price and the way to the next tier.

The group page names the card in its Open Graph tags, so a share on a social network shows the live price.
Every change of a group's figures bumps `ReferralGroup.card_version` (promotions/referrals.py); a job renders
the card after the commit (`render_group_card`) and a sweep renders what a lost job left stale
(`render_stale_cards`). A render records the version it drew with a conditional UPDATE, so a slow render of an
older version never replaces a newer card.

Card files live under `promotions/cards/<group id>/`, named `<version>-<unix time written>-<random>.jpg`. A
replaced card is deleted only CARD_GRACE after a newer one took its place: a page served just before the swap
still names it, and link previewers fetch the image some time after the page.

Text needs no font files: Pillow's built-in scalable font (Aileron, Latin letters without accents) draws the
card when it can show every character; otherwise the first font of FONT_FILES that is installed and can, or
else the built-in font with the text spelled in what it has ("São Paulo → Jeju" as "Sao Paulo -> Jeju").
Without FreeType, Pillow's fixed bitmap font is drawn enlarged.
"""

import datetime
import functools
import io
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont, ImageOps, features

from promotions import referrals
from promotions.models import ReferralGroup

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
PANEL = 520  # the item image's width on the left; the text sits on the brand colour beside it
MARGIN = 56
DARK, LIGHT = (17, 24, 39), (255, 255, 255)
DEFAULT_COLOUR = "#1F4E8C"  # BrandAccount.brand_colour's default, for a colour that is not #RRGGBB
MAX_BYTES = 300 * 1024
JPEG_QUALITIES = (85, 75, 60, 45)  # tried in turn until the card is under MAX_BYTES
CARD_DIRECTORY = "promotions/cards"
CARD_NAME = re.compile(r"^(\d+)-(\d+)-[^./]+\.jpg$")
CARD_GRACE = datetime.timedelta(minutes=10)

# Installed by Debian's fonts-dejavu-core (accented Latin, Greek, Cyrillic, arrows) and fonts-noto-cjk (Hangul,
# kana, Chinese). Neither is needed: without them the built-in font shows what it can.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
# How the built-in font spells characters it does not have (accents are dropped separately).
SPELLED = {"→": "->", "←": "<-", "↔": "<->", "–": "-", "—": "-", "−": "-", "×": "x", "€": "EUR", "£": "GBP",
           "¥": "JPY", "₩": "KRW", "\u00a0": " "}
MISSING = "\U000f0000"  # a private-use character no font has: what a missing glyph looks like in a font
BITMAP_SIZE = 11  # the height of Pillow's bitmap font, which the fallback enlarges


# --- colours ---


def hex_to_rgb(colour):
    """(r, g, b) of "#RRGGBB"; the default brand colour for anything else."""
    colour = colour if re.fullmatch(r"#[0-9a-fA-F]{6}", colour or "") else DEFAULT_COLOUR
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def luminance(rgb):
    """Relative luminance (WCAG 2)."""
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    """The WCAG contrast ratio of two colours, 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour(background):
    """White or near-black, whichever reads better on `background` (at least 4.5:1 on every colour)."""
    return LIGHT if contrast(LIGHT, background) >= contrast(DARK, background) else DARK


# --- words ---


def money(amount, currency):
    """"1,290,000.00 KRW": two decimals and the currency code, as the group page shows prices."""
    return f"{Decimal(amount):,.2f} {currency}"


def percent_text(percent):
    """"10", "12.5": a discount without trailing zeros."""
    return f"{Decimal(percent).normalize():f}"


# --- fonts ---


@dataclass(frozen=True)
class Face:
    """A font at a pixel size; `scale` > 1 only for Pillow's bitmap font, drawn that many times larger."""

    font: object
    size: int
    scale: int = 1

    def length(self, text):
        return self.font.getlength(text) * self.scale


def scalable():
    return features.check("freetype2")


@functools.lru_cache(maxsize=128)
def face(source, size):
    """`source` (a font file, or None for Pillow's built-in font) at `size` pixels."""
    if not scalable():
        scale = max(1, round(size / BITMAP_SIZE))
        return Face(ImageFont.load_default_imagefont(), BITMAP_SIZE * scale, scale)
    if source is None:
        return Face(ImageFont.load_default(size=size), size)
    return Face(ImageFont.truetype(source, size), size)


@functools.lru_cache(maxsize=4096)
def shows(source, character):
    """Whether `source` has a glyph for `character` (it draws differently from a character no font has)."""
    if character.isspace():
        return True
    if not scalable():
        return " " <= character <= "~"
    font = face(source, 32).font
    return bytes(font.getmask(character)) != bytes(font.getmask(MISSING))


def typeface(texts, *, candidates=FONT_FILES):
    """The font for a card with `texts`: the built-in one when it shows them all, else the first installed
    candidate that does, else None (the built-in one, with the texts passed through `spelled()`)."""
    characters = set("".join(texts))
    if all(shows(None, character) for character in characters):
        return None
    for source in candidates:
        if scalable() and os.path.exists(source) and all(shows(source, character) for character in characters):
            return source
    return None


def spelled(text, source):
    """`text` with what `source` cannot show spelled in what it can ("é" as "e", "→" as "->") or left out; ""
    when no letter or digit is left (a name in a script no installed font has)."""
    out = []
    for character in text:
        if shows(source, character):
            out.append(character)
            continue
        plain = SPELLED.get(character) or unicodedata.normalize("NFKD", character)
        out.append("".join(part for part in plain if not unicodedata.combining(part) and shows(source, part)))
    text = " ".join("".join(out).split())
    return text if any(character.isalnum() for character in text) else ""  # "->" alone says nothing


# --- layout ---


def wrap(text, face, width):
    """`text` in lines of at most `width` pixels, breaking between words (a word wider than that stays whole)."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if not line or face.length(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines


def fitted(text, source, size, width, *, lines=1, smallest=24):
    """(face, lines) for `text` in at most `lines` lines of `width` px: smaller type down to `smallest`, then cut
    with an ellipsis."""
    while True:
        current = face(source, size)
        wrapped = wrap(text, current, width)
        if (len(wrapped) <= lines and all(current.length(line) <= width for line in wrapped)) or size <= smallest:
            break
        size = max(smallest, size - 4)
    ellipsis = "…" if shows(source, "…") else "..."
    kept = wrapped[:lines]
    for number, line in enumerate(kept):
        more = number == len(kept) - 1 and len(wrapped) > lines
        if more or current.length(line) > width:
            while line and current.length(line + ellipsis) > width:
                line = line[:-1]
            kept[number] = line.rstrip() + ellipsis
    return current, kept


@dataclass(frozen=True)
class CardText:
    """What a card says, in words; `progress` is the share of the way to the next tier (None: no next tier)."""

    account: str
    item: str
    label: str
    price: str
    was: str
    joined: str
    progress: float | None
    next_step: str


def card_text(*, item_name, account_name, standing, currency, settled):
    """The card's words from the group's `standing` (referrals.Standing)."""
    joined = f"{standing.confirmed} booked"
    if standing.members > standing.confirmed:
        joined = f"{standing.members} booked, {standing.confirmed} confirmed"
    if settled:
        next_step, progress = "Settled: this is the final price", None
    elif standing.next_price is not None:
        needed = standing.confirmed + standing.members_to_next
        progress = standing.confirmed / needed if needed else 0
        more = "1 more booking" if standing.members_to_next == 1 else f"{standing.members_to_next} more bookings"
        next_step = f"{more}: {money(standing.next_price, currency)} each ({percent_text(standing.next_percent)} % off)"
    else:
        next_step, progress = ("The deepest discount is reached" if standing.percent else ""), None
    return CardText(
        account=account_name, item=item_name, label="Final group price" if settled else "Group price now",
        price=money(standing.price, currency),
        was=(f"was {money(standing.list_price, currency)}, {percent_text(standing.percent)} % off"
             if standing.percent else ""),
        joined=joined, progress=progress, next_step=next_step,
    )


def write(card, xy, text, face, ink):
    if face.scale == 1:
        ImageDraw.Draw(card).text(xy, text, font=face.font, fill=ink)
        return
    left, top, right, bottom = face.font.getbbox(text)
    small = Image.new("L", (max(1, right), max(1, bottom)))
    ImageDraw.Draw(small).text((0, 0), text, font=face.font, fill=255)
    large = small.resize((small.width * face.scale, small.height * face.scale), Image.Resampling.NEAREST)
    card.paste(ink, (*xy, xy[0] + large.width, xy[1] + large.height), mask=large)


def card_image(*, text, brand_colour, item_image=None):
    """The card as a Pillow image (pure: no database): `text` (CardText) on the brand colour, the item image
    (a Pillow image or None) as a panel on the left."""
    background = hex_to_rgb(brand_colour)
    ink = text_colour(background)
    card = Image.new("RGB", (WIDTH, HEIGHT), background)
    left = MARGIN
    if item_image is not None:
        card.paste(ImageOps.fit(item_image.convert("RGB"), (PANEL, HEIGHT)), (0, 0))
        left = PANEL + MARGIN
    width = WIDTH - left - MARGIN
    source = typeface([text.account, text.item])
    account, item = spelled(text.account, source), spelled(text.item, source)
    y = MARGIN
    # Every line is fitted to the width and the sizes add up to less than the height, whatever the text says.
    for content, size, lines, gap in ((account, 28, 1, 24), (item, 48, 2, 20), (text.label, 28, 1, 8),
                                      (text.price, 88, 1, 12), (text.was, 28, 1, 28), (text.joined, 28, 1, 14)):
        if not content:
            continue
        fitted_face, wrapped = fitted(content, source, size, width, lines=lines)
        for line in wrapped:
            write(card, (left, y), line, fitted_face, ink)
            y += fitted_face.size + 6
        y += gap
    if text.progress is not None:
        draw = ImageDraw.Draw(card)
        draw.rectangle((left, y, left + width, y + 24), outline=ink, width=3)
        filled = round(width * min(max(text.progress, 0), 1))
        if filled:
            draw.rectangle((left, y, left + filled, y + 24), fill=ink)
        y += 24 + 14
    if text.next_step:
        fitted_face, wrapped = fitted(text.next_step, source, 28, width)
        write(card, (left, y), wrapped[0], fitted_face, ink)
    return card


def encode(image):
    """JPEG bytes under MAX_BYTES (a busy photo panel may need a lower quality)."""
    for quality in JPEG_QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        if buffer.tell() <= MAX_BYTES:
            break
    return buffer.getvalue()


# --- files ---


def card_storage():
    return ReferralGroup._meta.get_field("card").storage


def card_directory(group_id):
    return f"{CARD_DIRECTORY}/{group_id}"


def replaced_cards(names, *, version, at):
    """Which of one group's card files to delete now that `version` is its card: files of older versions that
    a newer card up to `version` replaced at least CARD_GRACE before `at`.

    A card is recorded (or refused) right after its file is written, so a newer file's time is when the older
    cards stopped being shown. Files of `version` and newer, and names not made here, are never touched.
    """
    cutoff = (at - CARD_GRACE).timestamp()
    files = [(int(found[1]), int(found[2]), name) for name in names if (found := CARD_NAME.match(name))]
    return sorted(name for older, _written, name in files
                  if older < version and any(older < newer <= version and written <= cutoff
                                             for newer, written, _name in files))


def remove_replaced_cards(*, group_id, version, at):
    storage = card_storage()
    directory = card_directory(group_id)
    try:
        _directories, names = storage.listdir(directory)
        for name in replaced_cards(names, version=version, at=at):
            storage.delete(f"{directory}/{name}")
    except (OSError, NotImplementedError) as error:  # a missed deletion leaves a file, never a broken card
        log.warning("Old share cards of referral group %s were not deleted (%s).", group_id, error)


# --- rendering ---


def stale_group(group_id):
    """The group, if its card is older than its figures; None otherwise (or when it is gone)."""
    return (ReferralGroup.objects.select_related("item", "offer__account")
            .filter(pk=group_id, card_rendered_version__lt=F("card_version")).first())


def item_picture(item):
    """The item's 1200×630 rendition as a Pillow image, or None (no image, or one that cannot be read)."""
    if not item.image_card:
        return None
    try:
        with item.image_card.open("rb") as stored:
            picture = Image.open(io.BytesIO(stored.read()))
            picture.load()
        return picture
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        log.warning("The image of referral item %s could not be read for a share card (%s).", item.pk, error)
        return None


def store_card(group, *, at):
    """Draw the card of `group` as it was read and save it under a new server-chosen name; the stored name."""
    offer = group.offer
    text = card_text(item_name=group.item.name, account_name=offer.account.name, standing=referrals.standing(group),
                     currency=offer.currency, settled=group.settled_at is not None)
    image = card_image(text=text, brand_colour=offer.account.brand_colour, item_image=item_picture(group.item))
    name = f"{card_directory(group.pk)}/{group.card_version}-{int(at.timestamp())}-{secrets.token_hex(4)}.jpg"
    return card_storage().save(name, ContentFile(encode(image)))


def record_card(*, group, name, at):
    """Make the stored file `name` the card of `group`'s version unless a card of that version or newer is
    recorded already (then the file is deleted); whether it was recorded."""
    version = group.card_version
    recorded = ReferralGroup.objects.filter(pk=group.pk, card_rendered_version__lt=version).update(
        card=name, card_rendered_version=version)
    if not recorded:
        card_storage().delete(name)
        return False
    remove_replaced_cards(group_id=group.pk, version=version, at=at)
    return True


def render_group_card(group_id, *, at=None):
    """Render the group's card if it is older than the group's figures; whether a new card was recorded."""
    at = at or timezone.now()
    group = stale_group(group_id)
    if group is None:
        return False
    return record_card(group=group, name=store_card(group, at=at), at=at)


def render_stale_cards(*, limit=200, at=None):
    """Render the cards that lost jobs left stale (the sweep); the number rendered. A card that cannot be
    stored is logged and left stale for the next sweep."""
    stale = list(ReferralGroup.objects.filter(card_rendered_version__lt=F("card_version"))
                 .order_by("pk").values_list("pk", flat=True)[:limit])
    rendered = 0
    for group_id in stale:
        try:
            rendered += render_group_card(group_id, at=at)
        except OSError as error:
            log.warning("The share card of referral group %s was not rendered (%s).", group_id, error)
    return rendered
