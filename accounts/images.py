"""Uploaded images → validated, re-encoded renditions (avatars, campaign hero images).

The upload itself is never stored or served: only renditions made from its
pixels, so metadata (EXIF, GPS) and anything appended to the file (polyglots)
are gone. Checks run cheapest first: byte size, then the format and pixel
count from the header, and only then the full decode; the shape is judged on
the decoded, EXIF-rotated image, as a person sees it.

Invariant: every rendition is at least 1 px and at most the format's limit on
each side. The shape limits below make that hold with room to spare; `fit()`
clamps and `encode()` checks so that a future rendition cannot break it.
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

# Shape limits. 8:1 either way takes LinkedIn-style 4:1 banners, most phone panoramas and long infographics,
# while every rendition still shows a real part of the picture: cover-cropping an 8:1 image keeps about a
# quarter of its width in the 1.91:1 social card and an eighth in the square avatar, and the 600 px mobile
# rendition is at most 600×4800 (about eight phone screens; WebP's limit is 16,383) and at least 600×75.
# Past 8:1 a crop is a sliver or a 1-pixel line and the keep-aspect rendition rounds towards nothing.
MAX_ASPECT_RATIO = 8
# 16 px on the shorter side (a favicon) is the least that still makes renditions of 8 px or more on every side;
# smaller images, which we never upscale, would give cards of one or two pixels.
MIN_SIDE = 16
MAX_SIDE = {"JPEG": 65_535, "WEBP": 16_383}  # what each encoder can hold
TOO_WIDE = (f"This image is {{size}} pixels, far too wide; crop it, or upload one no more than {MAX_ASPECT_RATIO} "
            "times wider than tall (e.g. 2400×1600).")
TOO_TALL = (f"This image is {{size}} pixels, far too tall; crop it, or upload one no more than {MAX_ASPECT_RATIO} "
            "times taller than wide (e.g. 1600×2400).")
UNUSABLE_SHAPE = ("This image would make a {size} pixel {rendition} image, which cannot be saved; upload one no more "
                  f"than {MAX_ASPECT_RATIO} times wider than tall or taller than wide (e.g. 2400×1600).")
TOO_SMALL = (f"This image is {{size}} pixels, too small to use; upload one at least {MIN_SIDE} pixels on each side "
             "(e.g. 1200×800).")


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
    check_shape(image.width, image.height)
    return working_copy(image)


def check_shape(width, height):
    size = f"{width}×{height}"
    if width > MAX_ASPECT_RATIO * height:
        raise ImageRejected(TOO_WIDE.format(size=size))
    if height > MAX_ASPECT_RATIO * width:
        raise ImageRejected(TOO_TALL.format(size=size))
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(TOO_SMALL.format(size=size))


def working_copy(image):
    """One of L, LA, RGB, RGBA, so `fit()` resamples every upload smoothly and `encode()` meets four modes only.

    Palettes would be resized pixel by pixel (Pillow uses nearest-neighbour for P and 1), and 16-bit greyscale
    would be clipped to white by a plain convert: PNG scales samples to the full 0..65535 range, so divide.
    """
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode.startswith("I;16") or image.mode == "I":  # I: how older Pillows read 16-bit PNGs
        return image.convert("I").point(lambda value: value / 256, "L")
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("P", "PA"):
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    return image.convert("RGB")  # CMYK, YCbCr, …


def fit(image, rendition):
    """Scale (never up) to the rendition's width; for fixed sizes, cover-crop to its aspect ratio."""
    # max(1, …): rounding must never give a zero side, whatever shape gets past `check_shape()`.
    if rendition.height is None:
        if image.width <= rendition.width:
            return image.copy()
        height = max(1, round(image.height * rendition.width / image.width))
        return image.resize((rendition.width, height), Image.Resampling.LANCZOS)
    if image.width * rendition.height > image.height * rendition.width:  # wider than the rendition
        crop_width, crop_height = max(1, round(image.height * rendition.width / rendition.height)), image.height
    else:
        crop_width, crop_height = image.width, max(1, round(image.width * rendition.height / rendition.width))
    left, top = (image.width - crop_width) // 2, (image.height - crop_height) // 2
    cropped = image.crop((left, top, left + crop_width, top + crop_height))
    if crop_width <= rendition.width:
        return cropped  # a small original gives a small card rather than a blurry one
    return cropped.resize((rendition.width, rendition.height), Image.Resampling.LANCZOS)


def encode(image, rendition):
    """`image` is in one of the modes `working_copy()` makes."""
    if not all(1 <= side <= MAX_SIDE[rendition.format] for side in image.size):
        # Unreachable while the shape limits and renditions stay as they are; a refusal beats a 500 if not.
        raise ImageRejected(UNUSABLE_SHAPE.format(size=f"{image.width}×{image.height}", rendition=rendition.name))
    output = io.BytesIO()
    if rendition.format == "JPEG":
        if image.mode in ("RGBA", "LA"):
            image = image.convert("RGBA")
            flattened = Image.new("RGB", image.size, "white")
            flattened.paste(image, mask=image.getchannel("A"))
            image = flattened
        image.convert("RGB").save(output, "JPEG", quality=85, progressive=True, optimize=True)
    else:
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA") else "RGB")
        image.save(output, "WEBP", quality=82, method=4)
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{EXTENSIONS[rendition.format]}")
