"""referrals from two municipalities that a lead checked and found to be two people (the "maybe referred twice"
warning is not shown for the pair again)

Revision ID: 0041_not_same_person
Revises: 0040_api_token_last_used
"""
from alembic import op
import sqlalchemy as sa

revision = "0041_not_same_person"
down_revision = "0040_api_token_last_used"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "not_same_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("other_referral_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("referral_id", "other_referral_id"),
    )
    op.create_index("ix_not_same_person_referral_id", "not_same_person", ["referral_id"])
    op.create_index("ix_not_same_person_other_referral_id", "not_same_person", ["other_referral_id"])


def downgrade():
    op.drop_index("ix_not_same_person_other_referral_id", table_name="not_same_person")
    op.drop_index("ix_not_same_person_referral_id", table_name="not_same_person")
    op.drop_table("not_same_person")
