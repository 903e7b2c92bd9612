"""placeholder e-mail addresses without ID numbers

Self-registered accounts got the placeholder `<ID number or user name>@users.invalid` as
their FAB e-mail (unique and non-null there), so an ID number could travel to a mail relay.
Every such placeholder becomes `account-<user id>@users.invalid`: still unique, still under
.invalid (never mailed, app/notifications.deliverable), and it carries nothing about the
person. New accounts get a random placeholder (app/accounts/signup_views.placeholder_email).

Downgrade keeps the new addresses: the old ones put ID numbers where they do not belong.

Revision ID: 3c8d5e1a7b42
Revises: 7f3e2a9c0b11
Create Date: 2026-12-02 19:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3c8d5e1a7b42'
down_revision = '7f3e2a9c0b11'
branch_labels = None
depends_on = None


def upgrade():
    # String concatenation with || and an integer works on both PostgreSQL and SQLite.
    op.execute("UPDATE ab_user SET email = 'account-' || CAST(id AS VARCHAR(20)) || "
               "'@users.invalid' WHERE lower(email) LIKE '%@users.invalid'")


def downgrade():
    pass
