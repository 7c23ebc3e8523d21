"""Which participants a municipality may refer, and where they may live."""
from __future__ import annotations

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Municipality


def served_municipalities(referring: Municipality) -> list[Municipality]:
    """Home municipalities a referrer may choose: its own first, then the rest of its county.

    Neighbouring municipalities share refugee services across borders (inter-municipal
    cooperation); the honest simple model without a cooperation register is "same county".
    """
    others = db.session.scalars(
        select(Municipality)
        .where(Municipality.county_id == referring.county_id, Municipality.id != referring.id)
        .order_by(Municipality.name)
    ).all()
    return [referring, *others]
