"""A lead cancels one booked session: a confirmation with a reason, then a POST that cancels the
interpreter booking, marks the session cancelled in the counsellor's calendar and puts the
participants back in the queue."""
import datetime as dt
import re

import icalendar
import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, BookingStatus, OutboxMessage, Referral, ReferralStatus, Session, SessionStatus
from guidance.services import bookings
from guidance.services import calendar as cal
from tests.app import factories as f


def _booked(w, referrals=None, hour=10):
    day = f.future_weekday()
    session = f.published_session(w.counsellor, referrals or w.own_referral, start=f.oslo(day.year, day.month, day.day, hour),
                                  interpreter=w.interpreter, interpreter_mode="onsite")
    booking = bookings.new_booking(session)
    db.session.commit()
    bookings.answer(w.interpreter, booking, True)
    return session, booking


def _feed_event(app, counsellor, session) -> icalendar.Event:
    token = cal.issue_feed_token(counsellor)
    body = app.test_client().get(f"/calendar/{token}.ics").data
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}[session.uid]


def _state(session, booking):
    db.session.expire_all()
    return (db.session.get(Session, session.id).status, db.session.get(type(booking), booking.id).status,
            db.session.get(Referral, session.participants[0].referral_id).status,
            db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.ics.like("%METHOD:CANCEL%")).limit(1)))


def test_lead_cancels_a_booked_session_after_confirming_a_reason(client, app):
    w = f.world()
    session, booking = _booked(w)
    sequence = _feed_event(app, w.counsellor, session)["SEQUENCE"]
    f.login(client, w.lead)

    sessions_page = client.get(f"/planning/runs/{session.run_id}/sessions?week={session.start.date().isoformat()}")
    assert f'href="/planning/sessions/{session.id}/cancel"' in sessions_page.get_data(as_text=True)
    confirm = client.get(f"/planning/sessions/{session.id}/cancel")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and w.own_referral.reference in page and 'method="post"' in page
    assert "Amal Haddad" not in page
    assert _state(session, booking)[:3] == (SessionStatus.BOOKED, BookingStatus.ACCEPTED, ReferralStatus.BOOKED)

    missing = client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": ""})
    assert missing.status_code == 400 and 'aria-invalid="true"' in missing.get_data(as_text=True)
    assert _state(session, booking) == (SessionStatus.BOOKED, BookingStatus.ACCEPTED, ReferralStatus.BOOKED, None)

    response = client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "counsellor_unavailable"})
    assert response.status_code == 302
    status, booking_status, referral_status, cancel_mail = _state(session, booking)
    assert (status, booking_status, referral_status) == (SessionStatus.CANCELLED, BookingStatus.CANCELLED, ReferralStatus.RECEIVED)
    message = db.session.get(OutboxMessage, cancel_mail)
    assert message.to_user_id == w.interpreter.id and "Amal" not in message.subject + message.body + message.ics
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.cancel"))
    assert event.actor_id == w.lead.id and event.object_id == session.id and "counsellor_unavailable" in event.detail
    # The counsellor's calendar shows it cancelled, with a higher SEQUENCE so clients update it.
    cancelled = _feed_event(app, w.counsellor, session)
    assert str(cancelled["STATUS"]) == "CANCELLED" and cancelled["SEQUENCE"] > sequence
    # The referral's history says what happened, in words.
    history = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    history = history[history.index("Historikk"):]
    assert "Timen avlyst av karrieresenteret" in history and "Karriereveilederen kan ikke holde den" in history
    assert "Venter på ny tid: timen ble avlyst" in history and "referral.requeued" not in history
    # A second cancellation changes nothing.
    assert client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "other"}).status_code == 400
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "session.cancel").offset(1)) is None


def test_another_countys_lead_cannot_see_or_cancel_the_session(client):
    w = f.world()
    session, booking = _booked(w)
    before = _state(session, booking)
    f.login(client, w.other_county_lead)
    assert client.get(f"/planning/sessions/{session.id}/cancel").status_code == 404
    assert client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "other"}).status_code == 404
    assert _state(session, booking) == before


@pytest.mark.parametrize("person", ["counsellor", "referrer", "interpreter"])
def test_only_leads_cancel_sessions(client, person):
    w = f.world()
    session, booking = _booked(w)
    f.login(client, getattr(w, person))
    assert client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "other"}).status_code == 403
    assert _state(session, booking)[0] is SessionStatus.BOOKED


def test_a_group_member_with_another_booked_session_stays_booked(client):
    w = f.world()
    group, booking = _booked(w, [w.own_referral, w.other_referral])
    day = f.future_weekday(weeks=4)
    f.published_session(w.counsellor, w.other_referral, start=f.oslo(day.year, day.month, day.day, 12))
    f.login(client, w.lead)
    assert client.post(f"/planning/sessions/{group.id}/cancel", data={"reason": "room_unavailable"}).status_code == 302
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.RECEIVED
    assert db.session.get(Referral, w.other_referral.id).status is ReferralStatus.BOOKED


def test_a_session_that_has_started_is_not_cancelled(client, travel_to):
    w = f.world()
    session, booking = _booked(w)
    later = session.start + dt.timedelta(minutes=10)
    travel_to(later)
    f.login(client, w.lead)
    page = client.get(f"/planning/sessions/{session.id}/cancel").get_data(as_text=True)
    assert 'name="reason"' not in page
    assert client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "other"}).status_code == 400
    assert _state(session, booking)[0] is SessionStatus.BOOKED


@pytest.fixture
def csrf_app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_the_cancel_form_needs_its_csrf_token(csrf_app_config, app):
    w = f.world()
    session, booking = _booked(w)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": w.lead.email, "password": f.PASSWORD, "csrf_token": token})
    client.post("/login/code", data={"code": f.second_factor_code(w.lead), "csrf_token": token})
    page = client.get(f"/planning/sessions/{session.id}/cancel").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    assert client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "other"}).status_code == 400
    assert _state(session, booking)[0] is SessionStatus.BOOKED
    response = client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "other", "csrf_token": token})
    assert response.status_code == 302 and _state(session, booking)[0] is SessionStatus.CANCELLED


def test_the_lead_sees_who_is_told_and_is_warned_about_a_municipality_without_a_referrer(client, app):
    """Bergen's referral has its referrer; the other municipality has no account in Veiled, so the
    lead is given the participant's phone before cancelling, and a warning after."""
    w = f.world()
    w.other_referral.participant.phone = "+47 412 34 567"
    for person in db.session.scalars(select(type(w.referrer)).where(
            type(w.referrer).municipality_id == w.other_referral.referring_municipality_id)):
        person.active = False
    db.session.commit()
    session, _booking = _booked(w, referrals=[w.own_referral, w.other_referral])
    f.login(client, w.lead)
    page = client.get(f"/planning/sessions/{session.id}/cancel").get_data(as_text=True)
    told = page[page.index("Hvem får beskjed"):]
    assert f"{w.own_referral.reference} (Bergen): får beskjed i Veiled: {w.referrer.name}" in " ".join(told.split())
    assert "ingen: kommunen har ingen henviser med konto." in told and "Ring deltakeren: +47 412 34 567." in told
    response = client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "other"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    # Named with the phone to call (the lead tells them), and only those nobody tells.
    assert (f"Ingen får beskjed om Yonas Tesfay ({w.other_referral.reference}, {w.other_referral.participant.phone}) "
            "i Veiled") in page
    assert w.own_referral.reference not in page[page.index("Ingen får beskjed"):page.index("Si fra til deltakeren")]


def test_cancelling_a_session_sooner_than_a_letter_says_the_lead_phones_every_participant(client, travel_to):
    """The page listed the participants as "told in Veiled: <referrer>", and afterwards they stood on the lead's
    list to phone: the lead did not know before confirming, and the referrer's page told them to call too."""
    travel_to(f.oslo(2027, 1, 11, 8))   # Monday; the session is tomorrow
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 12, 10))
    later = f.published_session(w.counsellor, f.referral(name="Sara Tesfay"), start=f.oslo(2027, 2, 15, 10))
    f.login(client, w.lead)
    page = client.get(f"/planning/sessions/{session.id}/cancel").get_data(as_text=True)
    assert 'id="cancel-too-soon"' in page and "ring hver av dem" in page
    assert 'id="cancel-too-soon"' not in client.get(f"/planning/sessions/{later.id}/cancel").get_data(as_text=True)


def test_a_cancelled_sessions_interpreter_is_not_said_to_be_sought(client, app, travel_to):
    """After the lead cancelled a group whose interpreter had said yes, the counsellor's home and both
    cancellation calendar entries said "none has said yes yet (the centre is finding one)"."""
    w = f.world()
    session, booking = _booked(w)
    travel_to(session.start - dt.timedelta(hours=3))   # the morning of the session
    f.login(client, w.lead)
    assert client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "other"}).status_code == 302
    db.session.expire_all()
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.ics.like("%METHOD:CANCEL%"))):
        description = str(icalendar.Calendar.from_ical(message.ics).walk("VEVENT")[0].get("DESCRIPTION", ""))
        assert "ingen har sagt ja" not in description, message.to_user_id
    event = _feed_event(app, w.counsellor, session)
    assert "ingen har sagt ja" not in str(event.get("DESCRIPTION", ""))
    f.login(client, w.counsellor)
    home = client.get("/").get_data(as_text=True)
    assert "Avlyst" in home and "ingen har sagt ja" not in home
