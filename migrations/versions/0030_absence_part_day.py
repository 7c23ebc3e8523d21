"""part-day absences: the hours of one day a counsellor or interpreter is away (UTC instants)

Revision ID: 0030_absence_part_day
Revises: 0029_participant_to_tell
Create Date: 2026-12-05 23:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0030_absence_part_day"
down_revision = "0029_participant_to_tell"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("away_from", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("away_until", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.drop_column("away_until")
        batch_op.drop_column("away_from")
