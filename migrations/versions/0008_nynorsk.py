"""written language forms: the county's default and each municipality's choice

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 20:40:00

"""
from alembic import op
import sqlalchemy as sa

# Frozen copy of guidance.rules.language's reference choices at this revision.
COUNTY_DEFAULTS = {"46": "nn"}
MUNICIPALITY_DEFAULTS = {number: "nn" for number in (
    "4602", "4611", "4612", "4613", "4615", "4616", "4617", "4618", "4619", "4620", "4621", "4622",
    "4623", "4625", "4628", "4629", "4630", "4631", "4632", "4633", "4634", "4635", "4636", "4637",
    "4638", "4639", "4640", "4641", "4642", "4643", "4644", "4645", "4646", "4647", "4648", "4649",
    "4650", "4651",
)}


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language_form', sa.String(length=7), server_default='nb', nullable=False))
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language_form', sa.String(length=7), server_default='neutral', nullable=False))
    # Existing installations get the reference choices (Vestland and its nynorsk municipalities).
    county = sa.table('county', sa.column('number', sa.String), sa.column('language_form', sa.String))
    municipality = sa.table('municipality', sa.column('number', sa.String), sa.column('language_form', sa.String))
    for number, form in COUNTY_DEFAULTS.items():
        op.execute(county.update().where(county.c.number == number).values(language_form=form))
    for number, form in MUNICIPALITY_DEFAULTS.items():
        op.execute(municipality.update().where(municipality.c.number == number).values(language_form=form))


def downgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_column('language_form')
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.drop_column('language_form')
