"""the letters a municipality's referrer has downloaded, per participant and session as its time stood: the
referrer prints only the letters not printed yet (a settlement wave's new bookings, a moved session's new time)

Revision ID: 0038_letter_printed
Revises: 0037_to_tell_previous_start
"""
from alembic import op
import sqlalchemy as sa


revision = "0038_letter_printed"
down_revision = "0037_to_tell_previous_start"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "letter_printed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("session_uid", sa.String(length=64), nullable=False),
        sa.Column("session_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("printed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["printed_by_id"], ["user.id"], name=op.f("fk_letter_printed_printed_by_id_user")),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_letter_printed_referral_id_referral")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_printed")),
    )
    op.create_index("ix_letter_printed_referral_session", "letter_printed", ["referral_id", "session_uid"])


def downgrade():
    op.drop_index("ix_letter_printed_referral_session", table_name="letter_printed")
    op.drop_table("letter_printed")
