"""a county's term for interpreters' late cancellations: an accepted booking cancelled less than this many hours before the session is paid for the booked time

Revision ID: 0025_late_cancel
Revises: 0024_repair_only
Create Date: 2026-12-05 12:40:00

"""
import sqlalchemy as sa
from alembic import op



# revision identifiers, used by Alembic.
revision = "0025_late_cancel"
down_revision = "0024_repair_only"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("county") as batch:
        batch.add_column(sa.Column("interpreter_late_cancel_hours", sa.Integer(), nullable=False, server_default="48"))


def downgrade():
    with op.batch_alter_table("county") as batch:
        batch.drop_column("interpreter_late_cancel_hours")
