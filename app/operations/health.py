"""/healthz and /readyz for the load balancer: no login, no session, nothing revealed but
whether the process answers and whether it can serve. Why it cannot is logged, not said.

/readyz: the database answers, its schema is at the migrations' head (a host started before
`flask db upgrade` ran, or after a newer release migrated, must not take traffic), and, when
REDIS_URL is set, Redis answers and the queue exists."""
from __future__ import annotations

from functools import cache

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db
from .queue import connection

blueprint = Blueprint("health", __name__)


@cache
def migration_heads(directory: str) -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _answer(status: str, code: int):
    response = jsonify(status=status)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/healthz")
def healthz():
    return _answer("ok", 200)


@blueprint.get("/readyz")
def readyz():
    problem = _not_ready_because()
    if problem:
        current_app.logger.warning("not ready: %s", problem)
        return _answer("unavailable", 503)
    return _answer("ready", 200)


def _not_ready_because() -> str | None:
    try:
        revisions = {row[0] for row in db.session.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception as error:  # noqa: BLE001 - any failure means: not ready
        db.session.rollback()
        return f"database: {type(error).__name__}"
    finally:
        db.session.close()  # a broken connection goes back to the pool, which discards it
    heads = migration_heads(current_app.extensions["migrate"].directory)
    if revisions != heads:
        return f"database schema at {sorted(revisions)}, migrations at {sorted(heads)}"
    redis = connection()
    if redis is not None:
        try:
            redis.ping()
        except Exception as error:  # noqa: BLE001
            return f"redis: {type(error).__name__}"
    return None


def register(app) -> None:
    app.register_blueprint(blueprint)
