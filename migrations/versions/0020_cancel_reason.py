"""why a session was cancelled, so later plans keep a counsellor or interpreter who could not hold it free then

Revision ID: 0020_cancel_reason
Revises: 0019_video_link
Create Date: 2026-12-05 01:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0020_cancel_reason"
down_revision = "0019_video_link"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("session") as batch:
        batch.add_column(sa.Column("cancel_reason", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("session") as batch:
        batch.drop_column("cancel_reason")
