"""Many rows at once through SQLAlchemy core (test arrangement only): enterprises for the
size of the search form, and per-state applications, registrations and employments for the
statement count of the list pages. Core inserts are fast, and skip the ORM's per-row work."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import assoc_user_role

from app.enums import (
    ApplicationState,
    ApplicationType,
    AuditResult,
    CertificateSource,
    ConsultationCategory,
    EnterpriseStatus,
    RegistrationStatus,
    Sex,
    VerificationStatus,
)
from app.extensions import db
from app.models import (
    Application,
    AuditLog,
    Certificate,
    Consultation,
    Employment,
    Enterprise,
    Notification,
    Practitioner,
    QualificationCertificate,
    QualificationType,
    Registration,
)

# A state per queue and list, so that every queue grows with `per_state`.
STATES = (ApplicationState.pending_enterprise, ApplicationState.pending_acceptance,
          ApplicationState.under_review, ApplicationState.pending_decision,
          ApplicationState.approved)


def insert_enterprises(count: int, *, prefix: str = "批量建设", start: int = 0,
                       status=EnterpriseStatus.active) -> list[int]:
    rows = [{"name": f"{prefix}{i:05d}有限公司", "credit_code": f"91440000B{i:09d}",
             "legal_representative": "法人", "city": "广州市", "address": "广州市某路",
             "status": status} for i in range(start, start + count)]
    db.session.execute(sa.insert(Enterprise), rows)
    db.session.commit()
    return list(db.session.scalars(sa.select(Enterprise.id).where(
        Enterprise.name.like(f"{prefix}%")).order_by(Enterprise.id)))


def _practitioners(count: int, tag: str) -> list[int]:
    rows = [{"real_name": f"批量{tag}{i}", "id_number": f"44{tag}{i:07d}".ljust(18, "0")[:18],
             "birth_date": dt.date(1980, 1, 1), "sex": Sex.male, "phone": "13800000000"}
            for i in range(count)]
    db.session.execute(sa.insert(Practitioner), rows)
    return list(db.session.scalars(sa.select(Practitioner.id).where(
        Practitioner.real_name.like(f"批量{tag}%")).order_by(Practitioner.id)))


def _accounts(count: int, tag: str) -> None:
    """Practitioners' accounts, for the account screens (a password hash of nothing: these
    accounts never log in)."""
    from flask import current_app

    from app.security import ROLES

    sm = current_app.appbuilder.sm
    role = sm.find_role(ROLES["practitioner"].name)
    db.session.execute(sa.insert(sm.user_model), [
        {"first_name": f"批量{i}", "last_name": "", "username": f"{tag}_{i}",
         "email": f"{tag}_{i}@bulk.invalid", "active": True, "password": "!"}
        for i in range(count)])
    users = db.session.scalars(sa.select(sm.user_model.id).where(
        sm.user_model.username.like(f"{tag}\\_%", escape="\\")))
    db.session.execute(sa.insert(assoc_user_role), [
        {"user_id": user, "role_id": role.id} for user in users])


def fill_lists(per_state: int, enterprise_id: int, own_practitioner_id: int,
               user_ids: list[int]) -> None:
    """`per_state` rows in every queue and list: applications in each state addressed to
    `enterprise_id`, registrations and employments there, and the own lists of the
    practitioner `own_practitioner_id` and of the accounts `user_ids`."""
    qualification = db.session.scalar(sa.select(QualificationType).filter_by(code="constructor"))
    people = _practitioners(per_state * len(STATES), f"{per_state:03d}")
    today = dt.date(2026, 6, 1)
    submitted = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    base = {"app_type": ApplicationType.initial, "qualification_id": qualification.id,
            "details": {}, "version": 1}
    db.session.execute(sa.insert(Application), [
        {**base, "practitioner_id": person, "enterprise_id": enterprise_id,
         "state": STATES[i % len(STATES)], "city": "广州市", "submitted_at": submitted,
         "deadline": today + dt.timedelta(days=i % 20)} for i, person in enumerate(people)] + [
        {**base, "practitioner_id": own_practitioner_id, "enterprise_id": enterprise_id,
         "state": ApplicationState.withdrawn} for _ in range(per_state)])
    db.session.execute(sa.insert(Registration), [
        {"number": f"BULK{per_state:03d}{i:06d}", "practitioner_id": person,
         "qualification_id": qualification.id, "enterprise_id": enterprise_id,
         "status": RegistrationStatus.valid, "first_registered_on": today}
        for i, person in enumerate(people)] + [
        {"number": f"OWN{per_state:03d}{i:06d}", "practitioner_id": own_practitioner_id,
         "qualification_id": qualification.id, "enterprise_id": enterprise_id,
         "status": RegistrationStatus.lapsed, "first_registered_on": today}
        for i in range(per_state)])
    registrations = db.session.scalars(sa.select(Registration.id).where(
        Registration.number.like(f"BULK{per_state:03d}%")))
    db.session.execute(sa.insert(Certificate), [
        {"registration_id": r, "version": 1, "token": f"bulk-{per_state}-{r}",
         "usage_until": today, "void": False} for r in registrations])
    db.session.execute(sa.insert(Employment), [
        {"practitioner_id": person, "enterprise_id": enterprise_id, "start_date": today}
        for person in people])
    db.session.execute(sa.insert(QualificationCertificate), [
        {"practitioner_id": person, "real_name": "批量", "id_number": "440000000000000000",
         "qualification_id": qualification.id, "certificate_number": f"BQ{per_state}-{person}",
         "issue_date": today, "source": CertificateSource.roster,
         "verification": VerificationStatus.pending}
        for person in people])
    db.session.execute(sa.insert(Notification), [
        {"user_id": user, "title": "批量消息", "body": ""}
        for user in user_ids for _ in range(per_state)])
    db.session.execute(sa.insert(Consultation), [
        {"asker_id": user, "category": ConsultationCategory.initial, "subject": "批量咨询",
         "question": "问题"} for user in user_ids for _ in range(per_state)])
    _accounts(per_state, f"bulk{per_state:03d}")
    db.session.execute(sa.insert(AuditLog), [
        {"action": "bulk", "result": AuditResult.success} for _ in range(per_state)])
    db.session.commit()
