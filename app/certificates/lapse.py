"""Lapse on expiry (期满未延续，注册失效): a valid registration whose specialties have all
expired without renewal becomes lapsed, its certificates void, and its history gets a
lapse line. Run daily by `flask registrations lapse` (cron); a second run finds nothing."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ..enums import RegistrationEventKind, RegistrationStatus
from ..extensions import db
from ..models import Certificate, Registration, RegistrationSpecialty
from .versions import record_event

# Ids per IN list: well under SQLite's variable limit, and small batches for the ORM.
CHUNK = 5000


@dataclass(frozen=True)
class LapseReport:
    registrations: int
    certificates: int


def fully_expired(today: dt.date):
    """Registrations whose latest expiry is before `today`: a specialty is still valid on
    its expiry date, and a renewal moves the expiry, so renewed ones are not found."""
    return (select(RegistrationSpecialty.registration_id)
            .group_by(RegistrationSpecialty.registration_id)
            .having(func.max(RegistrationSpecialty.expires_on) < today))


def lapse_expired(today: dt.date) -> LapseReport:
    """Lapse what has expired by `today`, in one transaction."""
    # The status changes first, set-based; RETURNING yields only the rows this run changed,
    # so two runs at once cannot both record a lapse for the same registration.
    lapsed = db.session.scalars(
        update(Registration)
        .where(Registration.status == RegistrationStatus.valid,
               Registration.id.in_(fully_expired(today)))
        .values(status=RegistrationStatus.lapsed)
        .returning(Registration.id)
        .execution_options(synchronize_session=False)).all()
    voided = 0
    for start in range(0, len(lapsed), CHUNK):
        chunk = lapsed[start:start + CHUNK]
        voided += db.session.execute(
            update(Certificate)
            .where(Certificate.registration_id.in_(chunk), Certificate.void.is_(False))
            .values(void=True)
            .execution_options(synchronize_session=False)).rowcount
        registrations = db.session.scalars(
            select(Registration).where(Registration.id.in_(chunk)).options(
                selectinload(Registration.specialties).selectinload(RegistrationSpecialty.specialty)))
        for registration in registrations:
            record_event(registration, RegistrationEventKind.lapse, today)
        db.session.flush()
    db.session.commit()
    return LapseReport(registrations=len(lapsed), certificates=voided)
