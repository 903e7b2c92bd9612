"""The demo data's placeholder photo and signature (issue 15, point 7): drawn by Pillow, they
open as the PNGs they claim to be and would pass the rules a real upload must meet."""
import ast
import io
from pathlib import Path

import pytest
from PIL import Image

from app.registry import placeholder_images
from app.registry.images import check_and_normalise

SAMPLES = [("photo", placeholder_images.id_photo, (360, 504)),
           ("signature", placeholder_images.signature, (360, 120))]


@pytest.mark.parametrize("kind, draw, size", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_a_placeholder_is_a_png_of_its_size_that_meets_the_upload_rules(kind, draw, size):
    content = draw()
    image = Image.open(io.BytesIO(content))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", size)
    image.load()  # decodes completely: not truncated
    check_and_normalise(kind, content)  # raises naming the rule it would break
    assert draw() == content  # the demo finds it again by its sha256 on a rerun


def test_the_drawing_is_where_it_should_be():
    photo = Image.open(io.BytesIO(placeholder_images.id_photo(250, 350)))
    assert photo.size == (250, 350)
    assert photo.getpixel((3, 3)) == placeholder_images.BACKGROUND
    assert photo.getpixel((125, 133)) == placeholder_images.SILHOUETTE  # the head
    assert photo.getpixel((125, 345)) == placeholder_images.SILHOUETTE  # the shoulders
    sign = Image.open(io.BytesIO(placeholder_images.signature(400, 150))).convert("L")
    assert sign.size == (400, 150) and sign.getpixel((3, 3)) == 255
    assert min(sign.crop((20, 0, 380, 150)).getextrema()) < 60  # a stroke is drawn


def test_the_images_are_encoded_by_pillow_not_by_hand():
    tree = ast.parse(Path(placeholder_images.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert "PIL" in imported and not imported & {"zlib", "struct"}
