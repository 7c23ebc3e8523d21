"""career centre contact: the phone number and e-mail address referrers and participants reach it on

Revision ID: 0031_centre_contact
Revises: 0030_absence_part_day
Create Date: 2026-12-06 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0031_centre_contact"
down_revision = "0030_absence_part_day"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("career_centre", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("career_centre", schema=None) as batch_op:
        batch_op.drop_column("email")
        batch_op.drop_column("phone")
