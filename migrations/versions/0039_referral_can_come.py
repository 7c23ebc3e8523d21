"""when the participant can come, as the referrer knows it at intake: the weekdays and the part of the day (a
language course in the mornings, a child to fetch at two); the planner keeps to it

Revision ID: 0039_referral_can_come
Revises: 0038_letter_printed
"""
from alembic import op
import sqlalchemy as sa


revision = "0039_referral_can_come"
down_revision = "0038_letter_printed"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("can_come_weekdays", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("can_come_part", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("can_come_part")
        batch.drop_column("can_come_weekdays")
