"""Access expectations for data-subject access (administrators only)."""
from guidance.models import Role
from tests.app.access.foundation import ROLES, only

EXPECTED = {
    "privacy.search": only(Role.ADMIN),
    # others get 403 from the area guard before the object is looked up
    "privacy.export": only(Role.ADMIN),
    "privacy.participant": only(Role.ADMIN),
    "privacy.anonymise": {r: 405 for r in ROLES},
}


def url_values(w) -> dict:
    return {"participant_id": w.own_referral.participant_id}


# the anonymisation without its confirmation: refused with 400 for the admin too, so the world keeps its person
WRITERS = {"privacy.search": (Role.ADMIN,), "privacy.anonymise": (Role.ADMIN,)}
