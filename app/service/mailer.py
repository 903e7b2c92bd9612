"""E-mail copies of in-app messages through the configured SMTP server (standard library
smtplib; settings MAIL_* in config.py).

Each copy is claimed before it is sent by a conditional UPDATE that marks it "sending" and
counts the attempt, so the page that wrote it and the cron job running at the same moment
never both send it. A claim left behind by a process that died is taken over once it is
older than CLAIM_EXPIRES. A copy that could not be sent is marked "failed" with its attempts
counted, and it is retried until MAIL_MAX_ATTEMPTS: by the queue worker after its back-off
(MAIL_RETRY_SECONDS) when REDIS_URL is set, else by the daily job."""
from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from ..extensions import db
from ..models import Notification, Practitioner
from ..notifications import (
    contact_address,
    copies_due,
    default_locale,
    log_no_address,
    mail_enabled,
    now,
)
from ..operations.queue import enqueue
from ..public_address import public_base_url

RETRY_STATES = ("pending", "failed")
SENDING = "sending"


def claim_expires() -> dt.timedelta:
    """A send waits at most a few MAIL_TIMEOUTs (connect, STARTTLS, login, data)."""
    return max(dt.timedelta(minutes=10), 6 * dt.timedelta(seconds=current_app.config["MAIL_TIMEOUT"]))


def _due_clause():
    abandoned = and_(Notification.email_state == SENDING,
                     Notification.email_claimed_at < now() - claim_expires())
    return and_(or_(Notification.email_state.in_(RETRY_STATES), abandoned),
                Notification.email_attempts < current_app.config["MAIL_MAX_ATTEMPTS"])


@dataclass
class MailReport:
    sent: int = 0
    failed: int = 0


@contextmanager
def smtp_connection():
    config = current_app.config
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    try:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        yield smtp
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def absolute_link(link: str | None) -> str | None:
    if not link or not link.startswith("/"):
        return None
    return public_base_url() + link


def build_message(address: str, title: str, body: str, link: str | None) -> EmailMessage:
    """Plain text in UTF-8; the subject is the message's title."""
    with default_locale():
        parts = [body.strip()] if body.strip() else []
        url = absolute_link(link)
        if url:
            parts.append(_("Open it in the registration system: %(url)s", url=url))
        parts.append(_("This e-mail is a copy of a message in your message centre of %(app)s. "
                       "Please do not reply to it.", app=current_app.config["APP_NAME"]))
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = address
    message["Subject"] = title
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2]
                                       or None)
    message.set_content("\n\n".join(parts) + "\n", charset="utf-8")
    return message


def _due(ids: Iterable[int] | None):
    query = (select(Notification.id, Notification.email_attempts, Notification.title,
                    Notification.body, Notification.link, Notification.user_id,
                    User.email, Practitioner.email.label("own_email"))
             .join(User, User.id == Notification.user_id)
             .outerjoin(Practitioner, Practitioner.user_id == User.id)
             .where(_due_clause())
             .order_by(Notification.id))
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    return db.session.execute(query).all()


def _claim(row) -> bool:
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == row.id, Notification.email_attempts == row.email_attempts,
               _due_clause())
        .values(email_attempts=row.email_attempts + 1, email_state=SENDING,
                email_claimed_at=now())
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return claimed


def _set_state(message_id: int, state: str | None) -> None:
    db.session.execute(update(Notification).where(Notification.id == message_id)
                       .values(email_state=state).execution_options(synchronize_session=False))
    db.session.commit()


def send_emails(ids: Iterable[int] | None = None) -> MailReport:
    """Send the pending and failed copies (of `ids`, or all) over one SMTP connection."""
    report = MailReport()
    if not mail_enabled():
        return report
    rows = []
    for row in _due(ids):
        # Resolved when sending, so an address given after the message was written is used;
        # a copy written for a placeholder (before it was recognised) wants no e-mail.
        address = contact_address(row.email, row.own_email)
        if address is None:
            log_no_address(row.user_id, f"message {row.id}")
            _set_state(row.id, None)
        else:
            rows.append((row, address))
    db.session.commit()  # end the read transaction; each claim commits on its own
    if not rows:
        return report
    try:
        with smtp_connection() as smtp:
            for row, address in rows:
                if not _claim(row):
                    continue  # another process has it
                try:
                    message = build_message(address, row.title, row.body, row.link)
                except (ValueError, UnicodeError) as error:
                    # A header the e-mail library refuses (a line break in a title, a bad
                    # address): this copy fails, the others still go.
                    current_app.logger.warning("e-mail of message %s refused: %s", row.id, error)
                    _set_state(row.id, "failed")
                    report.failed += 1
                    continue
                try:
                    smtp.send_message(message)
                except (smtplib.SMTPException, OSError) as error:
                    current_app.logger.warning("e-mail of message %s failed: %s", row.id, error)
                    _set_state(row.id, "failed")
                    report.failed += 1
                    if isinstance(error, smtplib.SMTPServerDisconnected | OSError):
                        break  # the connection is gone; the rest wait for the retry
                    continue
                _set_state(row.id, "sent")
                report.sent += 1
    except (smtplib.SMTPException, OSError) as error:
        # No connection at all (or it broke outside a send): count an attempt for each copy
        # not yet handled, so that a permanently wrong setting ends after the retry limit.
        current_app.logger.warning("SMTP server %s unusable: %s",
                                   current_app.config["MAIL_SERVER"], error)
        db.session.rollback()
        handled = report.sent + report.failed
        for row, _address in rows[handled:]:
            if _claim(row):
                _set_state(row.id, "failed")
                report.failed += 1
    return report


def retry_intervals() -> list[int]:
    """The worker's retries, leaving the daily work one attempt of MAIL_MAX_ATTEMPTS."""
    config = current_app.config
    return config["MAIL_RETRY_SECONDS"][:max(0, config["MAIL_MAX_ATTEMPTS"] - 2)]


class CopiesNotSent(RuntimeError):
    """Raised by the queue's job so that RQ retries it after its back-off."""


def send_copies_job(ids: list[int]) -> dict:
    """The queue's job: these copies, raising while any failed (RQ retries it; a copy that
    reached MAIL_MAX_ATTEMPTS is no longer due, so the retries end with it)."""
    report = send_emails(ids)
    if report.failed:
        raise CopiesNotSent(f"{report.failed} of the copies failed; retried after the back-off")
    return {"sent": report.sent}


@copies_due.connect
def _send_copies_due(_app, ids: list[int]) -> None:
    """The copies of what a transaction has just committed (app/notifications.py): handed to
    the queue worker when there is one, so that no request waits for the SMTP server; sent
    here otherwise, or when Redis cannot take them."""
    try:
        if enqueue("app.service.mailer.send_copies_job", ids,
                   retry_intervals=retry_intervals()) is not None:
            return
    except Exception as error:  # noqa: BLE001 - Redis unreachable: send them in the request
        current_app.logger.warning("e-mail copies not queued (%s); sent in the request",
                                   type(error).__name__)
    send_emails(ids)
