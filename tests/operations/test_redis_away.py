"""A Redis that does not answer (a closed port) costs the user nothing but the queue: the
rate limits count in each process, e-mail copies are sent by the request, a large roster is
checked in the request, a large batch is printed in the request when it may be. Never a 500."""
from app import create_app
from app.operations.queue import _connection
from tests.conftest import app_config
from tests.registry.test_roster_import import ROWS, count_in, csv_bytes, upload
from tests.workflow_support import make_certificate_holder

AWAY = "redis://127.0.0.1:9/0"


def test_logins_are_still_limited_per_process_when_redis_is_away(backend_db):
    manager, template = backend_db
    url = manager.copy_url(template, "limits_away")
    app = create_app({**app_config(url, manager.workdir), "RATELIMIT_STORAGE_URI": AWAY,
                      "AUTH_RATE_LIMIT": "3 per minute"})
    try:
        with app.app_context():
            client = app.test_client()
            codes = [client.post("/login/", data={"username": "prac_a", "password": "x"}
                                 ).status_code for _ in range(5)]
            assert 500 not in codes and codes.count(429) == 2, codes  # the memory fallback
            from app.extensions import db

            db.session.remove()
            db.engines[None].dispose()
    finally:
        manager.drop(url)


def test_a_large_roster_is_checked_in_the_request_when_redis_is_away(app, login):
    app.config.update(REDIS_URL=AWAY, ROSTER_QUEUE_BYTES=100)
    try:
        answer = upload(login("reviewer"), csv_bytes(ROWS), "名单.csv")
        assert answer.status_code == 200 and count_in(answer.get_data(as_text=True), "new") == 4
    finally:
        _connection.cache_clear()


def test_a_large_batch_is_printed_in_the_request_when_redis_is_away(app, login):
    holders = [make_certificate_holder(app, login, f"away{n}") for n in range(6)]
    app.config["REDIS_URL"] = AWAY
    try:
        answer = login("ent_a").post("/enterpriseregistrationview/action_post", data={
            "action": "batch_print", "rowid": [str(r.id) for _p, r in holders]})
        assert answer.status_code == 200 and answer.mimetype == "application/zip"
    finally:
        _connection.cache_clear()
