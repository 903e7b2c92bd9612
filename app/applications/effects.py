"""What an approved application does to the register (domain.md section 4), run inside the
same database transaction as the approving transition."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..dates import add_years
from ..enums import ApplicationType, RegistrationStatus
from ..extensions import db
from ..models import (
    IMAGE_COLUMNS,
    Application,
    Certificate,
    Employment,
    QualificationCertificate,
    Registration,
    RegistrationCounter,
    RegistrationSpecialty,
)
from .signals import approved

# Registry fields a data-correction application may replace, after review.
CORRECTABLE_FIELDS = ("real_name", "phone", "email", "education")


class EffectRefused(Exception):
    """The register cannot take the change (for example a state changed meanwhile)."""


def next_serial(qualification_id: int, year: int) -> int:
    """Allocate the next serial atomically: concurrent approvals get different numbers."""
    stmt = (update(RegistrationCounter)
            .where(RegistrationCounter.qualification_id == qualification_id,
                   RegistrationCounter.year == year)
            .values(last_serial=RegistrationCounter.last_serial + 1)
            .returning(RegistrationCounter.last_serial))
    serial = db.session.execute(stmt).scalar()
    if serial is not None:
        return serial
    try:
        with db.session.begin_nested():
            db.session.execute(insert(RegistrationCounter).values(
                qualification_id=qualification_id, year=year, last_serial=1))
        return 1
    except IntegrityError:  # another transaction created the row first
        return db.session.execute(stmt).scalar_one()


def registration_number(app: Application, today: dt.date) -> str:
    certificates = db.session.scalars(select(QualificationCertificate.issue_date).where(
        QualificationCertificate.practitioner_id == app.practitioner_id,
        QualificationCertificate.qualification_id == app.qualification_id)).all()
    qualified = min(certificates).year if certificates else today.year
    serial = next_serial(app.qualification_id, today.year)
    return app.qualification.number_pattern.format(
        province=current_app.config["PROVINCE_CODE"], qualified=qualified,
        registered=today.year, serial=serial)


def _periods(app: Application, today: dt.date) -> list[dict]:
    years = app.qualification.validity_years
    specialties = app.specialties or [None]
    return [{"specialty_id": s.id if s else None, "registered_on": today,
             "expires_on": add_years(today, years)} for s in specialties]


def _move_employment(practitioner_id: int, enterprise_id: int, today: dt.date) -> None:
    current = db.session.scalar(select(Employment).where(
        Employment.practitioner_id == practitioner_id, Employment.end_date.is_(None)))
    if current is not None and current.enterprise_id == enterprise_id:
        return
    if current is not None:
        current.end_date = today
        db.session.flush()  # the old employment ends before the new one starts (one current)
    db.session.add(Employment(practitioner_id=practitioner_id, enterprise_id=enterprise_id,
                              start_date=today, contract_checked=True, insurance_checked=True))


def _new_registration(app: Application, today: dt.date) -> None:
    registration = Registration(
        number=registration_number(app, today), practitioner_id=app.practitioner_id,
        qualification_id=app.qualification_id, enterprise_id=app.enterprise_id,
        status=RegistrationStatus.valid, first_registered_on=today,
        # Through the relation, so that what follows in this transaction (the history line
        # and the certificate version, app/certificates/versions.py) finds the periods
        # without reading them back.
        specialties=[RegistrationSpecialty(**period) for period in _periods(app, today)])
    db.session.add(registration)
    db.session.flush()
    _move_employment(app.practitioner_id, app.enterprise_id, today)
    app.registration, app.registration_id = registration, registration.id


def _change(app: Application, today: dt.date) -> None:
    """New employer (or data); the original expiry dates are kept."""
    registration = app.registration
    if app.enterprise_id and app.enterprise_id != registration.enterprise_id:
        registration.enterprise_id = app.enterprise_id
        _move_employment(app.practitioner_id, app.enterprise_id, today)


def _renewal(app: Application, today: dt.date) -> None:
    """A new full period from the current expiry, for the specialties renewed."""
    years = app.qualification.validity_years
    chosen = {s.id for s in app.specialties}
    for period in app.registration.specialties:
        if not chosen or period.specialty_id in chosen:
            period.registered_on = period.expires_on
            period.expires_on = add_years(period.expires_on, years)


def _add_specialty(app: Application, today: dt.date) -> None:
    held = {p.specialty_id for p in app.registration.specialties}
    for period in _periods(app, today):
        if period["specialty_id"] in held:
            raise EffectRefused("specialty already registered")
        app.registration.specialties.append(RegistrationSpecialty(**period))


def _cancellation(app: Application, today: dt.date) -> None:
    app.registration.status = RegistrationStatus.cancelled
    db.session.execute(update(Certificate).where(
        Certificate.registration_id == app.registration_id).values(void=True))
    db.session.execute(update(Employment).where(
        Employment.practitioner_id == app.practitioner_id, Employment.end_date.is_(None),
        Employment.enterprise_id == app.registration.enterprise_id).values(end_date=today))


def _correction(app: Application, today: dt.date) -> None:
    changes = (app.details or {}).get("corrections", {})
    for field, value in changes.items():
        if field in CORRECTABLE_FIELDS:
            setattr(app.practitioner, field, value)
        elif field in IMAGE_COLUMNS:
            setattr(app.practitioner, field, int(value))


APPROVAL_EFFECTS = {
    ApplicationType.initial: _new_registration,
    ApplicationType.re_registration: _new_registration,
    ApplicationType.change: _change,
    ApplicationType.renewal: _renewal,
    ApplicationType.add_specialty: _add_specialty,
    ApplicationType.cancellation: _cancellation,
    ApplicationType.correction: _correction,
}


# The types whose approval makes a new registration (its first certificate version).
NEW_REGISTRATION = frozenset(t for t, effect in APPROVAL_EFFECTS.items()
                             if effect is _new_registration)


def apply_approval(app: Application, today: dt.date) -> None:
    APPROVAL_EFFECTS[app.app_type](app, today)
    if app.app_type != ApplicationType.correction:
        # A photo or signature replaced in answer to a return is the registry's from now on,
        # before the new certificate version is issued with it.
        _correction(app, today)
    approved.send(app, today=today)  # the history line and the certificate version
