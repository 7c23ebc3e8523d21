"""Access expectations for the lead's planning pages (issue 7)."""
import datetime as dt
import json

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Absence, PlanningRun, Role, Room, RunStatus, Session
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
    # GET on the publish URL is the confirmation page (planning.confirm_publish); POST publishes.
    "planning.publish": LEAD_ONLY,
    "planning.confirm_publish": LEAD_ONLY,
    "planning.pin_session": POST_ONLY,
    "planning.take_out": POST_ONLY,
    "planning.edit_session": LEAD_ONLY,
    "planning.cancel_session": LEAD_ONLY,
    "planning.absences": LEAD_ONLY,
    "planning.absence": LEAD_ONLY,
    "planning.end_absence": POST_ONLY,
}


# Who may POST to each write route (the lead engineer's POST matrix refuses every other role).
WRITERS = {
    "planning.start": (Role.LEAD,),
    "planning.cancel": (Role.LEAD,),
    "planning.publish": (Role.LEAD,),
    "planning.pin_session": (Role.LEAD,),
    "planning.take_out": (Role.LEAD,),
    "planning.edit_session": (Role.LEAD,),
    "planning.cancel_session": (Role.LEAD,),
    "planning.absences": (Role.LEAD,),
    # the world's counsellor's absence: the lead of the county records that they are back earlier
    "planning.end_absence": (Role.LEAD,),
}


def url_values(w) -> dict:
    """A finished run of the lead's county (the other county's lead gets 404 on it)."""
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.SUCCEEDED, time_limit_seconds=10,
                      instance_json=json.dumps({"format": "guidance-instance/1", "participants": [], "locations": [],
                                                 "counsellors": [], "interpreters": []}),
                      plan_json=json.dumps({"format": "guidance-plan/1", "sessions": [], "unscheduled": []}), progress={},
                      metrics={})
    db.session.add(run)
    room = db.session.scalars(select(Room)).first()
    start = dt.datetime(2027, 1, 18, 9, 0, tzinfo=dt.timezone.utc)
    session = Session(run=run, plan_session_id="S1", uid="access-test@veiled", type="individual",
                      counsellor_id=w.counsellor.counsellor.id, location_id=room.location_id, room_id=room.id,
                      start=start, end=start + dt.timedelta(minutes=90))
    db.session.add(session)
    db.session.commit()
    absence = Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 2, 1), end_date=dt.date(2027, 2, 12))
    db.session.add(absence)
    db.session.commit()
    return {"run_id": run.id, "session_id": session.id, "absence_id": absence.id}


__all__ = ["EXPECTED", "WRITERS", "url_values", "ANON", "LOGGED_IN"]
