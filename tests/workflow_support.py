"""Helpers for workflow tests: eligible applicants, applications set up in a given state, and
one call to fire a transition through the real route."""
from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa

from app.dates import add_years
from app.enums import (
    OPEN_APPLICATION_STATES,
    ApplicationState,
    ApplicationType,
    CertificateSource,
    RegistrationStatus,
    VerificationStatus,
)
from app.extensions import db
from app.identity import resident_id_check_char
from app.models import (
    Application,
    Certificate,
    Decision,
    Employment,
    Enterprise,
    Practitioner,
    QualificationCertificate,
    QualificationType,
    Registration,
    RegistrationSpecialty,
    StoredFile,
)
from app.registry.images import check_and_normalise
from app.security import ROLES
from tests import image_samples as samples
from tests import people
from tests.people import PASSWORD


def stored_file(content: bytes) -> StoredFile:
    return StoredFile(sha256=hashlib.sha256(content).hexdigest(), content_type="image/jpeg",
                      size=len(content), data=content)


def qualification(code: str = "constructor") -> QualificationType:
    return db.session.scalar(sa.select(QualificationType).filter_by(code=code))


def enterprise_of(username: str, app) -> Enterprise:
    from app.models import EnterpriseUser

    user = app.appbuilder.sm.find_user(username=username)
    return db.session.scalar(sa.select(Enterprise).join(EnterpriseUser).where(
        EnterpriseUser.user_id == user.id))


def make_applicant(app, username: str, enterprise: Enterprise, *, birth=dt.date(1985, 5, 5),
                   cert_issued=dt.date(2025, 6, 1), code="constructor", photo=True,
                   roles=("practitioner",)) -> Practitioner:
    """A person with an account, ID photo, signature, a verified certificate in the first
    specialty of `code`, and a current employment with `enterprise`."""
    sm = app.appbuilder.sm
    user = sm.add_user(username, username, "", f"{username}@test.invalid",
                       [sm.find_role(ROLES[r].name) for r in roles], password=PASSWORD)
    people.enrol_known(app, user)  # staff roles log in with a code (tests/logins.py)
    seq = db.session.scalar(sa.select(sa.func.count(Practitioner.id))) + 11
    first17 = f"440106{birth:%Y%m%d}{seq:03d}"[:17]
    person = Practitioner(user_id=user.id, real_name=f"申请人{seq}", id_number=first17 +
                          resident_id_check_char(first17), phone="13700000000")
    if photo:
        person.photo = stored_file(b"photo" + username.encode())
        person.signature = stored_file(b"signature" + username.encode())
    db.session.add(person)
    db.session.flush()
    q = qualification(code)
    db.session.add_all([
        QualificationCertificate(
            practitioner_id=person.id, real_name=person.real_name, id_number=person.id_number,
            qualification_id=q.id, specialty_id=q.specialties[0].id if q.specialties else None,
            certificate_number=f"CERT-{username}", issue_date=cert_issued,
            source=CertificateSource.roster, verification=VerificationStatus.verified),
        Employment(practitioner_id=person.id, enterprise_id=enterprise.id,
                   start_date=dt.date(2025, 1, 1)),
    ])
    db.session.commit()
    return person


def put_application(person: Practitioner, enterprise: Enterprise | None, state: ApplicationState,
                    app_type=ApplicationType.initial, code="constructor", registration=None,
                    details=None) -> int:
    """Set up an application directly in `state` (test arrangement only: the application
    itself changes state only through transitions). Other open ones are closed first."""
    db.session.execute(sa.update(Application).where(
        Application.practitioner_id == person.id,
        Application.state.in_(OPEN_APPLICATION_STATES)).values(state=ApplicationState.withdrawn))
    q = qualification(code)
    item = Application(app_type=app_type, practitioner_id=person.id, qualification_id=q.id,
                       enterprise_id=enterprise.id if enterprise else None, state=state,
                       registration_id=registration.id if registration else None,
                       details=details or {})
    if q.specialties and app_type in (ApplicationType.initial, ApplicationType.re_registration):
        item.specialties = [q.specialties[0]]
    db.session.add(item)
    db.session.commit()
    return item.id


def put_registration(person: Practitioner, enterprise: Enterprise, expiries: list[dt.date], *,
                     code="constructor", status=RegistrationStatus.valid,
                     first_registered_on=dt.date(2020, 3, 1)) -> Registration:
    """Set up a registration directly (test arrangement only) with one period per expiry, in
    the qualification's specialties in order (one period without a specialty when it has
    none), and a current certificate version."""
    q = qualification(code)
    registration = Registration(
        number=f"TEST{person.id:04d}{q.id}{status.name[:2]}", practitioner_id=person.id,
        qualification_id=q.id, enterprise_id=enterprise.id, status=status,
        first_registered_on=first_registered_on)
    db.session.add(registration)
    db.session.flush()
    specialties = q.specialties or [None]
    for specialty, expires_on in zip(specialties, expiries, strict=False):
        db.session.add(RegistrationSpecialty(
            registration_id=registration.id, specialty_id=specialty.id if specialty else None,
            registered_on=add_years(expires_on, -3), expires_on=expires_on))
    db.session.add(Certificate(registration_id=registration.id, version=1, void=False,
                               token=f"token-{registration.id}", usage_until=expiries[0]))
    db.session.commit()
    return registration


FULL_PAYLOAD = {
    "reason": "材料不完整",
    "items": [{"field": "证件照片", "reason": "照片不清晰"}],
    "confirm": ["pledge", "contract_checked", "insurance_checked"],
}


def payload_for(transition) -> dict:
    data = {"reason": FULL_PAYLOAD["reason"], "confirm": FULL_PAYLOAD["confirm"]}
    if transition.items:
        data["items"] = FULL_PAYLOAD["items"]
    return data


def act(client, app_id: int, name: str, **payload):
    """Fire a transition through the REST route (session login, JSON body)."""
    return client.post(f"/api/v1/application/{app_id}/{name}", json=payload)


def act_web(client, app_id: int, name: str, payload: dict, next_page: str = "/"):
    """Fire a transition as the detail page's form does."""
    data = {"web": "1", "next": next_page,
            "reason": payload.get("reason", ""), "confirm": payload.get("confirm", []),
            "item_field": [i["field"] for i in payload.get("items", [])],
            "item_reason": [i["reason"] for i in payload.get("items", [])]}
    return client.post(f"/api/v1/application/{app_id}/{name}", data=data)


def state_of(app_id: int) -> ApplicationState:
    db.session.expire_all()
    return db.session.get(Application, app_id).state


def history(app_id: int) -> list[Decision]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Decision).filter_by(application_id=app_id)
                                   .order_by(Decision.id)))


def with_real_images(person: Practitioner) -> Practitioner:
    """A real ID photo and signature, as the certificate PDF needs them."""
    for kind, content in (("photo", samples.photo()), ("signature", samples.signature())):
        normalised, content_type = check_and_normalise(kind, content)
        image = stored_file(normalised)
        image.content_type = content_type
        setattr(person, kind, image)
    db.session.commit()
    return person


def make_certificate_holder(app, login, username: str = "holder") -> tuple[Practitioner, Registration]:
    """A practitioner with a real ID photo and signature (the certificate PDF needs them),
    employed by ent_a, whose initial application the approver has just approved."""
    person = with_real_images(make_applicant(app, username, enterprise_of("ent_a", app)))
    app_id = put_application(person, enterprise_of("ent_a", app), ApplicationState.pending_decision)
    response = act(login("approver"), app_id, "approve")
    assert response.status_code == 200, response.json
    db.session.expire_all()
    registration = db.session.scalar(sa.select(Registration).filter_by(practitioner_id=person.id))
    return person, registration


def run_in_threads(target, count: int) -> None:
    """Run `target` in `count` threads at once and wait for all (concurrency tests)."""
    import threading

    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
