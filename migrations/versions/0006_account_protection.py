"""account protection: login lock, session version, forced password change (one row per account)

Revision ID: bb1932d242a2
Revises: a1c6d56b1412
Create Date: 2026-11-26 02:58:18.353757

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bb1932d242a2'
down_revision = 'a1c6d56b1412'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_protection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )


def downgrade():
    op.drop_table('account_protection')
