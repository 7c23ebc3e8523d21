"""Interpreter bookings by concern (issue 22, item 3): a use case is one unit of work (a failure half-way
writes nothing), and a replacement interpreter is offered only when they are free with the time to
travel, judged with real times and never offered when the check itself fails."""
import datetime as dt
import logging

import pytest
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import (
    AuditEvent,
    BookingStatus,
    County,
    InterpreterBooking,
    Location,
    OutboxMessage,
    Role,
    Session,
)
from guidance.planning.instance import travel_minutes
from guidance.services.interpreter_bookings import answers, availability, replacements, requests
from guidance.services.interpreter_bookings.requests import new_booking, set_answer_hours
from guidance.services.unit_of_work import SpoiledUnitOfWork, unit_of_work
from tests.app import factories as f


def _booked(w, hour=10):
    day = f.future_weekday()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, hour),
                                  interpreter=w.interpreter, interpreter_mode="onsite")
    booking = new_booking(session)
    db.session.commit()
    return session, booking


def _interpreter(name):
    return f.user(Role.INTERPRETER, name=name)


def _declined(w):
    session, booking = _booked(w)  # Bergen, 10:00-11:30 Oslo time
    answers.answer(w.interpreter, booking, False, "busy")
    return session, booking


def _elsewhere(w, interpreter, *, ends_before: int, minutes: int = 60, town: str = "4628"):
    """An on-site session of `interpreter` at a centre in `town` (Vaksdal by default) ending
    `ends_before` minutes before the Bergen session of `_booked`."""
    target = db.session.scalar(select(Session).order_by(Session.id))
    place = f.centre("46", town).locations[0]
    start = target.start - dt.timedelta(minutes=ends_before + minutes)
    other = f.published_session(w.counsellor, f.referral(name="Other Person"), start=start, minutes=minutes,
                                interpreter=interpreter, interpreter_mode="onsite")
    other.location = db.session.get(Location, place.id)
    other.room = place.rooms[0]
    db.session.commit()
    return other


# -- one use case, one transaction -----------------------------------------------------------------

def test_a_rebooking_whose_invitation_fails_writes_nothing(app, monkeypatch):
    w = f.world()
    session, declined = _declined(w)
    spare = _interpreter("Spare Interpreter")
    assert spare.interpreter in replacements.replacement_candidates(session)

    def broken(booking, method, update=False):
        raise RuntimeError("the invitation could not be written")

    monkeypatch.setattr(requests, "invitation", broken)
    with pytest.raises(RuntimeError):
        replacements.rebook(w.lead, declined, spare.interpreter.id)

    db.session.expire_all()
    session = db.session.get(Session, session.id)
    assert session.interpreter_id == w.interpreter.interpreter.id and session.sequence == 0
    assert [(b.id, b.status) for b in session.bookings] == [(declined.id, BookingStatus.DECLINED)]
    assert db.session.scalar(select(func.count()).select_from(InterpreterBooking)) == 1
    # Only the decline's own message (its calendar entry taken out), nothing of the failed rebooking.
    assert [m.to_address for m in db.session.scalars(select(OutboxMessage))] == [w.interpreter.email]
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "booking.requested")).all() == []


def test_a_use_case_inside_another_joins_it_and_a_failure_inside_spoils_the_whole(app):
    w = f.world()
    county = db.session.get(County, w.lead.county_id)
    before = county.booking_answer_hours
    delivered = []
    with pytest.raises(SpoiledUnitOfWork):
        with unit_of_work() as outer:
            outer.after_commit(delivered.append, "e-mails")
            set_answer_hours(w.lead, county, 12)  # joins: not committed on its own
            with pytest.raises(Exception):
                set_answer_hours(w.lead, county, 0)  # refused; the caller swallows the refusal
    db.session.expire_all()
    assert db.session.get(County, county.id).booking_answer_hours == before
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "county.booking_answer_hours")).all() == []
    assert delivered == []  # nothing handed on after a rollback


def test_a_use_case_commits_at_the_end_of_its_unit_of_work_and_then_hands_on(app):
    w = f.world()
    county = db.session.get(County, w.lead.county_id)
    seen = []
    with unit_of_work() as uow:
        set_answer_hours(w.lead, county, 12)
        uow.after_commit(lambda: seen.append(db.session.get(County, county.id).booking_answer_hours))
        assert seen == []
    db.session.expire_all()
    assert seen == [12] and db.session.get(County, county.id).booking_answer_hours == 12


# -- who can replace: times and travel ---------------------------------------------------------------

def test_an_interpreter_on_site_elsewhere_ending_ten_minutes_before_is_not_offered(app):
    w = f.world()
    session, _booking = _declined(w)
    rushed = _interpreter("Rushed Interpreter")
    relaxed = _interpreter("Relaxed Interpreter")
    first = _elsewhere(w, rushed, ends_before=10)
    second = _elsewhere(w, relaxed, ends_before=60)
    session = db.session.get(Session, session.id)
    travel = travel_minutes(first.location.municipality, session.location.municipality)
    assert 35 <= travel <= 50  # Vaksdal to Bergen, by the plans' own formula

    offered = replacements.replacement_candidates(session, limit=10)
    assert rushed.interpreter not in offered
    assert relaxed.interpreter in offered
    # The check of times and travel refuses on its own, before the plan checker is asked.
    assert availability.clashes(session, "onsite", first, "onsite")
    assert not availability.clashes(session, "onsite", second, "onsite")
    assert not availability.clashes(session, "video", first, "onsite")  # by video nobody travels


def test_a_request_elsewhere_counts_like_an_assignment(app):
    """A pending request for an on-site session elsewhere also takes the time it needs to travel."""
    w = f.world()
    session, _booking = _declined(w)
    asked = _interpreter("Asked Interpreter")
    other = _elsewhere(w, asked, ends_before=10)
    other.interpreter = None
    db.session.flush()
    new_booking(other, asked.interpreter, "onsite")
    db.session.commit()
    assert asked.interpreter not in replacements.replacement_candidates(db.session.get(Session, session.id), limit=10)


def test_working_hours_are_compared_as_oslo_times_on_the_sessions_date(app):
    w = f.world()
    session, _booking = _declined(w)  # 10:00-11:30
    late = _interpreter("Late Interpreter")
    day = str(session.start.astimezone(f.oslo(2027, 1, 1).tzinfo).isoweekday())
    late.interpreter.weekly = {day: [["10:30", "16:00"]]}
    early = _interpreter("Early Interpreter")
    early.interpreter.weekly = {day: [["09:00", "11:30"]]}  # ends as the session ends
    db.session.commit()
    offered = replacements.replacement_candidates(db.session.get(Session, session.id), limit=10)
    assert late.interpreter not in offered
    assert early.interpreter in offered


def test_an_error_inside_the_availability_check_refuses_the_candidate(client, monkeypatch, caplog):
    w = f.world()
    session, _booking = _declined(w)
    spare = _interpreter("Spare Interpreter")
    assert spare.interpreter in replacements.replacement_candidates(session)

    def broken(*args, **kwargs):
        raise ValueError("hours the check cannot read")

    monkeypatch.setattr(availability, "within_hours", broken)
    caplog.set_level(logging.WARNING)
    assert replacements.replacement_candidates(db.session.get(Session, session.id), limit=10) == []
    f.login(client, w.lead)
    page = client.get("/centre/interpreters/")
    assert page.status_code == 200 and "Spare Interpreter" not in page.get_data(as_text=True)
    assert "availability check failed" in caplog.text and "Spare Interpreter" not in caplog.text
    assert client.post(f"/centre/interpreters/{_booking.id}/rebook",
                       data={"candidate_id": spare.interpreter.id}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(InterpreterBooking)) == 1
