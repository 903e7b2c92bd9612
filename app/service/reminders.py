"""Reminders (`flask reminders send`, daily by cron): renewal due in 90 and in 30 days,
certificate usage period ending, applications waiting at an enterprise, and authority items
near or past their time limit.

Each reminder is sent once: its row in reminder_sent (kind, object, due date) is inserted
with ON CONFLICT DO NOTHING in the same transaction as its messages, and only the rows this
run inserted get messages, so a second run, or two runs at the same moment, send nothing
more. The due date is part of the key, so a renewed registration or a new time limit earns
a new reminder. Candidates are found by set-based queries that leave out what was sent."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import current_app
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ..applications.deadlines import add_working_days, is_working_day, working_days_between
from ..dates import province_date, start_of_day_utc
from ..enums import OPEN_APPLICATION_STATES, ApplicationState, ApplicationType, RegistrationStatus
from ..extensions import db
from ..models import (
    Application,
    Certificate,
    EnterpriseUser,
    Notification,
    Practitioner,
    QualificationType,
    Registration,
    RegistrationSpecialty,
    ReminderSent,
)
from ..notifications import (
    contact_addresses,
    default_locale,
    email_state_for,
    mail_enabled,
    now,
    path_for,
)
from ..security import ROLES

CHUNK = 500  # reminders per transaction (and per multi-row INSERT)


@dataclass
class Reminder:
    object_id: int
    due_on: dt.date
    title: str
    body: str
    recipients: list[tuple[int, str | None, str]]  # user id, e-mail address, link


@dataclass(frozen=True)
class Kind:
    name: str
    object_type: str
    find: Callable[[dt.date], Iterator[Reminder]]


def not_sent(kind: str, object_type: str, object_id, due_on):
    return ~exists().where(ReminderSent.kind == kind, ReminderSent.object_type == object_type,
                           ReminderSent.object_id == object_id, ReminderSent.due_on == due_on)


# ---------------------------------------------------------------- recipients
def staff_by_enterprise() -> dict[int, list[tuple[int, str | None]]]:
    """Every enterprise's enabled staff accounts, in one query."""
    staff: dict[int, list[tuple[int, str | None]]] = {}
    for enterprise_id, user_id, email in db.session.execute(
            select(EnterpriseUser.enterprise_id, User.id, User.email)
            .join(User, User.id == EnterpriseUser.user_id).where(User.active.is_(True))):
        staff.setdefault(enterprise_id, []).append((user_id, email))
    return staff


def role_users(role_key: str) -> list[tuple[int, str | None]]:
    """Enabled accounts holding a role of app/security.ROLES (FAB's ab_user_role)."""
    return list(db.session.execute(
        select(User.id, User.email).join(User.roles)
        .where(Role.name == ROLES[role_key].name, User.active.is_(True)).order_by(User.id)))


# ---------------------------------------------------------------- renewal
def renewal_deadline_text(last_day: dt.date, today: dt.date) -> str:
    """A first or missed run can come after the renewal window closed: say so, not "in time"."""
    if last_day >= today:
        return _("Apply for renewal in time: renewal applications are accepted until %(date)s.",
                 date=last_day.isoformat())
    return _("Renewal applications were accepted until %(date)s. Ask the registration "
             "authority how to continue.", date=last_day.isoformat())


def renewal_kind(days: int, lower: int) -> Kind:
    """Due in `days` days or fewer (and more than `lower`): the earliest running specialty
    expiry of a valid registration, to the holder and the employing enterprise."""
    name = f"renewal_{days}"

    def find(today: dt.date) -> Iterator[Reminder]:
        window_end = today + dt.timedelta(days=days)
        # Only registrations with a specialty expiring within the window can be due in it,
        # and for those the earliest expiry in [today, window_end] is the earliest running.
        due = (select(RegistrationSpecialty.registration_id.label("rid"),
                      func.min(RegistrationSpecialty.expires_on).label("due"))
               .where(RegistrationSpecialty.expires_on.between(today, window_end))
               .group_by(RegistrationSpecialty.registration_id).subquery())
        # An uncorrelated IN: SQLite builds it once (application.registration_id has no
        # index, so a correlated EXISTS would scan the applications per registration).
        renewing = Registration.id.in_(select(Application.registration_id).where(
            Application.registration_id.isnot(None),
            Application.app_type == ApplicationType.renewal,
            Application.state.in_(OPEN_APPLICATION_STATES)))
        rows = db.session.execute(
            select(Registration.id, Registration.number, Registration.enterprise_id, due.c.due,
                   Practitioner.real_name, Practitioner.user_id, User.email,
                   QualificationType.name.label("qualification"))
            .join(due, due.c.rid == Registration.id)
            .join(Practitioner, Practitioner.id == Registration.practitioner_id)
            .join(QualificationType, QualificationType.id == Registration.qualification_id)
            .outerjoin(User, User.id == Practitioner.user_id)
            .where(Registration.status == RegistrationStatus.valid,
                   due.c.due > today + dt.timedelta(days=lower), ~renewing,
                   not_sent(name, "Registration", Registration.id, due.c.due))
            .order_by(Registration.id)).all()
        staff = staff_by_enterprise() if rows else {}
        closes = current_app.config["RENEWAL_CLOSES_DAYS_BEFORE"]
        for row in rows:
            title = _("Renewal due: registration %(number)s expires on %(date)s",
                      number=row.number, date=row.due.isoformat())
            body = "\n".join([
                _("The registration %(number)s (%(q)s) of %(name)s expires on %(date)s, in "
                  "%(n)s days.", number=row.number, q=row.qualification, name=row.real_name,
                  date=row.due.isoformat(), n=(row.due - today).days),
                renewal_deadline_text(row.due - dt.timedelta(days=closes), today),
            ])
            recipients = [(user_id, email, path_for("EnterpriseRegistrationView.show", pk=row.id))
                          for user_id, email in staff.get(row.enterprise_id, [])]
            if row.user_id is not None:
                recipients.insert(0, (row.user_id, row.email,
                                      path_for("MyRegistrationView.show", pk=row.id)))
            yield Reminder(row.id, row.due, title, body, recipients)

    return Kind(name, "Registration", find)


# ---------------------------------------------------------------- certificate usage period
def find_certificate_usage(today: dt.date) -> Iterator[Reminder]:
    days = current_app.config["CERTIFICATE_USAGE_REMINDER_DAYS"]
    rows = db.session.execute(
        select(Certificate.id, Certificate.version, Certificate.usage_until,
               Registration.id.label("rid"), Registration.number, Practitioner.user_id, User.email)
        .join(Registration, Registration.id == Certificate.registration_id)
        .join(Practitioner, Practitioner.id == Registration.practitioner_id)
        .join(User, User.id == Practitioner.user_id)
        .where(Certificate.void.is_(False), Registration.status == RegistrationStatus.valid,
               Certificate.usage_until.between(today, today + dt.timedelta(days=days)),
               not_sent("certificate_usage", "Certificate", Certificate.id,
                        Certificate.usage_until))
        .order_by(Certificate.id)).all()
    for row in rows:
        title = _("Certificate usage period ends on %(date)s: registration %(number)s",
                  date=row.usage_until.isoformat(), number=row.number)
        body = _("The usage period of version %(v)s of the electronic certificate of "
                 "registration %(number)s ends on %(date)s. After that day, print the "
                 "certificate again to get a new version.", v=row.version, number=row.number,
                 date=row.usage_until.isoformat())
        yield Reminder(row.id, row.usage_until, title, body,
                       [(row.user_id, row.email, path_for("MyRegistrationView.show", pk=row.rid))])


# ---------------------------------------------------------------- waiting at the enterprise
def waiting_since_before(today: dt.date, working_days: int) -> dt.datetime:
    """Submitted before this instant (UTC) means more than `working_days` working days
    have passed by `today`: it is the start of the day on which, counting back from
    today, the working days reach one more than allowed."""
    day, counted = today, 0
    while True:
        if is_working_day(day):
            counted += 1
            if counted > working_days:
                break
        day -= dt.timedelta(days=1)
    return start_of_day_utc(day)



def find_enterprise_waiting(today: dt.date) -> Iterator[Reminder]:
    allowed = current_app.config["ENTERPRISE_WAITING_WORKING_DAYS"]
    rows = db.session.execute(
        select(Application.id, Application.app_type, Application.enterprise_id,
               Application.submitted_at, Practitioner.real_name)
        .join(Practitioner, Practitioner.id == Application.practitioner_id)
        .where(Application.state == ApplicationState.pending_enterprise,
               Application.submitted_at < waiting_since_before(today, allowed))
        .order_by(Application.id)).all()
    staff = staff_by_enterprise() if rows else {}
    sent = _already_sent("enterprise_waiting", "Application", [r.id for r in rows])
    for row in rows:
        submitted = province_date(row.submitted_at)
        if (row.id, submitted) in sent:
            continue
        waited = working_days_between(submitted, today)
        app_label = f"{row.app_type} #{row.id}"
        title = _("Waiting for your verification for %(n)s working days: %(app)s of %(name)s",
                  n=waited, app=app_label, name=row.real_name)
        body = _("The application %(app)s of %(name)s was submitted on %(date)s and has waited "
                 "%(n)s working days for the enterprise's verification. Verify and forward it "
                 "to the authority, or return it to the applicant with the reason.",
                 app=app_label, name=row.real_name, date=submitted.isoformat(), n=waited)
        link = path_for("EnterpriseApplicationView.show", pk=row.id)
        yield Reminder(row.id, submitted, title, body,
                       [(user_id, email, link) for user_id, email
                        in staff.get(row.enterprise_id, [])])


def _already_sent(kind: str, object_type: str, ids: list[int]) -> set[tuple[int, dt.date]]:
    """(object id, due date) pairs sent, for due dates computed in Python."""
    found: set[tuple[int, dt.date]] = set()
    for start in range(0, len(ids), CHUNK):
        found.update(tuple(row) for row in db.session.execute(
            select(ReminderSent.object_id, ReminderSent.due_on).where(
                ReminderSent.kind == kind, ReminderSent.object_type == object_type,
                ReminderSent.object_id.in_(ids[start:start + CHUNK]))))
    return found


# ---------------------------------------------------------------- authority time limits
AUTHORITY_STAGES = {
    # stage: (the states it covers, the role that acts in them)
    "review": ((ApplicationState.pending_acceptance, ApplicationState.under_review), "reviewer"),
    "decision": ((ApplicationState.pending_decision,), "approver"),
}


def deadline_kind(stage: str, overdue: bool) -> Kind:
    states, role_key = AUTHORITY_STAGES[stage]
    name = f"{stage}_{'overdue' if overdue else 'due_soon'}"

    def find(today: dt.date) -> Iterator[Reminder]:
        if overdue:
            window = Application.deadline < today
        else:
            near = current_app.config["DEADLINE_NEAR_WORKING_DAYS"]
            # At most `near` working days left: before the (near + 1)th working day from today.
            window = and_(Application.deadline >= today,
                          Application.deadline < add_working_days(today, near + 1))
        rows = db.session.execute(
            select(Application.id, Application.app_type, Application.state, Application.deadline,
                   Practitioner.real_name)
            .join(Practitioner, Practitioner.id == Application.practitioner_id)
            .where(Application.state.in_(states), window,
                   not_sent(name, "Application", Application.id, Application.deadline))
            .order_by(Application.deadline, Application.id)).all()
        staff = role_users(role_key) if rows else []
        for row in rows:
            app_label = f"{row.app_type} #{row.id}"
            left = working_days_between(today, row.deadline)
            if overdue:
                title = _("Time limit passed on %(date)s: %(app)s of %(name)s",
                          date=row.deadline.isoformat(), app=app_label, name=row.real_name)
                body = _("The application %(app)s of %(name)s (%(state)s) was due by %(date)s "
                         "and is overdue by %(n)s working days.", app=app_label,
                         name=row.real_name, state=row.state, date=row.deadline.isoformat(),
                         n=-left)
            else:
                title = _("Time limit near (%(date)s): %(app)s of %(name)s",
                          date=row.deadline.isoformat(), app=app_label, name=row.real_name)
                body = _("The application %(app)s of %(name)s (%(state)s) is due by %(date)s: "
                         "%(n)s working days left.", app=app_label, name=row.real_name,
                         state=row.state, date=row.deadline.isoformat(), n=left)
            link = path_for("ApplicationAdminView.show", pk=row.id)
            yield Reminder(row.id, row.deadline, title, body,
                           [(user_id, email, link) for user_id, email in staff])

    return Kind(name, "Application", find)


def kinds() -> list[Kind]:
    days = sorted(current_app.config["RENEWAL_REMINDER_DAYS"], reverse=True)
    result = [renewal_kind(d, lower) for d, lower in zip(days, [*days[1:], -1], strict=True)]
    result += [Kind("certificate_usage", "Certificate", find_certificate_usage),
               Kind("enterprise_waiting", "Application", find_enterprise_waiting)]
    result += [deadline_kind(stage, overdue) for stage in AUTHORITY_STAGES
               for overdue in (False, True)]
    return result


# ---------------------------------------------------------------- sending once
def _insert_once(kind: Kind, reminders: list[Reminder]) -> set[tuple[int, dt.date]]:
    """Record the reminders; returns those this run recorded (the others were sent by a
    run that got there first)."""
    dialect = db.session.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    created = now()
    statement = (dialect_insert(ReminderSent)
                 .values([{"kind": kind.name, "object_type": kind.object_type,
                           "object_id": r.object_id, "due_on": r.due_on, "created_at": created}
                          for r in reminders])
                 .on_conflict_do_nothing()
                 .returning(ReminderSent.object_id, ReminderSent.due_on))
    return {tuple(row) for row in db.session.execute(statement)}


def _send_chunk(kind: Kind, reminders: list[Reminder]) -> tuple[int, int]:
    """(reminders recorded by this run, messages written), in one transaction."""
    won = _insert_once(kind, reminders)
    created = now()
    # The recipients' contact addresses (never the account's placeholder), in one query.
    wanted = [r for r in reminders if (r.object_id, r.due_on) in won]
    addresses = (contact_addresses(u for r in wanted for u, _e, _l in r.recipients)
                 if mail_enabled() else {})
    rows = [{"user_id": user_id, "title": " ".join(r.title.split())[:200], "body": r.body,
             "link": link,
             "kind": kind.name, "email_state": email_state_for(addresses.get(user_id)),
             "email_attempts": 0, "created_at": created}
            for r in wanted for user_id, _email, link in r.recipients]
    if rows:
        db.session.execute(insert(Notification), rows)
    db.session.commit()
    return len(won), len(rows)


@dataclass
class ReminderReport:
    reminders: Counter
    messages: Counter


def send_reminders(today: dt.date) -> ReminderReport:
    """Send every reminder due by `today` that has not been sent."""
    report = ReminderReport(Counter(), Counter())

    def flush(kind: Kind, batch: list[Reminder]) -> None:
        recorded, written = _send_chunk(kind, batch)
        report.reminders[kind.name] += recorded
        report.messages[kind.name] += written

    for kind in kinds():
        report.reminders[kind.name] = report.messages[kind.name] = 0
        with default_locale():  # written now, read later in an unknown language
            batch: list[Reminder] = []
            for reminder in kind.find(today):
                if not reminder.recipients:
                    continue  # nobody can read it yet: left for a run that finds someone
                batch.append(reminder)
                if len(batch) == CHUNK:
                    flush(kind, batch)
                    batch = []
            if batch:
                flush(kind, batch)
        db.session.commit()
    return report
