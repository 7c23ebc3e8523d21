"""user's last visit to their home page (the lead's "new since your last visit")

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_home_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('home_new_since', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('home_new_since')
        batch_op.drop_column('last_seen_home_at')
