"""Hero images and avatars through the admin: renditions stored, bad files refused with nothing saved."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from campaigns.models import Campaign
from tests.campaigns.test_admin import form_data


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg(width=2400, height=1600):
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the camera was held upright
    exif[0x010F] = "SecretCam"
    Image.new("RGB", (width, height), "#0B5CAD").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_claiming(width, height):
    """A tiny PNG whose header claims `width`×`height`: a decompression bomb without the bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def post_campaign(client, account, upload):
    return client.post(reverse("admin:campaigns_campaign_add"), {**form_data(account), "hero_upload": upload})


def test_a_hero_image_becomes_a_social_card_and_a_phone_image(client, alice, main_account):
    client.force_login(alice)
    response = post_campaign(client, main_account, SimpleUploadedFile("../../etc/passwd.jpg", jpeg()))
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert (campaign.hero_card.width, campaign.hero_card.height) == (1200, 630)
    assert campaign.hero_mobile.width == 600
    assert campaign.hero_mobile.height == 900  # EXIF orientation applied: portrait
    assert "passwd" not in campaign.hero_card.name and ".." not in campaign.hero_card.name
    with campaign.hero_card.open() as card:
        assert b"SecretCam" not in card.read()


@pytest.mark.parametrize("name, content, message", [
    ("bomb.png", png_claiming(20000, 20000), b"at most 24 megapixels"),
    ("big.png", png_claiming(6000, 5000), b"6000\xc3\x975000 pixels"),
    ("truncated.jpg", jpeg()[:5000], b"damaged or incomplete"),
    ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', b"not an image"),
    ("page.jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>", b"not an image"),
    ("huge.jpg", b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 1), b"5 MB or less"),
])
def test_bad_images_are_refused_with_a_clear_error_and_nothing_saved(client, alice, main_account, name, content,
                                                                     message, settings):
    client.force_login(alice)
    response = post_campaign(client, main_account, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content
    assert not Campaign.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_an_avatar_is_stored_as_a_square_rendition(client, superuser, main_account):
    client.force_login(superuser)
    data = {
        "name": main_account.name, "slug": main_account.slug, "kind": main_account.kind, "active": "on",
        "description": "", "brand_colour": "#1F4E8C", "timezone": "Asia/Seoul", "currency": "KRW",
        "handles-TOTAL_FORMS": "0", "handles-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        "avatar_upload": SimpleUploadedFile("me.jpg", jpeg(800, 600)),
    }
    response = client.post(reverse("admin:accounts_brandaccount_change", args=[main_account.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    main_account.refresh_from_db()
    assert (main_account.avatar.width, main_account.avatar.height) == (256, 256)
    assert main_account.avatar.name.endswith(".webp")


def test_it_refuses_a_3000_by_1_hero_image_with_a_form_error_and_saves_nothing(client, alice, main_account, settings):
    client.force_login(alice)
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 1), "#0B5CAD").save(buffer, "PNG")
    response = post_campaign(client, main_account, SimpleUploadedFile("line.png", buffer.getvalue()))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["hero_upload"]
    assert errors == ["This image is 3000×1 pixels, far too wide; crop it, or upload one no more than 8 times wider "
                      "than tall (e.g. 2400×1600)."]
    assert "far too wide" in response.content.decode()
    assert not Campaign.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))
