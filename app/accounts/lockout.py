"""Login lockout (MLPS 2.0 level 3: 登录失败处理): after LOGIN_MAX_FAILURES wrong passwords in a
row an account refuses every login, the right password included, for LOGIN_LOCK_MINUTES.
The state lives in AccountProtection because FAB's ab_user has no lock-until column.

Parallel attempts (a script sends many wrong passwords at once) must not slip past the
count, so the database counts: one INSERT … ON CONFLICT DO UPDATE … RETURNING adds each
failure and hands back its number, and only the failure whose number is exactly the maximum
starts the lock (one lock, one "lockout" audit row, however many race). The count, the lock
and its audit row are one transaction, which holds the account's row (PostgreSQL) or the
database's write lock (SQLite) until it commits, so a success cannot clear a lock half made.

Failures during a lock: refused like any login then (auth_user_db does not even check the
password, yet spends one hash so the answer takes as long), not counted and not extending
the lock, so a lock ends LOGIN_LOCK_MINUTES after it started and the count starts afresh.
Those that raced the lock's start and reach the count after it are not counted either.
Starting a lock also raises the session version: the account's sessions and API tokens
end (app/accounts/sessions.py)."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..audit import record
from ..dates import as_utc
from ..enums import AuditResult
from ..extensions import db
from ..models import AccountProtection

TABLE = AccountProtection.__table__


def now() -> dt.datetime:
    """The clock of the lockout and session rules; tests replace it to move time on."""
    return dt.datetime.now(dt.UTC)


def new_row(user_id: int, dialect: str | None = None):
    """INSERT of the account's row as first created; for .on_conflict_do_…(index_elements=…)."""
    dialect = dialect or db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(TABLE).values(user_id=user_id, failures=0, session_version=0,
                                must_change_password=False)


def protection_of(user_id: int, *, create: bool = False) -> AccountProtection | None:
    """The account's row, read afresh. With create, made if missing: two requests that both
    find none both insert, and the second does nothing instead of hitting the unique key."""
    if create:
        db.session.execute(new_row(user_id).on_conflict_do_nothing(index_elements=["user_id"]))
    return db.session.scalar(select(AccountProtection).where(AccountProtection.user_id == user_id)
                             .execution_options(populate_existing=True))


def is_locked(user_id: int) -> bool:
    row = protection_of(user_id)
    return bool(row and row.locked_until and as_utc(row.locked_until) > now())


def _locked_at(moment: dt.datetime):
    return and_(TABLE.c.locked_until.is_not(None), TABLE.c.locked_until > moment)


def record_failure(user_id: int) -> bool:
    """Count a wrong password; returns whether this one started the lock."""
    moment, config = now(), current_app.config
    counted = new_row(user_id).values(failures=1).on_conflict_do_update(
        index_elements=["user_id"],
        set_={"failures": case((_locked_at(moment), TABLE.c.failures),
                               else_=TABLE.c.failures + 1)},
    ).returning(TABLE.c.failures)
    failures = db.session.execute(counted).scalar_one()
    starts_lock = failures == config["LOGIN_MAX_FAILURES"]
    if starts_lock:
        until = moment + dt.timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
        db.session.execute(update(TABLE).where(TABLE.c.user_id == user_id).values(
            locked_until=until, failures=0, session_version=TABLE.c.session_version + 1))
        record("lockout", object_type="User", object_id=user_id, result=AuditResult.denied,
               detail={"until": until})
    db.session.commit()
    return starts_lock


def record_nothing(user_id: int) -> None:
    """record_failure's database work without its effect (the same statement, a commit),
    on an existing account's row, for a name that is no account: so that an unknown name
    costs what a wrong password does, as FAB's noop_user_update balances its own update."""
    db.session.execute(new_row(user_id).on_conflict_do_update(
        index_elements=["user_id"], set_={"failures": TABLE.c.failures},
    ).returning(TABLE.c.failures))
    db.session.commit()


def record_success(user_id: int) -> bool:
    """The right password: clears the count unless a lock started in the meantime (a
    parallel failure); returns whether the login may go on."""
    moment = now()
    db.session.execute(update(TABLE).where(
        TABLE.c.user_id == user_id, TABLE.c.failures > 0,
        or_(TABLE.c.locked_until.is_(None), TABLE.c.locked_until <= moment),
    ).values(failures=0))
    may_go_on = not is_locked(user_id)
    db.session.commit()
    return may_go_on
