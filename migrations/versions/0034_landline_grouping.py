"""Norwegian landlines written as Norwegians write them: +47 55 30 60 00, not +47 553 06 000

Revision ID: 0034_landline_grouping
Revises: 0033_counsellor_location_days
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0034_landline_grouping"
down_revision = "0033_counsellor_location_days"
branch_labels = None
depends_on = None

# The phone columns written by services.referrals.canonical_phone, which grouped every Norwegian number
# as a mobile (3-2-3). A landline (not 4 or 9 first) is 2-2-2-2 from now on; the stored ones follow.
COLUMNS = (("user", "phone"), ("participant", "phone"), ("career_centre", "phone"))


def _regroup(phone: str, landline: bool) -> str:
    national = phone[4:].replace(" ", "")
    if landline:
        return f"+47 {national[:2]} {national[2:4]} {national[4:6]} {national[6:]}"
    return f"+47 {national[:3]} {national[3:5]} {national[5:]}"


def _rewrite(landline: bool) -> None:
    connection = op.get_bind()
    old_form, new_form = (r"^\+47 \d{3} \d{2} \d{3}$", r"^\+47 \d{2} \d{2} \d{2} \d{2}$")
    pattern = old_form if landline else new_form
    for table, column in COLUMNS:
        rows = connection.execute(sa.text(f'SELECT id, {column} FROM "{table}" WHERE {column} LIKE :p'),
                                  {"p": "+47 %"}).all()
        for row_id, phone in rows:
            national = phone[4:].replace(" ", "")
            if re.match(pattern, phone) and national[0] not in "49":
                connection.execute(sa.text(f'UPDATE "{table}" SET {column} = :phone WHERE id = :id'),
                                   {"phone": _regroup(phone, landline), "id": row_id})


def upgrade() -> None:
    _rewrite(landline=True)


def downgrade() -> None:
    _rewrite(landline=False)
