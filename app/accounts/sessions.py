"""Session limits (MLPS 2.0 level 3: 会话超时; ASVS 3.3): a session ends after
SESSION_IDLE_MINUTES without a request, SESSION_ABSOLUTE_HOURS after login whatever the
activity, and at once everywhere when the account's session version is raised, so a copied
cookie stops working too; API tokens carry the version as well (app/accounts/api_tokens.py).
The version is raised by logout, by the start of a lock (app/accounts/lockout.py) and by
any change of the account's password or its disabling, whichever screen, API or command
made it (a listener on FAB's user model); the person who changes their own password keeps
the session they did it in. Flask's sessions live in a signed cookie, so these are checked
here against what the login wrote into it; a disabled account is refused by FAB's own
load_user."""
from __future__ import annotations

import datetime as dt

from flask import current_app, session
from flask_login import current_user, logout_user, user_logged_in
from sqlalchemy import event, inspect

from ..extensions import db
from . import lockout
from .lockout import TABLE, new_row, protection_of
from .request_account import loaded_state

LOGIN_AT, SEEN_AT, VERSION = "login_at", "seen_at", "session_version"


def session_version(user_id: int) -> int:
    row = protection_of(user_id)
    return row.session_version if row else 0


def raised_version(user_id: int, dialect: str | None = None):
    """One statement that raises the version, creating the account's row if need be, so
    that parallel raises each count."""
    return new_row(user_id, dialect).values(session_version=1).on_conflict_do_update(
        index_elements=["user_id"], set_={"session_version": TABLE.c.session_version + 1})


def end_all_sessions(user_id: int) -> None:
    db.session.execute(raised_version(user_id))
    db.session.commit()


def keep_this_session(user_id: int) -> None:
    """After the account's own password change: the others end, this one goes on."""
    session[VERSION] = session_version(user_id)


def _ends_sessions(user) -> bool:
    state = inspect(user)
    disabled = state.attrs.active.history.added
    return state.attrs.password.history.has_changes() or (bool(disabled) and not disabled[0])


def _end_sessions_on_credential_change(_mapper, connection, user) -> None:
    if _ends_sessions(user):
        connection.execute(raised_version(user.id, connection.dialect.name))


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
    return session.get(VERSION) == _version_this_request(user_id)


def _version_this_request(user_id: int) -> int:
    """The version as the request's user load read it (app/accounts/request_account.py)."""
    state = loaded_state(user_id)
    if state is None:
        return session_version(user_id)
    return state.protection.session_version if state.protection else 0


def register(app) -> None:
    user_logged_in.connect(_start, app)
    user_model = app.appbuilder.sm.user_model
    if not event.contains(user_model, "before_update", _end_sessions_on_credential_change):
        event.listen(user_model, "before_update", _end_sessions_on_credential_change)

    @app.before_request
    def end_expired_session():
        if "_user_id" not in session or not current_user.is_authenticated:
            return
        if _still_valid(current_user.id):
            session[SEEN_AT] = lockout.now().timestamp()
        else:
            logout_user()
            session.pop(LOGIN_AT, None), session.pop(SEEN_AT, None), session.pop(VERSION, None)
