"""Images drawn for the certificate: the QR code, the usage-period watermark and the
development seal. All are PNG bytes, embedded in the PDF as data URIs, so xhtml2pdf reads
no file but the font."""
from __future__ import annotations

import io
import math
from functools import lru_cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

FONT_FILE = Path(__file__).resolve().parent / "assets" / "fonts" / "wqy-microhei.ttc"
SEAL_RED = (200, 30, 30, 235)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size, index=0)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


@lru_cache(maxsize=64)
def watermark_jpeg(text: str) -> bytes:
    """Light diagonal lines of `text` over the whole page (A4 proportions). It lies behind
    everything, so it needs no transparency: a grey JPEG costs ~40 KB where a PNG with
    alpha cost ~400 KB."""
    width, height = 700, 990
    tile = Image.new("L", (width * 2, height * 2), 255)
    draw = ImageDraw.Draw(tile)
    font = _font(24)
    line = f"{text}　　" * 6
    for row in range(0, height * 2, 100):
        draw.text((((row // 100) % 2) * 110, row), line, font=font, fill=228)
    rotated = tile.rotate(30, resample=Image.Resampling.BICUBIC, fillcolor=255)
    left, top = (rotated.width - width) // 2, (rotated.height - height) // 2
    out = io.BytesIO()
    rotated.crop((left, top, left + width, top + height)).save(out, "JPEG", quality=70)
    return out.getvalue()


@lru_cache(maxsize=8)
def development_seal_png(authority: str) -> bytes:
    """A round red seal with the authority's name on the arc, a star and "样章" (specimen):
    a stand-in until the authority's real seal image is configured (SEAL_IMAGE)."""
    size, radius = 420, 200
    seal = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(seal)
    centre = size // 2
    draw.ellipse((centre - radius, centre - radius, centre + radius, centre + radius),
                 outline=SEAL_RED, width=12)
    _star(draw, centre, centre - 10, 58)
    font = _font(46)
    span = 240  # degrees of arc used by the name, centred on the top
    step = span / max(len(authority) - 1, 1)
    for n, char in enumerate(authority):
        angle = -90 - span / 2 + n * step  # from the lower left, clockwise over the top
        glyph = Image.new("RGBA", (60, 60), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((30, 30), char, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = centre + (radius - 48) * math.cos(math.radians(angle)) - 30
        y = centre + (radius - 48) * math.sin(math.radians(angle)) - 30
        seal.alpha_composite(glyph, (int(x), int(y)))
    draw.text((centre, centre + 95), "样章", font=_font(40), fill=SEAL_RED, anchor="mm")
    return _png(seal)


def _star(draw: ImageDraw.ImageDraw, x: int, y: int, r: int) -> None:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.4
        angle = math.radians(-90 + k * 36)
        points.append((x + radius * math.cos(angle), y + radius * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)
