"""Planning test data on top of factories.world(): a counsellor who works at the centre."""
import datetime as dt

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Location
from tests.app import factories as f

TODAY = dt.date(2027, 1, 8)  # a Friday: the horizon starts on Monday 11 January


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
