"""accounts/images.py: only renditions made from pixels leave the pipeline."""

import contextlib
import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.images import AVATAR, MOBILE, SOCIAL_CARD, ImageRejected, render_image


def encoded(image, format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def upload(data, name="upload.jpg"):
    return SimpleUploadedFile(name, data)


def opened(content_file):
    return Image.open(io.BytesIO(content_file.read()))


def test_it_makes_every_rendition_at_its_exact_size_and_format():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°: the photo was taken upright
    exif[0x8825] = {1: "N", 2: (37.0, 33.0, 0.0)}  # GPS
    data = encoded(Image.new("RGB", (3000, 2000), "navy"), "JPEG", exif=exif)
    renditions = render_image(upload=upload(data), renditions=[SOCIAL_CARD, MOBILE, AVATAR])
    card, mobile, avatar = (opened(renditions[name]) for name in ("card", "mobile", "avatar"))
    assert (card.format, card.size) == ("JPEG", (1200, 630))
    assert (mobile.format, mobile.size) == ("WEBP", (600, 900))  # portrait after the EXIF rotation
    assert (avatar.format, avatar.size) == ("WEBP", (256, 256))
    for image in (card, mobile, avatar):
        assert len(image.getexif()) == 0
        assert "exif" not in image.info


def test_transparency_is_flattened_for_jpeg_and_kept_for_webp():
    data = encoded(Image.new("RGBA", (1300, 700), (255, 0, 0, 0)), "PNG")
    renditions = render_image(upload=upload(data, "logo.png"), renditions=[SOCIAL_CARD, MOBILE])
    card = opened(renditions["card"])
    assert card.mode == "RGB"
    assert card.getpixel((10, 10)) == (255, 255, 255)
    assert opened(renditions["mobile"]).mode == "RGBA"


def test_an_animation_becomes_its_first_frame():
    frames = [Image.new("RGB", (800, 420), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    card = opened(render_image(upload=upload(buffer.getvalue(), "a.gif"), renditions=[SOCIAL_CARD])["card"])
    assert getattr(card, "n_frames", 1) == 1
    red, green, blue = card.convert("RGB").getpixel((5, 5))
    assert red > 200 and green < 60 and blue < 60


def test_small_images_are_never_upscaled():
    data = encoded(Image.new("RGB", (300, 200), "teal"), "PNG")
    renditions = render_image(upload=upload(data, "small.png"), renditions=[SOCIAL_CARD, MOBILE])
    assert opened(renditions["mobile"]).size == (300, 200)
    card_width, card_height = opened(renditions["card"]).size
    assert card_width == 300 and abs(card_width / card_height - 1200 / 630) < 0.02


def test_appended_payloads_do_not_survive():
    polyglot = (encoded(Image.new("RGB", (700, 400), "gold"), "GIF")
                + b"<script>alert(1)</script>" + b"PK\x03\x04" + b"\x00" * 64)
    renditions = render_image(upload=upload(polyglot, "cat.gif"), renditions=[SOCIAL_CARD, MOBILE])
    for content in renditions.values():
        data = content.read()
        assert b"<script" not in data and b"PK\x03\x04" not in data


def test_names_are_chosen_by_the_server():
    data = encoded(Image.new("RGB", (640, 480)), "JPEG")
    renditions = render_image(upload=upload(data, "../../etc/passwd.jpg"), renditions=[SOCIAL_CARD, MOBILE])
    for content in renditions.values():
        stem, extension = content.name.rsplit(".", 1)
        assert len(stem) == 32 and all(character in "0123456789abcdef" for character in stem)
        assert extension in {"jpg", "webp"}


@pytest.mark.parametrize("data, name, message", [
    (encoded(Image.new("RGB", (64, 64)), "BMP"), "bitmap.bmp", "BMP images are not accepted"),
    (encoded(Image.new("RGB", (64, 64)), "TIFF"), "scan.tiff", "TIFF images are not accepted"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg", "not an image"),
    (bytes(random.Random(7).randbytes(4096)), "noise.jpg", "not an image"),
    (encoded(Image.new("RGB", (2000, 1500), "red"), "JPEG")[:3000], "cut.jpg", "damaged or incomplete"),
])
def test_it_refuses_what_it_cannot_use_with_a_sentence_saying_what_to_do(data, name, message):
    with pytest.raises(ImageRejected, match=message):
        render_image(upload=upload(data, name), renditions=[MOBILE])


def test_mutated_files_either_render_or_are_refused_cleanly():
    original = encoded(Image.new("RGB", (120, 80), "purple"), "PNG")
    generator = random.Random(2026)
    for _ in range(50):
        data = bytearray(original)
        for _ in range(generator.randint(1, 8)):
            data[generator.randrange(len(data))] = generator.randrange(256)
        with contextlib.suppress(ImageRejected):  # refusing is fine; any other exception fails the test
            render_image(upload=upload(bytes(data), "fuzz.png"), renditions=[MOBILE])
