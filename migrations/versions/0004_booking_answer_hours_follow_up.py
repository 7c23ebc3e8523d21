"""interpreter answer time per county, follow-up referrals

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_answer_hours', sa.Integer(), server_default='48', nullable=False))

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_referral_follow_up_of_id'), ['follow_up_of_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_referral_follow_up_of_id_referral'), 'referral', ['follow_up_of_id'], ['id'])


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_referral_follow_up_of_id_referral'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_referral_follow_up_of_id'))
        batch_op.drop_column('follow_up_of_id')

    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.drop_column('booking_answer_hours')
