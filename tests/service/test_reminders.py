"""`flask reminders send`: each kind fires on the right day, not before or after its window,
and only once, also when another run recorded it first; working days skip the configured
holidays."""
import datetime as dt
import random
import re
import threading

import pytest
import sqlalchemy as sa

from app.demo import make_credit_code
from app.enums import ApplicationState as S
from app.enums import ApplicationType
from app.extensions import db
from app.models import Application, Certificate, Enterprise, Notification, ReminderSent
from app.service.reminders import _send_chunk, kinds, send_reminders
from tests.workflow_support import (
    enterprise_of,
    make_applicant,
    put_application,
    put_registration,
    run_in_threads,
)

EXPIRY = dt.date(2027, 6, 30)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def person(app):
    return make_applicant(app, "holder", enterprise_of("ent_a", app))


def user_id(app, username: str) -> int:
    return app.appbuilder.sm.find_user(username=username).id


def sent(kind: str) -> list[tuple[int, str | None]]:
    db.session.expire_all()
    return sorted((m.user_id, m.link) for m in db.session.scalars(
        sa.select(Notification).filter_by(kind=kind)))


def run(day: dt.date, kind: str) -> int:
    """Reminders of `kind` recorded by a run on `day`."""
    return send_reminders(day).reminders[kind]


def test_renewal_at_90_and_30_days_once_each_to_holder_and_employer(app, person):
    registration = put_registration(person, enterprise_of("ent_a", app),
                                    [EXPIRY, EXPIRY + dt.timedelta(days=400)])
    days = dt.timedelta
    assert run(EXPIRY - days(91), "renewal_90") == 0
    assert run(EXPIRY - days(90), "renewal_90") == 1
    assert run(EXPIRY - days(90), "renewal_90") == 0  # the same day again
    assert run(EXPIRY - days(60), "renewal_90") == 0  # later in the window
    assert run(EXPIRY - days(31), "renewal_30") == 0
    assert run(EXPIRY - days(30), "renewal_30") == 1
    assert run(EXPIRY - days(5), "renewal_30") == 0
    assert run(EXPIRY + days(1), "renewal_30") == 0  # expired: the next expiry is far off
    expected = sorted([(person.user_id, f"/myregistrationview/show/{registration.id}"),
                       (user_id(app, "ent_a"),
                        f"/enterpriseregistrationview/show/{registration.id}")])
    assert sent("renewal_90") == expected and sent("renewal_30") == expected
    [message] = [m for m in db.session.scalars(sa.select(Notification).filter_by(
        kind="renewal_30", user_id=person.user_id))]
    assert registration.number in message.title and "2027-06-30" in message.title
    assert "2027-05-31" in message.body  # renewal applications close 30 days before
    assert db.session.scalar(sa.select(sa.func.count(ReminderSent.id)).filter_by(
        object_type="Registration", object_id=registration.id)) == 2


def test_a_first_run_late_in_the_window_sends_only_the_30_day_reminder(app, person):
    put_registration(person, enterprise_of("ent_a", app), [EXPIRY])
    report = send_reminders(EXPIRY - dt.timedelta(days=10))
    assert (report.reminders["renewal_90"], report.reminders["renewal_30"]) == (0, 1)
    # The renewal window closed 30 days before expiry: the message must not say "in time".
    body = db.session.scalar(sa.select(Notification.body).filter_by(
        kind="renewal_30", user_id=person.user_id))
    closed = (EXPIRY - dt.timedelta(days=30)).isoformat()
    assert closed in body and "请及时申请延续注册" not in body and "如何办理" in body


def test_a_reminder_nobody_can_read_waits_for_a_reader(app):
    nobody = make_applicant(app, "future", enterprise_of("ent_b", app))
    user = nobody.user_id
    nobody.user_id = None  # no account yet
    employer = Enterprise(name="无账号企业有限公司", city="广州市", legal_representative="某某",
                          address="广州市某路1号",
                          credit_code=make_credit_code(random.Random(7), "440106"))
    db.session.add(employer)
    db.session.commit()
    put_registration(nobody, employer, [EXPIRY])
    assert run(EXPIRY - dt.timedelta(days=30), "renewal_30") == 0
    nobody.user_id = user  # the account is linked later
    db.session.commit()
    assert run(EXPIRY - dt.timedelta(days=29), "renewal_30") == 1


def test_no_renewal_reminder_while_a_renewal_application_is_open(app, person):
    registration = put_registration(person, enterprise_of("ent_a", app), [EXPIRY])
    put_application(person, enterprise_of("ent_a", app), S.pending_acceptance,
                    app_type=ApplicationType.renewal, registration=registration)
    assert run(EXPIRY - dt.timedelta(days=30), "renewal_30") == 0


def test_renewed_registration_earns_new_reminders(app, person):
    registration = put_registration(person, enterprise_of("ent_a", app), [EXPIRY])
    assert run(EXPIRY - dt.timedelta(days=30), "renewal_30") == 1
    later = EXPIRY.replace(year=2030)
    registration.specialties[0].expires_on = later
    db.session.commit()
    assert run(later - dt.timedelta(days=30), "renewal_30") == 1


def test_certificate_usage_period_within_15_days_once(app, person):
    registration = put_registration(person, enterprise_of("ent_a", app), [EXPIRY])
    certificate = registration.certificates[0]
    certificate.usage_until = dt.date(2027, 2, 20)
    db.session.commit()
    assert run(dt.date(2027, 2, 4), "certificate_usage") == 0
    assert run(dt.date(2027, 2, 5), "certificate_usage") == 1
    assert run(dt.date(2027, 2, 6), "certificate_usage") == 0
    assert run(dt.date(2027, 2, 21), "certificate_usage") == 0
    assert sent("certificate_usage") == [(person.user_id,
                                          f"/myregistrationview/show/{registration.id}")]


def test_a_void_certificate_gets_no_usage_reminder(app, person):
    registration = put_registration(person, enterprise_of("ent_a", app), [EXPIRY])
    db.session.execute(sa.update(Certificate).where(
        Certificate.registration_id == registration.id).values(
        void=True, usage_until=dt.date(2027, 2, 20)))
    db.session.commit()
    assert run(dt.date(2027, 2, 10), "certificate_usage") == 0


def _waiting_since(app, person, local: dt.datetime) -> int:
    app_id = put_application(person, enterprise_of("ent_a", app), S.pending_enterprise)
    db.session.execute(sa.update(Application).where(Application.id == app_id).values(
        submitted_at=local.replace(tzinfo=SHANGHAI).astimezone(dt.UTC)))
    db.session.commit()
    return app_id


def test_enterprise_reminded_after_5_working_days_counting_the_holiday(app, person):
    app.config["PUBLIC_HOLIDAYS"] = [dt.date(2027, 1, 1)]  # a Friday
    # Thursday 23:30 in the province (15:30 UTC): submitted on 31 December.
    app_id = _waiting_since(app, person, dt.datetime(2026, 12, 31, 23, 30))
    assert run(dt.date(2027, 1, 8), "enterprise_waiting") == 0  # 4-8 Jan: 5 working days
    assert run(dt.date(2027, 1, 10), "enterprise_waiting") == 0  # Sunday: still 5
    assert run(dt.date(2027, 1, 11), "enterprise_waiting") == 1  # Monday: 6
    assert run(dt.date(2027, 1, 12), "enterprise_waiting") == 0
    assert sent("enterprise_waiting") == [(user_id(app, "ent_a"),
                                           f"/enterpriseapplicationview/show/{app_id}")]


def test_without_the_holiday_the_friday_counts(app, person):
    app.config["PUBLIC_HOLIDAYS"] = []
    _waiting_since(app, person, dt.datetime(2026, 12, 31, 9, 0))
    assert run(dt.date(2027, 1, 7), "enterprise_waiting") == 0
    assert run(dt.date(2027, 1, 8), "enterprise_waiting") == 1


def _with_deadline(app, person, state: S, deadline: dt.date) -> int:
    app_id = put_application(person, enterprise_of("ent_a", app), state)
    db.session.execute(sa.update(Application).where(Application.id == app_id).values(
        deadline=deadline))
    db.session.commit()
    return app_id


@pytest.mark.parametrize("state,stage,role", [
    (S.pending_acceptance, "review", "reviewer"),
    (S.under_review, "review", "reviewer"),
    (S.pending_decision, "decision", "approver"),
])
def test_authority_reminded_near_and_past_the_time_limit(app, person, state, stage, role):
    app.config["PUBLIC_HOLIDAYS"] = []
    app_id = _with_deadline(app, person, state, dt.date(2027, 3, 10))  # a Wednesday
    assert run(dt.date(2027, 3, 4), f"{stage}_due_soon") == 0  # 4 working days left
    assert run(dt.date(2027, 3, 5), f"{stage}_due_soon") == 1  # 3 left (Mon, Tue, Wed)
    assert run(dt.date(2027, 3, 10), f"{stage}_due_soon") == 0
    assert run(dt.date(2027, 3, 10), f"{stage}_overdue") == 0  # the last day is not late
    assert run(dt.date(2027, 3, 11), f"{stage}_overdue") == 1
    assert run(dt.date(2027, 3, 15), f"{stage}_overdue") == 0
    link = f"/applicationadminview/show/{app_id}"
    assert sent(f"{stage}_due_soon") == sent(f"{stage}_overdue") == [(user_id(app, role), link)]
    other = "decision" if stage == "review" else "review"
    assert sent(f"{other}_due_soon") == sent(f"{other}_overdue") == []


def test_a_reminder_another_run_recorded_first_is_not_sent_again(app, person):
    put_registration(person, enterprise_of("ent_a", app), [EXPIRY])
    today = EXPIRY - dt.timedelta(days=30)
    [kind] = [k for k in kinds() if k.name == "renewal_30"]
    found = list(kind.find(today))  # this run's candidates ...
    assert len(found) == 1
    db.session.add(ReminderSent(kind=kind.name, object_type=kind.object_type,
                                object_id=found[0].object_id, due_on=found[0].due_on))
    db.session.commit()  # ... meanwhile recorded by another run
    assert _send_chunk(kind, found) == (0, 0)
    assert sent("renewal_30") == []


def test_command_prints_a_summary_per_kind(app, person):
    put_registration(person, enterprise_of("ent_a", app), [EXPIRY])
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--today", "2027-05-31"])
    assert result.exit_code == 0, result.output
    # reminders, then messages, whatever the language of the summary
    assert re.search(r"2027-05-31 renewal_30\D+1\D+2\D", result.output), result.output
    assert re.search(r"2027-05-31 renewal_90\D+0\D+0\D", result.output), result.output
    again = app.test_cli_runner().invoke(args=["reminders", "send", "--today", "2027-05-31"])
    assert re.search(r"renewal_30\D+0\D+0\D", again.output), again.output
    bad = app.test_cli_runner().invoke(args=["reminders", "send", "--today", "31.05.2027"])
    assert bad.exit_code != 0


def test_two_runs_at_once_send_each_reminder_once(app, person):
    for n in range(3):
        other = make_applicant(app, f"holder{n}", enterprise_of("ent_b", app))
        put_registration(other, enterprise_of("ent_b", app), [EXPIRY])
    put_registration(person, enterprise_of("ent_a", app), [EXPIRY])
    today = EXPIRY - dt.timedelta(days=30)
    start, reports, errors = threading.Barrier(2), [], []

    def one_run():
        with app.app_context():
            try:
                start.wait()
                reports.append(send_reminders(today).reminders["renewal_30"])
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    run_in_threads(one_run, 2)
    assert errors == [] and sum(reports) == 4
    # one message to each holder and one to each enterprise's staff per registration
    assert len(sent("renewal_30")) == 8
