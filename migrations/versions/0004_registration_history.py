"""registration history (注册轨迹): one row per change of a registration

Revision ID: 7789c3a843e1
Revises: f53ad1c23dde
Create Date: 2026-11-26 01:52:08.830591

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7789c3a843e1'
down_revision = 'f53ad1c23dde'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('initial', 're_registration', 'change', 'renewal', 'add_specialty', 'correction', 'cancellation', 'lapse', name=None, native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('specialties', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('registration_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_event_registration_id'), ['registration_id'], unique=False)


def downgrade():
    with op.batch_alter_table('registration_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_event_registration_id'))

    op.drop_table('registration_event')
