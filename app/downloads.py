"""The one way a file download is named (RFC 6266). HTTP headers travel as latin-1: a
Chinese file name put raw into Content-Disposition makes Werkzeug's server and gunicorn
fail while writing the headers (UnicodeEncodeError), and the browser waits for an answer
that never comes. Browsers take the UTF-8 name from `filename*`; `filename` is the ASCII
fallback for the rest."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response


def ascii_fallback(name: str) -> str:
    """The name with what latin-1 cannot carry (and quotes, backslashes) removed."""
    simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    simple = re.sub(r'["\\\r\n]', "", simple)
    return re.sub(r"-{2,}", "-", simple).strip("- ") or "download"


def private_download(body: bytes, mimetype: str, name: str, fallback: str) -> Response:
    """A download of one person's documents: named as above, never cached on the way, and
    never sniffed into another type by the browser."""
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": attachment(name, fallback),
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def attachment(name: str, fallback: str | None = None) -> str:
    """Content-Disposition for a download called `name` (any language); `fallback` is the
    ASCII name for old clients, derived from `name` when not given."""
    simple = ascii_fallback(fallback or name)
    return f"attachment; filename=\"{simple}\"; filename*=UTF-8''{quote(name, safe='')}"
