"""the request id on audit rows (issue 18): an audit row, the app's log lines and the access
log line of one request carry the same id

Revision ID: 0014_audit_request_id
Revises: 0013_list_page_indexes
Create Date: 2026-12-07 23:30:00

A new nullable column: the append-only trigger on audit_log (0005, 0010) refuses UPDATE and
DELETE of rows, not a column added by the owner; old rows keep NULL.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014_audit_request_id'
down_revision = '0013_list_page_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
        batch.create_index('ix_audit_log_request_id', ['request_id'])


def downgrade():
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_index('ix_audit_log_request_id')
        batch.drop_column('request_id')
