"""indexes for the dashboards and the unread count; when an e-mail copy was claimed

Revision ID: ff21cdea1784
Revises: 654deaaf1080
Create Date: 2026-11-26 06:21:08.420561

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ff21cdea1784'
down_revision = '654deaaf1080'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_submitted_at'), ['submitted_at'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_notification_unread', ['user_id', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_unread')
        batch_op.drop_column('email_claimed_at')

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_application_decided_at'))

