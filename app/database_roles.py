"""PostgreSQL least privilege: the app's own role reads and writes rows, and nothing else.

The owner role (DATABASE_OWNER_URL) owns the tables and runs the migrations; only an owner
may ALTER a table, disable or replace its triggers, or DROP it, so an app role that owns
nothing cannot switch off the audit trail's guard (migration 0010). `grant_app_role` is what
`flask db grant-app-role ROLE` runs as the owner; `role_problems` says why a role is unfit to
be the app's, and production refuses to start when its own connection is such a role
(app/__init__.py). README: "PostgreSQL in production: least privilege"."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from .extensions import db

# What the app does with rows; no TRUNCATE, REFERENCES or TRIGGER, and nothing on tables
# the app does not use.
ROW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# The audit trail is added to and purged (migration 0010 refuses any row younger than 180
# days), never changed: the trigger refuses UPDATE, and it is not granted either.
AUDIT_PRIVILEGES = "SELECT, INSERT, DELETE"
NOT_FOR_THE_APP = ("alembic_version",)  # the migrations' bookkeeping, the owner's alone


class GrantRefused(Exception):
    pass


@dataclass
class Grant:
    role: str
    tables: int
    sequences: int


# ---------------------------------------------------------------- what makes a role unfit
_ROLE_FACTS = sa.text("""
    SELECT r.rolsuper AS superuser,
           r.rolcreaterole AS creates_roles,
           pg_has_role(r.oid, d.datdba, 'MEMBER') AS owns_database,
           (SELECT count(*) FROM pg_class c
             WHERE c.relowner = r.oid AND c.relpersistence <> 't') AS relations,
           (SELECT count(*) FROM pg_namespace n WHERE n.nspowner = r.oid) AS schemas,
           (SELECT count(*) FROM pg_proc p WHERE p.proowner = r.oid) AS functions,
           coalesce((SELECT pg_has_role(r.oid, c.relowner, 'MEMBER') FROM pg_class c
                      WHERE c.oid = to_regclass('audit_log')), false) AS acts_as_owner,
           has_schema_privilege(r.oid, current_schema(), 'CREATE') AS creates_tables,
           has_database_privilege(r.oid, current_database(), 'CREATE') AS creates_schemas
      FROM pg_roles r JOIN pg_database d ON d.datname = current_database()
     WHERE r.rolname = :role
""")


def role_problems(connection: Connection, role: str) -> list[str]:
    """Why `role` may not be the app's role in this database: [] when it owns nothing and
    can create nothing. A superuser or a member of the owner can do anything an owner can."""
    facts = connection.execute(_ROLE_FACTS, {"role": role}).mappings().first()
    if facts is None:
        return [_("the role %(role)s does not exist", role=role)]
    problems = []
    if facts["superuser"]:
        problems.append(_("%(role)s is a superuser", role=role))
    if facts["creates_roles"]:
        problems.append(_("%(role)s may create roles (CREATEROLE)", role=role))
    if facts["owns_database"] or facts["acts_as_owner"]:
        problems.append(_("%(role)s owns the database or its tables, or is a member of their "
                          "owner", role=role))
    owned = facts["relations"] + facts["schemas"] + facts["functions"]
    if owned:
        problems.append(_("%(role)s owns %(n)s tables, schemas or functions", role=role, n=owned))
    if facts["creates_tables"] or facts["creates_schemas"]:
        problems.append(_("%(role)s may create tables or schemas", role=role))
    return problems


def startup_problems(app) -> list[str]:
    """In production: what is wrong with the role the app connects as (DATABASE_URL). A
    database that cannot be reached is only logged: the app cannot work then anyway, and
    the check runs again at the next start."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "postgresql":
        return []
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            role = connection.scalar(sa.text("SELECT current_user"))
            with app.app_context():
                return role_problems(connection, role)
    except sa.exc.OperationalError as error:
        app.logger.warning("database role not checked: %s", str(error).splitlines()[0])
        return []
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the grant
def grant_app_role(app, role: str) -> Grant:
    """As the owner of the tables, give `role` exactly the row privileges the app needs
    (revoking anything else granted earlier), now and on the tables later migrations add.
    Refused, with nothing changed, when the role is unfit or the connection is not the
    owner's. Running it again changes nothing."""
    url = app.config.get("DATABASE_OWNER_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
    engine = sa.create_engine(url, poolclass=NullPool)
    if engine.dialect.name != "postgresql":
        raise GrantRefused(_("Database roles exist on PostgreSQL only."))
    try:
        with engine.begin() as connection:
            return _grant(connection, role)
    finally:
        engine.dispose()


def _grant(connection: Connection, role: str) -> Grant:
    if connection.scalar(sa.text("SELECT to_regrole(:role)"), {"role": role}) is None:
        raise GrantRefused(_("the role %(role)s does not exist", role=role))
    if not connection.scalar(sa.text(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
            "WHERE oid = to_regclass('audit_log')")):
        raise GrantRefused(_("Run this as the owner of the tables (DATABASE_OWNER_URL), after "
                             "flask db upgrade."))
    quote = connection.dialect.identifier_preparer.quote
    who, schema = quote(role), quote(connection.scalar(sa.text("SELECT current_schema()")))
    database = quote(connection.scalar(sa.text("SELECT current_database()")))
    for statement in (
        f"GRANT CONNECT ON DATABASE {database} TO {who}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",  # PostgreSQL 15's default already
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"GRANT {ROW_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {who}",
        f"REVOKE ALL ON audit_log FROM {who}",
        f"GRANT {AUDIT_PRIVILEGES} ON audit_log TO {who}",
        *(f"REVOKE ALL ON {quote(table)} FROM {who}" for table in NOT_FOR_THE_APP),
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",  # nextval, not setval
        # Tables and sequences that later migrations create (as this owner) come with the
        # same row privileges, so that the app keeps working until this is run again.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {ROW_PRIVILEGES} ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE ON SEQUENCES TO {who}",
    ):
        connection.execute(sa.text(statement))
    # Checked once granted, so that what the grant fixes (PUBLIC's CREATE on the schema)
    # is not held against the role; a refusal rolls all of it back.
    problems = role_problems(connection, role)
    if problems:
        raise GrantRefused(_("%(role)s cannot be the app's role: %(problems)s.", role=role,
                             problems="; ".join(problems)))
    tables, sequences = connection.execute(sa.text("""
        SELECT count(*) FILTER (WHERE relkind IN ('r', 'p')
                                  AND has_table_privilege(:role, oid, 'SELECT')),
               count(*) FILTER (WHERE relkind = 'S'
                                  AND has_sequence_privilege(:role, oid, 'USAGE'))
          FROM pg_class WHERE relnamespace = current_schema()::regnamespace
    """), {"role": role}).one()
    return Grant(role, tables=tables, sequences=sequences)
