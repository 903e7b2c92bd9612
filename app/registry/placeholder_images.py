"""Placeholder ID photo and signature images for demo data, drawn and encoded as PNG by
Pillow, which also checks and re-encodes real uploads (those arrive with 入库登记)."""
from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

BACKGROUND = (214, 232, 250)  # light blue, as an ID photo's background must be light and plain
SILHOUETTE = (120, 120, 130)
INK = (20, 20, 40)
PAPER = (255, 255, 255)


def _png(image: Image.Image) -> bytes:
    # Same pixels, same bytes: demo data finds the stored placeholder again by its sha256.
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def id_photo(width: int = 360, height: int = 504) -> bytes:
    """A light-blue background with a grey head-and-shoulders silhouette (5:7 portrait)."""
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    cx, head_cy, head_r = width / 2, height * 0.38, width * 0.2
    draw.ellipse((cx - head_r, head_cy - head_r / 0.85, cx + head_r, head_cy + head_r / 0.85),
                 fill=SILHOUETTE)
    top = height * 0.66  # the shoulders widen towards the bottom edge
    top_half, bottom_half = width * 0.42 - (height - top) * 0.35, width * 0.42
    draw.polygon([(cx - top_half, top), (cx + top_half, top), (cx + bottom_half, height),
                  (cx - bottom_half, height)], fill=SILHOUETTE)
    return _png(image)


def signature(width: int = 360, height: int = 120) -> bytes:
    """Dark strokes on white, wider than tall."""
    image = Image.new("RGB", (width, height), PAPER)
    stroke = [(x, height / 2 + math.sin(x / 17) * height / 5 + math.sin(x / 5) * 6)
              for x in range(21, width - 20)]
    ImageDraw.Draw(image).line(stroke, fill=INK, width=5, joint="curve")
    return _png(image)
