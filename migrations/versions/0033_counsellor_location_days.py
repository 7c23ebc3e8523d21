"""the weekdays a counsellor is at each of their locations ("Tuesdays in Voss"): location id -> ISO weekdays,
empty for every working day at every location

Revision ID: 0033_counsellor_location_days
Revises: 0032_outside_interpreter
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0033_counsellor_location_days"
down_revision = "0032_outside_interpreter"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("counsellor_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_days", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    with op.batch_alter_table("counsellor_profile", schema=None) as batch_op:
        batch_op.drop_column("location_days")
