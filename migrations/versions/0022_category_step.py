"""a county's price of interpreter qualification: how much more a plan may pay, per session, for an interpreter one register category better

Revision ID: 0022_category_step
Revises: 0021_notice_as_told
Create Date: 2026-12-05 09:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0022_category_step"
down_revision = "0021_notice_as_told"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("county") as batch:
        batch.add_column(sa.Column("category_step_nok", sa.Integer(), nullable=False, server_default="250"))


def downgrade():
    with op.batch_alter_table("county") as batch:
        batch.drop_column("category_step_nok")
