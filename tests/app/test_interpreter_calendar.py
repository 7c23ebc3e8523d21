"""An interpreter's calendar subscription (the assignments they accepted) and their choice of one e-mail
per request or one summary per plan (after a publication one interpreter had 54 e-mails in a minute)."""
import datetime as dt
import re

import icalendar
import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import BookingStatus, OutboxMessage, Role
from guidance.services import bookings
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # pages, forms and mail composition over the ORM


@pytest.fixture
def world(travel_to):
    travel_to(dt.datetime(2027, 3, 1, 11, 0, tzinfo=dt.timezone.utc))  # winter: Oslo is UTC+1
    return f.world()


def _requests(w, hours=(9, 12, 14), day=dt.date(2027, 3, 10)):
    out = []
    for n, hour in enumerate(hours):
        referral = w.own_referral if n == 0 else f.referral(name=f"Person {n}")
        session = f.published_session(w.counsellor, referral, start=f.oslo(day.year, day.month, day.day, hour),
                                      interpreter=w.interpreter)
        out.append(bookings.new_booking(session))
    db.session.commit()
    return out


def _mail_to(person) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == person.id)
                                   .order_by(OutboxMessage.id)))


def test_an_interpreter_who_chose_a_summary_gets_one_e_mail_for_a_plans_requests(client, world):
    w = world
    f.login(client, w.interpreter)
    page = client.get("/bookings/calendar").get_data(as_text=True)
    assert "Én e-post per forespørsel, med kalenderinvitasjon" in page
    assert client.post("/bookings/calendar/request-mail", data={"request_mail": "summary"}).status_code == 302
    requested = _requests(w)
    bookings.send_booking_requests(requested)
    (message,) = _mail_to(w.interpreter)
    assert message.subject == "3 tolkeforespørsler" and message.ics is None
    assert "Amal" not in message.subject + message.body  # no participant named
    # each request with its own time (Oslo) and answer link, earliest first
    assert message.body.index("10.03.2027 09:00–10:30") < message.body.index("10.03.2027 12:00–13:30")
    links = re.findall(r"https?://\S+(/bookings/confirm/\S+)", message.body)
    assert len(links) == 3
    client.post("/logout")
    answered = client.post(links[1], data={"answer": "accept"})
    assert answered.status_code == 302
    db.session.expire_all()
    assert [b.status for b in requested] == [BookingStatus.REQUESTED, BookingStatus.ACCEPTED, BookingStatus.REQUESTED]


def test_by_default_each_request_is_its_own_calendar_invitation(app, world):
    w = world
    bookings.send_booking_requests(_requests(w))
    messages = _mail_to(w.interpreter)
    assert len(messages) == 3 and all("METHOD:REQUEST" in m.ics for m in messages)
    # the text says how long they are booked (their day's plan), in Oslo time
    assert "10.03.2027 09:00–10:30" in messages[0].body and "10.03.2027 14:00–15:30" in messages[2].body


def test_an_unknown_choice_is_refused_beside_the_field(client, world):
    f.login(client, world.interpreter)
    response = client.post("/bookings/calendar/request-mail", data={"request_mail": "never"})
    assert response.status_code == 400 and 'class="error-summary"' in response.get_data(as_text=True)
    db.session.refresh(world.interpreter.interpreter)
    assert world.interpreter.interpreter.request_mail == "each"


def test_the_subscription_holds_the_accepted_assignments_only(client, world):
    w = world
    first, second, third = _requests(w)
    third.mode = third.session.interpreter_mode = "video"   # from home: the room is not where they go
    first.session.location.address = "Strandgata 12"
    bookings.answer(w.interpreter, first, True)
    bookings.answer(w.interpreter, second, False, "Opptatt")
    bookings.answer(w.interpreter, third, True)
    f.login(client, w.interpreter)
    page = client.post("/bookings/calendar/token", follow_redirects=True).get_data(as_text=True)
    https = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    assert "Lag en ny kalenderadresse" not in page  # not right under the address just shown
    assert "når og hvor oppdragene dine er" in page   # assignments, not guidance sessions of their own
    client.post("/logout")
    body = client.get("/" + https.split("://", 1)[1].split("/", 1)[1]).data
    events = list(icalendar.Calendar.from_ical(body).walk("VEVENT"))
    assert len(events) == 2
    event, by_video = events
    assert event["DTSTART"].dt.hour == 9 and str(event["DTSTART"].dt.tzinfo) == "Europe/Oslo"
    assert "Rom 1" in str(event["LOCATION"]) and str(by_video["LOCATION"]) == "På video"
    assert str(event["LOCATION"]).endswith(", Strandgata 12")   # the street, for the phone's map
    assert f"/bookings/{first.id}" in str(event["URL"])
    assert b"Amal" not in body and w.own_referral.reference.encode() in body
    # An accepted assignment the centre cancels stays, as cancelled: it had vanished from the interpreter's
    # calendar without a word (the page promised that cancellations follow).
    from guidance.services.interpreter_bookings.changes import cancel_session

    cancel_session(w.lead, first.session, reason="participant_cancelled")
    body = client.get("/" + https.split("://", 1)[1].split("/", 1)[1]).data
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    assert len(events) == 2 and str(events[first.session.uid]["STATUS"]) == "CANCELLED"
    assert str(events[first.session.uid]["SUMMARY"]).startswith("Avlyst:")
    assert str(events[third.session.uid]["STATUS"]) == "CONFIRMED"
    # Taken off a session that goes on with someone else: it leaves the feed (the security review: it had followed
    # the session's new time, references and video link).
    from guidance.services.interpreter_bookings import changes as booking_changes

    booking_changes.cancel_booking(w.lead, third)
    body = client.get("/" + https.split("://", 1)[1].split("/", 1)[1]).data
    assert third.session.uid.encode() not in body
    # switched off: the address answers nothing
    f.login(client, w.interpreter)
    client.post("/bookings/calendar/revoke")
    client.post("/logout")
    assert client.get("/" + https.split("://", 1)[1].split("/", 1)[1]).status_code == 404


def test_another_role_cannot_use_the_interpreters_calendar_page(client, world):
    f.login(client, world.counsellor)
    assert client.get("/bookings/calendar").status_code in (403, 404)
