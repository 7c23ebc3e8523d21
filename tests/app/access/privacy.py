"""Access expectations for data-subject access (administrators only)."""
from guidance.models import Role
from tests.app.access.foundation import only

EXPECTED = {
    "privacy.search": only(Role.ADMIN),
    # others get 403 from the area guard before the object is looked up
    "privacy.export": only(Role.ADMIN),
}


def url_values(w) -> dict:
    return {"participant_id": w.own_referral.participant_id}


WRITERS = {"privacy.search": (Role.ADMIN,)}
