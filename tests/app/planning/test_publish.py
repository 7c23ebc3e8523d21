"""Publishing a plan: one transaction, bookings and interpreter requests, staleness."""
import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import BookingStatus, InterpreterBooking, ReferralStatus, Session, SessionStatus
from guidance.services import planning as planning_service
from tests.app import factories as f
from tests.app.planning.helpers import planning_world, solved_run


def test_publishing_books_sessions_and_referrals_and_requests_interpreters(client):
    w = planning_world()
    run = solved_run(w.lead)

    planning_service.publish_run(w.lead, run)

    sessions = db.session.scalars(select(Session).where(Session.run_id == run.id)).all()
    assert sessions and all(s.status is SessionStatus.BOOKED for s in sessions)
    assert db.session.get(type(w.own_referral), w.own_referral.id).status is ReferralStatus.BOOKED
    booking = db.session.scalars(select(InterpreterBooking)).one()
    # 90 minutes at NOK 720 an hour; the interpreter lives where the centre is: no travel.
    assert (booking.status, booking.billed_minutes, booking.travel_minutes, booking.cost_ore) == \
        (BookingStatus.REQUESTED, 90, 0, 108000)
    assert booking.interpreter_id == w.interpreter.interpreter.id
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "Karrieresenter Bergen" in page


def test_a_plan_made_before_a_new_referral_is_stale_until_confirmed(app):
    w = planning_world()
    run = solved_run(w.lead)
    f.referral(municipality_number="4601", name="Late Arrival")

    with pytest.raises(planning_service.PlanStale):
        planning_service.publish_run(w.lead, run)
    assert run.published_at is None

    planning_service.publish_run(w.lead, run, confirm_stale=True)
    assert run.published_at is not None


def test_a_plan_made_before_an_absence_is_stale(app):
    import datetime as dt

    from guidance.models import Absence

    w = planning_world()
    run = solved_run(w.lead)
    assert not planning_service.is_stale(run)
    db.session.add(Absence(user_id=w.interpreter.id, start_date=dt.date(2027, 2, 1), end_date=dt.date(2027, 2, 2)))
    db.session.commit()
    assert planning_service.is_stale(run)


def test_publishing_is_all_or_nothing(app, monkeypatch):
    import solver.check

    w = planning_world()
    run = solved_run(w.lead)

    def broken(*_args, **_kwargs):
        raise RuntimeError("cost service down")

    monkeypatch.setattr(solver.check, "booking_cost", broken)
    with pytest.raises(RuntimeError):
        planning_service.publish_run(w.lead, run)
    db.session.rollback()

    db.session.expire_all()
    assert all(s.status is SessionStatus.PLANNED for s in db.session.scalars(select(Session)))
    assert db.session.scalars(select(InterpreterBooking)).all() == []
    assert db.session.get(type(w.own_referral), w.own_referral.id).status is ReferralStatus.RECEIVED
    assert db.session.get(type(run), run.id).published_at is None


def test_publishing_sends_the_interpreter_an_invitation_with_an_answer_deadline(app):
    from guidance.models import OutboxMessage

    w = planning_world()
    run = solved_run(w.lead)

    planning_service.publish_run(w.lead, run)

    booking = db.session.scalars(select(InterpreterBooking)).one()
    message = db.session.scalars(select(OutboxMessage)).one()
    assert booking.answer_deadline is not None
    assert message.to_user_id == w.interpreter.id
    assert "METHOD:REQUEST" in message.ics
    assert w.own_referral.participant.name not in message.subject + message.body + message.ics
