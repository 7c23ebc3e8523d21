"""interpreter arranged outside Veiled: who, how, the agreed price and a note, on one session

Revision ID: 0032_outside_interpreter
Revises: 0031_centre_contact
Create Date: 2026-12-07 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0032_outside_interpreter"
down_revision = "0031_centre_contact"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outside_interpreter", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("outside_interpreter_mode", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("outside_interpreter_price_ore", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outside_interpreter_note", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.drop_column("outside_interpreter_note")
        batch_op.drop_column("outside_interpreter_price_ore")
        batch_op.drop_column("outside_interpreter_mode")
        batch_op.drop_column("outside_interpreter")
