"""a counsellor's video meeting link, sent with their video sessions

Revision ID: 0019_video_link
Revises: 0018_totp
Create Date: 2026-12-04 16:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0019_video_link"
down_revision = "0018_totp"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("counsellor_profile") as batch:
        batch.add_column(sa.Column("video_link", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("counsellor_profile") as batch:
        batch.drop_column("video_link")
