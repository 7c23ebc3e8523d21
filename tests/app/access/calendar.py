"""Access expectations for the counsellor's week and the calendar feed."""
from guidance.models import Role
from tests.app import factories as f
from tests.app.access.foundation import ROLES, only

EXPECTED = {
    "counsellor.week": only(Role.COUNSELLOR),
    "counsellor.week_of": only(Role.COUNSELLOR),
    "counsellor.week_ics": only(Role.COUNSELLOR),
    "counsellor.day": only(Role.COUNSELLOR),
    "counsellor.session": only(Role.COUNSELLOR),
    "counsellor.session_ics": only(Role.COUNSELLOR),
    "counsellor.calendar": only(Role.COUNSELLOR),
    "counsellor.absence": only(Role.COUNSELLOR),
    "counsellor.end_absence": {r: 405 for r in ROLES},
    "counsellor.new_token": {r: 405 for r in ROLES},
    "counsellor.revoke_token": {r: 405 for r in ROLES},
    # A made-up token: the feed never says whether an address existed.
    "feed.feed": {r: 404 for r in ROLES},
}


def url_values(w) -> dict:
    # A referral of its own, so the foundation's "counsellor has no session with own_referral" holds.
    session = f.published_session(w.counsellor, f.referral(name="Week Person"), start=f.oslo(2027, 3, 2, 9))
    return {"year": 2027, "week": 9, "day": "2027-03-02", "session_id": session.id, "token": "not-a-real-token"}


WRITERS = {
    "counsellor.absence": (Role.COUNSELLOR,),
    # their own absence (tests/app/access/planning.py's absence_id)
    "counsellor.end_absence": (Role.COUNSELLOR,),
    "counsellor.follow_up": (Role.COUNSELLOR,),
    "counsellor.new_token": (Role.COUNSELLOR,),
    "counsellor.outcomes": (Role.COUNSELLOR,),
    "counsellor.revoke_token": (Role.COUNSELLOR,),
}
