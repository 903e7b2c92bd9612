"""The data model of the registry, declared once. FAB generates the screens from it and
Alembic the migrations. Structural rules live here as database constraints."""
from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .enums import (
    OPEN_APPLICATION_STATES,
    ApplicationState,
    ApplicationType,
    AuditResult,
    CertificateSource,
    ConsultationCategory,
    EnterpriseStatus,
    RegistrationEventKind,
    RegistrationStatus,
    RegistryStatus,
    Sex,
    VerificationStatus,
    enum_column_type,
)
from .identity import parse_credit_code, parse_resident_id

# Enum columns create CHECK constraints; name them per table and column so that two columns
# of one enum in a table (decision.from_state, decision.to_state) do not collide.
Model.metadata.naming_convention = {
    **Model.metadata.naming_convention,
    "ck": "ck_%(table_name)s_%(column_0_name)s",
}

_open_states = ", ".join(f"'{s.name}'" for s in OPEN_APPLICATION_STATES)
OPEN_APPLICATION_WHERE = text(f"state IN ({_open_states})")
VALID_REGISTRATION_WHERE = text("status = 'valid'")
CURRENT_EMPLOYMENT_WHERE = text("end_date IS NULL")
SUBMITTED_WHERE = text("state <> 'draft'")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _created_at() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), default=_now, nullable=False)


def _user_fk(nullable: bool = True) -> Mapped:
    return mapped_column(ForeignKey("ab_user.id"), nullable=nullable, index=True)


# ---------------------------------------------------------------- configuration rows
class QualificationType(Model):
    """One of the four qualifications; its numbers are data (domain.md section 1)."""

    __tablename__ = "qualification_type"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    validity_years: Mapped[int]
    validity_per_specialty: Mapped[bool] = mapped_column(Boolean, default=False)
    initial_window_years: Mapped[int]
    age_cap: Mapped[int | None]
    number_pattern: Mapped[str] = mapped_column(String(128))
    specialties: Mapped[list[Specialty]] = relationship(
        back_populates="qualification", order_by="Specialty.id"
    )

    def __str__(self) -> str:
        return self.name


class Specialty(Model):
    __tablename__ = "specialty"
    __table_args__ = (UniqueConstraint("qualification_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualification_type.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    qualification: Mapped[QualificationType] = relationship(back_populates="specialties")

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- files
class StoredFile(Model):
    """A binary behind the storage interface (database by default); never in the web root."""

    __tablename__ = "stored_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _created_at()

    def __str__(self) -> str:
        return f"{self.content_type} {self.size} B"


# ---------------------------------------------------------------- people and employers
class Practitioner(Model):
    __tablename__ = "practitioner"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), unique=True)
    real_name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    # Derived from id_number by the model event below; never typed by a user.
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex))
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    education: Mapped[str | None] = mapped_column(String(64))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    registry_status: Mapped[RegistryStatus] = mapped_column(
        enum_column_type(RegistryStatus), default=RegistryStatus.none
    )
    created_at: Mapped[dt.datetime] = _created_at()

    user: Mapped[User | None] = relationship()
    photo: Mapped[StoredFile | None] = relationship(foreign_keys=[photo_id])
    signature: Mapped[StoredFile | None] = relationship(foreign_keys=[signature_id])
    certificates: Mapped[list[QualificationCertificate]] = relationship(
        back_populates="practitioner"
    )
    employments: Mapped[list[Employment]] = relationship(back_populates="practitioner")
    registrations: Mapped[list[Registration]] = relationship(back_populates="practitioner")

    @validates("id_number")
    def _derive_from_id_number(self, _key: str, value: str) -> str:
        # Birth date and sex come from the ID number, never typed twice (domain.md 7).
        parsed = parse_resident_id(value)
        self.birth_date = parsed.birth_date
        self.sex = Sex[parsed.sex]
        return parsed.number

    def __str__(self) -> str:
        return self.real_name


class QualificationCertificate(Model):
    """A qualification certificate: a roster row imported by the authority, or one declared
    by a practitioner at 入库 and verified against the roster or by a reviewer."""

    __tablename__ = "qualification_certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id"), index=True
    )
    real_name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualification_type.id"))
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id"))
    certificate_number: Mapped[str] = mapped_column(String(40), unique=True)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[CertificateSource] = mapped_column(enum_column_type(CertificateSource))
    verification: Mapped[VerificationStatus] = mapped_column(
        enum_column_type(VerificationStatus), default=VerificationStatus.pending
    )
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))

    practitioner: Mapped[Practitioner | None] = relationship(back_populates="certificates")
    qualification: Mapped[QualificationType] = relationship()
    specialty: Mapped[Specialty | None] = relationship()
    scan_file: Mapped[StoredFile | None] = relationship()

    def __str__(self) -> str:
        return self.certificate_number


class Enterprise(Model):
    __tablename__ = "enterprise"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(32), index=True)
    address: Mapped[str] = mapped_column(String(255))
    aptitude_certificate_no: Mapped[str | None] = mapped_column(String(64))
    aptitude_expiry: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[EnterpriseStatus] = mapped_column(
        enum_column_type(EnterpriseStatus), default=EnterpriseStatus.pending
    )
    created_at: Mapped[dt.datetime] = _created_at()

    staff: Mapped[list[EnterpriseUser]] = relationship(back_populates="enterprise")

    @validates("credit_code")
    def _normalise_credit_code(self, _key: str, value: str) -> str:
        return parse_credit_code(value)

    def __str__(self) -> str:
        return self.name


class EnterpriseUser(Model):
    """Links a FAB user to the one enterprise they act for."""

    __tablename__ = "enterprise_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()
    enterprise: Mapped[Enterprise] = relationship(back_populates="staff")

    @property
    def active(self) -> bool:
        return bool(self.user and self.user.active)

    def __str__(self) -> str:
        return f"{self.enterprise} / {self.user}"


class Employment(Model):
    __tablename__ = "employment"
    __table_args__ = (
        # A person works for one employer at a time (domain.md section 4, change).
        Index(
            "uq_employment_current",
            "practitioner_id",
            unique=True,
            sqlite_where=CURRENT_EMPLOYMENT_WHERE,
            postgresql_where=CURRENT_EMPLOYMENT_WHERE,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    contract_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    insurance_checked: Mapped[bool] = mapped_column(Boolean, default=False)

    practitioner: Mapped[Practitioner] = relationship(back_populates="employments")
    enterprise: Mapped[Enterprise] = relationship()

    def __str__(self) -> str:
        return f"{self.practitioner} @ {self.enterprise}"


# ---------------------------------------------------------------- applications
application_specialty = Table(
    "application_specialty",
    Model.metadata,
    Column("application_id", ForeignKey("application.id", ondelete="CASCADE"), primary_key=True),
    Column("specialty_id", ForeignKey("specialty.id"), primary_key=True),
)


# Files an application refers to in `details` until it is decided: a new ID photo or
# signature (replaced in the registry on approval) under details["corrections"][column],
# and documents sent in answer to a return under details["attachments"][kind]. The route
# that serves stored files (app/registry/views.py) finds their owner by these paths.
CORRECTABLE_IMAGES = ("photo", "signature")
IMAGE_COLUMNS = tuple(f"{kind}_id" for kind in CORRECTABLE_IMAGES)
ATTACHMENT_KINDS = ("labour_contract", "social_insurance", "other")


class Application(Model):
    __tablename__ = "application"
    __table_args__ = (
        # At most one application per person and qualification in progress (domain.md 4).
        Index(
            "uq_application_open",
            "practitioner_id",
            "qualification_id",
            unique=True,
            sqlite_where=OPEN_APPLICATION_WHERE,
            postgresql_where=OPEN_APPLICATION_WHERE,
        ),
        # The queues: one state, due first (FAB adds the key as the last sort column), so
        # a page at any depth is read from the index in order.
        Index("ix_application_state_deadline", "state", "deadline", "id"),
        # 全部申请: every submitted application, newest first; the keys of a deep page are
        # read from this index alone (the primary key would fetch each row for its state).
        Index("ix_application_submitted_id", "id", sqlite_where=SUBMITTED_WHERE,
              postgresql_where=SUBMITTED_WHERE),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # The lists filter by type and qualification, and sort by deadline.
    app_type: Mapped[ApplicationType] = mapped_column(enum_column_type(ApplicationType),
                                                      index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualification_type.id"),
                                                  index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    # Copied from the enterprise when submitted, so the authority's queues filter by city.
    city: Mapped[str | None] = mapped_column(String(32), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"))
    # Changed only by a workflow transition (app/workflow.py), never by a form.
    state: Mapped[ApplicationState] = mapped_column(
        enum_column_type(ApplicationState), default=ApplicationState.draft, index=True
    )
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = _created_at()
    # Indexed for the dashboards' weekly series and processing time (app/reporting/dashboard.py).
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    deadline: Mapped[dt.date | None] = mapped_column(Date, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    practitioner: Mapped[Practitioner] = relationship()
    qualification: Mapped[QualificationType] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    registration: Mapped[Registration | None] = relationship()
    specialties: Mapped[list[Specialty]] = relationship(secondary=application_specialty)
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="application", order_by="Decision.id"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.app_type} #{self.id}"


class Decision(Model):
    """One row per transition: the application's history, never edited."""

    __tablename__ = "decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    transition: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[ApplicationState] = mapped_column(enum_column_type(ApplicationState))
    to_state: Mapped[ApplicationState] = mapped_column(enum_column_type(ApplicationState))
    actor_id: Mapped[int | None] = _user_fk()
    actor_role: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = _created_at()

    application: Mapped[Application] = relationship(back_populates="decisions")
    actor: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.transition}: {self.from_state} → {self.to_state}"


# ---------------------------------------------------------------- registrations
class Registration(Model):
    __tablename__ = "registration"
    __table_args__ = (
        # One valid registration per person and qualification.
        Index(
            "uq_registration_valid",
            "practitioner_id",
            "qualification_id",
            unique=True,
            sqlite_where=VALID_REGISTRATION_WHERE,
            postgresql_where=VALID_REGISTRATION_WHERE,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    # The register's search filters by qualification and status.
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualification_type.id"),
                                                  index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column_type(RegistrationStatus), default=RegistrationStatus.valid, index=True
    )
    first_registered_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _created_at()

    practitioner: Mapped[Practitioner] = relationship(back_populates="registrations")
    qualification: Mapped[QualificationType] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    specialties: Mapped[list[RegistrationSpecialty]] = relationship(
        back_populates="registration"
    )
    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="registration", order_by="Certificate.version")
    events: Mapped[list[RegistrationEvent]] = relationship(
        back_populates="registration", order_by=lambda: [RegistrationEvent.occurred_on, RegistrationEvent.id])

    @property
    def current_certificate(self) -> Certificate | None:
        return next((c for c in self.certificates if not c.void), None)

    def __str__(self) -> str:
        return self.number


class RegistrationCounter(Model):
    """Last serial used per qualification and year: numbers come from an atomic
    UPDATE … RETURNING on this row, never from max()+1."""

    __tablename__ = "registration_counter"
    qualification_id: Mapped[int] = mapped_column(
        ForeignKey("qualification_type.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_serial: Mapped[int] = mapped_column(default=0)


class RegistrationSpecialty(Model):
    """Expiry per specialty; qualifications without specialties have one row with none."""

    __tablename__ = "registration_specialty"
    __table_args__ = (UniqueConstraint("registration_id", "specialty_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id"))
    registered_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date, index=True)

    registration: Mapped[Registration] = relationship(back_populates="specialties")
    specialty: Mapped[Specialty | None] = relationship()

    def __str__(self) -> str:
        return f"{self.specialty or '—'} {self.expires_on}"


class RegistrationEvent(Model):
    """The registration history (注册轨迹, domain.md section 9): one row per approved
    application that changed the registration, and per status change such as a lapse."""

    __tablename__ = "registration_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[RegistrationEventKind] = mapped_column(enum_column_type(RegistrationEventKind))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    # The specialties concerned, as shown to the public ("建筑工程、市政公用工程").
    specialties: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = _created_at()

    registration: Mapped[Registration] = relationship(back_populates="events")
    enterprise: Mapped[Enterprise | None] = relationship()

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.kind.name}"


class Certificate(Model):
    """One version of the electronic certificate; a newer version voids the older."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("registration_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    version: Mapped[int]
    token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[dt.datetime] = _created_at()
    usage_until: Mapped[dt.date] = mapped_column(Date)
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    pdf_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))

    registration: Mapped[Registration] = relationship(back_populates="certificates")

    def __str__(self) -> str:
        return f"{self.registration} v{self.version}"


# ---------------------------------------------------------------- service and oversight
class Consultation(Model):
    __tablename__ = "consultation"
    id: Mapped[int] = mapped_column(primary_key=True)
    asker_id: Mapped[int] = _user_fk(nullable=False)
    category: Mapped[ConsultationCategory] = mapped_column(enum_column_type(ConsultationCategory))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    subject: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = _user_fk()
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the public FAQ shows: the question and answer as staff anonymised them; the
    # asker's own text above is never published.
    faq_question: Mapped[str | None] = mapped_column(Text)
    faq_answer: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created_at()

    asker: Mapped[User] = relationship(foreign_keys=[asker_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    application: Mapped[Application | None] = relationship()

    def __str__(self) -> str:
        return self.subject

    def is_answered(self) -> bool:
        """For the lists' 待答复 / 已答复 column (FAB shows a model method like a column)."""
        return bool(self.answer)


class Notification(Model):
    __tablename__ = "notification"
    # The navigation bar counts a user's unread messages on every page.
    __table_args__ = (Index("ix_notification_unread", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk(nullable=False)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(255))
    # What caused it (a transition name, "certificate_issued", "consultation_answered", a
    # reminder kind), for filtering and tests; the text above is what the user reads.
    kind: Mapped[str] = mapped_column(String(40), default="message", server_default="message",
                                      index=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # E-mail copy: None = none wanted (no SMTP configured or no address), else
    # "pending" / "sent" / "failed"; pending and failed ones are retried by the cron job.
    email_state: Mapped[str | None] = mapped_column(String(16), index=True)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When a sender claimed the copy (email_state "sending"); an old claim is taken over.
    email_claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created_at()

    user: Mapped[User] = relationship()

    def __str__(self) -> str:
        return self.title


class ReminderSent(Model):
    """One row per reminder sent, so the daily job sends each one once. The due date is part
    of the key: a renewed registration has a new expiry and earns a new reminder."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("kind", "object_type", "object_id", "due_on",
                                       name="uq_reminder_once"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _created_at()

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}#{self.object_id} {self.due_on}"


class AuditLog(Model):
    """Append-only record of who did what; the application offers no edit or delete."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now(), index=True
    )
    actor_id: Mapped[int | None] = _user_fk()
    actor_name: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    # The request's id (X-Request-Id), also on its log lines and gunicorn's access log line.
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[AuditResult] = mapped_column(enum_column_type(AuditResult))
    detail: Mapped[dict | None] = mapped_column(JSON)

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


# ---------------------------------------------------------------- account protection (issue 6)

class AccountProtection(Model):
    """What FAB's ab_user (owned by FAB, so not altered here) has no column for: the login
    lock, the session version that ends every session of the account when raised, and the
    obligation to change a password an administrator chose. One row per account, created
    on first need; no row means: unlocked, version 0, nothing to change."""

    __tablename__ = "account_protection"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), unique=True, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    session_version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # When the holder last chose their password (administrator accounts expire by it).
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- two-factor login (issue 14)

class TwoFactor(Model):
    """An account's TOTP enrolment (app/accounts/two_factor.py). The secret is stored
    encrypted; the enrolment takes effect once the holder has entered a code made from it
    (confirmed_at), and the last time step used is kept so that a code works only once."""

    __tablename__ = "two_factor"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), unique=True, nullable=False)
    secret: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = _created_at()
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_step: Mapped[int | None] = mapped_column(Integer)
    user = relationship(User)

    def __str__(self) -> str:
        return str(self.user)


class RecoveryCode(Model):
    """One of an account's one-time recovery codes, as a keyed hash (never the code)."""

    __tablename__ = "two_factor_recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk(nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# The REST API (FAB's marshmallow schemas) reads and writes every enum by its name, as the
# workflow API answers states ("active", "approved"), not by its English message id
# ("Active"). FAB reads this from the column's info (api/convert.py).
for _table in Model.metadata.tables.values():
    for _column in _table.columns:
        if getattr(_column.type, "enum_class", None) is not None:
            _column.info.setdefault("marshmallow_by_value", False)
