"""sign-in identities at OpenID Connect providers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 20:21:38

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('issuer', sa.String(length=300), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('access_withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_identity_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_identity')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_user_identity_issuer_subject'))
    )
    with op.batch_alter_table('user_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_identity_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('user_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_identity_user_id'))

    op.drop_table('user_identity')
