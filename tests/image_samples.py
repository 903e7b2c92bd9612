"""Real image files for upload tests, drawn with Pillow."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw


def photo(width=413, height=579, background=(225, 235, 250), fmt="JPEG", exif_orientation=None,
          with_gps_comment=False) -> bytes:
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.55), fill=(90, 80, 80))
    draw.rectangle((width * 0.15, height * 0.65, width * 0.85, height), fill=(40, 40, 60))
    out = io.BytesIO()
    kwargs = {}
    if exif_orientation or with_gps_comment:
        exif = Image.Exif()
        if exif_orientation:
            exif[0x0112] = exif_orientation
        if with_gps_comment:
            exif[0x010E] = "secret-location 23.1N 113.3E"  # ImageDescription
        kwargs["exif"] = exif.tobytes()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


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
