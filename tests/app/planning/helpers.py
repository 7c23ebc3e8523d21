"""Planning test data on top of factories.world(): a counsellor who works at the centre."""
import datetime as dt
import itertools

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Location
from tests.app import factories as f

TODAY = dt.date(2027, 1, 8)  # a Friday: the horizon starts on Monday 11 January
_draft_ids = itertools.count(1)


def planning_world():
    """world() with the counsellor placed at every location of the county."""
    w = f.world()
    locations = db.session.scalars(select(Location)).all()
    w.counsellor.counsellor.locations = list(locations)
    db.session.commit()
    return w


def solved_run(lead, *, time_limit: int = 3, today: dt.date = TODAY):
    """A run started as the lead's page does, solved in this process (no queue), and stored."""
    from guidance.models import PlanningRun
    from guidance.planning.runner import execute_run
    from guidance.services import planning as planning_service

    run = planning_service.start_run(lead, time_limit=10, today=today, enqueue=lambda run_id: None)
    run.time_limit_seconds = time_limit  # below the form's minimum: tests need no long search
    db.session.commit()
    execute_run(run.id)
    db.session.expire_all()
    return db.session.get(PlanningRun, run.id)


def draft_run(lead, *, today: dt.date = TODAY):
    """A finished, unpublished run built from the county's data as it is now, with no sessions yet
    (add them with `draft_session`): for plans whose exact shape a test needs."""
    import json

    from guidance.models import RunStatus
    from guidance.services import planning as planning_service

    run = planning_service.start_run(lead, time_limit=10, today=today, enqueue=lambda run_id: None)
    run.status, run.metrics = RunStatus.SUCCEEDED, {}
    run.plan_json = json.dumps({"format": "guidance-plan/1", "sessions": [], "unscheduled": [], "stats": {}})
    db.session.commit()
    return run


def draft_session(run, counsellor, referrals, *, start: dt.datetime, type: str = "individual", interpreter=None,
                  uid: str | None = None, room_name: str | None = None):
    """A session of an unpublished run (status planned), as storing a plan leaves it."""
    import uuid

    from guidance.models import Session, SessionParticipant, SessionStatus

    location = db.session.scalar(select(Location).order_by(Location.id))
    room = next(r for r in location.rooms if r.name == (room_name or ("Grupperom" if type == "group" else "Rom 1")))
    session = Session(run=run, plan_session_id=f"S{next(_draft_ids)}", uid=uid or f"{uuid.uuid4()}@veiled.invalid",
                      type=type, counsellor_id=counsellor.counsellor.id, location=location, room=room, start=start,
                      end=start + dt.timedelta(minutes=90), status=SessionStatus.PLANNED,
                      language=referrals[0].participant.language if interpreter else None,
                      interpreter=interpreter.interpreter if interpreter else None,
                      interpreter_mode="onsite" if interpreter else None)
    for r in referrals:
        session.participants.append(SessionParticipant(referral=r))
    db.session.add(session)
    db.session.commit()
    return session



def run_from_the_form(client, keep_until: str, *, time_limit: int = 3, scope: str | None = None):
    """A run started through the lead's form (POST /planning/runs, as the re-plan offer does) and
    solved in this process in `time_limit` seconds: (the form's response, the run)."""
    from guidance.models import PlanningRun
    from guidance.planning.runner import execute_run

    response = client.post("/planning/runs", data={"time_limit": "60", "keep_until": keep_until,
                                                   **({"scope": scope} if scope else {})})
    run = db.session.scalar(select(PlanningRun).order_by(PlanningRun.id.desc()))
    run.time_limit_seconds = time_limit  # below the form's minimum: tests need no long search
    db.session.commit()
    execute_run(run.id)
    db.session.expire_all()
    return response, db.session.get(PlanningRun, run.id)


def published_then_replanned(w, referral, *, first_start: dt.datetime, second_start: dt.datetime):
    """One session of `referral` published, then a second plan that keeps it (its calendar UID) at
    `second_start` published too; returns (the first row, now superseded, and the session as it stands)."""
    from guidance.models import Session, SessionStatus
    from guidance.services import planning as planning_service

    first = draft_run(w.lead)
    old = draft_session(first, w.counsellor, [referral], start=first_start)
    planning_service.publish_run(w.lead, first, confirm_stale=True)
    second = draft_run(w.lead)
    draft_session(second, w.counsellor, [referral], start=second_start, uid=old.uid)
    planning_service.publish_run(w.lead, second, confirm_stale=True)
    db.session.expire_all()
    current = db.session.scalar(select(Session).where(Session.uid == old.uid, Session.status == SessionStatus.BOOKED))
    return db.session.get(Session, old.id), current
