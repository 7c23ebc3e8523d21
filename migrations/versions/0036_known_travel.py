"""a county's known travel times: journeys the straight-line rule gets wrong (a ferry), one way in minutes

Revision ID: 0036_known_travel
Revises: 0035_password_set_by_other
"""
from alembic import op
import sqlalchemy as sa


revision = "0036_known_travel"
down_revision = "0035_password_set_by_other"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("county", schema=None) as batch_op:
        batch_op.add_column(sa.Column("known_travel", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("county", schema=None) as batch_op:
        batch_op.drop_column("known_travel")
