"""The in-app message centre: one function writes a message for a user, in the caller's
transaction, so a message exists exactly when what it reports happened.

When SMTP is configured (app/service/mailer.py) a message to a user with a contact address is
also marked for an e-mail copy (email_state "pending"). The contact address is the one the
person gave: a practitioner's own e-mail (Practitioner.email), else the account's e-mail, but
never a placeholder: self-registered accounts carry one under users.invalid because FAB wants
a unique e-mail per account, and no address under the reserved .invalid domain (RFC 6761) can
receive mail. The copy is sent only after the caller's
transaction has committed (deliver_outbox), so a rolled-back change sends nothing and a
slow or failing mail server never holds up or undoes the change itself."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from blinker import Namespace
from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from sqlalchemy import func, inspect, select

from .extensions import db
from .models import Notification, Practitioner

OUTBOX = "notification_outbox"  # key in session.info: messages of this transaction with e-mail


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def deliverable(address: str | None) -> bool:
    """An address mail can reach: has a domain, and not one under .invalid (placeholders)."""
    local, _at, domain = (address or "").strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    return bool(local and domain) and domain != "invalid" and not domain.endswith(".invalid")


def contact_address(account_email: str | None, practitioner_email: str | None) -> str | None:
    """Where a person's copies go: the practitioner's own e-mail first, then the account's."""
    for address in (practitioner_email, account_email):
        if deliverable(address):
            return address.strip()
    return None


def contact_addresses(user_ids) -> dict[int, str | None]:
    """The contact address of each user, in one query (users without one map to None)."""
    ids = sorted(set(user_ids))
    rows = db.session.execute(
        select(User.id, User.email, Practitioner.email)
        .outerjoin(Practitioner, Practitioner.user_id == User.id)
        .where(User.id.in_(ids))) if ids else []
    return {user_id: contact_address(account, own) for user_id, account, own in rows}


def log_no_address(user_id: int, what: str) -> None:
    """Said by user id only: the account's placeholder or name may hold an ID number."""
    current_app.logger.info("no e-mail copy of %s for user %s: no contact address", what, user_id)


def email_state_for(address: str | None) -> str | None:
    """"pending" when a copy is to be e-mailed to `address`, else None (none wanted)."""
    return "pending" if mail_enabled() and deliverable(address) else None


@contextmanager
def default_locale():
    """Messages are rendered when written, and who reads them (and in which language)
    is not known then, so they are written in the configured default language (Chinese)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        yield


def path_for(endpoint: str, **values) -> str:
    """The site-relative address of a page, also outside a request (the cron job)."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def notify(user_id: int, title: str, body: str = "", link: str | None = None,
           kind: str = "message") -> Notification:
    """Add a message for `user_id` to the current session; the caller commits, then calls
    deliver_outbox() for the e-mail copy (or leaves it to the daily job)."""
    address = contact_addresses([user_id]).get(user_id) if mail_enabled() else None
    if mail_enabled() and address is None:
        log_no_address(user_id, kind)
    title = " ".join(title.split())[:200]  # one line: it is also an e-mail subject
    message = Notification(user_id=user_id, title=title, body=body, link=link, kind=kind,
                           email_state=email_state_for(address), email_attempts=0)
    db.session.add(message)
    if message.email_state:
        db.session.info.setdefault(OUTBOX, []).append(message)
    return message


# Sent after a commit with the ids of the messages that want an e-mail copy; the mailer
# (app/service/mailer.py) receives it. A signal rather than an import: the message centre is the
# base every part writes to, and the mailer builds on it.
copies_due = Namespace().signal("e-mail copies due")


def deliver_outbox() -> None:
    """After a commit: e-mail the copies of the messages that transaction wrote. Never
    raises; what could not be sent stays for the cron job (flask reminders send)."""
    messages = db.session.info.pop(OUTBOX, [])
    # A message whose transaction rolled back has no identity any more.
    ids = [key[0] for key in (inspect(m).identity for m in messages) if key]
    if not ids:
        return
    try:
        copies_due.send(current_app._get_current_object(), ids=ids)
    except Exception:  # noqa: BLE001 - the change is committed; the cron job retries
        current_app.logger.exception("e-mail copies not sent; the cron job will retry")


def forget_outbox() -> None:
    """After a rollback: the messages of that transaction do not exist."""
    db.session.info.pop(OUTBOX, None)


def unread_count(user_id: int) -> int:
    """Unread messages of a user: one COUNT on the indexed user_id column."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
