"""Access expectations for the foundation's routes."""
from guidance.models import Role

ANON = "anonymous"
ROLES = [ANON, Role.ADMIN, Role.LEAD, Role.COUNSELLOR, Role.REFERRER, Role.INTERPRETER]
LOGGED_IN = ROLES[1:]


def only(*allowed, other=403, anonymous=302):
    """200 for the allowed roles, `other` for the rest, `anonymous` for anonymous users."""
    return {ANON: anonymous, **{r: (200 if r in allowed else other) for r in LOGGED_IN}}


EXPECTED = {
    "static": {r: 200 for r in ROLES},
    "auth.login": {ANON: 200, **{r: 302 for r in LOGGED_IN}},
    "auth.logout": {r: 405 for r in ROLES},
    "auth.language": {r: 405 for r in ROLES},
    "main.home": only(*LOGGED_IN),
    "admin.users": only(Role.ADMIN),
    "admin.new_user": only(Role.ADMIN),
    "admin.set_active": {r: 405 for r in ROLES},
    "admin.connect": {r: 405 for r in ROLES},
    "admin.invitation": {r: 405 for r in ROLES},
    "admin.invitation_link": {r: 405 for r in ROLES},
    "admin.edit_user": only(Role.ADMIN),
    "referrals.index": only(Role.LEAD, Role.COUNSELLOR, Role.REFERRER),
    "referrals.find": only(Role.LEAD, Role.COUNSELLOR, Role.REFERRER),
    # the referral of the referrer's own municipality; the counsellor has no session with it
    "referrals.show": {**only(Role.LEAD, Role.REFERRER), Role.COUNSELLOR: 404},
    "api.health": {r: 200 for r in ROLES},
}

def url_values(w) -> dict:
    return {"referral_id": w.own_referral.id, "user_id": w.counsellor.id, "filename": "css/app.css"}


# Who may POST to each endpoint (tests/app/test_write_access.py); every other role is refused.
WRITERS = {
    # open to everyone; a signed-in user is sent to their home page
    "auth.login": tuple(ROLES),
    "auth.logout": tuple(LOGGED_IN),
    "auth.language": tuple(ROLES),
    "referrals.find": (Role.LEAD, Role.COUNSELLOR, Role.REFERRER),
    "admin.new_user": (Role.ADMIN,),
    "admin.edit_user": (Role.ADMIN,),
    "admin.set_active": (Role.ADMIN,),
    "admin.connect": (Role.ADMIN,),
    "admin.invitation": (Role.ADMIN,),
    "admin.invitation_link": (Role.ADMIN,),
}


def post_bodies(w) -> dict:
    """Plausible form bodies for the writes (tests/app/test_write_access.py)."""
    # "keep active": the writers' test runs every write in one world, and later logins need the user
    return {"admin.set_active": {"active": "y"}}
