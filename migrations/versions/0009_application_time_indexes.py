"""index application submission and decision times for the dashboards

Revision ID: b7f29b093f84
Revises: 654deaaf1080
Create Date: 2026-11-26 05:42:23.916467

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7f29b093f84'
down_revision = '654deaaf1080'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_submitted_at'), ['submitted_at'], unique=False)



def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_application_decided_at'))

