"""indexes for the queues and lists: deadline, state with deadline, type, qualification, status

Revision ID: 0013_list_page_indexes
Revises: 3c8d5e1a7b42
Create Date: 2026-12-03 11:40:00

The queues sort one state by deadline; at provincial scale (1,000,000 applications) that
was a sort of every row of the state for each page (issue 16).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_list_page_indexes'
down_revision = '3c8d5e1a7b42'
branch_labels = None
depends_on = None

INDEXES = [
    ('application', 'ix_application_deadline', ['deadline']),
    ('application', 'ix_application_state_deadline', ['state', 'deadline', 'id']),
    ('application', 'ix_application_app_type', ['app_type']),
    ('application', 'ix_application_qualification_id', ['qualification_id']),
    ('registration', 'ix_registration_qualification_id', ['qualification_id']),
    ('registration', 'ix_registration_status', ['status']),
]


# 全部申请 lists every submitted application newest first: a deep page's keys come from
# this index alone, without reading each row for its state.
SUBMITTED = sa.text("state <> 'draft'")


def upgrade():
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.create_index('ix_application_submitted_id', 'application', ['id'], unique=False,
                    sqlite_where=SUBMITTED, postgresql_where=SUBMITTED)


def downgrade():
    op.drop_index('ix_application_submitted_id', table_name='application')
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
