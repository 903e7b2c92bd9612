"""Forced password change: an account whose password an administrator chose (FAB's user
add and reset forms, an enterprise's staff accounts) must choose its own at first login,
and an administrator account whose password is older than ADMIN_PASSWORD_MAX_AGE_DAYS
must renew it. Until then every page but the change form, logout and static files leads
there."""
from __future__ import annotations

import datetime as dt

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..audit import record
from ..dates import as_utc
from ..extensions import db
from . import lockout
from .lockout import protection_of
from .request_account import loaded_state

# FAB's endpoints the account may still reach: its own password form, and leaving.
ALLOWED_ENDPOINTS = {
    "ResetMyPasswordView.this_form_get", "ResetMyPasswordView.this_form_post",
    "AuthDBView.logout", "static", "appbuilder.static",
}


def require_change(user_id) -> None:
    """An administrator chose or reset the password (recorded: never the password)."""
    protection_of(int(user_id), create=True).must_change_password = True
    record("password_set_by_admin", object_type="User", object_id=int(user_id))
    db.session.commit()


def changed(user_id: int) -> None:
    row = protection_of(user_id, create=True)
    record("password_change", object_type="User", object_id=user_id)
    row.must_change_password = False
    row.password_changed_at = lockout.now()
    db.session.commit()


def must_change(user) -> bool:
    state = loaded_state(user.id)  # read with the request's user (request_account.py)
    row = state.protection if state is not None else protection_of(user.id)
    if row is not None and row.must_change_password:
        return True
    return _administrator_password_expired(user, row)


def _administrator_password_expired(user, row) -> bool:
    max_age = current_app.config.get("ADMIN_PASSWORD_MAX_AGE_DAYS", 0)
    if not max_age or not {role.name for role in user.roles} & _administrator_roles():
        return False
    since = (row.password_changed_at if row and row.password_changed_at else None) or \
        user.created_on
    if since is None:
        return False
    since = as_utc(since)
    return lockout.now() - since > dt.timedelta(days=max_age)


def _administrator_roles() -> set[str]:
    from ..security import ROLES

    return {current_app.appbuilder.sm.auth_role_admin,
            *(ROLES[key].name for key in ("sysadmin", "secadmin", "auditor"))}


def register(app) -> None:
    @app.before_request
    def send_to_password_change():
        if (not current_user.is_authenticated or request.endpoint in ALLOWED_ENDPOINTS
                or not must_change(current_user)):
            return None
        flash(_("Please choose your own password before you continue."), "warning")
        return redirect(url_for(f"{current_app.appbuilder.sm.resetmypasswordview.__name__}"
                                ".this_form_get"))
