"""The roster import page over the API: upload → preview with the per-row errors →
confirm, through the page's own functions (roster_views.py). Where the page keeps the
pending upload in the session, the API answers a ticket: the kept file signed for the user
who uploaded it, valid for an hour, so a confirmation can only name that user's upload."""
from __future__ import annotations

from flask import current_app, request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext
from itsdangerous import BadData, URLSafeTimedSerializer

from ..accounts.api_answers import DocumentedAnswers
from ..scoping import acting_user
from .roster_import import PREVIEW_ROWS
from .roster_views import RosterImportView, import_kept, keep_upload, received_roster

UPLOAD_SALT, UPLOAD_MAX_AGE = "roster-upload", 3600  # an hour to confirm a preview


def _upload_ticket(file_id: int) -> str:
    """What the API answers in place of the page's session: the kept file, signed for the
    user who uploaded it, so that a confirmation can only name that user's own upload."""
    return URLSafeTimedSerializer(current_app.secret_key, UPLOAD_SALT).dumps(
        {"file": file_id, "user": acting_user().id})


def _ticket_file(ticket) -> int | None:
    try:
        data = URLSafeTimedSerializer(current_app.secret_key, UPLOAD_SALT).loads(
            str(ticket or ""), max_age=UPLOAD_MAX_AGE)
    except BadData:
        return None
    return data.get("file") if data.get("user") == acting_user().id else None


def _report(report) -> dict:
    return {"total": report.total, "new": report.new, "unchanged": report.unchanged,
            "invalid": report.invalid, "error_count": report.error_count,
            "errors": [{"row": e.row, "column": e.column, "message": e.message}
                       for e in report.errors],
            "preview": [{k: v.isoformat() if hasattr(v, "isoformat") else v
                         for k, v in row.items()} for row in report.preview[:PREVIEW_ROWS]],
            "imported": report.imported}


class RosterImportApi(DocumentedAnswers, BaseApi):
    """The roster import page over the API: upload → preview with the per-row errors →
    confirm, through the page's own functions (roster_views.py)."""

    resource_name = "roster_import"
    web_view = RosterImportView
    class_permission_name = "RosterImportView"
    openapi_spec_tag = "Qualification certificates"
    allow_browser_login = True

    @expose("/upload", methods=["POST"])
    @protect()
    @safe
    @permission_name("upload")
    def upload(self):
        """Check a roster file.
        ---
        post:
          summary: Check a roster file (.csv, .xlsx, .xls or .ods, columns as the template of
            the page) and answer the preview; a file that passes is kept for an hour and
            answered with the ticket that confirms it
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file:
                      type: string
                      format: binary
          responses:
            200:
              description: The preview; ticket is null when nothing can be imported
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      report:
                        type: object
                      ticket:
                        type: string
                        nullable: true
            422:
              $ref: '#/components/responses/422'
        """
        received = received_roster()
        if isinstance(received, str):
            return self.response_422(message=received)
        data, kind, report = received
        ticket = _upload_ticket(keep_upload(data, kind)) if report.ok and report.new else None
        return self.response(200, report=_report(report), ticket=ticket)

    @expose("/confirm", methods=["POST"])
    @protect()
    @safe
    @permission_name("confirm")
    def confirm(self):
        """Import a checked roster file.
        ---
        post:
          summary: Import the file a preview answered the ticket of; it is checked again
            first, and nothing is imported when it no longer passes (422 with the report)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [ticket]
                  properties:
                    ticket:
                      type: string
          responses:
            200:
              description: Imported
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      report:
                        type: object
            422:
              $ref: '#/components/responses/422'
        """
        body = request.get_json(silent=True)
        ticket = body.get("ticket") if isinstance(body, dict) else None
        result = import_kept(_ticket_file(ticket))
        if isinstance(result, str):
            return self.response_422(message=result)
        if not result.imported and not result.ok:
            return self.response(422, message=gettext(
                "The file no longer passes the checks; nothing was imported."),
                report=_report(result))
        return self.response(200, report=_report(result))
