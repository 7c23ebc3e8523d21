"""Access expectations for the lead's dashboard (issue 7)."""
from guidance.models import Role
from tests.app.access.foundation import ROLES, only

EXPECTED = {
    "dashboard.index": only(Role.LEAD),
    "dashboard.budget": {r: 405 for r in ROLES},
    "dashboard.export": only(Role.LEAD),
}


WRITERS = {"dashboard.budget": (Role.LEAD,)}
