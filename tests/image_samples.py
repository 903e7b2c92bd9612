"""Real image files for upload tests, drawn with Pillow."""
from __future__ import annotations

import io
import struct

import pillow_heif
from PIL import Image, ImageDraw


def _portrait(width, height, background) -> Image.Image:
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.55), fill=(90, 80, 80))
    draw.rectangle((width * 0.15, height * 0.65, width * 0.85, height), fill=(40, 40, 60))
    return image


def photo(width=413, height=579, background=(225, 235, 250), fmt="JPEG", exif_orientation=None,
          with_gps_comment=False) -> bytes:
    image = _portrait(width, height, background)
    out = io.BytesIO()
    image.save(out, fmt, **_exif(exif_orientation, with_gps_comment))
    return out.getvalue()


def _exif(orientation=None, gps_comment=False) -> dict:
    if not (orientation or gps_comment):
        return {}
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps_comment:
        exif[0x010E] = "secret-location 23.1N 113.3E"  # ImageDescription
    return {"exif": exif.tobytes()}


# A phone's second picture: a smaller landscape frame, dark all over, so a stored image that
# came from it would show in its size and in its colour.
SECOND_FRAME = (640, 480)
SECOND_FRAME_COLOUR = (20, 20, 20)


def phone_jpeg(width=413, height=579, background=(225, 235, 250), exif_orientation=None,
               with_gps_comment=False) -> bytes:
    """What most phone cameras write: a JPEG with a second picture after the first (MPO)."""
    out = io.BytesIO()
    second = Image.new("RGB", SECOND_FRAME, SECOND_FRAME_COLOUR)
    _portrait(width, height, background).save(out, "MPO", save_all=True, append_images=[second],
                                              **_exif(exif_orientation, with_gps_comment))
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    return out.getvalue()


def heic(width=413, height=579, background=(225, 235, 250), exif_orientation=None,
         with_gps_comment=False) -> bytes:
    """What an iPhone writes by default, encoded by pillow-heif's bundled libheif."""
    return as_heic(photo(width, height, background, fmt="PNG"), exif_orientation,
                   with_gps_comment)


def as_heic(content: bytes, exif_orientation=None, with_gps_comment=False) -> bytes:
    """Another sample's picture as HEIC. pillow-heif's encoder is called directly: the tests
    must not register its Pillow plugin, which is the app's job."""
    kwargs = _exif(exif_orientation, with_gps_comment)
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.open(io.BytesIO(content))).save(out, format="HEIF", quality=80,
                                                                   **kwargs)
    assert out.getvalue()[4:12] == b"ftypheic"
    return out.getvalue()


def huge_canvas_heic() -> bytes:
    """About 1 KB of HEIC whose header (the `ispe` box) claims 20000×20000 pixels."""
    content = bytearray(heic(64, 64))
    at = content.find(b"ispe") + 8  # box type, then version and flags (4 bytes)
    content[at:at + 8] = struct.pack(">II", 20000, 20000)
    return bytes(content)


def signature(width=600, height=200, fmt="PNG", ink=(10, 10, 30), paper=(255, 255, 255)) -> bytes:
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    draw.line([(40, 120), (140, 60), (220, 140), (330, 70), (450, 130), (560, 90)], fill=ink, width=6)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (413, 579), (230, 230, 230)).save(out, "GIF")
    return out.getvalue()


def huge_canvas_png() -> bytes:
    """20000×20000 pixels that compress to a small file: a decompression bomb."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000), 1).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SVG_WITH_SCRIPT = (b'<svg xmlns="http://www.w3.org/2000/svg" width="413" height="579">'
                   b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>')


def scan_pdf() -> bytes:
    """A one-page PDF like a scanned certificate, with a link annotation that the upload
    check strips."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setFont("Helvetica", 18)
    page.drawString(72, 760, "Qualification certificate JZ-2025-0088 (scan)")
    page.linkURL("https://example.invalid/", (72, 740, 300, 780))
    page.showPage()
    page.save()
    return out.getvalue()
