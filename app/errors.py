"""Generic error pages: a user never sees a stack trace, SQL or internal detail."""
from __future__ import annotations

import logging

from flask import abort, current_app, g, render_template, request
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .enums import N_

log = logging.getLogger(__name__)


def register(app) -> None:
    @app.before_request
    def refuse_nul_characters():
        # PostgreSQL refuses a NUL character in any text value (a 500 from a search box or a
        # form field); no legitimate input has one, so the request is refused as malformed.
        values = [v for data in (request.args, request.form) for _, vs in data.lists() for v in vs]
        if any("\x00" in value for value in values):
            abort(400)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = N_("The page has expired or was sent from elsewhere. Please reload it and try again.")
        return _page(400, message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _page(error.code or 500), error.code or 500

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("Unhandled error")
        # After a database error PostgreSQL refuses every statement until a rollback, and
        # the error page itself reads the database (menu, permissions).
        from .extensions import db

        db.session.rollback()
        return _page(500), 500


MESSAGES = {
    400: N_("The request could not be understood. Please check what you entered."),
    403: N_("You are not allowed to see this page."),
    404: N_("The page or record you asked for does not exist."),
    405: N_("This action is not allowed here."),
    413: N_("The file is too large."),
    429: N_("Too many requests. Please wait a moment and try again."),
}


def _page(code: int, message: str | None = None) -> str:
    message = message or MESSAGES.get(
        code, N_("Something went wrong on our side. Please try again later."))
    if "user" not in g:  # an error raised before FAB's before_request (CSRF) leaves it unset
        g.user = current_user
    appbuilder = current_app.appbuilder  # FAB's layout needs these two in its context
    return render_template("error.html", code=code, message=gettext(message),
                           appbuilder=appbuilder, base_template=appbuilder.base_template)
