"""Test fixtures: every test runs against a real database, SQLite always and PostgreSQL when
reachable (required with CI=true). A template database is migrated once per backend with
the real migrations, the roles synced and one account per role created; each test then
gets its own copy (a file copy for SQLite, CREATE DATABASE … TEMPLATE for PostgreSQL)."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests import logins, people

# The live_server fixture (a real threaded server) for any test.
pytest_plugins = ["tests.live_server", "tests.redis_support"]

PG_ADMIN_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _postgres_reachable() -> str | None:
    """None when reachable, else the reason."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: not usable here
        return str(exc).splitlines()[0]


def pytest_configure(config):
    config.pg_problem = _postgres_reachable()
    if config.pg_problem and IN_CI:
        raise pytest.UsageError(
            f"CI=true but PostgreSQL is not reachable at {PG_ADMIN_URL}: {config.pg_problem}"
        )


def pytest_report_header(config):
    if config.pg_problem:
        return f"PostgreSQL: not reachable ({config.pg_problem}); PostgreSQL tests skipped"
    return f"PostgreSQL: {PG_ADMIN_URL.rsplit('@', 1)[-1]}"


def backends(config) -> list[str]:
    return ["sqlite"] if config.pg_problem else ["sqlite", "postgresql"]


def pytest_collection_modifyitems(config, items):
    """The browser suite last: the slowest, and it judges the whole rather than a part."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("backends")
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _backends_of(metafunc.config, marker), scope="session")
    elif marker:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: @pytest.mark.backends needs "
                                "the backend fixture")


def _backends_of(config, marker) -> list:
    """All reachable backends, or those @pytest.mark.backends("postgresql") names. A named
    backend that is not reachable is skipped, which CI=true never allows: pytest_configure
    has already stopped the run then."""
    if marker is None:
        return backends(config)
    unknown = set(marker.args) - {"sqlite", "postgresql"}
    if unknown or not marker.args:
        raise pytest.UsageError(f"@pytest.mark.backends: unknown or no backend {sorted(unknown)}")
    return [name if name in backends(config) else pytest.param(
                name, marks=pytest.mark.skip(reason=f"PostgreSQL: {config.pg_problem}"))
            for name in marker.args]


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def _pg_admin(sql: str) -> None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(sql))
    engine.dispose()


def app_config(url: str, instance: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "DEMO_ACCOUNTS_FILE": instance / "demo-accounts.txt",
        "SERVER_NAME": "localhost",
        # Tests log in many times from one address; tests of the limits lower them.
        "AUTH_RATE_LIMIT": "10000 per minute",
        "SIGNUP_RATE_LIMIT": "10000 per minute",
    }


class Backend:
    """Creates empty databases and per-test copies of the migrated template."""

    def __init__(self, kind: str, workdir: Path):
        self.kind = kind
        self.workdir = workdir
        self.tag = uuid.uuid4().hex[:8]
        self.created: list[str] = []

    def empty_url(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.db')}"
        db_name = f"regtest_{self.tag}_{name}"
        _pg_admin(f'CREATE DATABASE "{db_name}"')
        self.created.append(db_name)
        return _pg_url(db_name)

    def copy_url(self, template_url: str, name: str) -> str:
        if self.kind == "sqlite":
            target = self.workdir / (name + ".db")
            shutil.copyfile(template_url.removeprefix("sqlite:///"), target)
            return f"sqlite:///{target}"
        db_name = f"regtest_{self.tag}_{name}"
        template = template_url.rsplit("/", 1)[1]
        _pg_admin(f'CREATE DATABASE "{db_name}" TEMPLATE "{template}"')
        self.created.append(db_name)
        return _pg_url(db_name)

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        db_name = url.rsplit("/", 1)[1]
        _pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        self.created.remove(db_name)

    def cleanup(self) -> None:
        for db_name in list(self.created):
            _pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production. Without this, a request
    would reuse the context the test pushed, sharing `g` (and so flask-login's cached user
    and the database session) between requests and between clients."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def backend_db(backend, tmp_path_factory):
    """(Backend, url of the migrated template with the role fixtures' accounts)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.security import sync_roles

    workdir = tmp_path_factory.mktemp(backend)
    manager = Backend(backend, workdir)
    url = manager.empty_url("template")
    app = create_app(app_config(url, workdir))
    with app.app_context():
        upgrade()
        sync_roles(app.appbuilder)
        people.create_all(app)
        db.session.remove()
        db.engines[None].dispose()
    yield manager, url
    manager.cleanup()


@pytest.fixture
def app(backend_db, request):
    from app import create_app
    from app.extensions import db

    manager, template_url = backend_db
    url = manager.copy_url(template_url, f"t{uuid.uuid4().hex[:10]}")
    application = create_app(app_config(url, manager.workdir))
    application.test_client_class = FreshContextClient
    ctx = application.app_context()
    ctx.push()
    yield application
    db.session.remove()
    db.engines[None].dispose()
    ctx.pop()
    manager.drop(url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(app):
    """login(username) -> a test client signed in as that fixture account (tests/logins.py)."""

    def _login(username: str):
        return logins.logged_in_client(app, username)

    return _login
