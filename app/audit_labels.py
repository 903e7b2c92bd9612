"""How the audit log reads on the auditor's screens: the recorded codes (stable, searchable,
English) shown as words in the reader's language; a code without a word shows as itself."""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .workflow import BY_NAME

ACTIONS = {
    "login": _l("Log in"), "logout": _l("Log out"), "lockout": _l("Account locked"),
    "signup": _l("Sign-up"), "access": _l("Access outside one's scope"),
    "add": _l("Add"), "update": _l("Change"), "delete": _l("Delete"),
    "upload": _l("Upload"), "registry_entry": _l("Registry entry"),
    "certificate_claim": _l("Certificate matched with the roster"),
    "certificate_download": _l("Certificate printed"), "register_export": _l("Register export"),
    "roster_import": _l("Roster import"), "return_answer": _l("Corrections after a return"),
    "password_change": _l("Password changed"),
    "password_set_by_admin": _l("Password set by an administrator"),
    "enable": _l("Account enabled"), "disable": _l("Account disabled"),
    "faq_publish": _l("FAQ published"), "faq_unpublish": _l("FAQ withdrawn"),
    "verify_lookup": _l("Public registration lookup"),
    "verify_certificate": _l("Public certificate verification"),
    "audit_purge": _l("Audit log purge"),
    "two_factor_enrol": _l("Two-factor authentication set up"),
    "two_factor_login": _l("Two-factor code at login"),
    "two_factor_recovery_codes": _l("New recovery codes"),
    "two_factor_disable": _l("Two-factor authentication switched off"),
    "two_factor_reset": _l("Two-factor authentication reset"),
}
OBJECTS = {
    "Application": _l("Application"), "AuditLog": _l("Audit log"),
    "Certificate": _l("Electronic certificate"), "Consultation": _l("Consultation"),
    "Enterprise": _l("Enterprise"), "Practitioner": _l("Practitioner"),
    "QualificationCertificate": _l("Qualification certificate"),
    "Registration": _l("Registration"), "User": _l("Account"),
}


def action_label(code: str) -> str:
    if code.startswith("transition:") and code.removeprefix("transition:") in BY_NAME:
        return gettext("Application: %(action)s",
                       action=gettext(BY_NAME[code.removeprefix("transition:")].label))
    return str(ACTIONS.get(code, code))


def object_label(code: str | None) -> str:
    return str(OBJECTS.get(code, code)) if code else ""


def detail_text(detail) -> Markup:
    """The recorded detail, one "key: value" line per entry (nested values as recorded)."""
    if not detail:
        return Markup("")
    if not isinstance(detail, dict):
        return Markup("%s") % detail
    return Markup("<br>").join(
        Markup("%s：%s") % (DETAIL_KEYS.get(key, key),
                            DETAIL_VALUES.get((key, value), value) if isinstance(value, str) else value)
        for key, value in detail.items())


# Detail keys and values that are words, not data, said in the reader's language; any other
# key is shown as recorded.
DETAIL_KEYS = {"with": _l("Verified with")}
DETAIL_VALUES = {("with", "totp"): _l("Authenticator code"),
                 ("with", "recovery"): _l("Recovery code")}
