"""Closed vocabularies of the domain. The database stores the member name; what a user
sees is the member's value, an English message id translated through Babel at render time
(Chinese by default)."""
import enum

from flask_babel import gettext
from sqlalchemy import Enum as SAEnum


def N_(message: str) -> str:
    """Marks a message for extraction (pybabel -k N_) without translating it here."""
    return message


class LabeledEnum(enum.Enum):
    def __str__(self) -> str:
        return gettext(self.value)

    @property
    def label(self) -> str:
        return str(self)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(name, translated label) pairs for a select box, computed per request."""
        return [(member.name, str(member)) for member in cls]


def enum_column_type(enum_class: type[LabeledEnum]) -> SAEnum:
    """VARCHAR plus a CHECK constraint, identical on SQLite and PostgreSQL."""
    return SAEnum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=32,
        name=None,  # unnamed, so the "ck" naming convention names it per column
        validate_strings=True,
    )


class Sex(LabeledEnum):
    male = N_("Male")
    female = N_("Female")


class RegistryStatus(LabeledEnum):
    """入库登记 progress of a practitioner."""

    none = N_("Not entered")
    pending = N_("Entry pending")
    entered = N_("Entered")


class VerificationStatus(LabeledEnum):
    pending = N_("Pending verification")
    verified = N_("Verified")
    rejected = N_("Verification rejected")


class CertificateSource(LabeledEnum):
    roster = N_("Roster import")
    declared = N_("Self-declared")


class EnterpriseStatus(LabeledEnum):
    pending = N_("Pending review")
    active = N_("Active")
    suspended = N_("Suspended")
    revoked = N_("Deregistered")


class ApplicationType(LabeledEnum):
    initial = N_("Initial registration")
    change = N_("Change registration")
    renewal = N_("Renewal")
    add_specialty = N_("Add specialty")
    cancellation = N_("Cancellation")
    re_registration = N_("Re-registration")
    correction = N_("Data correction")


class ApplicationState(LabeledEnum):
    draft = N_("Draft")
    pending_enterprise = N_("Pending enterprise verification")
    returned = N_("Returned for correction")
    pending_acceptance = N_("Pending acceptance")
    under_review = N_("Under review")
    pending_decision = N_("Pending decision")
    approved = N_("Approved")
    refused = N_("Refused")
    withdrawn = N_("Withdrawn")


# States in which an application is "in progress": at most one per person and qualification.
OPEN_APPLICATION_STATES = (
    ApplicationState.draft,
    ApplicationState.pending_enterprise,
    ApplicationState.returned,
    ApplicationState.pending_acceptance,
    ApplicationState.under_review,
    ApplicationState.pending_decision,
)


class RegistrationStatus(LabeledEnum):
    valid = N_("Valid")
    cancelled = N_("Cancelled")
    lapsed = N_("Lapsed")
    suspended = N_("Suspended")
    revoked = N_("Revoked")


# A line of the registration history (注册轨迹): each approved application type, plus the
# status changes that happen without an application. Derived, so the two cannot drift.
RegistrationEventKind = LabeledEnum("RegistrationEventKind", [
    *((kind.name, kind.value) for kind in ApplicationType),
    ("lapse", N_("Lapsed after expiry")),
])


class ConsultationCategory(LabeledEnum):
    entry = N_("Registry entry")
    initial = N_("Initial registration")
    change = N_("Change")
    renewal = N_("Continuation")
    certificate = N_("Certificate")
    account = N_("Account")
    other = N_("Other")


class AuditResult(LabeledEnum):
    success = N_("Success")
    failure = N_("Failure")
    denied = N_("Denied")
