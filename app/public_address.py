"""The site's public address, for QR codes and e-mailed links. Production sets it
(PUBLIC_BASE_URL, https, checked at start); outside production, unset, it follows the
address the request was served on, so a QR code printed from a server on another port or
host still opens its own verification page."""
from __future__ import annotations

import os

from flask import current_app, has_request_context, request


def public_base_url() -> str:
    configured = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    if has_request_context():
        return request.host_url.rstrip("/")
    # A command outside any request (the daily reminders): the run command's own port.
    return f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
