"""One log, configured once, to standard output: one line per event, each with the request id
and the signed-in user's id, never a secret or an ID number.

The request id is the trusted reverse proxy's X-Request-Id when it sent a well-formed one (so the
proxy's log, the app's log and the audit row carry the same id), else one made here; it is
answered in the X-Request-Id header, which gunicorn's access log prints (gunicorn.conf.py),
and stored on the request's audit rows (app/audit.py).

ProxyFix trusts TRUSTED_PROXY_HOPS proxies in front of the app for the client's address,
scheme and host. The default 0 trusts none, so that a client cannot pick its own address
(and its own rate-limit budget, and what the audit trail records) by sending the header."""
from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

HEADER = "X-Request-Id"
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")
# An 18-character resident ID number (GB 11643) anywhere in a line, and key=value pairs
# whose key names a secret: what a log line must never carry.
ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{9}[0-9Xx](?![0-9A-Za-z])")
SECRET_PAIR = re.compile(r"((?:pass(?:word|wd)?|token|secret|api_?key|authorization|otp)"
                         r"[\"']?\s*[:=]\s*[\"']?(?:bearer\s+|basic\s+)?)[^\s\"',;&]+",
                         re.IGNORECASE)
FORMAT = "%(asctime)s %(levelname)s %(name)s request=%(request_id)s user=%(user_id)s %(message)s"


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def redact(text: str) -> str:
    text = ID_NUMBER.sub(lambda m: m.group()[:6] + "********" + m.group()[-4:-1] + "*", text)
    return SECRET_PAIR.sub(r"\1[hidden]", text)


class RequestContextFilter(logging.Filter):
    """Adds the request id and the user id (not the name: a name can be an ID number)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        record.user_id = _user_id() or "-"
        return True


def _user_id():
    if not has_request_context():
        return None
    from flask_login import current_user

    try:
        return current_user.get_id() if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 - a log line must never fail for want of a user
        return None


class OneLineFormatter(logging.Formatter):
    """A traceback stays on the event's line (newlines written as \\n), so that one event is
    one line for whoever collects standard output; then the line is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record)).replace("\r", "").replace("\n", "\\n")


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time (a test runner swaps it per test)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _redacting_factory(make_record):
    """Every record is redacted when it is made, whatever handler writes it later: FAB
    itself logs "Added user <username>", and a practitioner's username is an ID number."""

    def make(*args, **kwargs):
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call: leave it to logging's own report
            return record
        record.msg, record.args = redact(message), None
        return record

    make.registry_redacting = True
    return make


def configure_logging(level: str = "INFO") -> None:
    """Once per process: the root logger writes to stdout; Flask's own handler is then not
    added (Flask adds it only to a logger without one), so nothing is written twice."""
    if not getattr(logging.getLogRecordFactory(), "registry_redacting", False):
        logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
    root = logging.getLogger()
    if any(getattr(h, "registry_handler", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = StdoutHandler()
    handler.registry_handler = True
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(OneLineFormatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)


def register(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.before_request
    def _request_id() -> None:
        # Only a trusted proxy's id is taken: a client's own would be a forged audit key.
        given = request.headers.get(HEADER, "") if hops else ""
        g.request_id = given if WELL_FORMED.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _answer_request_id(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response
