"""audit log append-only guard (PostgreSQL)

The application never changes or deletes an audit row; this makes the database refuse it
too, for anyone holding the application's credentials. Only the retention purge
(`flask audit purge`) may delete, and only after it says so in its own transaction with
SET LOCAL registry.audit_purge = 'on'. UPDATE and TRUNCATE are always refused.

SQLite has no such triggers worth the name and is for development only: skipped there.

Revision ID: a1c6d56b1412
Revises: 7789c3a843e1
Create Date: 2026-11-26 03:01:58.274465

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a1c6d56b1412'
down_revision = '7789c3a843e1'
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _postgresql():
        return
    op.execute("""
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE'
               AND coalesce(current_setting('registry.audit_purge', true), '') = 'on' THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER audit_log_append_only
        BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
    """)
    op.execute("""
        CREATE TRIGGER audit_log_no_truncate
        BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
    """)


def downgrade():
    if not _postgresql():
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
