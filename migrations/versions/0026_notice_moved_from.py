"""the time a moved session had before the move, so that its notice says which session moved (a participant with three sessions)

Revision ID: 0026_notice_moved_from
Revises: 0025_late_cancel
Create Date: 2026-12-05 15:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0026_notice_moved_from"
down_revision = "0025_late_cancel"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("moved_from", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("moved_from")
