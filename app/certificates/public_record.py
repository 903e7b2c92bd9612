"""What the public may see of a registration and of a certificate version (公众查询,
domain.md section 9), read live from the register.

The pages get these plain records, never the rows themselves, so a template cannot show
more than is listed here: no full ID number, no phone, no photo, no internal ids."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlalchemy import func, select

from ..dates import province_date
from ..enums import RegistrationEventKind, RegistrationStatus
from ..extensions import db
from ..models import Certificate, Practitioner, Registration

# What secrets.token_urlsafe(24) produces, with room to spare. Anything else cannot be a
# token; it is answered like an unknown one without reaching the database (a NUL byte, for
# one, would make PostgreSQL raise instead of finding nothing).
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def mask_id_number(number: str) -> str:
    """440106********1234: the area code and the last four stay; the birth date goes."""
    return number[:6] + "*" * max(len(number) - 10, 0) + number[-4:]


@dataclasses.dataclass(frozen=True)
class SpecialtyLine:
    name: str | None  # None for qualifications without specialties
    expires_on: dt.date
    expired: bool


@dataclasses.dataclass(frozen=True)
class HistoryLine:
    occurred_on: dt.date
    kind: RegistrationEventKind
    specialties: str
    employer: str | None


@dataclasses.dataclass(frozen=True)
class PublicRecord:
    real_name: str
    masked_id_number: str
    qualification: str
    number: str
    employer: str
    status: RegistrationStatus
    # Recorded as valid, but no specialty runs any more: lapsed in fact, lapse not yet recorded.
    all_expired: bool
    specialties: list[SpecialtyLine]
    history: list[HistoryLine]

    @property
    def valid(self) -> bool:
        return self.status == RegistrationStatus.valid


@dataclasses.dataclass(frozen=True)
class VersionVerdict:
    """Whether the certificate version presented (by its QR code) may still be relied on."""

    version: int
    issued_on: dt.date
    usage_until: dt.date
    usage_ended: bool
    superseded_by: int | None  # the latest version, when a newer one exists
    void: bool  # superseded, voided, or the registration is no longer valid


def public_record(registration: Registration, today: dt.date) -> PublicRecord:
    person = registration.practitioner
    periods = sorted(registration.specialties, key=lambda p: p.id)
    lines = [SpecialtyLine(p.specialty.name if p.specialty else None, p.expires_on,
                           p.expires_on < today) for p in periods]
    all_expired = (registration.status == RegistrationStatus.valid and bool(lines)
                   and all(line.expired for line in lines))
    return PublicRecord(
        real_name=person.real_name, masked_id_number=mask_id_number(person.id_number),
        qualification=registration.qualification.name, number=registration.number,
        employer=registration.enterprise.name,
        status=RegistrationStatus.lapsed if all_expired else registration.status,
        all_expired=all_expired, specialties=lines,
        history=[HistoryLine(e.occurred_on, e.kind, e.specialties,
                             e.enterprise.name if e.enterprise else None)
                 for e in registration.events])


def version_verdict(certificate: Certificate, record: PublicRecord,
                    today: dt.date) -> VersionVerdict:
    latest = db.session.scalar(select(func.max(Certificate.version)).where(
        Certificate.registration_id == certificate.registration_id))
    superseded_by = latest if latest > certificate.version else None
    return VersionVerdict(
        version=certificate.version,
        issued_on=province_date(certificate.issued_at),
        usage_until=certificate.usage_until, usage_ended=certificate.usage_until < today,
        superseded_by=superseded_by,
        void=certificate.void or superseded_by is not None or not record.valid)


def certificate_by_token(token: str) -> Certificate | None:
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.token == token))


def registration_by_name_and_number(real_name: str, number: str) -> Registration | None:
    """Both must match exactly; one query, so a miss says nothing about which was wrong."""
    if "\x00" in real_name or "\x00" in number:  # PostgreSQL refuses NUL in text
        return None
    return db.session.scalar(select(Registration).join(Registration.practitioner).where(
        Registration.number == number, Practitioner.real_name == real_name))
