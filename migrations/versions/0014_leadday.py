"""minimum notice before the first new session of a published plan, per county

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publish_notice_days', sa.Integer(), server_default='3', nullable=False))


def downgrade():
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.drop_column('publish_notice_days')
