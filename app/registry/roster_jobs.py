"""A large roster file is checked and imported by the queue worker (REDIS_URL), above
ROSTER_QUEUE_BYTES: the request only keeps the file and answers a page that shows the
progress until the preview, or the result, is ready. Smaller files, and every file without a
queue, are done in the request as they always were; both paths share `import_kept`."""
from __future__ import annotations

import dataclasses
import logging

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..audit import record
from ..extensions import db
from ..models import StoredFile
from ..operations import jobs
from ..operations.queue import task_queue
from .roster_import import (
    CONTENT_TYPES,
    RosterFileError,
    RosterImportError,
    apply_roster,
    validate_roster,
)

log = logging.getLogger(__name__)
STAGES = {"validate": _l("Rows checked"), "insert": _l("Rows imported")}


def queued(size: int) -> bool:
    return size > current_app.config["ROSTER_QUEUE_BYTES"] and task_queue() is not None


def kept_size(file_id: int | None) -> int | None:
    stored = db.session.get(StoredFile, file_id) if file_id is not None else None
    return stored.size if stored is not None else None


def kept_name(stored: StoredFile) -> str:
    # A zip workbook's content decides between .xlsx and .ods (file_kind); a compound file
    # stored here is an .xls (an encrypted one is refused before it is kept).
    return "roster.csv" if stored.content_type == CONTENT_TYPES["csv"] else "roster.xls"


def import_kept(file_id: int | None, *, actor=None, progress=None):
    """Validate the kept file again (the register may have changed) and import it: the
    report, or why not (a str). A report that no longer passes is returned unimported.
    `actor`: who confirmed, when it runs in the queue worker (in a request: the user)."""
    stored = db.session.get(StoredFile, file_id) if file_id is not None else None
    if stored is None or stored.data is None:
        return _("The uploaded file is no longer available; upload it again.")
    try:
        report = validate_roster(stored.data, kept_name(stored), progress=progress)
    except RosterFileError as error:
        return str(error)
    if not report.ok:
        return report
    db.session.delete(stored)  # removed in the same transaction as the import
    try:
        apply_roster(report, progress=progress)
    except RosterImportError as error:
        return str(error)
    log.info("roster import: %s new, %s unchanged", report.imported, report.unchanged)
    record("roster_import", object_type="QualificationCertificate", commit=True, actor=actor,
           detail={"imported": report.imported, "unchanged": report.unchanged})
    return report


def _slim(report):
    """What the pages show, without the rows to insert (the import reads the file again)."""
    return dataclasses.replace(report, rows=[]) if not isinstance(report, str) else report


# ---------------------------------------------------------------- the worker's jobs
def check_job(file_id: int, filename: str):
    """(the preview's report, the file's id or None when there is nothing to import)."""
    stored = db.session.get(StoredFile, file_id)
    if stored is None:
        return _("The uploaded file is no longer available; upload it again."), None
    try:
        report = validate_roster(stored.data, filename, progress=jobs.Reporter())
    except RosterFileError as error:
        report = str(error)
    if not isinstance(report, str) and report.ok and report.new:
        return _slim(report), file_id
    db.session.delete(stored)  # nothing to confirm: not kept
    db.session.commit()
    return _slim(report), None


def import_job(file_id: int, actor_id: int):
    actor = db.session.get(User, actor_id)
    return _slim(import_kept(file_id, actor=actor, progress=jobs.Reporter()))


# ---------------------------------------------------------------- the pages' side
def start_check(file_id: int, filename: str) -> str | None:
    return jobs.start("app.registry.roster_jobs.check_job", file_id, filename,
                      owner=current_user.id, kind="roster_check")


def start_import(file_id: int) -> str | None:
    return jobs.start("app.registry.roster_jobs.import_job", file_id, current_user.id,
                      owner=current_user.id, kind="roster_import")


def state(job_id: str, kind: str):
    return jobs.state_of(job_id, current_user.id, kind)
