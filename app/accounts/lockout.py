"""Login lockout (MLPS 2.0 level 3: 登录失败处理): after LOGIN_MAX_FAILURES wrong passwords in a
row an account refuses every login, the right password included, for LOGIN_LOCK_MINUTES.
The state lives in AccountProtection because FAB's ab_user has no lock-until column."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from ..audit import record
from ..dates import as_utc
from ..enums import AuditResult
from ..extensions import db
from ..models import AccountProtection


def now() -> dt.datetime:
    """The clock of the lockout and session rules; tests replace it to move time on."""
    return dt.datetime.now(dt.UTC)


def protection_of(user_id: int, *, create: bool = False) -> AccountProtection | None:
    row = db.session.scalar(select(AccountProtection).where(AccountProtection.user_id == user_id))
    if row is None and create:
        row = AccountProtection(user_id=user_id, failures=0, session_version=0,
                                must_change_password=False)
        db.session.add(row)
    return row


def is_locked(user_id: int) -> bool:
    row = protection_of(user_id)
    return bool(row and row.locked_until and as_utc(row.locked_until) > now())


def record_failure(user_id: int) -> None:
    """Count a wrong password; the count that reaches the maximum starts the lock."""
    row = protection_of(user_id, create=True)
    row.failures += 1
    if row.failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        row.locked_until = now() + dt.timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        row.failures = 0
        record("lockout", object_type="User", object_id=user_id, result=AuditResult.denied,
               detail={"until": row.locked_until})
    db.session.commit()


def record_success(user_id: int) -> None:
    row = protection_of(user_id)
    if row is not None and (row.failures or row.locked_until):
        row.failures, row.locked_until = 0, None
        db.session.commit()
