"""when an API token was last used: which token is live, and which an administrator can revoke without stopping
a case system

Revision ID: 0040_api_token_last_used
Revises: 0039_referral_can_come
"""
from alembic import op
import sqlalchemy as sa


revision = "0040_api_token_last_used"
down_revision = "0039_referral_can_come"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("last_used_at")
