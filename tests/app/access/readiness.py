"""Access expectations for what stops the next plan (issue 21, item 4): a county's lead and admins."""
from guidance.models import Role
from tests.app.access.foundation import only

EXPECTED = {
    # the lead goes on to their own county's page; an installation admin chooses a county
    "readiness.index": {**only(Role.LEAD, Role.ADMIN), Role.LEAD: 302},
    "readiness.county": only(Role.LEAD, Role.ADMIN),
}

WRITERS: dict = {}


def url_values(w) -> dict:
    return {"county_id": w.lead.county_id}
