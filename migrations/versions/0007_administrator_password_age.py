"""administrator password age: when the holder last chose the password

Revision ID: 2cfd3531e805
Revises: bb1932d242a2
Create Date: 2026-11-26 03:37:13.666306

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2cfd3531e805'
down_revision = 'bb1932d242a2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account_protection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('account_protection', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')

