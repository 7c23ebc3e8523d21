"""Access expectations for a county's people: counsellors and interpreters (issue 21)."""
from guidance.models import Role
from tests.app.access.foundation import ROLES, only

LEAD_AND_ADMIN = only(Role.LEAD, Role.ADMIN)
POST_ONLY = {r: 405 for r in ROLES}

EXPECTED = {
    "people.counsellors": LEAD_AND_ADMIN,
    "people.new_counsellor": LEAD_AND_ADMIN,
    "people.edit_counsellor": LEAD_AND_ADMIN,
    "people.counsellor_active": POST_ONLY,
    "people.interpreters": LEAD_AND_ADMIN,
    "people.new_interpreter": LEAD_AND_ADMIN,
    "people.edit_interpreter": LEAD_AND_ADMIN,
    "people.interpreter_active": POST_ONLY,
    "people.counsellor_invitation": POST_ONLY,
    "people.interpreter_invitation": POST_ONLY,
    "people.referrers": LEAD_AND_ADMIN,
    "people.referrer_invitation": POST_ONLY,
    "people.referrer_active": POST_ONLY,
    "people.referrer_email": LEAD_AND_ADMIN,
}

# Who may POST to each write route (the lead and admins of the object's county); every other
# role is refused with 403/404 and nothing is written.
WRITERS = {
    "people.new_counsellor": (Role.LEAD, Role.ADMIN),
    "people.edit_counsellor": (Role.LEAD, Role.ADMIN),
    "people.counsellor_active": (Role.LEAD, Role.ADMIN),
    "people.new_interpreter": (Role.LEAD, Role.ADMIN),
    "people.edit_interpreter": (Role.LEAD, Role.ADMIN),
    "people.interpreter_active": (Role.LEAD, Role.ADMIN),
    "people.counsellor_invitation": (Role.LEAD, Role.ADMIN),
    "people.interpreter_invitation": (Role.LEAD, Role.ADMIN),
    "people.referrers": (Role.LEAD, Role.ADMIN),
    "people.referrer_invitation": (Role.LEAD, Role.ADMIN),
    "people.referrer_active": (Role.LEAD, Role.ADMIN),
    "people.referrer_email": (Role.LEAD, Role.ADMIN),
}


def url_values(w) -> dict:
    """The world's own counsellor and interpreter (same county as the lead)."""
    return {"counsellor_id": w.counsellor.counsellor.id, "interpreter_id": w.interpreter.interpreter.id,
            "referrer_id": w.other_referrer.id}   # Voss's referrer: a writer may deactivate them
