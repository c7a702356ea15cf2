"""accounts/images.py at the edges: every shape, mode and format either renders at the promised sizes or is refused.

Any upload either gives every rendition or is refused with `ImageRejected`; nothing else (a zero-height resize,
a WebP over 16,383 px) may escape as a 500. The hypothesis test caps pixel counts and draws blocky pictures so
it stays fast, and biases sizes towards the extremes: one-pixel lines, the 8:1 limit ± 2, the rendition sizes
± 1 and WebP's 16,383 px limit.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import event, given, settings
from hypothesis import strategies as st
from PIL import Image

from accounts.images import AVATAR, MOBILE, SOCIAL_CARD, ImageRejected, render_image

RENDITIONS = [SOCIAL_CARD, MOBILE, AVATAR]
PIXEL_BUDGET = 1_000_000  # per generated image: room for 1300×700, where every rendition is scaled down
WEBP_MAX_SIDE = 16_383


def uploaded(image, format, name="upload", **options):
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return SimpleUploadedFile(name, buffer.getvalue())


def rendered(image, format="PNG", **options):
    return render_image(upload=uploaded(image, format, **options), renditions=RENDITIONS)


def opened(content_file):
    content_file.seek(0)
    image = Image.open(io.BytesIO(content_file.read()))
    image.load()
    return image


def expected_size(width, height, rendition):
    """What the renditions promise: never upscaled; fixed sizes are cover-cropped, then scaled down to fit."""
    if rendition.height is None:
        if width <= rendition.width:
            return width, height
        return rendition.width, round(height * rendition.width / width)
    if width * rendition.height > height * rendition.width:  # wider than the rendition: crop the sides
        crop = round(height * rendition.width / rendition.height), height
    else:
        crop = width, round(width * rendition.height / rendition.width)
    return crop if crop[0] <= rendition.width else (rendition.width, rendition.height)


def expected_refusal(width, height):
    if width > 8 * height:
        return "far too wide"
    if height > 8 * width:
        return "far too tall"
    if min(width, height) < 16:
        return "too small"
    return None


# Regressions: each of these was a 500 (zero-height resize, WebP size limit) or a 1-pixel "card".

@pytest.mark.parametrize("width, height, message", [
    (3000, 1, "This image is 3000×1 pixels, far too wide; .* no more than 8 times wider than tall"),
    (20000, 1, "This image is 20000×1 pixels, far too wide; .* no more than 8 times wider than tall"),
    (1, 3000, "This image is 1×3000 pixels, far too tall; .* no more than 8 times taller than wide"),
    (1, 20000, "This image is 1×20000 pixels, far too tall; .* no more than 8 times taller than wide"),
])
def test_it_refuses_extreme_shapes_with_a_sentence_saying_what_to_upload(width, height, message):
    with pytest.raises(ImageRejected, match=message):
        rendered(Image.new("RGB", (width, height), "orange"))


@pytest.mark.parametrize("width, height", [(1, 1), (2, 1), (15, 15), (15, 100), (120, 15)])
def test_it_refuses_images_too_small_to_make_a_rendition_from(width, height):
    with pytest.raises(ImageRejected, match=f"This image is {width}×{height} pixels, too small.* at least 16 pixels"):
        rendered(Image.new("RGB", (width, height), "orange"))


@pytest.mark.parametrize("width, height", [(1600, 200), (200, 1600), (16, 16), (128, 16), (16, 128)])
def test_it_accepts_shapes_up_to_the_limits(width, height):
    renditions = rendered(Image.new("RGB", (width, height), "orange"))
    for rendition in RENDITIONS:
        assert opened(renditions[rendition.name]).size == expected_size(width, height, rendition)


@pytest.mark.parametrize("width, height", [(1601, 200), (200, 1601), (129, 16), (16, 129)])
def test_it_refuses_shapes_just_past_the_limits(width, height):
    with pytest.raises(ImageRejected, match="far too"):
        rendered(Image.new("RGB", (width, height), "orange"))


def test_it_judges_the_shape_after_the_exif_rotation():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°: stored 3000×300, shown 300×3000
    with pytest.raises(ImageRejected, match="300×3000 pixels, far too tall"):
        rendered(Image.new("RGB", (3000, 300), "orange"), "JPEG", exif=exif)


def test_it_scales_16_bit_greyscale_instead_of_clipping_it_to_white():
    grey = Image.new("I;16", (64, 64), 32768)  # mid-grey on a 0..65535 scale
    card = opened(rendered(grey)["card"])
    red, green, blue = card.getpixel((5, 5))
    assert 120 <= red <= 136 and red == green == blue


# The whole pipeline, fuzzed.

# What each accepted format can hold. I and F have no home in these formats: Pillow converts them on the way
# into WebP and GIF, so they appear there only as the bytes a person could really upload.
FORMAT_MODES = {
    "PNG": ["1", "L", "LA", "P", "P with transparency", "RGB", "RGBA", "I;16"],
    "JPEG": ["1", "L", "RGB", "CMYK"],
    "WEBP": ["L", "LA", "P", "RGB", "RGBA", "I", "F"],
    "GIF": ["1", "L", "P", "P with transparency", "RGB", "RGBA", "I", "F"],
    "animated GIF": ["P", "P with transparency", "RGB"],
}
MAX_SIDE = {"WEBP": WEBP_MAX_SIDE}  # the others hold 65,535 px, more than we generate
EDGE_SIDES = [1, 2, 3, 15, 16, 17, 255, 256, 257, 599, 600, 601, 629, 630, 631, 1199, 1200, 1201, 3000,
              WEBP_MAX_SIDE, WEBP_MAX_SIDE + 1, 20_000]
sides = st.one_of(st.sampled_from(EDGE_SIDES), st.integers(1, 64), st.integers(1, 20_000))


@st.composite
def shapes(draw):
    kind = draw(st.sampled_from(["extreme", "near the 8:1 limit", "ordinary"]))
    if kind == "extreme":
        width, height = draw(sides), draw(sides)
    elif kind == "near the 8:1 limit":
        short = draw(st.integers(12, 200))
        long = 8 * short + draw(st.integers(-2, 2))
        width, height = draw(st.sampled_from([(long, short), (short, long)]))
    else:
        width, height = draw(st.integers(16, 1400)), draw(st.integers(16, 1400))
    if width * height > PIXEL_BUDGET:  # shrink the shorter side: the shape only gets more extreme
        if width >= height:
            height = max(1, PIXEL_BUDGET // width)
        else:
            width = max(1, PIXEL_BUDGET // height)
    return width, height


def picture(mode, size, seed):
    """Blocky noise rather than a flat colour, so palettes, alpha and resampling have something to do.

    Blocks of 8×8 pixels compress well, which keeps encoding and decoding the larger examples fast.
    """
    width, height = size
    grey = Image.effect_noise((-(-width // 8), -(-height // 8)), 40 + seed % 60).resize(size, Image.Resampling.NEAREST)
    rgb = Image.merge("RGB", (grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT), Image.new("L", size, seed % 256)))
    alpha = grey.point(lambda value: 0 if value < 100 else 255)
    if mode == "1":
        return grey.convert("1")
    if mode == "L":
        return grey
    if mode == "LA":
        return Image.merge("LA", (grey, alpha))
    if mode.startswith("P"):
        return rgb.quantize(colors=16)
    if mode == "RGB":
        return rgb
    if mode == "RGBA":
        return Image.merge("RGBA", (*rgb.split(), alpha))
    if mode == "CMYK":
        return rgb.convert("CMYK")
    if mode == "I;16":
        return grey.convert("I").point(lambda value: value * 257).convert("I;16")
    return grey.convert(mode)  # I, F


@st.composite
def uploads(draw):
    format = draw(st.sampled_from(sorted(FORMAT_MODES)))
    mode = draw(st.sampled_from(FORMAT_MODES[format]))
    width, height = draw(shapes())
    limit = MAX_SIDE.get(format, 65_535)
    width, height = min(width, limit), min(height, limit)
    seed = draw(st.integers(0, 2**16))
    image = picture(mode, (width, height), seed)
    options = {"transparency": 0} if mode == "P with transparency" else {}
    if format == "animated GIF":
        frames = [image, *(picture(mode, (width, height), seed + step) for step in (1, 2))]
        upload = uploaded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0, **options)
    else:
        upload = uploaded(image, format, **options)
    return upload, (width, height), f"{mode} {format}"


@settings(max_examples=100, deadline=None)
@given(case=uploads())
def test_it_renders_every_upload_at_the_promised_sizes_or_refuses_it(case):
    upload, (width, height), description = case
    refusal = expected_refusal(width, height)
    event(description)
    event(f"expected: {refusal or 'rendered'}")
    try:
        renditions = render_image(upload=upload, renditions=RENDITIONS)
    except ImageRejected as error:
        assert refusal is not None, f"{description} {width}×{height} refused: {error}"
        assert f"{width}×{height} pixels, {refusal}" in str(error)
        return
    assert refusal is None, f"{description} {width}×{height} should have been refused ({refusal})"
    for rendition in RENDITIONS:
        image = opened(renditions[rendition.name])
        assert image.format == rendition.format
        assert image.size == expected_size(width, height, rendition), (description, rendition.name)
        assert getattr(image, "n_frames", 1) == 1
