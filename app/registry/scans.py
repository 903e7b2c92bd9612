"""Scans of documents a practitioner uploads (the qualification certificate, and what a
return asks for: a labour contract, a social insurance record): a JPEG, PNG or HEIC photo,
checked and re-encoded like the other images (app/registry/images.py), or a PDF. The type is
decided by the content, never by the file name.

A PDF is read by pypdf and stored as a new file holding only its pages: no document
JavaScript, open action, form, attachment or metadata of the upload survives, nor page
annotations or actions (a link that runs a script is an annotation)."""
from __future__ import annotations

import io
import logging

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from .images import SCAN, ImageRejected, NotAnImage, check_and_normalise

MAX_PAGES = 20
# Only what a page needs to be shown; everything else on a page object is dropped.
PAGE_KEYS = {"/Type", "/Parent", "/Resources", "/MediaBox", "/CropBox", "/Contents",
             "/Rotate", "/UserUnit"}
DESCRIPTION = _l("Scan or photo of the document: JPEG, PNG, HEIC or PDF, at most 10 MB; a photo "
                 "at least 600×400 pixels; a PDF at most 20 pages.")

logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged upload is refused, not logged


def check_scan(content: bytes) -> tuple[bytes, str]:
    """(stored bytes, content type) of an acceptable scan; ImageRejected says why not."""
    if len(content) > SCAN.max_bytes:
        raise ImageRejected(_("The file is larger than %(mb)s MB.", mb=SCAN.max_bytes // 1048576))
    if content.lstrip()[:5] == b"%PDF-":
        return _clean_pdf(content), "application/pdf"
    try:
        return check_and_normalise("scan", content)
    except NotAnImage:
        raise ImageRejected(_("Only JPEG, PNG, HEIC or PDF files are accepted, whatever the "
                              "file name says.")) from None


def _clean_pdf(content: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise ImageRejected(_("The PDF is password-protected; upload it without a password."))
        pages = len(reader.pages)
        if not 1 <= pages <= MAX_PAGES:
            raise ImageRejected(_("The PDF must have 1 to %(n)s pages.", n=MAX_PAGES))
        writer = PdfWriter()
        for page in reader.pages:
            # Before the page is copied: what it refers to is copied with it.
            for key in [key for key in page.keys() if key not in PAGE_KEYS]:
                del page[key]
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
    except ImageRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            OSError):
        raise ImageRejected(_("The PDF file is damaged or incomplete.")) from None
    return out.getvalue()
