"""Photo and signature rules: each bad file is refused naming the rule, good ones are
re-encoded without metadata."""
import io

import pytest
from PIL import Image

from app.registry.images import ImageRejected, check_and_normalise
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
    ("photo", samples.PDF, "不是JPEG或PNG"),
    ("photo", samples.photo()[:4000], "损坏或不完整"),
    ("photo", b"", "文件为空"),
    ("photo", samples.SVG_WITH_SCRIPT, "不是JPEG或PNG"),
    ("photo", samples.gif(), "GIF"),
    ("photo", b"\xff\xd8" + b"0" * (2 * 1024 * 1024 + 10), "大于2"),
    ("signature", b"\x89PNG" + b"0" * (1024 * 1024 + 10), "大于1"),
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
