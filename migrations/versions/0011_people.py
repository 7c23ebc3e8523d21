"""counsellor and interpreter profiles: training date, employment, register id, booking channel, active

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('counsellor_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('multicultural_completed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('employment_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('employment_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('interpreter_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('register_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('register_checked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('booking_channel', sa.String(length=16), server_default='direct', nullable=False))
        batch_op.add_column(sa.Column('agency_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('interpreter_profile', schema=None) as batch_op:
        batch_op.drop_column('active')
        batch_op.drop_column('agency_name')
        batch_op.drop_column('booking_channel')
        batch_op.drop_column('register_checked_on')
        batch_op.drop_column('register_id')
    with op.batch_alter_table('counsellor_profile', schema=None) as batch_op:
        batch_op.drop_column('active')
        batch_op.drop_column('employment_end')
        batch_op.drop_column('employment_start')
        batch_op.drop_column('multicultural_completed_on')
