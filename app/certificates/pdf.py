"""The certificate PDF (domain.md section 8): rendered by xhtml2pdf from
templates/certificate_pdf.html with an embedded TrueType CJK font, then signed.

xhtml2pdf reads local files only under the folder given as `path`, and reports a missing
font only as a warning (every glyph becomes a box): the font lives in assets/
and tests check that it is embedded and that the text reads back."""
from __future__ import annotations

import base64
import datetime as dt
import io
from functools import lru_cache
from pathlib import Path

from flask import current_app, render_template
from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import default as xhtml2pdf_defaults
from xhtml2pdf import pisa

from ..dates import province_date
from ..extensions import db
from ..models import Certificate, StoredFile
from ..public_address import public_base_url
from ..registry import storage
from .images import development_seal_png, qr_png, watermark_jpeg
from .signing import sign

ASSETS = Path(__file__).resolve().parent / "assets"
FONT_FILE = ASSETS / "fonts" / "wqy-microhei.ttc"
FONT_NAME = "certfont"  # the template's font-family

# reportlab wraps every image stream in ASCII85 by default (a pure-Python encoder here,
# 20-70 ms for the certificate's five images); binary streams are what PDF viewers read
# anyway, and the file is a fifth smaller.
rl_config.useA85 = 0


class RenderError(RuntimeError):
    """xhtml2pdf could not build the document."""


def _data_uri(content: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def verification_url(token: str) -> str:
    return f"{public_base_url()}/verify/{token}"


def _seal() -> bytes:
    configured = current_app.config.get("SEAL_IMAGE")
    if configured:
        return Path(configured).read_bytes()
    return development_seal_png(current_app.config["AUTHORITY_NAME"])


def _image(stored) -> str | None:
    return _data_uri(storage.load(stored), stored.content_type) if stored is not None else None


def certificate_fields(certificate: Certificate) -> dict:
    registration = certificate.registration
    person, enterprise = registration.practitioner, registration.enterprise
    url = verification_url(certificate.token)
    return {
        "title": f"{registration.qualification.name}注册证书",
        "version": certificate.version,
        "token": certificate.token,
        "name": person.real_name,
        "sex": "男" if person.sex.name == "male" else "女",
        "birth_date": _chinese_date(person.birth_date),
        "id_number": person.id_number,
        "qualification": registration.qualification.name,
        "number": registration.number,
        "employer": enterprise.name,
        "credit_code": enterprise.credit_code,
        "specialties": [(p.specialty.name if p.specialty else "—", _chinese_date(p.expires_on))
                        for p in registration.specialties],
        "authority": current_app.config["AUTHORITY_NAME"],
        "issued_on": _chinese_date(province_date(certificate.issued_at)),
        "usage_until": _chinese_date(certificate.usage_until),
        "verify_url": url,
        "photo": _image(person.photo),
        "signature": _image(person.signature),
        "seal": _data_uri(_seal(), "image/png"),
        "qr": _data_uri(qr_png(url), "image/png"),
    }


@lru_cache(maxsize=1)
def register_font() -> str:
    """The CJK font, registered with reportlab once per process. Declared by @font-face in
    the template, xhtml2pdf registers it once too but reads and hashes the whole 5 MB file
    on every render (to tell two files of one family apart): 10-50 ms a certificate. Named
    among xhtml2pdf's known fonts, the template uses it by its family name; its four
    styles are the one face, as they were with @font-face (no synthetic bold)."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE), subfontIndex=0))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(FONT_NAME, bold, italic, FONT_NAME)
    xhtml2pdf_defaults.DEFAULT_FONT[FONT_NAME] = FONT_NAME
    return FONT_NAME


def render(certificate: Certificate) -> bytes:
    """The unsigned PDF of one certificate version."""
    register_font()
    fields = certificate_fields(certificate)
    watermark = watermark_jpeg(f"使用有效期至{fields['usage_until']}")
    html = render_template("certificate_pdf.html", c=fields,
                           watermark=_data_uri(watermark, "image/jpeg"))
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, path=str(ASSETS / "certificate.html"),
                            encoding="utf-8")
    if result.err:
        raise RenderError(f"xhtml2pdf reported {result.err} error(s)")
    return out.getvalue()


def signed_pdf(certificate: Certificate) -> bytes:
    """The signed PDF of this version, rendered once and then kept in storage, so every
    download of a version is the same document."""
    if certificate.pdf_id is not None:
        return storage.load(db.session.get(StoredFile, certificate.pdf_id))
    pdf = sign(render(certificate))
    certificate.pdf_id = storage.save(pdf, "application/pdf").id
    return pdf
