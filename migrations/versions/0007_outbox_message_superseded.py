"""outbox message superseded by a newer one about the same calendar event

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_superseded_by_id_outbox_message'),
                                    'outbox_message', ['superseded_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_superseded_by_id_outbox_message'), type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
