"""outbox delivery state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_sent_at'), ['sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_sent_at'))
        batch_op.drop_column('locked_until')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
