"""PostgreSQL least privilege (issue 14, point 7): the migrations run as an owner role, the
app connects as a role that owns nothing and may only read and write rows, and the audit
trail keeps every row 180 days whoever asks (migration 0010). Real roles, created for this
module with unique names (roles are cluster-wide) and dropped at the end."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.pool import NullPool

from app import ConfigurationError, create_app
from app.extensions import db
from app.security import sync_roles
from tests import logins, people
from tests.conftest import PG_ADMIN_URL, FreshContextClient, _pg_admin, app_config
from tests.test_offline_and_errors import _production_certificate_settings

pytestmark = pytest.mark.backends("postgresql")

ASK = {"category": "initial", "subject": "最小权限", "question": "以应用角色提交的咨询？"}


@dataclass
class Roles:
    owner: str
    app: str
    owner_url: str
    app_url: str
    workdir: Path


def _url(role: str, database: str) -> str:
    url = sa.engine.make_url(PG_ADMIN_URL).set(username=role, database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def roles(backend, tmp_path_factory):
    """An owner role that owns a fresh database migrated to head, and an app role granted by
    `flask db grant-app-role`; the fixture accounts are created through the app role."""
    assert backend == "postgresql"  # @pytest.mark.backends("postgresql")
    tag = uuid.uuid4().hex[:8]
    owner, app_role, database = f"regtest_owner_{tag}", f"regtest_app_{tag}", f"regtest_{tag}_lp"
    workdir = tmp_path_factory.mktemp("least_privilege")
    try:  # whatever fails, the roles (cluster-wide) and the database go at the end
        _pg_admin(f'CREATE ROLE "{owner}" LOGIN')
        _pg_admin(f'CREATE ROLE "{app_role}" LOGIN')
        _pg_admin(f'CREATE DATABASE "{database}" OWNER "{owner}"')
        found = Roles(owner, app_role, _url(owner, database), _url(app_role, database), workdir)
        application = create_app({**app_config(found.app_url, workdir),
                                  "DATABASE_OWNER_URL": found.owner_url})
        with application.app_context():
            upgrade()
            granted = application.test_cli_runner().invoke(
                args=["db", "grant-app-role", app_role])
            assert granted.exit_code == 0, granted.output
            sync_roles(application.appbuilder)
            people.create_all(application)
            db.session.remove()
            db.engines[None].dispose()
        yield found
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        _pg_admin(f'DROP ROLE IF EXISTS "{app_role}"')
        _pg_admin(f'DROP ROLE IF EXISTS "{owner}"')


@pytest.fixture
def connect():
    """connect(url) -> a connection of its own (NullPool: nothing kept open afterwards)."""
    engines = []

    def _connect(url: str) -> sa.Connection:
        engines.append(sa.create_engine(url, poolclass=NullPool))
        return engines[-1].connect()

    yield _connect
    for engine in engines:
        engine.dispose()


def _audit_row(connection, days: int) -> int:
    """An audit row `days` old, added as the app does (INSERT only), committed."""
    row_id = connection.scalar(sa.text(
        "INSERT INTO audit_log (created_at, action, result) "
        "VALUES (now() - make_interval(days => :days), :action, 'success') RETURNING id"),
        {"days": days, "action": f"probe-{days}"})
    connection.commit()
    return row_id


def _exists(connection, row_id: int) -> bool:
    found = connection.scalar(sa.text("SELECT count(*) FROM audit_log WHERE id = :id"),
                              {"id": row_id})
    connection.commit()
    return found == 1


def _refused(connection, statement: str, message: str) -> None:
    with pytest.raises(sa.exc.DBAPIError, match=message):
        connection.execute(sa.text(statement))
    connection.rollback()


# ---------------------------------------------------------------- the app, as the app role
def test_the_app_works_as_the_app_role(roles):
    application = create_app(app_config(roles.app_url, roles.workdir))
    application.test_client_class = FreshContextClient
    with application.app_context():
        client = logins.logged_in_client(application, "prac_a")
        assert client.post("/myconsultationview/add", data=ASK).status_code == 302
        assert client.get("/myconsultationview/list/").status_code == 200
        asked = db.session.scalar(sa.text(
            "SELECT count(*) FROM consultation WHERE subject = :s"), {"s": ASK["subject"]})
        logged = db.session.scalar(sa.text(
            "SELECT count(*) FROM audit_log WHERE action = 'login' AND actor_name = 'prac_a'"))
        assert (asked, logged) == (1, 1)
        db.session.remove()
        db.engines[None].dispose()


def test_the_app_role_owns_nothing_and_the_owner_owns_everything(roles, connect):
    owner = connect(roles.owner_url)
    owners = owner.execute(sa.text("""
        SELECT pg_get_userbyid(c.relowner), count(*) FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' GROUP BY 1""")).all()
    assert owners == [(roles.owner, owners[0][1])] and owners[0][1] > 30
    owned_by_app = owner.scalar(sa.text("""
        SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)
             + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
             + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
             + (SELECT count(*) FROM pg_database WHERE datdba = r.oid)
          FROM pg_roles r WHERE rolname = :role"""), {"role": roles.app})
    assert owned_by_app == 0
    privileges = dict(owner.execute(sa.text("""
        SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type)
          FROM information_schema.role_table_grants WHERE grantee = :role GROUP BY 1"""),
        {"role": roles.app}).all())
    assert privileges["audit_log"] == "DELETE,INSERT,SELECT"
    assert privileges["application"] == "DELETE,INSERT,SELECT,UPDATE"
    assert "alembic_version" not in privileges
    assert set(privileges.values()) <= {"DELETE,INSERT,SELECT", "DELETE,INSERT,SELECT,UPDATE"}


def test_the_app_role_cannot_switch_the_audit_guard_off(roles, connect):
    app = connect(roles.app_url)
    young = _audit_row(app, 1)
    _refused(app, "SET LOCAL registry.audit_purge = 'on'; "
                  f"DELETE FROM audit_log WHERE id = {young}", "kept 180 days")
    for statement, message in [
        (f"UPDATE audit_log SET action = 'changed' WHERE id = {young}", "permission denied"),
        ("ALTER TABLE audit_log DISABLE TRIGGER ALL", "must be owner"),
        ("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", "must be owner"),
        ("TRUNCATE audit_log", "permission denied"),
        ("DROP TABLE audit_log", "must be owner"),
        ("CREATE TABLE audit_copy (id int)", "permission denied for schema public"),
        ("CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger "
         "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$", "permission denied for schema"),
        ("SET session_replication_role = replica", "permission denied"),  # triggers off
        ("ALTER TABLE ab_user ADD COLUMN spare int", "must be owner"),
        ("TRUNCATE ab_user CASCADE", "permission denied"),
    ]:
        _refused(app, statement, message)
    assert _exists(app, young)


def test_not_even_the_owner_deletes_a_row_younger_than_180_days(roles, connect):
    owner = connect(roles.owner_url)
    young = _audit_row(owner, 179)
    _refused(owner, "SET LOCAL registry.audit_purge = 'on'; "
                    f"DELETE FROM audit_log WHERE id = {young}", "kept 180 days")
    _refused(owner, "SET LOCAL registry.audit_purge = 'on'; "
                    f"UPDATE audit_log SET action = 'x' WHERE id = {young}", "append-only: UPDATE")
    assert _exists(owner, young)


# ---------------------------------------------------------------- the purge still works
@pytest.mark.parametrize("who", ["owner", "app"])
def test_the_purge_deletes_rows_older_than_the_retention_only(roles, connect, who):
    """`flask audit purge` as the owner, and as the app role (the daily cron needs no
    owner credentials: what the app role can delete is what the law allows to go)."""
    probe = connect(roles.app_url)
    old, kept = _audit_row(probe, 200), _audit_row(probe, 181)
    url = roles.owner_url if who == "owner" else roles.app_url
    application = create_app(app_config(url, roles.workdir))
    with application.app_context():
        result = application.test_cli_runner().invoke(args=["audit", "purge"])
        db.session.remove()
        db.engines[None].dispose()
    assert result.exit_code == 0, result.output
    assert not _exists(probe, old) and _exists(probe, kept)  # 181 days < the 183 kept


def test_a_purge_ahead_of_the_database_clock_deletes_only_what_the_floor_allows(roles, connect):
    from app.audit import purge

    probe = connect(roles.app_url)
    old, young = _audit_row(probe, 200), _audit_row(probe, 175)
    application = create_app(app_config(roles.app_url, roles.workdir))
    with application.app_context():
        # The app's clock ten days ahead: its cutoff (170 days ago) would include the young row.
        purge(180, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=10))
        db.session.remove()
        db.engines[None].dispose()
    assert not _exists(probe, old) and _exists(probe, young)


# ---------------------------------------------------------------- the grant and production
def test_the_grant_refuses_a_role_that_owns_or_can_do_too_much(roles):
    application = create_app({**app_config(roles.app_url, roles.workdir),
                              "DATABASE_OWNER_URL": roles.owner_url})
    runner = application.test_cli_runner()
    for role, problem in [(roles.owner, "拥有"), ("postgres", "超级用户"),
                          (f"nobody_{uuid.uuid4().hex[:6]}", "不存在")]:
        result = runner.invoke(args=["db", "grant-app-role", role])
        assert result.exit_code == 1 and role in result.output, result.output
        assert problem in result.output and "Traceback" not in result.output
    again = runner.invoke(args=["db", "grant-app-role", roles.app])
    assert again.exit_code == 0 and "audit_log" in again.output  # running it again is harmless


def test_production_refuses_to_connect_as_the_owner(roles, tmp_path):
    production = {"PRODUCTION": True, "SECRET_KEY": "x" * 40,
                  **_production_certificate_settings(tmp_path)}
    with pytest.raises(ConfigurationError, match=roles.owner):
        create_app({**production, "SQLALCHEMY_DATABASE_URI": roles.owner_url})
    with pytest.raises(ConfigurationError, match="postgres"):
        create_app({**production, "SQLALCHEMY_DATABASE_URI": _url("postgres", "postgres")})
    assert create_app({**production, "SQLALCHEMY_DATABASE_URI": roles.app_url})
