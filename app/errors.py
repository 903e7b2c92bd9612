"""Generic error pages: a user never sees a stack trace, SQL or internal detail."""
from __future__ import annotations

import logging

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, default_exceptions

from .enums import N_

log = logging.getLogger(__name__)


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = N_("The page has expired or was sent from elsewhere. Please reload it and try again.")
        return _answer(400, message, plain=True)  # as forged as refuse()'s

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if hasattr(error, "user_message"):  # refused by refuse(): a forged request
            return _answer(error.code, error.user_message, plain=True, **error.user_variables)
        return _answer(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("Unhandled error")
        # After a database error PostgreSQL refuses every statement until a rollback, and
        # the error page itself reads the database (menu, permissions).
        from .extensions import db

        db.session.rollback()
        return _answer(500)


def refuse(code: int, message: str, **variables):
    """Stop the request with this HTTP code and a message (a msgid, with its variables)
    saying what was wrong."""
    error = default_exceptions[code]()
    error.user_message, error.user_variables = message, variables
    raise error


def _answer(code: int, message: str | None = None, plain: bool = False, **variables):
    """The error page, or on the REST API (/api/) a JSON body like FAB's own errors."""
    if request.path.startswith("/api/"):
        return jsonify(message=gettext(message or _default_message(code), **variables)), code
    return _page(code, message, plain, **variables), code


MESSAGES = {
    400: N_("The request could not be understood. Please check what you entered."),
    403: N_("You are not allowed to see this page."),
    404: N_("The page or record you asked for does not exist."),
    405: N_("This action is not allowed here."),
    413: N_("The file is too large."),
    429: N_("Too many requests. Please wait a moment and try again."),
}
UNEXPECTED = N_("Something went wrong on our side. Please try again later.")


def _default_message(code: int) -> str:
    return MESSAGES.get(code) or (MESSAGES[400] if code < 500 else UNEXPECTED)


def _page(code: int, message: str | None = None, plain: bool = False, **variables) -> str:
    message = message or _default_message(code)
    if "user" not in g:  # an error raised before FAB's before_request (CSRF) leaves it unset
        g.user = current_user
    appbuilder = current_app.appbuilder  # FAB's layout needs these two in its context
    return render_template("error.html", code=code, message=gettext(message, **variables),
                           plain=plain, appbuilder=appbuilder,
                           base_template=appbuilder.base_template)
