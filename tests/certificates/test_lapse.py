"""`flask registrations lapse`: valid registrations whose specialties have all expired become
lapsed, with their certificates void and one lapse line in their history; anything else is
left alone, and running it again changes nothing."""
import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext

from app.dates import province_today
from app.enums import RegistrationEventKind, RegistrationStatus
from app.extensions import db
from app.models import Certificate, Registration, RegistrationEvent
from tests.workflow_support import enterprise_of, make_applicant, put_registration

TODAY = dt.date(2026, 3, 1)  # the cast's two registrations expire on this very day


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=["registrations", "lapse", *args])
    db.session.expire_all()
    return result


def _said(count: int, voided: int, day: dt.date = TODAY) -> str:
    return gettext("%(date)s: %(n)s registrations lapsed, %(voided)s certificates voided.",
                   date=day.isoformat(), n=count, voided=voided)


def _status(registration_id: int) -> RegistrationStatus:
    return db.session.get(Registration, registration_id).status


def _lapse_events(registration_id: int) -> list[RegistrationEvent]:
    return list(db.session.scalars(sa.select(RegistrationEvent).filter_by(
        registration_id=registration_id, kind=RegistrationEventKind.lapse)))


def _void(registration_id: int) -> list[bool]:
    return list(db.session.scalars(sa.select(Certificate.void).filter_by(
        registration_id=registration_id).order_by(Certificate.version)))


def _setup(app):
    ent = enterprise_of("ent_a", app)
    people = {key: make_applicant(app, key, ent) for key in ("expired", "mixed", "cancelled")}
    expired = put_registration(people["expired"], ent, [dt.date(2026, 1, 10), dt.date(2026, 2, 28)])
    db.session.add(Certificate(registration_id=expired.id, version=2, void=False,
                               token="second", usage_until=dt.date(2026, 2, 28)))
    db.session.commit()
    mixed = put_registration(people["mixed"], ent, [dt.date(2026, 1, 10), dt.date(2027, 1, 1)])
    cancelled = put_registration(people["cancelled"], ent, [dt.date(2025, 1, 1)],
                                 status=RegistrationStatus.cancelled)
    cast = db.session.scalars(sa.select(Registration.id).where(
        Registration.number.like("%TEST_"))).all()
    return expired.id, mixed.id, cancelled.id, cast


def test_lapse_only_what_has_fully_expired_and_only_once(app):
    expired, mixed, cancelled, cast = _setup(app)
    assert len(cast) == 2

    first = _run(app, "--today", TODAY.isoformat())
    assert first.exit_code == 0, first.output
    assert first.output.strip() == _said(1, 2)
    assert _status(expired) == RegistrationStatus.lapsed
    assert _void(expired) == [True, True]
    [event] = _lapse_events(expired)
    assert event.occurred_on == TODAY
    assert event.specialties == "建筑工程、公路工程"
    assert event.enterprise_id == enterprise_of("ent_a", app).id
    assert event.application_id is None
    # One specialty still running; already cancelled; expiring today (still valid today).
    for untouched, status in ((mixed, RegistrationStatus.valid),
                              (cancelled, RegistrationStatus.cancelled),
                              *((c, RegistrationStatus.valid) for c in cast)):
        assert _status(untouched) == status
        assert _lapse_events(untouched) == []
    assert _void(mixed) == [False] and _void(cancelled) == [False]

    events_before = db.session.scalar(sa.select(sa.func.count(RegistrationEvent.id)))
    again = _run(app, "--today", TODAY.isoformat())
    assert again.exit_code == 0 and again.output.strip() == _said(0, 0)
    assert db.session.scalar(sa.select(sa.func.count(RegistrationEvent.id))) == events_before
    assert len(_lapse_events(expired)) == 1

    next_day = TODAY + dt.timedelta(days=1)
    later = _run(app, "--today", next_day.isoformat())
    assert later.output.strip() == _said(2, 0, next_day)  # the cast's have no certificate
    assert {_status(c) for c in cast} == {RegistrationStatus.lapsed}
    assert _status(mixed) == RegistrationStatus.valid


def test_a_renewed_specialty_keeps_the_registration_valid(app):
    ent = enterprise_of("ent_a", app)
    person = make_applicant(app, "renewed", ent)
    registration = put_registration(person, ent, [dt.date(2026, 1, 10)])
    registration.specialties[0].expires_on = dt.date(2029, 1, 10)  # what a renewal does
    db.session.commit()
    result = _run(app, "--today", TODAY.isoformat())
    assert result.exit_code == 0
    assert _status(registration.id) == RegistrationStatus.valid
    assert _void(registration.id) == [False]


def test_without_a_date_it_judges_by_the_servers_date(app):
    today = province_today()
    ent = enterprise_of("ent_a", app)
    ended = put_registration(make_applicant(app, "ended", ent), ent,
                             [today - dt.timedelta(days=1)])
    last_day = put_registration(make_applicant(app, "lastday", ent), ent, [today])
    result = _run(app)
    assert result.exit_code == 0
    assert result.output.strip() == _said(3, 1, today)  # and the cast's, expired in March
    assert _status(ended.id) == RegistrationStatus.lapsed
    assert _status(last_day.id) == RegistrationStatus.valid


def test_a_malformed_date_is_refused_and_changes_nothing(app):
    expired, *_ = _setup(app)
    result = _run(app, "--today", "01/03/2026")
    assert result.exit_code != 0
    assert _status(expired) == RegistrationStatus.valid
