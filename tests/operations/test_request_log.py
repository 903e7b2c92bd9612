"""The request id, the one-line log without ID numbers or secrets, and the reverse proxy
trusted only as far as TRUSTED_PROXY_HOPS says."""
import logging
import re

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog
from app.operations.request_log import configure_logging, redact
from tests.people import PASSWORD

ID = "440106199003071231"


def _login_attempt(client, **headers):
    return client.post("/login/", data={"username": "prac_a", "password": "wrong"},
                       headers=headers)


def _latest_audit():
    db.session.expire_all()
    return db.session.scalar(sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(1))


def test_each_answer_carries_its_request_id_and_so_does_its_audit_row(app, client):
    first, second = _login_attempt(client), _login_attempt(client)
    ids = {first.headers["X-Request-Id"], second.headers["X-Request-Id"]}
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert _latest_audit().request_id == second.headers["X-Request-Id"]


def test_without_a_trusted_proxy_the_client_chooses_neither_its_address_nor_its_id(app, client):
    answer = _login_attempt(client, **{"X-Forwarded-For": "203.0.113.9",
                                       "X-Request-Id": "chosen-by-the-client"})
    row = _latest_audit()
    assert answer.headers["X-Request-Id"] != "chosen-by-the-client"
    assert row.client_address != "203.0.113.9" and row.request_id != "chosen-by-the-client"


def test_one_trusted_proxy_gives_the_client_address_and_its_request_id(backend_db, tmp_path):
    from app import create_app
    from tests.conftest import app_config

    manager, template = backend_db
    url = manager.copy_url(template, "proxied")
    app = create_app({**app_config(url, manager.workdir), "TRUSTED_PROXY_HOPS": 1})
    try:
        with app.app_context():
            answer = _login_attempt(app.test_client(), **{
                "X-Forwarded-For": "198.51.100.7, 203.0.113.9",  # the client's lie, the proxy's
                "X-Request-Id": "proxy-0000-1111"})
            row = _latest_audit()
            assert answer.headers["X-Request-Id"] == "proxy-0000-1111"
            assert (row.client_address, row.request_id) == ("203.0.113.9", "proxy-0000-1111")
            db.session.remove()
            db.engines[None].dispose()
    finally:
        manager.drop(url)


def test_a_log_event_is_one_line_with_its_request_and_user_and_no_id_number_or_secret(
        app, capsys):
    configure_logging("INFO")
    with app.test_request_context("/"):
        app.preprocess_request()
        from flask import g

        request_id = g.request_id
        app.logger.info("looked up %s with password=%s", ID, PASSWORD)
        try:
            raise ValueError(f"bad number {ID}\nsecond line")
        except ValueError:
            app.logger.exception("failed")
    lines = [line for line in capsys.readouterr().out.splitlines() if request_id in line]
    assert len(lines) == 2, lines  # the traceback stays on its event's line
    assert all(ID not in line and PASSWORD not in line for line in lines)
    assert "440106********123*" in lines[0] and "password=[hidden]" in lines[0]
    assert "Traceback" in lines[1] and "second line" in lines[1]
    assert all(" user=- " in line for line in lines)  # nobody signed in


def test_fab_s_own_records_of_usernames_that_are_id_numbers_are_redacted(app, caplog):
    configure_logging("INFO")
    with caplog.at_level(logging.INFO):
        logging.getLogger("flask_appbuilder.security.sqla.manager").info("Added user %s", ID)
    assert ID not in caplog.text and "440106********" in caplog.text


def test_redaction_keeps_what_is_not_an_id_number():
    assert redact("application 12345 of user 7, phone 13800138000") == \
        "application 12345 of user 7, phone 13800138000"
    assert redact("token: abc.def;") == "token: [hidden];"
