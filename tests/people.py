"""The cast of the tests, created once in the template database: one account per role, and
two of each scoped kind (practitioners A and B, enterprises A and B) with their own records
so that tests can try to reach the other's."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib

from app.enums import (
    ApplicationType,
    CertificateSource,
    ConsultationCategory,
    EnterpriseStatus,
    RegistrationStatus,
    VerificationStatus,
)
from app.extensions import db
from app.models import (
    Application,
    Consultation,
    Employment,
    Enterprise,
    EnterpriseUser,
    Notification,
    Practitioner,
    QualificationCertificate,
    QualificationType,
    Registration,
    RegistrationSpecialty,
)
from app.security import ROLES

PASSWORD = "Test-Passw0rd!"

# username -> role key in ROLES ("admin" = FAB's superuser role)
ACCOUNTS = {
    "admin": "admin",
    "prac_a": "practitioner",
    "prac_b": "practitioner",
    "ent_a": "enterprise",
    "ent_b": "enterprise",
    "reviewer": "reviewer",
    "approver": "approver",
    "sysadmin": "sysadmin",
    "secadmin": "secadmin",
    "auditor": "auditor",
}
# Valid resident IDs and credit codes (check characters computed per GB 11643 / GB 32100).
ID_A = "110105198001010016"
ID_B = "440106198501011237"
CREDIT_A = "91350100M000100Y43"
CREDIT_B = "914403001922038216"


def totp_secret(username: str) -> str:
    """The TOTP secret a test account is enrolled with (enrol_known): known to the tests'
    login helper (tests/logins.py), never used outside tests."""
    digest = hashlib.sha256(f"two-factor test secret of {username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def enrol_known(app, user) -> None:
    """Enrol an account of a role that requires two factors with its known test secret, as
    if its holder had enrolled; other accounts are left as they are."""
    from app.accounts import two_factor

    if two_factor.is_required(user):
        two_factor.enrol_with_secret(user.id, totp_secret(user.username))


def create_all(app) -> None:
    sm = app.appbuilder.sm
    users = {}
    for username, role_key in ACCOUNTS.items():
        role_name = sm.auth_role_admin if role_key == "admin" else ROLES[role_key].name
        users[username] = sm.add_user(
            username, username, "测试", f"{username}@test.invalid", sm.find_role(role_name),
            password=PASSWORD,
        )
        enrol_known(app, users[username])
    constructor = db.session.query(QualificationType).filter_by(code="constructor").one()
    for suffix, id_number, credit, name, city in (
        ("a", ID_A, CREDIT_A, "甲", "广州市"), ("b", ID_B, CREDIT_B, "乙", "深圳市"),
    ):
        enterprise = Enterprise(
            name=f"测试建设工程有限公司{name}", credit_code=credit, legal_representative="法人" + name,
            city=city, address=f"{city}测试路1号", aptitude_certificate_no=f"D1440{suffix}",
            aptitude_expiry=dt.date(2030, 1, 1), status=EnterpriseStatus.active,
        )
        practitioner = Practitioner(
            user_id=users[f"prac_{suffix}"].id, real_name="测试" + name, id_number=id_number,
            phone="1380000000" + ("1" if suffix == "a" else "2"),
        )
        db.session.add_all([enterprise, practitioner])
        db.session.flush()
        db.session.add_all([
            EnterpriseUser(user_id=users[f"ent_{suffix}"].id, enterprise_id=enterprise.id,
                           is_admin=True),
            Employment(practitioner_id=practitioner.id, enterprise_id=enterprise.id,
                       start_date=dt.date(2020, 1, 1)),
            QualificationCertificate(
                practitioner_id=practitioner.id, real_name=practitioner.real_name,
                id_number=id_number, qualification_id=constructor.id,
                specialty_id=constructor.specialties[0].id,
                certificate_number=f"JZ2019TEST{suffix.upper()}", issue_date=dt.date(2019, 6, 1),
                source=CertificateSource.declared, verification=VerificationStatus.pending,
            ),
            Application(app_type=ApplicationType.initial, practitioner_id=practitioner.id,
                        qualification_id=constructor.id, enterprise_id=enterprise.id),
            Consultation(asker_id=users[f"prac_{suffix}"].id, category=ConsultationCategory.initial,
                         subject=f"问题{name}", question="如何申请初始注册？"),
            Notification(user_id=users[f"prac_{suffix}"].id, title=f"通知{name}"),
        ])
        registration = Registration(
            number=f"粤24420192020TEST{suffix}", practitioner_id=practitioner.id,
            qualification_id=constructor.id, enterprise_id=enterprise.id,
            status=RegistrationStatus.valid, first_registered_on=dt.date(2020, 3, 1),
        )
        db.session.add(registration)
        db.session.flush()
        db.session.add(RegistrationSpecialty(
            registration_id=registration.id, specialty_id=constructor.specialties[0].id,
            registered_on=dt.date(2023, 3, 1), expires_on=dt.date(2026, 3, 1),
        ))
    db.session.commit()
