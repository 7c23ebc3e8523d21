"""Access expectations for the centre set-up (issue 21): the county's lead and administrators."""
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Location, Role
from tests.app.access.foundation import ANON, LOGGED_IN, ROLES, only

SETUP = only(Role.LEAD, Role.ADMIN)
POST_ONLY = {r: 405 for r in ROLES}

EXPECTED = {
    "setup.index": SETUP,
    "setup.county": SETUP,
    "setup.settings": SETUP,
    "setup.new_location": SETUP,
    "setup.location": SETUP,
    "setup.location_active": POST_ONLY,
    "setup.new_room": SETUP,
    "setup.room": SETUP,
    "setup.room_active": POST_ONLY,
    "setup.centre": SETUP,
}

# Who may POST to each write route; every other role is refused (403, or 404 for another county's lead).
WRITERS = {
    "setup.settings": (Role.LEAD, Role.ADMIN),
    "setup.new_location": (Role.LEAD, Role.ADMIN),
    "setup.location": (Role.LEAD, Role.ADMIN),
    "setup.location_active": (Role.LEAD, Role.ADMIN),
    "setup.new_room": (Role.LEAD, Role.ADMIN),
    "setup.room": (Role.LEAD, Role.ADMIN),
    "setup.room_active": (Role.LEAD, Role.ADMIN),
    "setup.centre": (Role.LEAD, Role.ADMIN),
}


def url_values(w) -> dict:
    """The lead's own county, its first location, that location's first room and its centre."""
    location = db.session.scalars(select(Location).order_by(Location.id)).first()
    return {"county_id": w.lead.county_id, "location_id": location.id, "room_id": location.rooms[0].id,
            "centre_id": location.centre_id}


__all__ = ["EXPECTED", "WRITERS", "url_values", "ANON", "LOGGED_IN"]
