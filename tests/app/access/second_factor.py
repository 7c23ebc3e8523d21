"""Access expectations for the second factor: the code step, enrolment, recovery codes, an admin's reset."""
from guidance.models import Role
from tests.app.access.foundation import ANON, LOGGED_IN, ROLES

EXPECTED = {
    # Without a password step in progress the code page sends to the login page; signed in, home.
    "second_factor.code": {r: 302 for r in ROLES},
    "second_factor.status": {ANON: 302, **{r: 200 for r in LOGGED_IN}},
    # The world's lead and admin have a second factor already: their enrolment page leads to the status.
    "second_factor.enrol": {ANON: 302, Role.ADMIN: 302, Role.LEAD: 302, Role.COUNSELLOR: 200,
                            Role.REFERRER: 200, Role.INTERPRETER: 200},
    "second_factor.reset": {r: 405 for r in ROLES},
    "second_factor.move": {r: 405 for r in ROLES},
}

WRITERS = {
    "second_factor.code": tuple(ROLES),
    "second_factor.status": tuple(LOGGED_IN),
    "second_factor.enrol": tuple(LOGGED_IN),
    "second_factor.reset": (Role.ADMIN,),
    # Anyone signed in may try to move their own second factor (a wrong code changes nothing).
    "second_factor.move": tuple(LOGGED_IN),
}


def post_bodies(w) -> dict:
    return {"second_factor.enrol": {"code": "000000"}, "second_factor.status": {"code": "000000"},
            "second_factor.move": {"move-code": "000000"}}
