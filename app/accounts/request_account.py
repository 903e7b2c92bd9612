"""The signed-in account as every request's checks need it, read in one query.

Before any view runs, three hooks look at the account: the session limits compare the
session version (app/accounts/sessions.py), the forced password change reads the same
AccountProtection row and the account's roles (password_change.py), and the two-factor
obligation reads the roles and the enrolment (two_factor_views.py). Read one by one, with
FAB's user load and its lazy role and group loads, that is six statements on every request.
Flask-Login's user loader (FAB's `load_user`, replaced in security_manager.py) reads them
all in one: the user with its roles and groups, its protection row and whether a
confirmed enrolment exists. The hooks take the protection row and the enrolment from here;
anything else (a login, a password change, the logout) still reads them afresh."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AccountProtection, TwoFactor

LOADED = "request_account"  # key in flask.g


@dataclass(frozen=True)
class AccountState:
    user_id: int
    protection: AccountProtection | None  # None: no row yet (unlocked, version 0)
    enrolled: bool  # a confirmed two-factor enrolment


def load_user(sm, pk) -> object | None:
    """FAB's load_user (an enabled account, else None), with what the request's checks
    read about it in the same query."""
    user_model = sm.user_model
    row = db.session.execute(
        select(user_model, AccountProtection, TwoFactor.confirmed_at)
        .outerjoin(AccountProtection, AccountProtection.user_id == user_model.id)
        .outerjoin(TwoFactor, TwoFactor.user_id == user_model.id)
        .options(joinedload(user_model.roles), joinedload(user_model.groups))
        .where(user_model.id == int(pk))
        # The request must see the current version and flags, not an earlier read's.
        .execution_options(populate_existing=True)).unique().first()
    if row is None:
        return None
    user, protection, confirmed_at = row
    if has_request_context():
        setattr(g, LOADED, AccountState(user.id, protection, confirmed_at is not None))
    return user if user.is_active else None


def loaded_state(user_id: int) -> AccountState | None:
    """What load_user read for this account in this request, or None when it did not."""
    state = g.get(LOADED) if has_request_context() else None
    return state if state is not None and state.user_id == user_id else None
