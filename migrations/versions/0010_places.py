"""centre set-up: county settings, location address and weekly hours, outreach pattern, room active

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WEEKDAYS = ('1', '2', '3', '4', '5')


def upgrade():
    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.add_column(sa.Column('individual_minutes', sa.Integer(), server_default='90', nullable=False))
        batch_op.add_column(sa.Column('group_minutes', sa.Integer(), server_default='90', nullable=False))
        batch_op.add_column(sa.Column('group_min_size', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('group_max_size', sa.Integer(), server_default='8', nullable=False))
        batch_op.add_column(sa.Column('max_travel_minutes', sa.Integer(), server_default='150', nullable=False))
        batch_op.add_column(sa.Column('closure_days', sa.JSON(), nullable=True))

    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('directions', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('step_free', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('weekly_hours', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('open_pattern', sa.JSON(), nullable=True))

    # The old opening hours held on every workday: copy them to each weekday.
    location = sa.table('location', sa.column('id', sa.Integer()), sa.column('opening', sa.JSON()),
                        sa.column('weekly_hours', sa.JSON()))
    connection = op.get_bind()
    for row in connection.execute(sa.select(location.c.id, location.c.opening)).all():
        hours = row.opening or [["08:00", "16:00"]]
        connection.execute(location.update().where(location.c.id == row.id)
                           .values(weekly_hours={d: hours for d in WEEKDAYS}))

    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.alter_column('weekly_hours', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('opening')

    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_column('active')

    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening', sa.JSON(), nullable=True))
    location = sa.table('location', sa.column('id', sa.Integer()), sa.column('opening', sa.JSON()),
                        sa.column('weekly_hours', sa.JSON()))
    connection = op.get_bind()
    for row in connection.execute(sa.select(location.c.id, location.c.weekly_hours)).all():
        days = [v for v in (row.weekly_hours or {}).values() if v]
        connection.execute(location.update().where(location.c.id == row.id)
                           .values(opening=days[0] if days else [["08:00", "16:00"]]))
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.alter_column('opening', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('open_pattern')
        batch_op.drop_column('weekly_hours')
        batch_op.drop_column('step_free')
        batch_op.drop_column('directions')
        batch_op.drop_column('address')

    with op.batch_alter_table('county', schema=None) as batch_op:
        batch_op.drop_column('closure_days')
        batch_op.drop_column('max_travel_minutes')
        batch_op.drop_column('group_max_size')
        batch_op.drop_column('group_min_size')
        batch_op.drop_column('group_minutes')
        batch_op.drop_column('individual_minutes')
