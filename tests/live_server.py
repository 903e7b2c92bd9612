"""The app served by a real threaded WSGI server (Werkzeug's) on a free port, as in
production: CSRF on, no SERVER_NAME, each request in its own thread. What the Flask test
client cannot show (header encoding, truly parallel requests, redirects followed) is tested
against this."""
from __future__ import annotations

import contextlib
import threading
import uuid
from dataclasses import dataclass

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests import logins
from tests.conftest import app_config


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per request would drown the output
        pass


@dataclass
class LiveServer:
    url: str
    app: object


@contextlib.contextmanager
def serving(application):
    """Serve an app on a free port while the block runs; yields its base URL."""
    server = make_server("127.0.0.1", 0, application, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    logins.SERVED_APPS[base_url] = application  # the login helper clears used code steps
    try:
        yield base_url
    finally:
        logins.SERVED_APPS.pop(base_url, None)
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def live_server(backend_db):
    """The app on a migrated copy of the template database, served on a free port."""
    from app import create_app
    from app.extensions import db

    manager, template_url = backend_db
    url = manager.copy_url(template_url, f"live{uuid.uuid4().hex[:10]}")
    config = {**app_config(url, manager.workdir), "WTF_CSRF_ENABLED": True, "TESTING": False}
    config.pop("SERVER_NAME")
    application = create_app(config)
    context = application.app_context()
    context.push()
    with serving(application) as base_url:
        yield LiveServer(base_url, application)
    db.session.remove()
    db.engines[None].dispose()
    context.pop()
    manager.drop(url)
