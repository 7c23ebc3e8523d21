"""referral: temporary-act window and the API idempotency fingerprint

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('idempotency_fingerprint', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('idempotency_fingerprint')
        batch_op.drop_column('window_months')
