"""Certificate versions and the registration history (domain.md sections 8 and 9).

Every approval that changes what a certificate shows issues a new version and voids the
previous one, in the approving transaction; the PDF of a version is rendered and signed on
first download (app/certificates/pdf.py)."""
from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..applications.effects import NEW_REGISTRATION
from ..applications.signals import approved
from ..dates import add_years
from ..enums import ApplicationType, RegistrationEventKind, RegistrationStatus
from ..extensions import db
from ..models import Application, Certificate, Registration, RegistrationEvent
from ..notifications import default_locale, notify, path_for

# Statuses in which no certificate may be downloaded or shown as current.
BLOCKED = {RegistrationStatus.cancelled, RegistrationStatus.lapsed,
           RegistrationStatus.suspended, RegistrationStatus.revoked}


def usage_until(registration: Registration, issued_on: dt.date) -> dt.date:
    """180 days (configurable) from issue, capped by the earliest expiry among the
    specialties still running and, where the qualification has an age cap (constructors:
    65), by the holder's birthday at that age."""
    ends = [issued_on + dt.timedelta(days=current_app.config["CERTIFICATE_USAGE_DAYS"])]
    running = [p.expires_on for p in registration.specialties if p.expires_on >= issued_on]
    ends.append(min(running) if running else issued_on)
    cap = registration.qualification.age_cap
    if cap is not None:
        ends.append(add_years(registration.practitioner.birth_date, cap))
    return min(ends)


def issue_version(registration: Registration, today: dt.date, first: bool = False) -> Certificate:
    """A new certificate version; every earlier one becomes void. `first`: the registration
    was made in this transaction, so it has no earlier version to void or count."""
    last = 0
    if not first:
        # The periods an approval adds or renews count for the usage period: its effects
        # (app/applications/effects.py) make them through registration.specialties, so the
        # collection is current without reading it back; the flush writes them, and any
        # version still pending, before the earlier versions are voided and counted.
        db.session.flush()
        db.session.execute(update(Certificate).where(
            Certificate.registration_id == registration.id).values(void=True))
        last = db.session.scalar(select(db.func.max(Certificate.version)).where(
            Certificate.registration_id == registration.id)) or 0
    certificate = Certificate(
        registration_id=registration.id, version=last + 1,
        # The QR code carries this token: 192 random bits, so tokens cannot be enumerated.
        token=secrets.token_urlsafe(24), usage_until=usage_until(registration, today),
        void=False)
    db.session.add(certificate)
    return certificate


def record_event(registration: Registration, kind: RegistrationEventKind, today: dt.date,
                 application: Application | None = None, specialties=None) -> None:
    names = specialties if specialties is not None else \
        [p.specialty.name for p in registration.specialties if p.specialty is not None]
    db.session.add(RegistrationEvent(
        registration_id=registration.id, occurred_on=today, kind=kind,
        application_id=application.id if application else None,
        enterprise_id=registration.enterprise_id, specialties="、".join(names)))


CERTIFICATE_ISSUED = "certificate_issued"  # the message's kind


def tell_certificate_issued(registration: Registration, certificate) -> None:
    """To the holder: a new certificate version can be printed."""
    user_id = registration.practitioner.user_id
    if user_id is None:
        return
    with default_locale():
        title = _("Electronic certificate issued: registration %(number)s",
                  number=registration.number)
        body = "\n".join([
            _("Version %(v)s of the electronic registration certificate of %(number)s has been "
              "issued; the previous version is void.", v=certificate.version,
              number=registration.number),
            _("Usage period until %(d)s.", d=certificate.usage_until.isoformat()),
            _("Open the registration and print the certificate; a printout is valid only "
              "when signed by hand."),
        ])
    notify(user_id, title, body, link=path_for("MyRegistrationView.show", pk=registration.id),
           kind=CERTIFICATE_ISSUED)


@approved.connect
def after_approval(app: Application, today: dt.date) -> None:
    """History and certificate for an approved application (its effect has run)."""
    if app.app_type == ApplicationType.correction:
        # The person's data changed: every valid registration gets a new certificate.
        for registration in db.session.scalars(select(Registration).where(
                Registration.practitioner_id == app.practitioner_id,
                Registration.status == RegistrationStatus.valid)):
            record_event(registration, RegistrationEventKind.correction, today, app)
            tell_certificate_issued(registration, issue_version(registration, today))
        return
    # The registration as the effect left it (made, or loaded with the application): its
    # id is known, and what this adds is written with the commit's flush.
    registration = app.registration
    chosen = [s.name for s in app.specialties] or None
    record_event(registration, RegistrationEventKind[app.app_type.name], today, app, chosen)
    if app.app_type != ApplicationType.cancellation:
        first = app.app_type in NEW_REGISTRATION
        tell_certificate_issued(registration, issue_version(registration, today, first))


def current_certificate(registration: Registration) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(
        Certificate.registration_id == registration.id, Certificate.void.is_(False)))


class CertificateBlocked(Exception):
    """No certificate can be printed now; the message says why, to the holder."""


def certificate_for_download(registration: Registration, today: dt.date) -> Certificate:
    """The version to print: the current one, or a fresh version once its usage period
    has ended (the registration itself still running)."""
    if registration.status in BLOCKED:
        raise CertificateBlocked(_("The registration is %(status)s: no certificate can be "
                                   "printed.", status=_(registration.status.value)))
    if all(p.expires_on < today for p in registration.specialties):
        raise CertificateBlocked(_("Every specialty of this registration has expired: apply "
                                   "for renewal or re-registration first."))
    current = current_certificate(registration)
    if current is None or current.usage_until < today:
        current = issue_version(registration, today)
        db.session.flush()
    return current
