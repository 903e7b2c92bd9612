"""Answering a return (退回补正, domain.md section 11): what a return notice may point at,
how the applicant corrects each item from the returned application itself, and what changed
between the return and the resubmission, which the enterprise and the reviewer are shown.

How each item is corrected:
- FORM: a field of the application's own form (the type's edit page, open while returned);
- CONTACT: the applicant's contact data, typed on the answer page and saved at once (it is
  theirs to keep current, as on 我的个人信息);
- IMAGE: the ID photo or the signature, uploaded on the answer page, checked as at 入库,
  and used by the registry only once the application is approved, like a data correction;
- ATTACHMENT: a document (labour contract, social insurance record, anything else): a scan
  uploaded with a note.
The real name and the ID number come from the real-name sign-up and are not offered: a
mistake there is corrected by a data correction application."""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import gettext as _

from ..enums import ApplicationState
from ..extensions import db
from ..labels import COLUMN_LABELS
from ..models import ATTACHMENT_KINDS, Application, Decision, StoredFile
from ..registry import storage
from ..registry.images import ACCEPT, SCAN, SPECS, ImageRejected, check_and_normalise
from ..registry.scans import check_scan
from .forms import APPLICATION_FORMS

FORM, CONTACT, IMAGE, ATTACHMENT = "form", "contact", "image", "attachment"

# What a return may name, in the order the reviewer's list offers it.
ITEMS: dict[str, str] = {
    "qualification": FORM, "specialties": FORM, "enterprise": FORM, "registration": FORM,
    "continuing_education": FORM, "change_reason": FORM, "cancellation_reason": FORM,
    "correction_value": FORM, "correction_reason": FORM,
    "phone": CONTACT, "email": CONTACT, "education": CONTACT,
    "photo": IMAGE, "signature": IMAGE,
    **dict.fromkeys(ATTACHMENT_KINDS, ATTACHMENT),
}
MOBILE = re.compile(r"^1\d{10}$")
MAX_NOTE = 500


def returnable_items(app: Application) -> list[str]:
    """The items a return of this application may name: its own form's fields, and what
    every applicant can correct."""
    form = set(APPLICATION_FORMS[app.app_type])
    return [key for key, kind in ITEMS.items() if kind != FORM or key in form]


def label(key: str) -> str:
    return str(COLUMN_LABELS.get(key, key))


def item_key(text: str) -> str | None:
    """The item a return names, given as its key or its label (Chinese or English)."""
    text = (text or "").strip()
    if text in ITEMS:
        return text
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            for key in ITEMS:
                if label(key) == text:
                    return key
    return None


def latest_return(app: Application) -> Decision | None:
    return next((d for d in reversed(app.decisions)
                 if d.to_state == ApplicationState.returned), None)


# ---------------------------------------------------------------- the answer page
def save_answer(app: Application, form, files) -> dict[str, str]:
    """Apply what the applicant sent for the items of the latest return; {item: error} when
    anything is refused, and then nothing is kept (the caller rolls back)."""
    notice = latest_return(app)
    keys = [i.get("key") or "other" for i in (notice.items or [])] if notice else []
    details = dict(app.details or {})
    corrections = dict(details.get("corrections") or {})
    attachments = dict(details.get("attachments") or {})
    notes = dict(details.get("answers") or {})
    person = app.practitioner
    errors: dict[str, str] = {}
    for key in dict.fromkeys(keys):
        kind = ITEMS.get(key, ATTACHMENT)
        if kind == CONTACT and key in form:
            value, error = _contact_value(key, form.get(key, ""))
            if error:
                errors[key] = error
            else:
                setattr(person, key, value)
        elif kind == IMAGE:
            stored, error = _stored_upload(files.get(key), key)
            if error:
                errors[key] = error
            elif stored is not None:
                corrections[f"{key}_id"] = stored.id
        elif kind == ATTACHMENT:
            stored, error = _stored_upload(files.get(key), "scan")
            if error:
                errors[key] = error
            elif stored is not None:
                attachments[key] = stored.id
            note = form.get(f"{key}_note", "").strip()
            if len(note) > MAX_NOTE:
                errors[key] = _("At most %(n)s characters.", n=MAX_NOTE)
            elif note:
                notes[key] = note
    details.update(corrections=corrections, attachments=attachments, answers=notes)
    app.details = details
    return errors


def _contact_value(key: str, raw: str) -> tuple[str | None, str | None]:
    value = raw.strip()
    if key == "phone":
        return (value, None) if MOBILE.match(value) else (None, _("Enter the 11-digit mobile number."))
    if key == "email":
        if not value:
            return None, None
        try:
            return validate_email(value, check_deliverability=False).normalized, None
        except EmailNotValidError:
            return None, _("Enter a valid e-mail address.")
    if not value or len(value) > 64:
        return None, _("Enter your education (at most 64 characters).")
    return value, None


def _stored_upload(upload, kind: str) -> tuple[StoredFile | None, str | None]:
    """(stored file, None), (None, None) when nothing was chosen, or (None, error)."""
    limit = (SPECS.get(kind) or SCAN).max_bytes
    content = upload.read(limit + 1) if upload else b""
    if not content:
        return None, None
    try:
        checked, content_type = check_scan(content) if kind == "scan" else \
            check_and_normalise(kind, content)
    except ImageRejected as rejected:
        return None, _("Not accepted: %(why)s", why=rejected)
    return storage.save(checked, content_type), None


# ---------------------------------------------------------------- what changed since the return
def snapshot(app: Application) -> dict[str, str | int | None]:
    """What a return may name, as it stands now (files by their stored id)."""
    details = app.details or {}
    person = app.practitioner
    values: dict[str, str | int | None] = {
        "qualification": app.qualification.name if app.qualification else None,
        "specialties": "、".join(s.name for s in app.specialties),
        "enterprise": app.enterprise.name if app.enterprise else None,
        "registration": app.registration.number if app.registration else None,
    }
    for key, kind in ITEMS.items():
        if kind == FORM and key not in values:
            values[key] = details.get(key) or None
        elif kind == CONTACT:
            values[key] = getattr(person, key)
        elif kind == IMAGE:
            values[key] = (details.get("corrections") or {}).get(f"{key}_id") or \
                getattr(person, f"{key}_id")
        elif kind == ATTACHMENT:
            values[key] = (details.get("attachments") or {}).get(key)
            values[f"{key}_note"] = (details.get("answers") or {}).get(key)
    return values


def changes_since(before: dict, after: dict) -> list[dict]:
    """[{key, old, new}] for every value that differs."""
    return [{"key": key, "old": before.get(key), "new": value}
            for key, value in after.items() if before.get(key) != value]


def details_at(app: Application, transition_name: str, target: ApplicationState) -> dict | None:
    """The details a transition writes: the state at a return, and at the resubmission what
    changed since (None when the transition keeps them as they are)."""
    if target == ApplicationState.returned:
        return {**(app.details or {}), "at_return": snapshot(app)}
    if transition_name == "resubmit":
        before = (app.details or {}).get("at_return") or {}
        return {**(app.details or {}), "changes_since_return": changes_since(before, snapshot(app))}
    return None


def change_rows(app: Application) -> list[dict]:
    """The changes of the latest resubmission, for the detail page: label, and the old and
    new value, or the new file for an image or attachment."""
    rows = []
    for change in (app.details or {}).get("changes_since_return") or []:
        key = change["key"]
        base = key.removesuffix("_note")
        kind = ITEMS.get(base, FORM)
        is_file = kind in (IMAGE, ATTACHMENT) and key == base
        rows.append({
            "label": label(base) + (_(" (note)") if key != base else ""),
            "file": db.session.get(StoredFile, change["new"]) if is_file and change["new"] else None,
            "old": None if is_file else change["old"], "new": None if is_file else change["new"],
        })
    return rows


def answer_fields(app: Application) -> list[dict]:
    """For the answer page: each item of the latest return with its reason and how it is
    corrected."""
    notice = latest_return(app)
    fields = []
    for item in (notice.items or []) if notice else []:
        key = item.get("key") or "other"
        kind = ITEMS.get(key, ATTACHMENT)
        fields.append({"key": key, "kind": kind, "label": item.get("field") or label(key),
                       "reason": item.get("reason", ""),
                       "current": getattr(app.practitioner, key, None) if kind == CONTACT else None,
                       "note": ((app.details or {}).get("answers") or {}).get(key, ""),
                       "accept": ACCEPT if kind == IMAGE else ACCEPT + ",application/pdf"})
    return fields

