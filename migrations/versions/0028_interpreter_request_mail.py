"""how an interpreter wants new requests by e-mail: one invitation per request ("each"), or one summary per
publication ("summary"), with accepted assignments in their calendar subscription

Revision ID: 0028_interpreter_request_mail
Revises: 0027_needs_step_free
Create Date: 2026-12-05 18:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0028_interpreter_request_mail"
down_revision = "0027_needs_step_free"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("interpreter_profile") as batch:
        batch.add_column(sa.Column("request_mail", sa.String(16), nullable=False, server_default="each"))


def downgrade():
    with op.batch_alter_table("interpreter_profile") as batch:
        batch.drop_column("request_mail")
