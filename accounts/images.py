"""Uploaded images → validated, re-encoded renditions (avatars, campaign hero images).

The upload itself is never stored or served: only renditions made from its
pixels, so metadata (EXIF, GPS) and anything appended to the file (polyglots)
are gone. Checks run cheapest first: byte size, then the format and pixel
count from the header, and only then the full decode.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image, ImageOps


class ImageRejected(ValueError):
    """The upload cannot be used; the message says what to do instead."""


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int | None  # None: keep the aspect ratio
    format: str  # "JPEG" or "WEBP"


SOCIAL_CARD = Rendition("card", 1200, 630, "JPEG")
MOBILE = Rendition("mobile", 600, None, "WEBP")
AVATAR = Rendition("avatar", 256, 256, "WEBP")

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 24_000_000  # well under Pillow's decompression-bomb limit (~89 MP)
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
EXTENSIONS = {"JPEG": "jpg", "WEBP": "webp"}
TOO_MANY_PIXELS = (f"This image is {{size}}; upload one of at most {MAX_PIXELS // 1_000_000} megapixels "
                   "(e.g. 6000×4000).")
DAMAGED = "This image is damaged or incomplete; export it again and re-upload."


def render_image(*, upload, renditions):
    """Validate `upload` and return {rendition name: ContentFile} with server-chosen names."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ImageRejected(f"This file is {size / 1024 / 1024:.1f} MB; upload an image of 5 MB or less.")
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected("This file is over 5 MB; upload an image of 5 MB or less.")
    image = open_checked(data)
    return {rendition.name: encode(fit(image, rendition), rendition) for rendition in renditions}


def open_checked(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(TOO_MANY_PIXELS.format(size="far too many pixels")) from None
        except (OSError, SyntaxError, ValueError):
            raise ImageRejected("This file is not an image we can read; upload a JPEG, PNG, WebP or GIF.") from None
        if image.format not in ALLOWED_FORMATS:
            raise ImageRejected(f"{image.format} images are not accepted; upload a JPEG, PNG, WebP or GIF.")
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageRejected(TOO_MANY_PIXELS.format(size=f"{width}×{height} pixels"))
        try:
            image.seek(0)  # the first frame of an animation
            image.load()
            image = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(DAMAGED) from None
    return image


def fit(image, rendition):
    """Scale (never up) to the rendition's width; for fixed sizes, cover-crop to its aspect ratio."""
    if rendition.height is None:
        if image.width <= rendition.width:
            return image.copy()
        height = round(image.height * rendition.width / image.width)
        return image.resize((rendition.width, height), Image.Resampling.LANCZOS)
    target_ratio = rendition.width / rendition.height
    if image.width / image.height > target_ratio:
        crop_width, crop_height = round(image.height * target_ratio), image.height
    else:
        crop_width, crop_height = image.width, round(image.width / target_ratio)
    left, top = (image.width - crop_width) // 2, (image.height - crop_height) // 2
    cropped = image.crop((left, top, left + crop_width, top + crop_height))
    if crop_width <= rendition.width:
        return cropped  # a small original gives a small card rather than a blurry one
    return cropped.resize((rendition.width, rendition.height), Image.Resampling.LANCZOS)


def encode(image, rendition):
    output = io.BytesIO()
    if rendition.format == "JPEG":
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            flattened = Image.new("RGB", image.size, "white")
            flattened.paste(image, mask=image.getchannel("A"))
            image = flattened
        image.convert("RGB").save(output, "JPEG", quality=85, progressive=True, optimize=True)
    else:
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
        image.save(output, "WEBP", quality=82, method=4)
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{EXTENSIONS[rendition.format]}")
