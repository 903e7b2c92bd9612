"""The authority's roster import page: upload → preview (counts, rows, errors) → confirm.

The uploaded file is kept in a StoredFile row between the preview and the confirmation; the
session remembers which one, so a confirmation can only name the file its user uploaded.
Confirming validates the file again (the database may have changed) and imports it through
app/registry/roster_import.py, the same code path as `flask roster import`."""
from __future__ import annotations

import hashlib
import logging

from flask import Response, abort, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..downloads import attachment
from ..extensions import db
from ..models import StoredFile
from . import roster_jobs
from .roster_import import (
    COLUMNS,
    CONTENT_TYPES,
    MAX_UPLOAD_BYTES,
    PREVIEW_ROWS,
    RosterFileError,
    file_kind,
    template_csv,
    validate_roster,
)
from .roster_jobs import import_kept  # noqa: F401 - also the API's (roster_api.py)

log = logging.getLogger(__name__)
SESSION_KEY = "roster_upload"
# Multipart framing around the file; a request larger than this cannot hold an allowed file.
MULTIPART_OVERHEAD = 64 * 1024


# ---------------------------------------------------------------- shared with the API
# (entry_api.py RosterImportApi): each answers the result, or the sentence saying why not.
def too_large_message() -> str:
    return _("The file is larger than %(mb)s MB; split it into smaller files.",
             mb=MAX_UPLOAD_BYTES // (1024 * 1024))


def received_roster():
    """(data, kind, report) of the uploaded file, checked; or why not, as a str."""
    received = received_file()
    if isinstance(received, str):
        return received
    data, filename, kind = received
    try:
        return data, kind, validate_roster(data, filename)
    except RosterFileError as error:
        return str(error)


def received_file():
    """(data, filename, kind) of the uploaded file, not yet checked; or why not, as a str."""
    if (request.content_length or 0) > MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
        return too_large_message()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _("Choose a .csv, .xlsx, .xls or .ods file to import.")
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return too_large_message()
    try:
        return data, upload.filename, file_kind(upload.filename, data)
    except RosterFileError as error:
        return str(error)


def keep_upload(data: bytes, kind: str, replacing: int | None = None) -> int:
    """Store the upload until it is confirmed (the previous pending one removed)."""
    if replacing is not None:
        db.session.query(StoredFile).filter_by(id=replacing).delete()
    stored = StoredFile(sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data,
                        content_type=CONTENT_TYPES[kind])
    db.session.add(stored)
    db.session.commit()
    return stored.id


class RosterImportView(BaseView):
    route_base = "/roster"
    default_view = "upload"
    title = _l("Import qualification roster")
    # The pages of a large file's work in the queue take the permission of the step.
    method_permission_name = {"checking": "upload", "importing": "confirm"}

    def _upload_page(self, status: int = 200):
        return self.render_template(
            "roster_upload.html", title=self.title, columns=COLUMNS,
            max_mb=MAX_UPLOAD_BYTES // (1024 * 1024)), status

    def _refuse(self, message: str):
        flash(message, "danger")
        return redirect(url_for(".upload"))

    @expose("/upload", methods=["GET", "POST"])
    @has_access
    def upload(self):
        if request.method == "GET":
            return self._upload_page()
        received = received_file()
        if isinstance(received, str):
            return self._refuse(received)
        data, filename, kind = received
        if roster_jobs.queued(len(data)):  # a large file is checked by the queue worker
            file_id = session[SESSION_KEY] = keep_upload(data, kind, session.pop(SESSION_KEY,
                                                                                 None))
            job_id = roster_jobs.start_check(file_id, filename)
            if job_id is not None:  # else Redis is away: checked here, as without a queue
                return redirect(url_for(".checking", job_id=job_id))
        try:
            report = validate_roster(data, filename)
        except RosterFileError as error:
            return self._refuse(str(error))
        file_id = None
        if report.ok and report.new:  # one pending upload per session
            file_id = session[SESSION_KEY] = keep_upload(data, kind, session.pop(SESSION_KEY,
                                                                                 None))
        return self._preview(report, file_id)

    def _preview(self, report, file_id: int | None):
        return self.render_template(
            "roster_preview.html", title=self.title, report=report, file_id=file_id,
            preview_rows=PREVIEW_ROWS)

    @expose("/confirm", methods=["POST"])
    @has_access
    def confirm(self):
        file_id = request.form.get("file_id", type=int)
        file_id = file_id if file_id == session.get(SESSION_KEY) else None
        size = roster_jobs.kept_size(file_id)
        job_id = roster_jobs.start_import(file_id) if size is not None and \
            roster_jobs.queued(size) else None  # imported by the queue worker
        if job_id is not None:
            session.pop(SESSION_KEY, None)  # a second press starts nothing more
            return redirect(url_for(".importing", job_id=job_id))
        return self._imported(import_kept(file_id))

    def _imported(self, result):
        if isinstance(result, str):
            return self._refuse(result)
        if not result.imported and not result.ok:
            # The register changed since the preview: show what is wrong now.
            flash(_("The file no longer passes the checks; nothing was imported."), "danger")
            return self._preview(result, None)
        session.pop(SESSION_KEY, None)
        flash(_("Imported %(new)s new certificates; %(unchanged)s were already on file and "
                "unchanged.", new=result.imported, unchanged=result.unchanged), "success")
        return redirect(url_for("QualificationCertificateAdminView.list"))

    @expose("/checking/<job_id>", methods=["GET"])
    @has_access
    def checking(self, job_id: str):
        state = roster_jobs.state(job_id, "roster_check")
        if not self._finished(state):
            return self._job_page(state, _("Checking the file"))
        report, file_id = state.result
        if isinstance(report, str):  # the file as a whole could not be read
            return self._refuse(report)
        if file_id is None or file_id != session.get(SESSION_KEY):
            file_id = None  # nothing to import, or another upload since
        return self._preview(report, file_id)

    @expose("/importing/<job_id>", methods=["GET"])
    @has_access
    def importing(self, job_id: str):
        state = roster_jobs.state(job_id, "roster_import")
        return self._imported(state.result) if self._finished(state) else \
            self._job_page(state, _("Importing the file"))

    @staticmethod
    def _finished(state) -> bool:
        return state is not None and state.status == "done"

    def _job_page(self, state, what: str):
        if state is None:
            abort(404)
        return self.render_template("job_progress.html", title=self.title, what=what,
                                    state=state, stages=roster_jobs.STAGES,
                                    again=url_for(".upload"))

    @expose("/template", methods=["GET"])
    @has_access
    def template(self):
        name = _("Qualification roster template") + ".csv"
        return Response(template_csv(), mimetype="text/csv", headers={
            "Content-Disposition": attachment(name, "roster-template.csv")})
