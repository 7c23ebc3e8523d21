"""the time a participant to tell was told before (a move's old start): moved away from a time sooner than a
letter reaches them, they are told by phone

Revision ID: 0037_to_tell_previous_start
Revises: 0036_known_travel
"""
from alembic import op
import sqlalchemy as sa


revision = "0037_to_tell_previous_start"
down_revision = "0036_known_travel"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participant_to_tell", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_start", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("participant_to_tell", schema=None) as batch_op:
        batch_op.drop_column("previous_start")
