"""Security headers on every response (ASVS 14.4, MLPS 2.0 level 3 入侵防范).

The Content-Security-Policy admits scripts only from this site and inline ones carrying
the request's nonce: FAB's templates already write `nonce="{{ baselib.get_nonce() }}"`,
which calls a `csp_nonce()` template global when one exists (Flask-Talisman's name), so it
is provided here. Styles keep 'unsafe-inline' because FAB's templates and widgets use style
attributes throughout, which no nonce can cover (docs/security.md lists the deviation)."""
from __future__ import annotations

import secrets

from flask import g

POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # for browsers that ignore frame-ancestors
}


def csp_nonce() -> str:
    """One random nonce per request, shared by every script tag of the page."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def register(app) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def add_security_headers(response):
        response.headers["Content-Security-Policy"] = POLICY.format(nonce=csp_nonce())
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
