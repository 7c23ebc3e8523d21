"""a participant who can only come where the way in has no steps (a wheelchair, a walker): the planner books
them on site only at step-free locations

Revision ID: 0027_needs_step_free
Revises: 0026_notice_moved_from
Create Date: 2026-12-05 18:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0027_needs_step_free"
down_revision = "0026_notice_moved_from"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("needs_step_free", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("needs_step_free")
