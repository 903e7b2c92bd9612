"""Eligibility pre-checks (domain.md section 5): each a small named rule with a severity and
a Chinese message, run when an application is submitted, resubmitted or forwarded, and
shown to the applicant, the enterprise and the reviewer as a pass / warn / fail list.
A rule returns None when it does not apply to the application."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..dates import add_years, province_today
from ..enums import (
    OPEN_APPLICATION_STATES,
    ApplicationType,
    EnterpriseStatus,
    RegistrationStatus,
    VerificationStatus,
)
from ..extensions import db
from ..identity import IdentityError, parse_resident_id
from ..models import Application, QualificationCertificate, Registration

BLOCKING = "blocking"
WARNING = "warning"
PASS, WARN, FAIL = "pass", "warn", "fail"

NEW_REGISTRATION = {ApplicationType.initial, ApplicationType.re_registration}
NEEDS_REGISTRATION = {ApplicationType.change, ApplicationType.renewal,
                      ApplicationType.add_specialty, ApplicationType.cancellation}
NEEDS_ENTERPRISE = NEW_REGISTRATION | {ApplicationType.change, ApplicationType.renewal,
                                       ApplicationType.add_specialty}


@dataclass(frozen=True)
class RuleResult:
    rule: str
    severity: str
    outcome: str  # PASS, WARN or FAIL
    message: str

    @property
    def blocks(self) -> bool:
        return self.outcome == FAIL

    def as_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "outcome": self.outcome,
                "message": self.message}


RULES: list[tuple[str, str, Callable]] = []


def rule(name: str, severity: str = BLOCKING):
    def register(func):
        RULES.append((name, severity, func))
        return func
    return register


def _ok(message: str) -> tuple[str, str]:
    return PASS, message


def _warn(message: str) -> tuple[str, str]:
    return WARN, message


def _fail(message: str) -> tuple[str, str]:
    return FAIL, message


@rule("id_valid")
def id_valid(app: Application, today: dt.date):
    try:
        parse_resident_id(app.practitioner.id_number, today=today)
    except IdentityError as exc:
        return _fail(str(exc))
    return _ok(_("The resident ID number is valid."))


@rule("age_cap")
def age_cap(app: Application, today: dt.date):
    cap = app.qualification.age_cap
    if cap is None or app.app_type == ApplicationType.cancellation:
        return None
    limit = add_years(app.practitioner.birth_date, cap)
    if today >= limit:
        return _fail(_("Over %(cap)s years of age (from the ID number): not registrable.", cap=cap))
    return _ok(_("Under the age cap of %(cap)s.", cap=cap))


def _verified_certificates(app: Application) -> list[QualificationCertificate]:
    return list(db.session.scalars(select(QualificationCertificate).where(
        QualificationCertificate.practitioner_id == app.practitioner_id,
        QualificationCertificate.qualification_id == app.qualification_id,
        QualificationCertificate.verification == VerificationStatus.verified)))


@rule("qualification_verified")
def qualification_verified(app: Application, today: dt.date):
    if app.app_type not in NEW_REGISTRATION | {ApplicationType.add_specialty}:
        return None
    certificates = _verified_certificates(app)
    if not certificates:
        return _fail(_("No verified qualification certificate for %(q)s.", q=app.qualification))
    held = {c.specialty_id for c in certificates}
    missing = [s.name for s in app.specialties if s.id not in held]
    if missing:
        return _fail(_("No verified qualification certificate for the specialty: %(s)s.",
                       s="、".join(missing)))
    if app.qualification.specialties and not app.specialties:
        return _fail(_("Choose at least one specialty."))
    return _ok(_("Qualification certificate verified."))


@rule("single_employer")
def single_employer(app: Application, today: dt.date):
    """Registered or applying in two units is a refusal ground."""
    if app.enterprise_id is None or app.app_type not in NEEDS_ENTERPRISE:
        return None
    elsewhere = db.session.scalar(select(Registration.id).where(
        Registration.practitioner_id == app.practitioner_id,
        Registration.status == RegistrationStatus.valid,
        Registration.enterprise_id != app.enterprise_id,
        Registration.id != (app.registration_id or -1)))
    if elsewhere is not None and app.app_type != ApplicationType.change:
        return _fail(_("Already registered with another enterprise."))
    applying = db.session.scalar(select(Application.id).where(
        Application.practitioner_id == app.practitioner_id,
        Application.id != app.id,
        Application.state.in_(OPEN_APPLICATION_STATES),
        Application.enterprise_id != app.enterprise_id))
    if applying is not None:
        return _fail(_("Another application with a different enterprise is in progress."))
    return _ok(_("Registered and applying with this enterprise only."))


@rule("not_yet_registered")
def not_yet_registered(app: Application, today: dt.date):
    if app.app_type not in NEW_REGISTRATION:
        return None
    valid = db.session.scalar(select(Registration.number).where(
        Registration.practitioner_id == app.practitioner_id,
        Registration.qualification_id == app.qualification_id,
        Registration.status == RegistrationStatus.valid))
    if valid:
        return _fail(_("Already holds valid registration %(n)s of this qualification.", n=valid))
    return _ok(_("No valid registration of this qualification yet."))


@rule("registration_valid")
def registration_valid(app: Application, today: dt.date):
    if app.app_type not in NEEDS_REGISTRATION:
        return None
    reg = app.registration
    if reg is None or reg.practitioner_id != app.practitioner_id \
            or reg.qualification_id != app.qualification_id:
        return _fail(_("Choose one of your registrations of this qualification."))
    if reg.status != RegistrationStatus.valid:
        return _fail(_("Registration %(n)s is not valid (%(s)s).", n=reg.number, s=reg.status))
    return _ok(_("Registration %(n)s is valid.", n=reg.number))


@rule("renewal_window")
def renewal_window(app: Application, today: dt.date):
    if app.app_type != ApplicationType.renewal or app.registration is None:
        return None
    config = current_app.config
    expiry = min(s.expires_on for s in app.registration.specialties)
    opens = expiry - dt.timedelta(days=config["RENEWAL_OPENS_DAYS_BEFORE"])
    closes = expiry - dt.timedelta(days=config["RENEWAL_CLOSES_DAYS_BEFORE"])
    if not opens <= today <= closes:
        return _fail(_("Renewal is possible from %(a)s to %(b)s (expiry %(e)s).",
                       a=opens, b=closes, e=expiry))
    return _ok(_("Inside the renewal window (until %(b)s).", b=closes))


@rule("initial_window")
def initial_window(app: Application, today: dt.date):
    """Later than the initial window after the certificate needs continuing education."""
    if app.app_type not in NEW_REGISTRATION:
        return None
    certificates = _verified_certificates(app)
    if not certificates:
        return None  # qualification_verified already fails
    issued = max(c.issue_date for c in certificates)
    window_ends = add_years(issued, app.qualification.initial_window_years)
    evidence = (app.details or {}).get("continuing_education")
    if today <= window_ends and app.app_type == ApplicationType.initial:
        return _ok(_("Inside the initial registration window (until %(d)s).", d=window_ends))
    if not evidence:
        return _fail(_("Past the initial registration window (%(d)s): continuing education "
                       "evidence is required.", d=window_ends))
    return _warn(_("Past the initial registration window: the reviewer must check the "
                   "declared continuing education (%(e)s).", e=evidence))


@rule("enterprise_active")
def enterprise_active(app: Application, today: dt.date):
    if app.app_type not in NEEDS_ENTERPRISE:
        return None
    ent = app.enterprise
    if ent is None:
        return _fail(_("Choose the employing enterprise."))
    if ent.status != EnterpriseStatus.active:
        return _fail(_("The enterprise is not active (%(s)s).", s=ent.status))
    if ent.aptitude_expiry is None or ent.aptitude_expiry < today:
        return _fail(_("The enterprise's aptitude certificate has expired or is missing."))
    return _ok(_("The enterprise is active with a valid aptitude certificate."))


@rule("photo_and_signature")
def photo_and_signature(app: Application, today: dt.date):
    person = app.practitioner
    if person.photo_id is None or person.signature_id is None:
        return _fail(_("The ID photo and the handwritten signature image must be on file."))
    return _ok(_("ID photo and signature image are on file."))


def run_prechecks(app: Application, today: dt.date | None = None) -> list[RuleResult]:
    today = today or province_today()
    results = []
    for name, severity, func in RULES:
        outcome = func(app, today)
        if outcome is None:
            continue
        verdict, message = outcome
        if verdict == FAIL and severity == WARNING:
            verdict = WARN
        results.append(RuleResult(name, severity, verdict, message))
    return results
