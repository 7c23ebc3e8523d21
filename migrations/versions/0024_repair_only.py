"""a planning run that repairs the published plan only (the re-plan after an absence or a change books nobody from the queue)

Revision ID: 0024_repair_only
Revises: 0023_cannot_come
Create Date: 2026-12-05 12:50:00

"""
import sqlalchemy as sa
from alembic import op



# revision identifiers, used by Alembic.
revision = "0024_repair_only"
down_revision = "0023_cannot_come"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("planning_run") as batch:
        batch.add_column(sa.Column("repair_only", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("planning_run") as batch:
        batch.drop_column("repair_only")
