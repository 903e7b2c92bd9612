"""Session limits (MLPS 2.0 level 3: 会话超时; ASVS 3.3): a session ends after
SESSION_IDLE_MINUTES without a request, SESSION_ABSOLUTE_HOURS after login whatever the
activity, and at once everywhere when the account logs out (its session version is raised,
so a copied cookie stops working too). Flask's sessions live in a signed cookie, so these
are checked here against what the login wrote into it; a disabled account is refused by
FAB's own load_user."""
from __future__ import annotations

import datetime as dt

from flask import current_app, session
from flask_login import current_user, logout_user, user_logged_in

from ..extensions import db
from . import lockout
from .lockout import protection_of

LOGIN_AT, SEEN_AT, VERSION = "login_at", "seen_at", "session_version"


def session_version(user_id: int) -> int:
    row = protection_of(user_id)
    return row.session_version if row else 0


def end_all_sessions(user_id: int) -> None:
    protection_of(user_id, create=True).session_version += 1
    db.session.commit()


def _start(_app, user) -> None:
    moment = lockout.now().timestamp()
    session.permanent = True  # the cookie follows PERMANENT_SESSION_LIFETIME (idle time)
    session[LOGIN_AT], session[SEEN_AT] = moment, moment
    session[VERSION] = session_version(user.id)


def _still_valid(user_id: int) -> bool:
    config, moment = current_app.config, lockout.now().timestamp()
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if login_at is None or seen_at is None:
        return False
    if moment - seen_at > dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"]).total_seconds():
        return False
    if moment - login_at > dt.timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]).total_seconds():
        return False
    return session.get(VERSION) == session_version(user_id)


def register(app) -> None:
    user_logged_in.connect(_start, app)

    @app.before_request
    def end_expired_session():
        if "_user_id" not in session or not current_user.is_authenticated:
            return
        if _still_valid(current_user.id):
            session[SEEN_AT] = lockout.now().timestamp()
        else:
            logout_user()
            session.pop(LOGIN_AT, None), session.pop(SEEN_AT, None), session.pop(VERSION, None)
