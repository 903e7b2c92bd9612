"""notifications e-mail state, reminders sent once, FAQ text of consultations

Revision ID: 654deaaf1080
Revises: 2cfd3531e805
Create Date: 2026-11-26 04:53:57.792874

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '654deaaf1080'
down_revision = '2cfd3531e805'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'object_type', 'object_id', 'due_on', name='uq_reminder_once')
    )
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('faq_question', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('faq_answer', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=40), nullable=False, server_default='message'))
        batch_op.add_column(sa.Column('email_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('email_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_notification_email_state'), ['email_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_kind'), ['kind'], unique=False)



def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_kind'))
        batch_op.drop_index(batch_op.f('ix_notification_email_state'))
        batch_op.drop_column('email_attempts')
        batch_op.drop_column('email_state')
        batch_op.drop_column('kind')

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('published_at')
        batch_op.drop_column('faq_answer')
        batch_op.drop_column('faq_question')

    op.drop_table('reminder_sent')
