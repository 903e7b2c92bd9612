"""API tokens end with the web session (issue 14, point 6): every JWT that FAB's API login
or refresh hands out (access and refresh tokens alike) carries the account's session
version, and a token whose version is no longer the account's is refused with 401. So
logout, disabling the account, a password change or reset and the start of a lock, which
all raise the version (app/accounts/sessions.py), end the account's tokens too; a new
login gets a working one. Flask-JWT-Extended's own hooks, on the manager FAB creates."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from .sessions import session_version

VERSION_CLAIM = "session_version"


def _account_of(payload: dict) -> int | None:
    try:
        return int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        return None


def register(jwt_manager) -> None:
    @jwt_manager.additional_claims_loader
    def version_claim(identity) -> dict:
        user_id = _account_of({"sub": identity})
        return {} if user_id is None else {VERSION_CLAIM: session_version(user_id)}

    @jwt_manager.token_in_blocklist_loader
    def outdated(_header: dict, payload: dict) -> bool:
        user_id = _account_of(payload)
        # A token from before versions were carried has none: refused as well.
        return user_id is None or payload.get(VERSION_CLAIM) != session_version(user_id)

    @jwt_manager.revoked_token_loader
    def revoked(_header: dict, _payload: dict):
        return jsonify(message=_("This token is no longer valid: the account logged out, "
                                 "was disabled or locked, or its password changed. Please "
                                 "log in again.")), 401
