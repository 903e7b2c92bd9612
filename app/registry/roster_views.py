"""The authority's roster import page: upload → preview (counts, rows, errors) → confirm.

The uploaded file is kept in a StoredFile row between the preview and the confirmation; the
session remembers which one, so a confirmation can only name the file its user uploaded.
Confirming validates the file again (the database may have changed) and imports it through
app/registry/roster_import.py, the same code path as `flask roster import`."""
from __future__ import annotations

import hashlib
import logging

from flask import Response, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..audit import record
from ..downloads import attachment
from ..extensions import db
from ..models import StoredFile
from .roster_import import (
    COLUMNS,
    CONTENT_TYPES,
    MAX_UPLOAD_BYTES,
    PREVIEW_ROWS,
    RosterFileError,
    RosterImportError,
    apply_roster,
    file_kind,
    template_csv,
    validate_roster,
)

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
    if (request.content_length or 0) > MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
        return too_large_message()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _("Choose a .csv, .xlsx, .xls or .ods file to import.")
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return too_large_message()
    try:
        kind = file_kind(upload.filename, data)
        return data, kind, validate_roster(data, upload.filename)
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


def import_kept(file_id: int | None):
    """Validate the kept file again (the register may have changed) and import it: the
    report, or why not (a str). A report that no longer passes is returned unimported."""
    stored = db.session.get(StoredFile, file_id) if file_id is not None else None
    if stored is None or stored.data is None:
        return _("The uploaded file is no longer available; upload it again.")
    # A zip workbook's content decides between .xlsx and .ods (file_kind); a compound file
    # stored here is an .xls (an encrypted one is refused before it is kept).
    name = "roster.csv" if stored.content_type == CONTENT_TYPES["csv"] else "roster.xls"
    try:
        report = validate_roster(stored.data, name)
    except RosterFileError as error:
        return str(error)
    if not report.ok:
        return report
    db.session.delete(stored)  # removed in the same transaction as the import
    try:
        apply_roster(report)
    except RosterImportError as error:
        return str(error)
    log.info("roster import: %s new, %s unchanged", report.imported, report.unchanged)
    record("roster_import", object_type="QualificationCertificate", commit=True,
           detail={"imported": report.imported, "unchanged": report.unchanged})
    return report


class RosterImportView(BaseView):
    route_base = "/roster"
    default_view = "upload"
    title = _l("Import qualification roster")

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
        received = received_roster()
        if isinstance(received, str):
            return self._refuse(received)
        data, kind, report = received
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
        result = import_kept(file_id if file_id == session.get(SESSION_KEY) else None)
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

    @expose("/template", methods=["GET"])
    @has_access
    def template(self):
        name = _("Qualification roster template") + ".csv"
        return Response(template_csv(), mimetype="text/csv", headers={
            "Content-Disposition": attachment(name, "roster-template.csv")})
