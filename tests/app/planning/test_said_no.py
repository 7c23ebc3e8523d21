"""A time someone said no to stays theirs: an interpreter who declined a request, or a counsellor or
interpreter whose session a lead cancelled because they could not hold it, is not booked at that
time again by a later plan (the instance's `busy`, solver/README.md)."""
import datetime as dt

import pytest

from guidance.extensions import db
from guidance.models import Role
from guidance.planning import InstanceOptions, build_instance, ids
from guidance.services import bookings
from guidance.services.interpreter_bookings.changes import cancel_session
from tests.app import factories as f
from tests.app.planning.helpers import TODAY, planning_world, solved_run

pytestmark = pytest.mark.one_database  # the solver decides these; the PostgreSQL pass keeps publishing, runs in the queue and the bridge's queries (test_publish, test_safe_publish, test_jobs, test_bridge)

WEDNESDAY = dt.date(2027, 1, 13)   # inside the first plan's horizon, after the notice


@pytest.fixture
def world(app, travel_to):
    travel_to(f.oslo(TODAY.year, TODAY.month, TODAY.day, 9))
    return planning_world()


def _instance(w) -> dict:
    return build_instance(w.lead.county, InstanceOptions(today=TODAY))


def _busy(instance: dict, kind: str, profile_id: int) -> list:
    wanted = ids.counsellor_id(profile_id) if kind == "counsellors" else ids.interpreter_id(profile_id)
    return next(p["busy"] for p in instance[kind] if p["id"] == wanted)


def test_a_declined_request_keeps_the_interpreter_free_then_and_the_re_plan_asks_another(world):
    w = world
    colleague = f.user(Role.INTERPRETER, name="Tolk To")
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 13, 10), interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    db.session.commit()
    bookings.transition(w.interpreter, booking, "decline", reason="Syk den uka")
    db.session.commit()

    assert _busy(_instance(w), "interpreters", w.interpreter.interpreter.id) == [["2027-01-13T10:00", "2027-01-13T11:30"]]
    assert _busy(_instance(w), "interpreters", colleague.interpreter.id) == []

    run = solved_run(w.lead)
    ours = [s for s in run.sessions if any(sp.referral_id == w.own_referral.id for sp in s.participants)]
    assert ours and all(not (s.interpreter_id == w.interpreter.interpreter.id
                             and s.start < session.end and session.start < s.end) for s in ours)


def test_a_session_cancelled_because_the_counsellor_could_not_hold_it_keeps_them_free_then(world):
    w = world
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 13, 10), interpreter=None)
    other = f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 14, 10), interpreter=None)
    cancel_session(w.lead, session, "counsellor_unavailable")
    cancel_session(w.lead, other, "participant_cancelled")

    instance = _instance(w)
    assert _busy(instance, "counsellors", w.counsellor.counsellor.id) == [["2027-01-13T10:00", "2027-01-13T11:30"]]

    run = solved_run(w.lead)
    again = [s for s in run.sessions if s.counsellor_id == w.counsellor.counsellor.id
             and s.start < session.end and session.start < s.end]
    assert again == []


def test_a_time_the_lead_books_the_same_person_for_again_is_theirs_again(world):
    w = world
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 13, 10), interpreter=w.interpreter)
    declined = bookings.new_booking(session)
    db.session.commit()
    bookings.transition(w.interpreter, declined, "decline", reason="Kan ikke den dagen")
    db.session.commit()
    assert _busy(_instance(w), "interpreters", w.interpreter.interpreter.id) != []

    again = bookings.new_booking(session)   # she rang back: the lead asks her again, and she accepts
    db.session.commit()
    bookings.transition(w.interpreter, again, "accept")
    db.session.commit()

    assert _busy(_instance(w), "interpreters", w.interpreter.interpreter.id) == []
