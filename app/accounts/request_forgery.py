"""Cross-site request forgery: a state-changing request (WTF_CSRF_METHODS: POST, PUT, PATCH,
DELETE) authenticated by the session cookie needs a valid CSRF token (the form's csrf_token
or the X-CSRFToken header), on every route, FAB's REST API (/api/v1/...) included.

Why by what authenticated the request: a forged request is one a hostile page makes the
victim's browser send, and the only credential a browser attaches by itself is the cookie.
An API token travels in the Authorization header, which a page of another site cannot set;
so a request that a verified JWT authenticates cannot be forged and needs no token. The
decision is taken in `authenticated_by()`:

- the cookie signs someone in (flask-login's user in the session) → "cookie". FAB's own
  check (`protect`) then acts as that user and never looks at the Authorization header, so
  a Bearer header there, bogus, expired, or another account's valid token, changes nothing:
  the CSRF token is required and its absence refused.
- otherwise a Bearer header that `verify_jwt_in_request` accepts (signature, expiry, type,
  the account active, and whatever revocation the app checks) → "jwt": no token needed.
- otherwise → None, an anonymous request. It has no ambient authority to abuse, so it needs
  no token either: the anonymous API login (`POST /api/v1/security/login`, a JSON body with
  the password, no session) keeps working, and a protected route refuses an anonymous or
  badly authenticated call itself (401, with FAB's reason such as an expired token). The
  anonymous web forms (login, sign-up, public verification) are not exempt from
  CSRFProtect and carry their token as before.

CSRFProtect checks every view it does not exempt before this hook runs (`g.csrf_valid`);
FAB exempts its API blueprints (`BaseApi.csrf_exempt`), and those are what this hook adds.
A refusal is CSRFProtect's own CSRFError: the 400 "页面已过期" page on web pages, a JSON
error on /api/ (app/errors.py)."""
from __future__ import annotations

from flask import current_app, g, request
from flask_jwt_extended import verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_login import current_user
from jwt import PyJWTError

from ..extensions import csrf

REFRESH_ENDPOINT = "SecurityApi.refresh"  # authenticated by a refresh token, not an access one


def authenticated_by() -> str | None:
    """"cookie", "jwt" or None (anonymous): what authenticates the current request."""
    if current_user.is_authenticated:
        return "cookie"
    if not request.headers.get("Authorization", "").lstrip().lower().startswith("bearer"):
        return None
    try:
        verified = verify_jwt_in_request(refresh=request.endpoint == REFRESH_ENDPOINT,
                                         locations=["headers"])
    except (JWTExtendedException, PyJWTError):
        return None
    return "jwt" if verified else None


def refuse_forged_writes() -> None:
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True) or request.method not in config["WTF_CSRF_METHODS"]:
        return
    if g.get("csrf_valid"):  # CSRFProtect has checked this view's token already
        return
    if authenticated_by() == "cookie":
        csrf.protect()  # raises CSRFError without a valid token


def register(app) -> None:
    app.before_request(refuse_forged_writes)
