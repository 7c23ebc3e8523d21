"""Withdrawing a referral releases the participant's sessions ahead, in the same transaction:
an individual session is cancelled, a group keeps going without them unless it falls below the
group's minimum size."""
import icalendar
import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import (
    AuditEvent,
    BookingStatus,
    InterpreterBooking,
    OutboxMessage,
    Referral,
    ReferralStatus,
    Session,
    SessionStatus,
)
from guidance.planning.instance import SESSION_TYPES
from guidance.services import bookings, referrals
from guidance.services import calendar as cal
from tests.app import factories as f

MIN_GROUP = SESSION_TYPES["group"]["min_size"]


def _session(w, members, *, type="individual", weeks=3, hour=10):
    day = f.future_weekday(weeks=weeks)
    session = f.published_session(w.counsellor, members, type=type, start=f.oslo(day.year, day.month, day.day, hour),
                                  interpreter=w.interpreter, room_name="Grupperom" if type == "group" else "Rom 1")
    booking = bookings.new_booking(session)
    db.session.commit()
    bookings.answer(w.interpreter, booking, True)
    return session, booking


def _others(count):
    return [f.referral(name=f"Group Member {n}") for n in range(count)]


def _withdraw(client, w, referral_id=None):
    f.login(client, w.referrer)
    return client.post(f"/intake/referrals/{referral_id or w.own_referral.id}/withdraw", data={"reason": "Flyttet til Oslo"})


def _feed(app, counsellor) -> dict:
    token = cal.issue_feed_token(counsellor)
    body = app.test_client().get(f"/calendar/{token}.ics").data
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def _mails(to_user_id):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == to_user_id)
                              .order_by(OutboxMessage.id)).all()


def test_withdrawal_cancels_the_individual_session_ahead_and_its_interpreter(client, app):
    w = f.world()
    past = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10))
    session, booking = _session(w, w.own_referral)

    assert _withdraw(client, w).status_code == 302

    db.session.expire_all()
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.WITHDRAWN
    assert db.session.get(Session, session.id).status is SessionStatus.CANCELLED
    assert db.session.get(InterpreterBooking, booking.id).status is BookingStatus.CANCELLED
    assert db.session.get(Session, past.id).status is SessionStatus.BOOKED  # history stays as it was
    [cancellation] = _mails(w.interpreter.id)
    assert "METHOD:CANCEL" in cancellation.ics and "Amal" not in cancellation.subject + cancellation.body + cancellation.ics
    assert str(_feed(app, w.counsellor)[session.uid]["STATUS"]) == "CANCELLED"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.cancel"))
    assert event.object_id == session.id and "referral_withdrawn" in event.detail and "Oslo" not in event.detail


def test_a_group_above_its_minimum_goes_on_without_the_participant(client, app):
    w = f.world()
    others = _others(MIN_GROUP)
    group, booking = _session(w, [w.own_referral, *others], type="group")
    sequence, booking_sequence = group.sequence, booking.sequence

    assert _withdraw(client, w).status_code == 302

    db.session.expire_all()
    group = db.session.get(Session, group.id)
    assert group.status is SessionStatus.BOOKED
    assert {sp.referral_id for sp in group.participants} == {r.id for r in others}
    assert all(db.session.get(Referral, r.id).status is ReferralStatus.BOOKED for r in others)
    booking = db.session.get(InterpreterBooking, booking.id)
    assert booking.status is BookingStatus.ACCEPTED and booking.sequence == booking_sequence + 1
    [change] = _mails(w.interpreter.id)
    calendar = icalendar.Calendar.from_ical(change.ics)
    assert str(calendar["METHOD"]) == "REQUEST" and calendar.walk("VEVENT")[0]["SEQUENCE"] == booking.sequence
    assert w.own_referral.reference not in change.ics and "Amal" not in change.subject + change.body + change.ics
    event = _feed(app, w.counsellor)[group.uid]
    assert event["SEQUENCE"] > sequence and str(event["STATUS"]) == "CONFIRMED"
    assert w.own_referral.reference not in str(event["SUMMARY"]) and others[0].reference in str(event["SUMMARY"])


def test_a_group_that_falls_below_its_minimum_is_cancelled_and_the_others_wait_again(client, app):
    w = f.world()
    others = _others(MIN_GROUP - 1)
    group, booking = _session(w, [w.own_referral, *others], type="group")

    assert _withdraw(client, w).status_code == 302

    db.session.expire_all()
    group = db.session.get(Session, group.id)
    assert group.status is SessionStatus.CANCELLED
    assert w.own_referral.id not in {sp.referral_id for sp in group.participants}
    assert all(db.session.get(Referral, r.id).status is ReferralStatus.RECEIVED for r in others)
    assert db.session.get(InterpreterBooking, booking.id).status is BookingStatus.CANCELLED
    assert "METHOD:CANCEL" in _mails(w.interpreter.id)[-1].ics
    assert str(_feed(app, w.counsellor)[group.uid]["STATUS"]) == "CANCELLED"


def test_withdrawal_and_its_cancellations_are_one_transaction(client, monkeypatch):
    w = f.world()
    session, booking = _session(w, w.own_referral)
    others = _others(MIN_GROUP)
    group, _group_booking = _session(w, [w.own_referral, *others], type="group", weeks=4)

    from guidance.services.interpreter_bookings import changes

    original = changes.invitation

    def broken(booking, method, update=False):
        # The individual session is already cancelled when the group's change fails.
        if update:
            raise RuntimeError("calendar service down")
        return original(booking, method, update)

    monkeypatch.setattr(changes, "invitation", broken)
    with pytest.raises(RuntimeError):
        referrals.withdraw_referral(w.referrer, w.own_referral, "Flyttet")
    db.session.rollback()

    db.session.expire_all()
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.BOOKED
    assert db.session.get(Session, session.id).status is SessionStatus.BOOKED
    assert db.session.get(InterpreterBooking, booking.id).status is BookingStatus.ACCEPTED
    assert w.own_referral.id in {sp.referral_id for sp in db.session.get(Session, group.id).participants}
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_withdrawing_a_referral_without_sessions_sends_nothing(client):
    w = f.world()
    assert _withdraw(client, w).status_code == 302
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.WITHDRAWN
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_withdraw_page_names_the_sessions_it_will_cancel_and_the_history_says_why(client):
    """Before the click the referrer sees what withdrawing cancels; afterwards the referral's history
    says the session went because the referral was withdrawn, not that the centre cancelled it."""
    import re

    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10))   # held: not named
    session, _booking = _session(w, w.own_referral)
    f.login(client, w.referrer)
    page = client.get(f"/intake/referrals/{w.own_referral.id}/withdraw").get_data(as_text=True)
    text = re.sub(r"\s+", " ", page)
    assert "Deltakeren har 1 booket time framover. Tilbaketrekkingen avlyser den" in text
    day = session.start.astimezone(cal.OSLO)
    assert f"{day.day}. " in text and day.strftime("%H:%M") in text
    assert "6. oktober" not in text

    assert _withdraw(client, w).status_code == 302
    history = re.sub(r"\s+", " ", client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True))
    assert "Timen avlyst: henvisningen ble trukket tilbake" in history
    assert "Timen avlyst av karrieresenteret" not in history


def test_the_withdraw_page_of_a_referral_without_sessions_warns_of_nothing(client):
    w = f.world()
    f.login(client, w.referrer)
    page = client.get(f"/intake/referrals/{w.own_referral.id}/withdraw").get_data(as_text=True)
    assert "framover" not in page


def test_the_history_names_each_session_a_withdrawal_cancelled_or_left(client):
    import re

    w = f.world()
    individual, _b1 = _session(w, w.own_referral, weeks=3, hour=9)
    group, _b2 = _session(w, [w.own_referral, *_others(MIN_GROUP)], type="group", weeks=4, hour=12)
    assert _withdraw(client, w).status_code == 302
    history = re.sub(r"\s+", " ", client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True))
    assert "Timen avlyst: henvisningen ble trukket tilbake" in history
    assert "Tatt ut av en gruppetime: henvisningen ble trukket tilbake" in history
    for s, kind in ((individual, "Individuell veiledning"), (group, "Gruppeveiledning")):
        assert f"{kind}, " in history and s.start.astimezone(cal.OSLO).strftime("%H:%M") in history
