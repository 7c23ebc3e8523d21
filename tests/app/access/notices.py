"""Access expectations for notices: every signed-in user's own choices, and the county's
text-message reminders (its lead and administrators)."""
from guidance.models import Role
from tests.app.access.foundation import ANON, LOGGED_IN, only

EXPECTED = {
    "notices.settings": {ANON: 302, **{r: 200 for r in LOGGED_IN}},
    "notices.text_messages": only(Role.LEAD, Role.ADMIN),
}

WRITERS = {
    "notices.settings": tuple(LOGGED_IN),
    "notices.text_messages": (Role.LEAD, Role.ADMIN),
}
