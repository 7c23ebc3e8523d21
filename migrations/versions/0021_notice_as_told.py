"""the time and place a notice tells of, when it is not the session's own (a session handed to another counsellor is cancelled for the first one at its old time)

Revision ID: 0021_notice_as_told
Revises: 0020_cancel_reason
Create Date: 2026-12-05 01:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0021_notice_as_told"
down_revision = "0020_cancel_reason"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("told_start", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("told_location_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_notice_told_location", "location", ["told_location_id"], ["id"])


def downgrade():
    with op.batch_alter_table("notice") as batch:
        batch.drop_constraint("fk_notice_told_location", type_="foreignkey")
        batch.drop_column("told_location_id")
        batch.drop_column("told_start")
