"""a referrer's word that a participant cannot come to a booked session (it waits on the lead's home)

Revision ID: 0023_cannot_come
Revises: 0022_category_step
Create Date: 2026-12-05 10:20:00

"""
import sqlalchemy as sa
from alembic import op



# revision identifiers, used by Alembic.
revision = "0023_cannot_come"
down_revision = "0022_category_step"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cannot_come",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("session.id"), nullable=False),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referral.id"), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("session_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cannot_come_session_id", "cannot_come", ["session_id"])
    op.create_index("ix_cannot_come_referral_id", "cannot_come", ["referral_id"])


def downgrade():
    op.drop_index("ix_cannot_come_referral_id", table_name="cannot_come")
    op.drop_index("ix_cannot_come_session_id", table_name="cannot_come")
    op.drop_table("cannot_come")
