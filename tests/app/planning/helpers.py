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
