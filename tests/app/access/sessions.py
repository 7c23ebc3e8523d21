"""Access expectations for ending one's own sign-in sessions."""
from guidance.models import Role
from tests.app.access.foundation import ROLES

EXPECTED = {
    "sessions.logout_everywhere": {r: 405 for r in ROLES},
}

# endpoint -> the roles that may POST to it (every signed-in user ends their own sessions).
WRITERS = {
    "sessions.logout_everywhere": (Role.ADMIN, Role.LEAD, Role.COUNSELLOR, Role.REFERRER, Role.INTERPRETER),
}


def url_values(w) -> dict:
    return {}
