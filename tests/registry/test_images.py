"""Photo and signature rules: each bad file is refused naming the rule, good ones are
re-encoded without metadata."""
import io

import pytest
from PIL import Image

from app.registry.images import ImageRejected, check_and_normalise
from app.registry.scans import check_scan
from tests import image_samples as samples


@pytest.fixture(autouse=True)
def _request_context(app):
    with app.test_request_context():
        yield


def test_a_good_photo_is_reencoded_as_a_small_jpeg_without_metadata():
    content, content_type = check_and_normalise("photo", samples.photo(
        827, 1158, with_gps_comment=True))
    stored = Image.open(io.BytesIO(content))
    assert content_type == "image/jpeg" and stored.format == "JPEG"
    assert stored.width == 360
    assert not stored.getexif() and b"secret-location" not in content


def test_camera_orientation_is_applied_before_the_portrait_rule():
    sideways = samples.photo(579, 413, exif_orientation=6)  # stored landscape, shown portrait
    content, _ = check_and_normalise("photo", sideways)
    stored = Image.open(io.BytesIO(content))
    assert stored.height > stored.width


def test_a_good_signature_is_kept_as_greyscale_png():
    content, content_type = check_and_normalise("signature", samples.signature())
    assert content_type == "image/png" and Image.open(io.BytesIO(content)).mode == "L"


@pytest.mark.parametrize("kind, content, message", [
    ("photo", samples.PDF, "不是JPEG、PNG或HEIC"),
    ("photo", samples.photo()[:4000], "损坏或不完整"),
    ("photo", b"", "文件为空"),
    ("photo", samples.SVG_WITH_SCRIPT, "不是JPEG、PNG或HEIC"),
    ("photo", samples.gif(), "GIF"),
    ("photo", b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10), "大于10"),
    ("signature", b"\x89PNG" + b"0" * (10 * 1024 * 1024 + 10), "大于10"),
    ("photo", samples.photo(200, 280), "至少需要295×413"),
    ("photo", samples.photo(579, 413), "竖版"),
    ("photo", samples.photo(413, 800), "5:7"),
    ("photo", samples.photo(background=(30, 30, 30)), "背景"),
    ("signature", samples.signature(320, 400), "横版"),
    ("signature", samples.signature(paper=(60, 60, 60)), "白纸"),
    ("signature", samples.signature(ink=(250, 250, 250)), "笔迹"),
])
def test_bad_files_are_refused_naming_the_rule(kind, content, message):
    with pytest.raises(ImageRejected) as refused:
        check_and_normalise(kind, content)
    assert message in str(refused.value)


def test_a_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ImageRejected) as refused:
        check_and_normalise("photo", samples.huge_canvas_png())
    assert "像素" in str(refused.value)


# ---------------------------------------------------------------- phone photos (issue 15)
def _stored(content):
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG" and not getattr(image, "is_animated", False)
    return image


def test_a_phone_jpeg_with_a_second_picture_is_stored_as_its_first_picture():
    content, content_type = check_and_normalise("photo", samples.phone_jpeg(827, 1158))
    stored = _stored(content)
    assert content_type == "image/jpeg" and stored.size == (360, 504)  # 827×1158 scaled
    assert stored.convert("RGB").getpixel((5, 5))[2] > 200  # the first picture's light blue


def test_an_iphone_heic_photo_is_stored_as_jpeg():
    content, content_type = check_and_normalise("photo", samples.heic(827, 1158))
    stored = _stored(content)
    assert content_type == "image/jpeg" and stored.size == (360, 504)
    assert stored.convert("RGB").getpixel((5, 5))[2] > 200


def test_a_sideways_heic_is_turned_by_its_orientation_before_the_portrait_rule():
    content, _ = check_and_normalise("photo", samples.heic(579, 413, exif_orientation=6))
    assert _stored(content).size == (360, 505)  # shown as 413×579 portrait


def test_a_sideways_phone_jpeg_is_turned_by_its_orientation_too():
    content, _ = check_and_normalise("photo", samples.phone_jpeg(579, 413, exif_orientation=6))
    assert _stored(content).size == (360, 505)


@pytest.mark.parametrize("sample", [samples.phone_jpeg, samples.heic], ids=["mpo", "heic"])
def test_nothing_but_the_pixels_of_a_phone_photo_is_kept(sample):
    upload = sample(827, 1158, with_gps_comment=True)
    assert b"secret-location" in upload
    content, _ = check_and_normalise("photo", upload)
    stored = _stored(content)
    assert not stored.getexif() and not stored.info.get("icc_profile")
    assert b"secret-location" not in content and b"MPF" not in content


def test_phone_signatures_and_scans_are_accepted_too():
    _, content_type = check_and_normalise("signature", samples.as_heic(samples.signature()))
    assert content_type == "image/png"
    for scan in (samples.heic(1200, 900), samples.phone_jpeg(1200, 900)):
        content, content_type = check_scan(scan)
        assert content_type == "image/jpeg" and _stored(content).size == (1200, 900)


PHONE_REFUSALS = [
    (samples.phone_jpeg(200, 280), "至少需要295×413"),
    (samples.heic(200, 280), "至少需要295×413"),
    (samples.phone_jpeg(579, 413), "竖版"),
    (samples.heic(579, 413), "竖版"),
    (samples.phone_jpeg(413, 800), "5:7"),
    (samples.heic(413, 800), "5:7"),
    (samples.phone_jpeg(background=(30, 30, 30)), "背景"),
    (samples.heic(background=(30, 30, 30)), "背景"),
    (samples.huge_canvas_heic(), "像素"),
    (samples.heic()[:-200], "损坏或不完整"),
]


@pytest.mark.parametrize("content, message", PHONE_REFUSALS)
def test_phone_photos_meet_every_rule_of_the_others(content, message):
    with pytest.raises(ImageRejected) as refused:
        check_and_normalise("photo", content)
    assert message in str(refused.value)


def test_a_phone_camera_photo_of_several_megabytes_is_taken_and_stored_small():
    """A 12-megapixel photo as a phone sends it, with sensor noise that keeps the JPEG large
    (over the old 2 MB limit): accepted, and what is kept is the 360 px re-encoding."""
    portrait = Image.open(io.BytesIO(samples.photo(2940, 4116))).convert("RGB")
    grain = Image.effect_noise(portrait.size, 24).convert("RGB")
    out = io.BytesIO()
    Image.blend(portrait, grain, 0.12).save(out, "JPEG", quality=95)
    sent = out.getvalue()
    assert 2 * 1024 * 1024 < len(sent) < 10 * 1024 * 1024
    stored, content_type = check_and_normalise("photo", sent)
    assert content_type == "image/jpeg" and Image.open(io.BytesIO(stored)).width == 360
    assert len(stored) < 200 * 1024
