"""Access expectations for the lead's planning pages (issue 7)."""
import json

from guidance.extensions import db
from guidance.models import PlanningRun, Role, RunStatus
from tests.app.access.foundation import ANON, LOGGED_IN, ROLES, only

LEAD_ONLY = only(Role.LEAD)
POST_ONLY = {r: 405 for r in ROLES}

EXPECTED = {
    "planning.index": LEAD_ONLY,
    "planning.start": POST_ONLY,
    "planning.run": LEAD_ONLY,
    "planning.progress": LEAD_ONLY,
    "planning.cancel": POST_ONLY,
    "planning.instance_file": LEAD_ONLY,
    "planning.plan_file": LEAD_ONLY,
    "planning.sessions": LEAD_ONLY,
    "planning.changes": LEAD_ONLY,
    "planning.unscheduled": LEAD_ONLY,
    "planning.publish": POST_ONLY,
}


def url_values(w) -> dict:
    """A finished run of the lead's county (the other county's lead gets 404 on it)."""
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.SUCCEEDED, time_limit_seconds=10,
                      instance_json=json.dumps({"format": "guidance-instance/1", "participants": []}),
                      plan_json=json.dumps({"format": "guidance-plan/1", "sessions": [], "unscheduled": []}), progress={},
                      metrics={})
    db.session.add(run)
    db.session.commit()
    return {"run_id": run.id}


__all__ = ["EXPECTED", "url_values", "ANON", "LOGGED_IN"]
