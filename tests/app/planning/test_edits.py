"""Pinning and editing sessions: every edit is checked by the solver's checker."""
import pytest
import datetime as dt

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Session
from guidance.planning import ids
from guidance.services import planning as planning_service
from tests.app import factories as f
from tests.app.planning.helpers import planning_world, solved_run

pytestmark = pytest.mark.one_database  # the solver decides these; the PostgreSQL pass keeps publishing, runs in the queue and the bridge's queries (test_publish, test_safe_publish, test_jobs, test_bridge)

EN = {"Accept-Language": "en"}


def _the_session(run):
    return db.session.scalars(select(Session).where(Session.run_id == run.id)).first()


def test_moving_a_session_to_a_saturday_is_refused_with_the_rule_in_words(client):
    w = planning_world()
    run = solved_run(w.lead)
    session = _the_session(run)
    before = session.start
    f.login(client, w.lead, language="en")
    local = ids.to_local(session.start)
    saturday = local.date() + dt.timedelta(days=(5 - local.weekday()) % 7 or 7)

    response = client.post(f"/planning/sessions/{session.id}/edit", headers=EN, data={
        "day": saturday.isoformat(), "start_time": "10:00", "room_id": session.room_id,
        "counsellor_id": session.counsellor_id, "interpreter_id": session.interpreter_id or 0,
        "interpreter_mode": session.interpreter_mode or "onsite"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "not a working day" in page and 'value="10:00"' in page
    db.session.expire_all()
    assert db.session.get(Session, session.id).start == before


def test_moving_a_session_to_a_free_time_saves_it_pinned_and_keeps_the_plan_valid(client):
    from solver.check import check_plan
    import json

    w = planning_world()
    run = solved_run(w.lead)
    session = _the_session(run)
    f.login(client, w.lead)
    local = ids.to_local(session.start)
    new_day = local.date() + dt.timedelta(days=7)  # same weekday a week later (no holidays in these weeks)

    response = client.post(f"/planning/sessions/{session.id}/edit", data={
        "day": new_day.isoformat(), "start_time": "13:00", "room_id": session.room_id,
        "counsellor_id": session.counsellor_id, "interpreter_id": session.interpreter_id or 0,
        "interpreter_mode": session.interpreter_mode or "onsite"})

    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Session, session.id)
    assert ids.to_local(moved.start) == dt.datetime.combine(new_day, dt.time(13, 0)) and moved.pinned
    run = db.session.get(type(run), run.id)
    assert check_plan(json.loads(run.instance_json), json.loads(run.plan_json)).valid


def _pinned_and_published():
    """A solved run's first session pinned, and the run published: (world, session)."""
    from guidance.services import plan_edits

    w = planning_world()
    first = solved_run(w.lead)
    session = _the_session(first)
    plan_edits.set_pinned(w.lead, session, True)
    planning_service.publish_run(w.lead, first)
    return w, session


def test_a_pinned_session_is_kept_by_the_next_run(app):
    w, session = _pinned_and_published()

    second = solved_run(w.lead)
    kept = db.session.scalars(select(Session).where(Session.run_id == second.id, Session.uid == session.uid)).one()
    assert (kept.start, kept.room_id, kept.counsellor_id, kept.pinned) == \
        (session.start, session.room_id, session.counsellor_id, True)


def test_a_pin_that_now_breaks_a_rule_is_named_with_its_time_and_counsellor(client):
    from guidance.models import Absence

    w, session = _pinned_and_published()
    day = ids.to_local(session.start).date()
    db.session.add(Absence(user_id=w.counsellor.id, start_date=day, end_date=day, reason="Syk"))
    db.session.commit()

    second = solved_run(w.lead)
    f.login(client, w.lead, language="nb")
    page = client.get(f"/planning/runs/{second.id}").get_data(as_text=True)

    assert "1 fastlåst time kunne ikke beholdes" in page
    when = ids.to_local(session.start)
    assert f"{when.day}. " in page and f"{when:%H:%M}, {w.counsellor.name}" in page


def test_a_pin_of_today_is_not_reported_as_broken_by_a_run_that_starts_tomorrow(client):
    """A session handed to a colleague this morning is pinned; the re-plan after it plans from the next
    working day, so that pin is not its to keep and is not reported as one it could not keep."""
    w, session = _pinned_and_published()
    day = ids.to_local(session.start).date()

    second = solved_run(w.lead, today=day)
    f.login(client, w.lead, language="nb")
    page = client.get(f"/planning/runs/{second.id}").get_data(as_text=True)
    assert second.status.value == "succeeded" and "fastlåst" not in page
