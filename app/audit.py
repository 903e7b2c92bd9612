"""The audit trail: who did what, from where, with what result (AuditLog).

`record()` adds the row to the caller's database session and does not commit by default,
so that a change and its audit row are committed (or rolled back) together: a transition
or a form edit cannot happen without its row, and a refused one leaves no "success" row.
Callers whose work has nothing left to commit (a login, a download, a public lookup, a
refused attempt after its rollback) pass commit=True.

Secrets never reach the log: any key that looks like a password, token or secret is
dropped from `detail`, at any depth, and binary values are replaced by their size."""
from __future__ import annotations

import datetime as dt
import decimal
import enum
import re

from flask import current_app, g, has_app_context, has_request_context, request
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import delete, event, func, inspect, select, text
from sqlalchemy.orm import Session

from .dates import as_utc, province_zone
from .enums import AuditResult
from .extensions import db
from .models import AuditLog

SECRET_KEY = re.compile(r"pass(word|wd)?|token|secret|api_?key|hash|otp", re.IGNORECASE)
MAX_TEXT = 500  # a value longer than this is cut: the log says what changed, not the file
FLUSHED = "audit_flushed_changes"  # session.info key: changes already flushed, per object


def record(action: str, *, object_type: str | None = None, object_id=None,
           result: AuditResult = AuditResult.success, detail: dict | None = None,
           actor=None, commit: bool = False) -> AuditLog:
    """Add one audit row for `action`; the actor defaults to the signed-in user."""
    if actor is None:
        actor = _current_user()
    row = AuditLog(
        created_at=dt.datetime.now(dt.UTC),
        actor_id=getattr(actor, "id", None),
        actor_name=_cut(getattr(actor, "username", None), 64),
        actor_role=_cut(_role_names(actor), 64),
        # Outside a request (the queue worker) the request that handed the work over.
        client_address=request.remote_addr if has_request_context() else
        g.get("client_address") if has_app_context() else None,
        request_id=g.get("request_id") if has_app_context() else None,
        action=_cut(action, 64),
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        result=result,
        detail=scrub(detail) if detail else None,
    )
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


def scrub(value):
    """A JSON-safe copy of `value` without secret keys, binary content or huge text."""
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items() if not SECRET_KEY.search(str(k))}
    if isinstance(value, (list, tuple, set)):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dt.datetime):  # with the province's offset, as every time shown
        return as_utc(value).astimezone(province_zone()).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return _cut(str(value), MAX_TEXT)


def changes(item) -> dict:
    """{column: {"old", "new"}} of what changed on `item` in this transaction: what earlier
    flushes wrote (kept by _remember_flushed_changes, since a flush clears SQLAlchemy's
    attribute history and any query in a view's pre_update may autoflush) and what the
    session would write now. Call it before the commit. Secret columns are named as
    changed but without their values."""
    earlier = object_session_changes(item)
    combined = {**earlier, **_merge(earlier, _pending_changes(item))}
    # A value changed and changed back is no change.
    return {key: change for key, change in combined.items()
            if not ("old" in change and change["old"] == change["new"])}


def object_session_changes(item) -> dict:
    """What earlier flushes of this transaction changed on `item`."""
    session = inspect(item).session
    if session is None:
        return {}
    return session.info.get(FLUSHED, {}).get(id(item), {}).copy()


@event.listens_for(Session, "before_flush")
def _remember_flushed_changes(session, _flush_context, _instances) -> None:
    kept = session.info.setdefault(FLUSHED, {})
    for item in session.dirty:
        if isinstance(item, AuditLog):
            continue
        diff = _pending_changes(item)
        if diff:
            before = kept.get(id(item), {})
            kept[id(item)] = {**before, **_merge(before, diff)}


@event.listens_for(Session, "after_transaction_end")
def _forget_flushed_changes(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: commit or rollback
        session.info.pop(FLUSHED, None)


def _merge(before: dict, now: dict) -> dict:
    merged = {}
    for key, change in now.items():
        first = before.get(key)
        if first and "old" in first and "old" in change:
            merged[key] = {"old": first["old"], "new": change["new"]}
        elif first and "added" in first and "added" in change:
            merged[key] = {"added": first["added"] + change["added"],
                           "removed": first["removed"] + change["removed"]}
        else:
            merged[key] = change
    return merged


def _pending_changes(item) -> dict:
    """What the session would write for `item` now, from SQLAlchemy's attribute history."""
    found = {}
    for attr in inspect(item).attrs:
        history = attr.history
        if not history.has_changes():
            continue
        if _is_collection(item, attr.key):  # a role's permissions: what came and went
            found[attr.key] = {"added": scrub(history.added), "removed": scrub(history.deleted)}
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if SECRET_KEY.search(attr.key):
            found[attr.key] = {"changed": True}
        else:
            found[attr.key] = {"old": scrub(old), "new": scrub(new)}
    return found


def object_type_of(item) -> str:
    return type(item).__name__


# ---------------------------------------------------------------- helpers
def _is_collection(item, key: str) -> bool:
    relationship = inspect(type(item)).relationships.get(key)
    return relationship is not None and relationship.uselist


def _current_user():
    if not has_request_context():
        return None
    try:
        return current_app.appbuilder.sm.current_user
    except Exception:  # a broken session must not stop the action being recorded
        return None


def _role_names(actor) -> str | None:
    roles = getattr(actor, "roles", None)
    return ",".join(sorted(role.name for role in roles)) if roles else None


def _cut(text, length: int):
    return text[:length] if isinstance(text, str) else text


# ---------------------------------------------------------------- where rows are written
class AuditedInterface(SQLAInterface):
    """FAB's data interface that records every add, change and delete made through the
    generated screens and REST APIs. A change or delete is recorded in the same commit as
    the change itself; an add once it has its id."""

    def add(self, item, commit: bool = True) -> None:
        super().add(item, commit)
        if commit:
            record("add", object_type=object_type_of(item), object_id=self.get_pk_value(item),
                   commit=True)

    def edit(self, item, commit: bool = True) -> None:
        diff = changes(item)  # before merge and commit, which clear the history
        if diff:
            record("update", object_type=object_type_of(item),
                   object_id=self.get_pk_value(item), detail={"changes": diff})
        super().edit(item, commit)

    def delete(self, item, commit: bool = True) -> None:
        _record_delete(item, self.get_pk_value(item))
        super().delete(item, commit)

    def get(self, id, filters=None, select_columns=None, outer_default_load=False):
        item = super().get(id, filters, select_columns, outer_default_load)
        if item is None and filters is not None and has_request_context() \
                and super().get(id) is not None:
            # The row exists but lies outside the user's scope: an id tried in a URL or an
            # API call (IDOR). The user sees a plain 404; the attempt is kept.
            record("access", object_type=self.obj.__name__, object_id=id,
                   result=AuditResult.denied,
                   detail={"endpoint": request.endpoint, "method": request.method},
                   commit=True)
        return item

    def delete_all(self, items) -> None:
        for item in items:
            _record_delete(item, self.get_pk_value(item))
        super().delete_all(items)


class AuditedSecurityViews:
    """For FAB's account and role screens, which keep FAB's own data interface: the same
    rows as AuditedInterface, written from the view hooks. Put it first among the bases."""

    def pre_update(self, item) -> None:
        super().pre_update(item)
        diff = changes(item)
        if diff:  # committed by FAB's edit together with the change
            record("update", object_type=object_type_of(item), object_id=item.id,
                   detail={"changes": diff})

    def post_add(self, item) -> None:
        super().post_add(item)
        record("add", object_type=object_type_of(item), object_id=item.id, commit=True)

    def pre_delete(self, item) -> None:
        super().pre_delete(item)
        _record_delete(item, item.id)


class AuditedLogins:
    """FAB's login and logout hooks, for the security manager. Put it first among the
    bases. FAB calls no hook when the account is unknown or disabled, so auth_user_db
    records that failure itself, with the name that was tried (never the password)."""

    def on_user_login(self, user) -> None:
        super().on_user_login(user)
        record("login", object_type="User", object_id=user.id, actor=user, commit=True)

    def on_user_login_failed(self, user) -> None:
        super().on_user_login_failed(user)
        g.audit_login_recorded = True
        record("login", object_type="User", object_id=user.id, actor=user,
               result=AuditResult.failure, detail={"reason": "wrong password"}, commit=True)

    def on_user_logout(self, user) -> None:
        super().on_user_logout(user)
        record("logout", object_type="User", object_id=user.id, actor=user, commit=True)

    def auth_user_db(self, username, password):
        g.audit_login_recorded = False
        user = super().auth_user_db(username, password)
        if user is None and not g.get("audit_login_recorded"):
            record("login", result=AuditResult.failure, commit=True, detail={
                "username": _cut(username or "", 64), "reason": "unknown or disabled account"})
        return user


def _record_delete(item, pk) -> None:
    record("delete", object_type=object_type_of(item), object_id=pk,
           detail={"name": _cut(str(item), 200)})


# ---------------------------------------------------------------- retention
MIN_RETENTION_DAYS = 180  # logs are kept at least six months (网络安全法 第二十一条)


class RetentionTooShort(ValueError):
    pass


def purge(retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete audit rows older than `retention_days`; return how many. On PostgreSQL the
    append-only trigger lets a DELETE through only in a transaction that has set
    registry.audit_purge (SET LOCAL ends with the transaction, so nothing else inherits it),
    and only of rows older than MIN_RETENTION_DAYS (migration 0010)."""
    if retention_days < MIN_RETENTION_DAYS:
        raise RetentionTooShort(retention_days)
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=retention_days)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL registry.audit_purge = 'on'"))
        # The trigger counts the floor by the database's clock: never ask it for a row it
        # refuses (one would roll the whole purge back), even if the clocks differ.
        floor = db.session.scalar(select(func.now())) - dt.timedelta(days=MIN_RETENTION_DAYS)
        cutoff = min(cutoff, floor)
    deleted = db.session.execute(
        delete(AuditLog).where(AuditLog.created_at < cutoff)
        .execution_options(synchronize_session=False)).rowcount
    record("audit_purge", object_type="AuditLog",
           detail={"deleted": deleted, "before": cutoff, "retention_days": retention_days})
    db.session.commit()
    return deleted
