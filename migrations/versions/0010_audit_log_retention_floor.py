"""audit log retention floor, fixed in the database (PostgreSQL)

0005 let a DELETE through in any transaction that had set registry.audit_purge = 'on', and
any session may set a custom setting: whoever held the app's credentials could delete a row
of any age. Now the trigger function itself refuses to delete a row younger than 180 days
(MIN_RETENTION_DAYS in app/audit.py, the six months of 网络安全法 第二十一条), whatever a
session sets and whoever the session is; the purge of older rows (which still sets
registry.audit_purge, so that no DELETE happens by accident) keeps working. UPDATE and
TRUNCATE stay refused. The floor is a literal here, not a setting, because any setting can
be changed by the session it would guard against; changing it takes a new migration, run
by the owner role (README: "PostgreSQL in production: least privilege").

Only the owner of audit_log may replace this function or disable the trigger, which is why
the app must connect as another role (app/database_roles.py).

SQLite (development only) keeps the guard it had: none in the database. The app offers no
edit or delete of audit rows and `flask audit purge` keeps the same floor, but anyone who can
open the file can change it; production refuses SQLite.

Revision ID: 5e0f1b7c9a24
Revises: ff21cdea1784
Create Date: 2026-12-02 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e0f1b7c9a24'
down_revision = 'ff21cdea1784'
branch_labels = None
depends_on = None

# 180 days of 24 hours: an interval in hours does not depend on the session's time zone
# (an interval in days would move by an hour across a daylight saving change), and matches
# the purge's timedelta(days=180) exactly.
WITH_FLOOR = """
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.created_at < now() - interval '4320 hours' THEN
            IF coalesce(current_setting('registry.audit_purge', true), '') = 'on' THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit_log is append-only: DELETE refused outside the purge'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'audit_log is append-only: kept 180 days, DELETE of row % (%) refused',
                OLD.id, OLD.created_at
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
"""

# 0005's function, as it was.
WITHOUT_FLOOR = """
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE'
           AND coalesce(current_setting('registry.audit_purge', true), '') = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
"""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():
        op.execute(WITH_FLOOR)


def downgrade():
    if _postgresql():
        op.execute(WITHOUT_FLOOR)
