"""a password someone else chose (an administrator, a one-time password): its user chooses their own first

Revision ID: 0035_password_set_by_other
Revises: 0034_landline_grouping
"""
from alembic import op
import sqlalchemy as sa


revision = "0035_password_set_by_other"
down_revision = "0034_landline_grouping"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_set_by_other", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("password_set_by_other")
