"""Access expectations for the county workbook (issue 21): the county's lead and administrators."""
from guidance.models import Role
from tests.app.access.foundation import ANON, LOGGED_IN, only

WORKBOOK = only(Role.LEAD, Role.ADMIN)

EXPECTED = {
    "workbook.page": WORKBOOK,
    "workbook.export": WORKBOOK,
    "workbook.template": WORKBOOK,
}

# Who may POST to each write route; every other role is refused (403, or 404 for another county's lead).
WRITERS = {
    "workbook.page": (Role.LEAD, Role.ADMIN),
}


def url_values(w) -> dict:
    """The lead's own county."""
    return {"county_id": w.lead.county_id}


__all__ = ["EXPECTED", "WRITERS", "url_values", "ANON", "LOGGED_IN"]
