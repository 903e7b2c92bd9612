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

    def _too_large(self):
        return self._refuse(_("The file is larger than %(mb)s MB; split it into smaller files.",
                              mb=MAX_UPLOAD_BYTES // (1024 * 1024)))

    @expose("/upload", methods=["GET", "POST"])
    @has_access
    def upload(self):
        if request.method == "GET":
            return self._upload_page()
        if (request.content_length or 0) > MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
            return self._too_large()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._refuse(_("Choose a .csv, .xlsx, .xls or .ods file to import."))
        data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            return self._too_large()
        try:
            kind = file_kind(upload.filename, data)
            report = validate_roster(data, upload.filename)
        except RosterFileError as error:
            return self._refuse(str(error))
        file_id = None
        if report.ok and report.new:
            file_id = self._keep(data, kind)
        return self._preview(report, file_id)

    def _keep(self, data: bytes, kind: str) -> int:
        """Store the upload until it is confirmed; one pending upload per session."""
        previous = session.pop(SESSION_KEY, None)
        if previous is not None:
            db.session.query(StoredFile).filter_by(id=previous).delete()
        stored = StoredFile(
            sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data,
            content_type=CONTENT_TYPES[kind])
        db.session.add(stored)
        db.session.commit()
        session[SESSION_KEY] = stored.id
        return stored.id

    def _preview(self, report, file_id: int | None):
        return self.render_template(
            "roster_preview.html", title=self.title, report=report, file_id=file_id,
            preview_rows=PREVIEW_ROWS)

    @expose("/confirm", methods=["POST"])
    @has_access
    def confirm(self):
        file_id = request.form.get("file_id", type=int)
        stored = None
        if file_id is not None and file_id == session.get(SESSION_KEY):
            stored = db.session.get(StoredFile, file_id)
        if stored is None or stored.data is None:
            return self._refuse(_("The uploaded file is no longer available; upload it again."))
        # A zip workbook's content decides between .xlsx and .ods (file_kind); a compound file
        # stored here is an .xls (an encrypted one is refused before it is kept).
        name = "roster.csv" if stored.content_type == CONTENT_TYPES["csv"] else "roster.xls"
        try:
            report = validate_roster(stored.data, name)
        except RosterFileError as error:
            return self._refuse(str(error))
        if not report.ok:
            # The register changed since the preview: show what is wrong now.
            flash(_("The file no longer passes the checks; nothing was imported."), "danger")
            return self._preview(report, None)
        db.session.delete(stored)  # removed in the same transaction as the import
        try:
            apply_roster(report)
        except RosterImportError as error:
            return self._refuse(str(error))
        session.pop(SESSION_KEY, None)
        log.info("roster import: %s new, %s unchanged", report.imported, report.unchanged)
        record("roster_import", object_type="QualificationCertificate", commit=True,
               detail={"imported": report.imported, "unchanged": report.unchanged})
        flash(_("Imported %(new)s new certificates; %(unchanged)s were already on file and "
                "unchanged.", new=report.imported, unchanged=report.unchanged), "success")
        return redirect(url_for("QualificationCertificateAdminView.list"))

    @expose("/template", methods=["GET"])
    @has_access
    def template(self):
        name = _("Qualification roster template") + ".csv"
        return Response(template_csv(), mimetype="text/csv", headers={
            "Content-Disposition": attachment(name, "roster-template.csv")})
