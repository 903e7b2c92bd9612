"""/healthz and /readyz answer without a login and say nothing but their status: ready only
with the database reachable, its schema at the migrations' head, and Redis answering when
it is configured."""
import pytest

from app import create_app
from tests.conftest import app_config


def test_both_answer_without_a_login_and_say_only_their_status(app, client):
    for path, status in (("/healthz", "ok"), ("/readyz", "ready")):
        answer = client.get(path)
        assert (answer.status_code, answer.get_json()) == (200, {"status": status})
        assert answer.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in answer.headers


def _readyz(app):
    with app.app_context():
        return app.test_client().get("/readyz")


@pytest.mark.parametrize("url", ["postgresql+psycopg2://nobody@127.0.0.1:9/none",
                                 "sqlite:////nonexistent/folder/x.db"])
def test_not_ready_without_the_database_but_still_alive(tmp_path, url):
    app = create_app(app_config(url, tmp_path))
    answer = _readyz(app)
    assert (answer.status_code, answer.get_json()) == (503, {"status": "unavailable"})
    with app.app_context():
        assert app.test_client().get("/healthz").status_code == 200


def test_not_ready_before_the_migrations_ran(tmp_path):
    (tmp_path / "empty.db").touch()
    app = create_app(app_config(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path))
    assert _readyz(app).status_code == 503


def test_not_ready_when_the_configured_redis_does_not_answer(app, client, caplog):
    from app.operations.queue import _connection

    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"
    try:
        assert client.get("/readyz").status_code == 503
    finally:
        _connection.cache_clear()
    assert "not ready: redis" in caplog.text


def test_ready_with_redis(queued_app, client):
    assert client.get("/readyz").status_code == 200
