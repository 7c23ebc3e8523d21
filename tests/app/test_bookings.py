"""Interpreter bookings: invitations over SMTP (sent by the delivery job), answers by POST, the
state machine, alerts, replacements and cost."""
import datetime as dt
import html
import re
import socket
import threading
import time

import icalendar
from zoneinfo import ZoneInfo
import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, BookingStatus, InterpreterBooking, LegalBasis, OutboxMessage, Role, SessionStatus
from guidance.services import bookings, mail, statistics
from guidance.services.errors import DomainError
from tests.app import factories as f
from tests.queue_consumer import run_queued_jobs
from tests.smtp import free_port


@pytest.fixture
def app_config(app_config, inbox):
    app_config["MAIL_SERVER"] = "127.0.0.1"
    app_config["MAIL_PORT"] = inbox[1]
    return app_config


def _booked(w, day=None, hour=10):
    day = day or f.future_weekday()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, hour),
                                  interpreter=w.interpreter, interpreter_mode="onsite")
    booking = bookings.new_booking(session)
    db.session.commit()
    return session, booking


def _accepted_in_time(interpreter, booking) -> None:
    """The interpreter said yes while there was time (a booking of a session now past: its answer
    deadline, set today, has gone by already)."""
    from guidance import clock

    with clock.moved_to(booking.session.start - dt.timedelta(days=3)):
        bookings.answer(interpreter, booking, True)


def _calendar_part(message) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_content())


def _link(message) -> str:
    return re.search(r"https?://[^\s]+(/bookings/confirm/[^\s]+)", message.get_body(("plain",)).get_content()).group(1)


def test_request_is_emailed_as_an_invitation_over_smtp(app, inbox):
    handler, _port = inbox
    w = f.world()
    session, booking = _booked(w)
    bookings.send_booking_requests([booking])
    assert handler.messages == []  # written to the outbox; the job sends it
    run_queued_jobs()
    [message] = handler.messages
    assert message["To"] == w.interpreter.email
    assert "Amal" not in message["Subject"] and "Haddad" not in message.as_string()
    calendar = _calendar_part(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == session.uid
    assert str(event["ATTENDEE"]) == f"mailto:{w.interpreter.email}"
    assert "/bookings/confirm/" in _link(message)
    outbox = db.session.scalars(select(OutboxMessage)).all()
    assert len(outbox) == 1 and outbox[0].sent_at is not None and "METHOD:REQUEST" in outbox[0].ics


def test_confirm_link_shows_the_request_and_only_a_post_declines(client, inbox):
    handler, _port = inbox
    w = f.world()
    _session, booking = _booked(w)
    bookings.send_booking_requests([booking])
    run_queued_jobs()
    link = _link(handler.messages[0])
    page = client.get(link)
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    # A few words are enough: the reason reaches the lead, and must not carry health details.
    assert "som «opptatt» eller «for langt»: ikke skriv helseopplysninger" in page.get_data(as_text=True)
    assert "Honorar etter dine satser" not in page.get_data(as_text=True)   # a forwarded e-mail shows no fee
    db.session.refresh(booking)
    assert booking.status is BookingStatus.REQUESTED

    missing_reason = client.post(link, data={"answer": "decline", "reason": ""})
    assert missing_reason.status_code == 400 and 'aria-invalid="true"' in missing_reason.get_data(as_text=True)
    assert client.post(link, data={"answer": "decline", "reason": "Syk den dagen"}).status_code == 302
    db.session.refresh(booking)
    assert booking.status is BookingStatus.DECLINED and booking.decline_reason == "Syk den dagen"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.decline"))
    assert event.actor_id == w.interpreter.id and "Syk" not in (event.detail or "")
    # The request their mail program put in their calendar is taken out again (a later SEQUENCE).
    run_queued_jobs()
    request, cancel = (_calendar_part(m) for m in handler.messages)
    assert cancel["METHOD"] == "CANCEL" and "Fjernet fra kalenderen din" in handler.messages[1]["Subject"]
    sequence = lambda cal: int(next(iter(cal.walk("VEVENT")))["SEQUENCE"])  # noqa: E731
    assert sequence(cancel) > sequence(request)


def test_a_forged_link_is_refused(client):
    f.world()
    broken = client.get("/bookings/confirm/not-a-token")
    assert broken.status_code == 404
    # Not a dead end: the e-mail says the request can be answered after signing in, and the page gives the way.
    said = broken.get_data(as_text=True)
    assert "etter at du har logget inn" in said or "når du har logget inn" in said
    assert 'href="/bookings/"' in said
    assert client.post("/bookings/confirm/not-a-token", data={"answer": "accept"}).status_code == 404


def test_a_switched_off_interpreter_can_no_longer_answer_through_an_old_link(client):
    from guidance.services.interpreter_bookings.requests import answer_token

    w = f.world()
    _session, booking = _booked(w)
    link = f"/bookings/confirm/{answer_token(booking)}"
    assert client.get(link).status_code == 200
    w.interpreter.active = False
    db.session.commit()
    assert client.get(link).status_code == 404
    assert client.post(link, data={"answer": "accept"}).status_code == 404
    db.session.refresh(booking)
    assert booking.status is BookingStatus.REQUESTED


def test_a_yes_after_the_answer_deadline_is_refused_before_the_expiry_sweep_runs(client, travel_to):
    """The lead may already be asking someone else: a late yes would book two interpreters."""
    w = f.world()
    _session, booking = _booked(w, day=f.future_weekday(weeks=2))
    travel_to(booking.answer_deadline + dt.timedelta(minutes=1))
    f.login(client, w.interpreter)
    page = client.post(f"/bookings/{booking.id}/answer", data={"answer": "accept"}, follow_redirects=True)
    assert "Fristen for å svare har gått ut" in page.get_data(as_text=True)
    db.session.refresh(booking)
    assert booking.status is BookingStatus.REQUESTED


def test_illegal_transitions_are_refused_and_nothing_changes(app):
    w = f.world()
    _session, booking = _booked(w)
    bookings.answer(w.interpreter, booking, True)
    with pytest.raises(DomainError):
        bookings.answer(w.interpreter, booking, False, "too late")
    db.session.rollback()
    assert booking.status is BookingStatus.ACCEPTED
    bookings.cancel_booking(w.lead, booking)
    with pytest.raises(DomainError):
        bookings.transition(w.lead, booking, "accept")
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "interpreterbooking")).all()
    assert actions == ["booking.accept", "booking.cancel"]


def test_a_changed_session_asks_again_and_old_links_stop_working(client, inbox):
    handler, _port = inbox
    w = f.world()
    session, booking = _booked(w)
    bookings.send_booking_requests([booking])
    run_queued_jobs()
    old_link = _link(handler.messages[0])
    bookings.answer(w.interpreter, booking, True)
    session.start += dt.timedelta(hours=2)
    session.end += dt.timedelta(hours=2)
    bookings.session_changed(w.lead, session)
    run_queued_jobs()
    assert booking.status is BookingStatus.REQUESTED and booking.sequence == 1
    assert client.get(old_link).status_code == 404
    new = handler.messages[-1]
    assert _calendar_part(new).walk("VEVENT")[0]["SEQUENCE"] == 1
    assert client.get(_link(new)).status_code == 200


def test_cancelling_a_session_sends_a_cancellation(app, inbox):
    handler, _port = inbox
    w = f.world()
    session, booking = _booked(w)
    bookings.answer(w.interpreter, booking, True)
    bookings.cancel_session(w.lead, session)
    run_queued_jobs()
    assert session.status is SessionStatus.CANCELLED and session.sequence == 1
    assert booking.status is BookingStatus.CANCELLED
    calendar = _calendar_part(handler.messages[-1])
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def _second_interpreter(language="ar", modes=("onsite", "video")):
    person = f.user(Role.INTERPRETER, name="Second Interpreter")
    person.interpreter.modes = list(modes)
    if language != "ar":
        person.interpreter.languages[0].language = language
    db.session.commit()
    return person


def test_no_answer_in_time_alerts_the_lead_who_picks_the_offered_replacement(client, inbox):
    handler, _port = inbox
    w = f.world()
    session, booking = _booked(w)
    spare = _second_interpreter()
    _second_interpreter(language="ti")  # wrong language: never offered
    expired = bookings.expire_overdue(now=booking.answer_deadline + dt.timedelta(minutes=1))
    assert expired == [booking] and booking.status is BookingStatus.EXPIRED

    f.login(client, w.lead)
    page = client.get("/centre/interpreters/").get_data(as_text=True)
    assert "Second Interpreter" in page and w.interpreter.name in page
    assert client.post(f"/centre/interpreters/{booking.id}/rebook", data={"candidate_id": spare.interpreter.id}).status_code == 302
    run_queued_jobs()
    new = db.session.scalar(select(InterpreterBooking).where(InterpreterBooking.interpreter_id == spare.interpreter.id))
    assert new.status is BookingStatus.REQUESTED and new.session_id == session.id
    assert handler.messages[-1]["To"] == spare.email
    db.session.refresh(session)
    assert session.interpreter_id == spare.interpreter.id and session.sequence == 1
    assert 'class="alert-box"' not in client.get("/centre/interpreters/").get_data(as_text=True)  # the alert is resolved


def test_each_offered_replacement_shows_its_planned_cost_category_and_travel_and_the_alert_names_who_it_is_for(client):
    """The walk: "cheapest first" with names alone; the lead could not see what the first one costs, nor
    whose session it was to call their referrer."""
    w = f.world()
    session, booking = _booked(w)
    near = _second_interpreter()   # Bergen, like the location: no travel; 720 kr an hour, category B
    far = f.user(Role.INTERPRETER, name="Far Interpreter")
    far.interpreter.municipality = f.municipality("4621")   # Voss
    far.interpreter.hourly_rate_ore = 60000
    far.interpreter.languages[0].category = 3
    db.session.commit()
    bookings.answer(w.interpreter, booking, False, "busy")
    f.login(client, w.lead)
    page = html.unescape(client.get("/centre/interpreters/").get_data(as_text=True))
    alert = page[page.index('class="alert-box"'):]
    alert = alert[:alert.index("</div>")]
    assert f"Med {w.counsellor.name} for" in alert and "Amal Haddad" in alert
    near_line = alert[alert.index("Second Interpreter –"):alert.index("Far Interpreter –")]   # cheaper first
    assert "1\xa0080\xa0kr" in near_line   # 90 minutes at 720 kr an hour, as the budget counts it
    assert "kategori B" in near_line and "reise" not in near_line
    far_line = alert[alert.index("Far Interpreter –"):]
    assert "kategori C" in far_line and "min reise hver vei" in far_line


def test_a_declined_phone_booking_is_offered_an_interpreter_by_video_and_rebooked_so(client):
    """The page said "no other interpreter is free" of a declined phone booking while an interpreter who works
    on site and by video was free: only phone interpreters were looked at."""
    w = f.world()
    day = f.future_weekday()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 10),
                                  interpreter=w.interpreter, interpreter_mode="phone")
    w.interpreter.interpreter.modes = ["onsite", "video", "phone"]
    booking = bookings.new_booking(session)
    db.session.commit()
    spare = _second_interpreter(modes=("onsite", "video"))   # no phone
    bookings.answer(w.interpreter, booking, False, "busy")
    f.login(client, w.lead)
    page = html.unescape(client.get("/centre/interpreters/").get_data(as_text=True))
    alert = page[page.index('class="alert-box"'):]
    alert = alert[:alert.index("</div>")]
    assert "Second Interpreter (video i stedet)" in alert and "Ingen annen tolk er ledig" not in alert
    assert client.post(f"/centre/interpreters/{booking.id}/rebook", data={"candidate_id": spare.interpreter.id}).status_code == 302
    db.session.refresh(session)
    new = db.session.scalar(select(InterpreterBooking).where(InterpreterBooking.interpreter_id == spare.interpreter.id))
    assert (session.interpreter_id, session.interpreter_mode, new.mode) == (spare.interpreter.id, "video", "video")


def test_a_busy_or_absent_interpreter_is_not_offered(app):
    from guidance.models import Absence

    w = f.world()
    session, booking = _booked(w)
    busy = _second_interpreter()
    absent = _second_interpreter()
    day = session.start.date()
    other = f.published_session(w.counsellor, w.other_referral, start=session.start + dt.timedelta(minutes=30),
                                interpreter=busy)
    assert other.interpreter_id == busy.interpreter.id
    db.session.add(Absence(user_id=absent.id, start_date=day, end_date=day))
    db.session.commit()
    bookings.answer(w.interpreter, booking, False, "busy")
    [alert] = bookings.alerts(w.lead.county_id)
    assert alert.candidates == []


def test_interpreter_accepts_in_the_app_with_a_post(client):
    w = f.world()
    _session, booking = _booked(w)
    f.login(client, w.interpreter)
    assert "Amal" not in client.get("/bookings/").get_data(as_text=True)
    page = client.get(f"/bookings/{booking.id}")
    assert page.status_code == 200
    # ill for the week: one report of the days spares them a request a session (a no said it for one only)
    shown = page.get_data(as_text=True)
    assert "Borte mer enn denne ene timen?" in shown and 'href="/bookings/absence"' in shown
    assert client.post(f"/bookings/{booking.id}/answer", data={"answer": "accept"}).status_code == 302
    db.session.refresh(booking)
    assert booking.status is BookingStatus.ACCEPTED


def test_another_interpreter_cannot_answer(client):
    w = f.world()
    _session, booking = _booked(w)
    other = _second_interpreter()
    f.login(client, other)
    assert client.post(f"/bookings/{booking.id}/answer", data={"answer": "accept"}).status_code == 404


def test_lead_enters_actual_minutes_and_sees_planned_against_actual_cost(client):
    w = f.world()
    past = f.oslo(2026, 10, 6, 10)
    session = f.published_session(w.counsellor, w.own_referral, start=past, interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    db.session.commit()
    # 90 minutes at 720 kr/h, interpreter and location both in Bergen (no travel)
    assert (booking.billed_minutes, booking.travel_minutes, booking.cost_ore) == (90, 0, 108000)
    _accepted_in_time(w.interpreter, booking)
    f.login(client, w.lead)
    assert client.post(f"/centre/interpreters/{booking.id}/actual", data={f"b{booking.id}-minutes": "120"}).status_code == 302
    db.session.refresh(booking)
    assert booking.actual_cost_ore == 144000
    # The row says what was recorded and what it costs, and that a minimum is billed (30 min read as 30).
    row = html.unescape(client.get("/centre/interpreters/?show=all").get_data(as_text=True))
    assert "Minst 60 minutter faktureres; reise kommer i tillegg." in row
    assert re.search(r"Registrert: 120 min, 1\s440(,00)?\s?kr\.", row), re.findall(r"Registrert[^<]*", row)
    # A second booking, asked and not yet answered, that month: planned and expected, no actual yet.
    asked = bookings.new_booking(f.published_session(w.counsellor, f.referral(name="Lina Haddad", language="ar"),
                                                     start=f.oslo(2026, 10, 8, 10), interpreter=w.interpreter))
    # An ordinary referral's interpreter is not the county's to pay: in neither figure.
    ordinary = f.referral(name="Sara Haddad", language="ar", legal_basis=LegalBasis.ORDINARY)
    bookings.new_booking(f.published_session(w.counsellor, ordinary, start=f.oslo(2026, 10, 9, 10),
                                             interpreter=w.interpreter))
    db.session.commit()
    report = bookings.cost_report(w.lead.county_id)
    assert report["month"] == [("2026-10", 108000 + asked.cost_ore, 144000, 144000 + asked.cost_ore)]
    assert report["interpreter"] == [(w.interpreter.name, 108000 + asked.cost_ore, 144000, 144000 + asked.cost_ore)]
    assert report["language"] == [("ar", 108000 + asked.cost_ore, 144000, 144000 + asked.cost_ore)]
    # The budget's figure (home page, overview) is the report's expected cost.
    [month] = [m for m in statistics.interpreter_months(w.lead.county_id) if m["month"] == "2026-10"]
    assert month["cost_nok"] * 100 == 144000 + asked.cost_ore
    page = client.get("/centre/interpreters/").get_data(as_text=True)
    # Babel's Norwegian money format (no-break spaces): "1 440 kr" actual, and the expected beside it
    from guidance.web.templating import money

    with client.application.test_request_context():
        expected = money(144000 + asked.cost_ore)
    assert "1\xa0440\xa0kr" in page and f"<td>{expected}</td>" in page
    # The month as the lead says it, not the report's key.
    assert '<th scope="row">oktober 2026</th>' in page and ">2026-10<" not in page


def test_an_interpreter_who_did_not_come_costs_nothing_and_minutes_are_asked_otherwise(client):
    """Entering 0 minutes billed the minimum hour and the travel: an interpreter nobody saw was paid from the
    budget, and there was no other way to say they did not come (the counsellor's-week review)."""
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10), interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    db.session.commit()
    _accepted_in_time(w.interpreter, booking)
    f.login(client, w.lead)
    empty = client.post(f"/centre/interpreters/{booking.id}/actual", data={f"b{booking.id}-minutes": ""})
    assert empty.status_code == 400
    assert "Skriv minuttene tolken arbeidet, eller kryss av for at tolken ikke kom." in \
        html.unescape(empty.get_data(as_text=True))
    both = client.post(f"/centre/interpreters/{booking.id}/actual",
                       data={f"b{booking.id}-did_not_come": "y", f"b{booking.id}-minutes": "95"})
    assert both.status_code == 400 and "Enten kom ikke tolken, eller" in html.unescape(both.get_data(as_text=True))
    db.session.refresh(booking)
    assert booking.actual_minutes is None
    response = client.post(f"/centre/interpreters/{booking.id}/actual", data={f"b{booking.id}-did_not_come": "y"})
    assert response.status_code == 302
    db.session.refresh(booking)
    assert (booking.actual_minutes, booking.actual_cost_ore) == (0, 0)
    page = html.unescape(client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True))
    assert "Lagret: tolken kom ikke, og ingenting betales." in page
    listed = html.unescape(client.get("/centre/interpreters/?show=all").get_data(as_text=True))
    assert "Registrert: tolken kom ikke; ingenting betales." in listed
    # Each row says where and with whom, so the minutes go against the right booking.
    row = listed[listed.index(f'id="booking-{booking.id}"'):]
    assert session.location.name in row[:800] and w.counsellor.name in row[:800]
    assert bookings.cost_report(w.lead.county_id)["month"] == [("2026-10", booking.cost_ore, 0, 0)]


def test_actual_minutes_are_refused_before_the_session(client):
    w = f.world()
    _session, booking = _booked(w)
    bookings.answer(w.interpreter, booking, True)
    f.login(client, w.lead)
    response = client.post(f"/centre/interpreters/{booking.id}/actual", data={f"b{booking.id}-minutes": "90"})
    assert response.status_code == 400 and 'class="error-summary"' in response.get_data(as_text=True)
    db.session.refresh(booking)
    assert booking.actual_minutes is None


def test_expiry_command_expires_overdue_requests(app):
    w = f.world()
    _session, booking = _booked(w)
    booking.answer_deadline = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["expire-bookings"])
    assert result.exit_code == 0 and "1" in result.output
    db.session.refresh(booking)
    assert booking.status is BookingStatus.EXPIRED


def test_outbox_shows_sent_mail_to_leads_and_admins_only(client, inbox):
    w = f.world()
    _session, booking = _booked(w)
    bookings.send_booking_requests([booking])
    run_queued_jobs()
    f.login(client, w.lead)
    page = client.get("/outbox/").get_data(as_text=True)
    assert w.interpreter.email in page and "METHOD:REQUEST" in page
    other_county = client.application.test_client()
    f.login(other_county, w.other_county_lead)
    assert w.interpreter.email not in other_county.get("/outbox/").get_data(as_text=True)
    referrer = client.application.test_client()
    f.login(referrer, w.referrer)
    assert referrer.get("/outbox/").status_code == 403


def test_unreachable_mail_server_keeps_the_booking_and_the_message_pending_until_it_is_sent(app, inbox):
    handler, port = inbox
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    w = f.world()
    _session, booking = _booked(w)
    [message] = bookings.send_booking_requests([booking])
    run_queued_jobs()
    db.session.refresh(message)
    assert message.sent_at is None and message.error == "ConnectionRefusedError" and message.attempts == 1
    assert message.next_attempt_at > message.created_at  # backed off, not lost
    assert db.session.get(InterpreterBooking, booking.id).status is BookingStatus.REQUESTED
    assert handler.messages == []
    lead = app.test_client()
    f.login(lead, w.lead)
    assert "Ikke sendt ennå (e-posttjeneren avviste tilkoblingen, 1 forsøk)" in lead.get("/outbox/").get_data(as_text=True)

    app.config["MAIL_PORT"] = port  # the mail server is back; the periodic sweep sends what is due
    later = message.next_attempt_at + dt.timedelta(seconds=1)
    assert mail.deliver_pending(now=later).sent == [message.id]
    db.session.refresh(message)
    assert message.sent_at is not None and message.error is None and message.attempts == 2
    assert len(handler.messages) == 1


def test_a_request_does_not_wait_for_the_mail_server(client, inbox):
    """The lead's rebooking answers at once while the mail server hangs; the job sends the mail later."""
    handler, port = inbox
    with socket.socket() as black_hole:  # accepts connections, never says a word
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(8)
        client.application.config["MAIL_PORT"] = black_hole.getsockname()[1]
        w = f.world()
        _session, booking = _booked(w)
        spare = _second_interpreter()
        bookings.expire_overdue(now=booking.answer_deadline + dt.timedelta(minutes=1))
        f.login(client, w.lead)
        started = time.monotonic()
        response = client.post(f"/centre/interpreters/{booking.id}/rebook", data={"candidate_id": spare.interpreter.id})
        assert response.status_code == 302 and time.monotonic() - started < 3  # the SMTP timeout is 10 s
    # The expired request is taken out of the first interpreter's calendar; the spare is asked.
    expired, message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert expired.to_address == w.interpreter.email and "METHOD:CANCEL" in expired.ics
    assert message.to_address == spare.email and message.sent_at is None and message.attempts == 0
    assert "Venter på å bli sendt" in client.get("/outbox/").get_data(as_text=True)

    client.application.config["MAIL_PORT"] = port
    run_queued_jobs()
    db.session.refresh(message)
    assert message.sent_at is not None and sorted(m["To"] for m in handler.messages) == sorted([spare.email,
                                                                                                 w.interpreter.email])


def test_a_message_is_sent_exactly_once(app, inbox):
    """Queued twice, swept while its job runs and delivered by two workers at once: one e-mail."""
    handler, _port = inbox
    handler.delay = 0.5  # a slow server: the workers overlap
    w = f.world()
    _session, booking = _booked(w)
    [message] = bookings.send_booking_requests([booking])
    mail.deliver_later([message])  # a second enqueue of the same message
    message_id = message.id
    db.session.commit()

    def worker():
        with app.app_context():
            mail.deliver_pending([message_id])

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    run_queued_jobs()
    mail.deliver_pending()  # the sweep
    db.session.refresh(message)
    assert len(handler.messages) == 1 and message.sent_at is not None and message.attempts == 1
    assert handler.messages[0]["Message-ID"] == mail.message_id(message)


def test_without_a_mail_server_nothing_is_queued_and_the_outbox_shows_what_would_be_sent(client):
    client.application.config["MAIL_SERVER"] = None
    w = f.world()
    _session, booking = _booked(w)
    bookings.send_booking_requests([booking])
    assert run_queued_jobs() == 0 and mail.deliver_pending().sent == []
    f.login(client, w.lead)
    page = client.get("/outbox/").get_data(as_text=True)
    assert "METHOD:REQUEST" in page and "Ikke sendt (ingen e-posttjener satt opp)" in page


def test_actual_cost_keeps_the_planned_travel_and_bills_the_actual_minutes(app):
    w = f.world()
    w.interpreter.interpreter.municipality = f.municipality("4621")  # Voss: travels to Bergen
    db.session.commit()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10), interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    db.session.commit()
    assert booking.travel_minutes > 0 and booking.cost_ore > 108000
    _accepted_in_time(w.interpreter, booking)
    bookings.record_actual_minutes(w.lead, booking, 120)
    # 30 minutes more than planned at 720 kr/h; the travel is paid as planned
    assert booking.actual_cost_ore - booking.cost_ore == 36000


def test_an_interpreter_who_cannot_travel_in_time_from_an_earlier_session_is_not_offered(app):
    """Free by the clock is not enough: the plan checker knows the drive from Voss to Bergen."""
    from guidance.models import Location, Session as SessionRow

    w = f.world()
    session, booking = _booked(w, hour=10)  # Bergen, 10:00-11:30
    far = _second_interpreter()
    near = _second_interpreter()
    voss = f.centre("46", "4621").locations[0]
    day = session.start.astimezone(f.oslo(2027, 1, 1).tzinfo).date()
    start = f.oslo(day.year, day.month, day.day, 8, 15)  # ends 09:45 in Voss, about two hours from Bergen
    earlier = f.published_session(w.counsellor, f.referral(name="Earlier Person"), start=start, interpreter=far)
    earlier.location = db.session.get(Location, voss.id)
    earlier.room = voss.rooms[0]
    db.session.commit()
    bookings.answer(w.interpreter, booking, False, "busy")
    offered = bookings.replacement_candidates(db.session.get(SessionRow, session.id), limit=10)
    assert near.interpreter in offered
    assert far.interpreter not in offered


def test_the_bookings_list_opens_on_the_sessions_ahead_and_lists_held_ones_to_record_apart(client):
    w = f.world()
    held = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10), interpreter=w.interpreter)
    held_booking = bookings.new_booking(held)
    db.session.commit()
    _accepted_in_time(w.interpreter, held_booking)
    _ahead, ahead_booking = _booked(w)
    f.login(client, w.lead)

    page = client.get("/centre/interpreters/").get_data(as_text=True)
    assert f'id="booking-{ahead_booking.id}"' in page and f'id="booking-{held_booking.id}"' not in page
    assert "Timer framover (1)" in page and "Holdt: faktiske minutter skal føres (1)" in page and "Alle (2)" in page

    to_record = client.get("/centre/interpreters/?show=to_record").get_data(as_text=True)
    assert f'id="booking-{held_booking.id}"' in to_record and f'name="b{held_booking.id}-minutes"' in to_record
    assert f'id="booking-{ahead_booking.id}"' not in to_record
    saved = client.post(f"/centre/interpreters/{held_booking.id}/actual", data={f"b{held_booking.id}-minutes": "95"})
    assert saved.status_code == 302 and "show=to_record" in saved.headers["Location"]
    assert "Holdt: faktiske minutter skal føres (0)" in client.get(saved.headers["Location"]).get_data(as_text=True)


def test_an_interpreter_accepts_the_ticked_requests_together(client):
    """After a plan is published an interpreter may have dozens of requests: ticked ones are accepted in
    one click; one cancelled meanwhile is left and counted; another interpreter's request is refused."""
    w = f.world()
    first = _booked(w, hour=9)[1]
    second = _booked(w, hour=12)[1]
    cancelled_session, gone = _booked(w, hour=14)
    untouched = _booked(w, day=f.future_weekday(weeks=3))[1]
    f.login(client, w.interpreter)
    page = client.get("/bookings/").get_data(as_text=True)
    assert page.count('name="booking"') == 4 and "Takk ja til de avkryssede forespørslene" in page
    # each says by when (Oslo time), and with more than three the button also stands before the list
    from babel.dates import format_datetime

    due = format_datetime(first.answer_deadline, "EEE d. MMM HH:mm", tzinfo=ZoneInfo("Europe/Oslo"), locale="nb")
    assert f'data-label="Svar innen">{due}</td>' in page
    assert page.count("Takk ja til de avkryssede forespørslene") == 2
    cancelled_session.status = SessionStatus.CANCELLED
    db.session.commit()
    response = client.post("/bookings/accept", data={"booking": [first.id, second.id, gone.id]}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Du takket ja til 2 oppdrag." in text and "1 forespørsel kunne ikke tas" in text
    db.session.expire_all()
    assert [db.session.get(InterpreterBooking, b.id).status for b in (first, second, gone, untouched)] == [
        BookingStatus.ACCEPTED, BookingStatus.ACCEPTED, BookingStatus.REQUESTED, BookingStatus.REQUESTED]
    assert "Kryss først av forespørslene" in client.post("/bookings/accept", data={}, follow_redirects=True).get_data(as_text=True)

    other = _second_interpreter()
    intruder = client.application.test_client()
    f.login(intruder, other)
    assert intruder.post("/bookings/accept", data={"booking": [untouched.id]}).status_code == 404
    assert db.session.get(InterpreterBooking, untouched.id).status is BookingStatus.REQUESTED


def test_an_interpreter_who_can_no_longer_come_withdraws_and_the_lead_is_alerted(client):
    """An accepted booking ahead: the interpreter withdraws with a reason; the lead gets an e-mail and
    the home's alert with replacements."""
    from guidance.services.interpreter_bookings.replacements import alerts

    w = f.world()
    session, booking = _booked(w)
    bookings.answer(w.interpreter, booking, True)
    f.login(client, w.interpreter)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert "Kan du ikke komme likevel?" in page and w.counsellor.name in page and w.counsellor.email in page

    # One tap under the text box on a phone had withdrawn at once: the first press asks, with the reason kept.
    asked = client.post(f"/bookings/{booking.id}/withdraw", data={"reason": "Syk"})
    assert asked.status_code == 200
    question = asked.get_data(as_text=True)
    assert "Trekker du deg fra oppdraget" in question and 'name="reason" value="Syk"' in question
    assert 'name="confirm" value="yes"' in question and "Nei, behold oppdraget" in question
    db.session.refresh(booking)
    assert booking.status is BookingStatus.ACCEPTED
    assert client.post(f"/bookings/{booking.id}/withdraw", data={"reason": "Syk", "confirm": "yes"}).status_code == 302
    db.session.refresh(booking)
    assert booking.status is BookingStatus.DECLINED and booking.decline_reason == "Syk"
    (mail,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.lead.id)).all()
    assert mail.subject == "En tolk kan ikke komme likevel" and "Syk" not in mail.body and "Amal" not in mail.body
    assert w.interpreter.name in mail.body and "har trukket seg etter å ha takket ja" in mail.body and "#alerts" in mail.body
    assert [(a.booking.id, a.withdrawn) for a in alerts(w.lead.county_id)] == [(booking.id, True)]
    # The counsellor, who knew the interpreter's name, hears it too (only the leads were told).
    run_queued_jobs()
    (told,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.counsellor.id)).all()
    assert told.subject.startswith("Tolken kan ikke komme: time") and "Syk" not in told.body
    assert f"{w.interpreter.name} kan ikke lenger tolke" in told.body and "Amal" not in told.subject + told.body
    lead = client.application.test_client()
    f.login(lead, w.lead)
    assert "trakk seg etter å ha takket ja: Syk" in lead.get("/centre/interpreters/").get_data(as_text=True)
    assert ">Trakk seg</strong>" in lead.get("/").get_data(as_text=True)
    # The interpreter's own list and page say they withdrew, not that they declined.
    for url in ("/bookings/", f"/bookings/{booking.id}"):
        own = client.get(url).get_data(as_text=True)
        assert ">Du trakk deg</strong>" in own and ">Avslått<" not in own, url
    # What they wrote is on the booking's own page too (only the list had it).
    assert "Din grunn: Syk" in client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    # Once withdrawn there is nothing left to withdraw.
    again = client.post(f"/bookings/{booking.id}/withdraw", data={"reason": "Syk", "confirm": "yes"})
    assert again.status_code == 302
    db.session.refresh(booking)
    assert booking.status is BookingStatus.DECLINED


def test_an_interpreter_withdraws_without_giving_a_reason(client):
    """The absence form says no reason is needed, and the usual reason is illness: withdrawing asks for
    none and warns against health details; the lead's alert says no reason was given."""
    from guidance.services.interpreter_bookings.replacements import alerts

    w = f.world()
    session, booking = _booked(w)
    bookings.answer(w.interpreter, booking, True)
    f.login(client, w.interpreter)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert "Hvorfor kan du ikke komme likevel? (valgfritt)" in page
    assert "Du trenger ikke si hvorfor." in page and "ikke skriv helseopplysninger" in page
    assert 'aria-describedby="reason-hint"' in page

    assert client.post(f"/bookings/{booking.id}/withdraw", data={"reason": "  ", "confirm": "yes"}).status_code == 302
    db.session.refresh(booking)
    assert booking.status is BookingStatus.DECLINED and booking.decline_reason is None
    assert [(a.booking.id, a.withdrawn) for a in alerts(w.lead.county_id)] == [(booking.id, True)]
    lead = client.application.test_client()
    f.login(lead, w.lead)
    text = lead.get("/centre/interpreters/").get_data(as_text=True)
    assert "trakk seg etter å ha takket ja (ingen grunn oppgitt)." in text and "takket ja: <" not in text


def test_an_interpreter_who_could_not_be_there_in_time_if_asked_now_is_not_offered(app, travel_to):
    """08:31 for a 09:30 session: the page offered an interpreter 88 minutes' drive away."""
    w = f.world()
    day = f.future_weekday()
    session, booking = _booked(w, day=day, hour=10)
    near, far = _second_interpreter(modes=("onsite",)), _second_interpreter(modes=("onsite",))
    far.interpreter.municipality = f.municipality("4621")  # Voss: well over an hour from Bergen
    db.session.commit()
    bookings.answer(w.interpreter, booking, False, "busy")

    travel_to(f.oslo(day.year, day.month, day.day, 7, 0))
    [alert] = bookings.alerts(w.lead.county_id)
    assert {c.id for c in alert.candidates} == {near.interpreter.id, far.interpreter.id}
    travel_to(f.oslo(day.year, day.month, day.day, 9, 15))
    [alert] = bookings.alerts(w.lead.county_id)
    assert [c.id for c in alert.candidates] == [near.interpreter.id]


def test_a_declined_request_nobody_else_can_take_offers_to_move_the_session(client):
    """The advice was "start a new planning run", which keeps published sessions as they are."""
    w = f.world()
    session, booking = _booked(w)
    bookings.answer(w.interpreter, booking, False, "busy")
    f.login(client, w.lead)
    page = client.get("/centre/interpreters/").get_data(as_text=True)
    assert "Flytt timen til et tidspunkt da en tolk med språket er ledig" in page
    assert f'href="/planning/sessions/{session.id}/edit?back=/centre/interpreters/"' in page


def test_the_lead_records_an_answer_the_interpreter_gave_on_the_phone(client, inbox):
    """Tomorrow 08:00's request had an answer time before the interpreter read e-mail; they rang the centre."""
    handler, _port = inbox
    w = f.world()
    session, booking = _booked(w)
    second_session, second = _booked(w, hour=13)
    f.login(client, w.lead)
    page = client.get("/centre/interpreters/").get_data(as_text=True)
    assert f'action="/centre/interpreters/{booking.id}/phone-answer"' in page and "Sa ja på telefon" in page

    response = client.post(f"/centre/interpreters/{booking.id}/phone-answer", data={"answer": "accept"})
    assert response.status_code == 302
    db.session.refresh(booking)
    assert booking.status is BookingStatus.ACCEPTED and booking.answered_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.accept"))
    assert event.actor_id == w.lead.id and '"by": "phone"' in event.detail

    # The interpreter, who had only the request ("answer by ..."), gets the booking for their calendar.
    run_queued_jobs()
    confirmed = [m for m in handler.messages if m["To"] == w.interpreter.email and "Booket: tolking" in m["Subject"]]
    assert len(confirmed) == 1 and _calendar_part(confirmed[0])["METHOD"] == "REQUEST"
    assert "Du sa ja på telefon til karrieresenteret" in confirmed[0].get_body(("plain",)).get_content()

    client.post(f"/centre/interpreters/{second.id}/phone-answer", data={"answer": "decline", "reason": "Syk"})
    run_queued_jobs()
    db.session.refresh(second)
    assert second.status is BookingStatus.DECLINED and second.decline_reason == "Syk (sagt på telefon)"   # read after "X declined: "
    [alert] = bookings.alerts(w.lead.county_id)  # the lead finds another, as after an e-mailed no
    assert alert.booking.id == second.id
    # an answered request offers no phone buttons any more
    assert f"/centre/interpreters/{booking.id}/phone-answer" not in client.get("/centre/interpreters/").get_data(as_text=True)


def test_the_lead_asks_the_first_offered_for_every_session_at_once(client, inbox):
    """After a morning of expired requests the lead pressed "Ask" a hundred times."""
    w = f.world()
    day = f.future_weekday()
    first, first_booking = _booked(w, day=day, hour=9)
    second, second_booking = _booked(w, day=day, hour=13)
    spare = _second_interpreter()
    for booking in (first_booking, second_booking):
        bookings.answer(w.interpreter, booking, False, "busy")
    f.login(client, w.lead)
    page = client.get("/centre/interpreters/").get_data(as_text=True)
    assert "Spør den første som tilbys for alle 2 timene" in page
    response = client.post("/centre/interpreters/rebook-all", follow_redirects=True)
    assert "2 tolker er spurt." in response.get_data(as_text=True)
    asked = db.session.scalars(select(InterpreterBooking).where(InterpreterBooking.interpreter_id == spare.interpreter.id,
                                                                InterpreterBooking.status == BookingStatus.REQUESTED)).all()
    assert sorted(b.session_id for b in asked) == sorted([first.id, second.id])
    assert bookings.alerts(w.lead.county_id) == []


def test_the_counsellor_hears_who_interprets_when_a_replacement_says_yes(client, inbox):
    """Hodan Farah's request expired and Abdi Ali took it: only the interpreters were e-mailed, and the
    counsellor, who sends the video link, did not know to whom."""
    handler, _port = inbox
    w = f.world()
    session, booking = _booked(w)
    spare = _second_interpreter()
    bookings.answer(w.interpreter, booking, False, "busy")
    [alert] = bookings.alerts(w.lead.county_id)
    replacement = bookings.rebook(w.lead, booking, spare.interpreter.id)
    run_queued_jobs()
    assert not [m for m in db.session.scalars(select(OutboxMessage)) if m.to_user_id == w.counsellor.id]
    bookings.answer(spare, replacement, True)
    run_queued_jobs()
    [told] = [m for m in db.session.scalars(select(OutboxMessage)) if m.to_user_id == w.counsellor.id]
    assert told.subject.startswith("Ny tolk: time ") and "Amal" not in told.subject
    assert f"tolken er nå {spare.name} (oppmøte)" in told.body and told.ics is None
    # the first interpreter's own yes would tell nobody: there was no one before them
    other, first = _booked(w, hour=13)
    bookings.answer(w.interpreter, first, True)
    run_queued_jobs()
    assert len([m for m in db.session.scalars(select(OutboxMessage)) if m.to_user_id == w.counsellor.id]) == 1


def test_a_decline_offers_to_register_the_interpreter_away_that_day(client):
    """The walk: an interpreter declined with "ill that week", nothing suggested registering it, and the
    afternoon's run booked her six times more that week."""
    w = f.world()
    session, booking = _booked(w)
    bookings.answer(w.interpreter, booking, False, "Sjuk den veka")
    f.login(client, w.lead)
    page = html.unescape(client.get("/centre/interpreters/").get_data(as_text=True))
    day = session.start.astimezone(ZoneInfo("Europe/Oslo")).date()
    link = f'/planning/absences?user_id={w.interpreter.id}&day={day.isoformat()}'
    assert f'href="{link}"' in page and f"Registrer at {w.interpreter.name} er borte" in page
    form = client.get(link).get_data(as_text=True)
    assert f'<option selected value="{w.interpreter.id}">' in form
    assert form.count(f'value="{day.isoformat()}"') == 2  # first and last day


def test_an_accepted_assignment_is_not_titled_a_request(client):
    w = f.world()
    _session, booking = _booked(w)
    f.login(client, w.interpreter)
    title = lambda: re.search(r"<title>([^<]*)</title>", client.get(f"/bookings/{booking.id}").get_data(as_text=True)).group(1)  # noqa: E731
    assert title().startswith("Forespørsel om tolkeoppdrag")
    bookings.answer(w.interpreter, booking, True)
    assert title().startswith("Tolkeoppdrag tirsdag") and "Forespørsel" not in title()


def test_the_alert_names_the_last_answer_and_who_was_asked_before(client):
    """A replacement who said no too was hidden behind the first interpreter's answer; the reason was nowhere."""
    w = f.world()
    session, booking = _booked(w)
    spare = _second_interpreter()
    bookings.answer(w.interpreter, booking, False, "Sjuk den veka")
    f.login(client, w.lead)
    assert client.post(f"/centre/interpreters/{booking.id}/rebook", data={"candidate_id": spare.interpreter.id}).status_code == 302
    second = db.session.scalar(select(InterpreterBooking).where(InterpreterBooking.interpreter_id == spare.interpreter.id))
    bookings.answer(spare, second, False, "Opptatt på Askøy")
    page = html.unescape(client.get("/centre/interpreters/").get_data(as_text=True))
    alert = page[page.index('class="alert-box"'):]
    alert = alert[:alert.index("</div>")]
    assert "Second Interpreter takket nei: Opptatt på Askøy" in alert
    assert f"Spurt før: {w.interpreter.name} (avslått: Sjuk den veka)" in " ".join(re.sub(r"<[^>]+>", "", alert).split())
    assert page.count('class="alert-box"') == 1
    home = html.unescape(client.get("/").get_data(as_text=True))   # the home's line names the last answer too
    card = home[home.index('id="today-interpreters"'):home.index('id="today-absences"')]
    assert "Second Interpreter" in card and w.interpreter.name not in card


def test_a_pending_request_says_when_the_answer_is_due(client):
    """"Requested" alone: the lead could not see when a request runs out."""
    w = f.world()
    _session, booking = _booked(w)
    f.login(client, w.lead)
    page = html.unescape(client.get("/centre/interpreters/?show=ahead").get_data(as_text=True))
    row = page[page.index(f'id="booking-{booking.id}"'):].split("</tr>")[0]
    assert "Svar innen " in row and re.search(r"Svar innen \w+\. \d+\. \w+\.? \d\d:\d\d", row), row


def test_each_interpreter_who_cannot_come_is_its_own_e_mail_to_the_counsellor(client):
    """Two withdrawn bookings in one e-mail read "2 changes to sessions of your referrals" to a counsellor."""
    from guidance.services import absences

    w = f.world()
    day = f.future_weekday()
    first_session, first = _booked(w, day=day, hour=9)
    second_session, second = _booked(w, day=day, hour=13)
    for booking in (first, second):
        bookings.answer(w.interpreter, booking, True)
    absences.report_own_absence(w.interpreter, start=day, end=day)
    run_queued_jobs()
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.counsellor.id)).all()
    assert sorted(m.subject[:len("Tolken kan ikke komme: time")] for m in mails) == ["Tolken kan ikke komme: time"] * 2


def test_the_interpreter_sees_the_time_billed_and_the_fee_before_saying_yes_and_what_was_recorded(client, travel_to):
    """The lead saw "90 + 88 min travel each way, 2 031 kr"; the interpreter saw no fee, travel or hours to invoice
    (the counsellor's-week review)."""
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10), interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    db.session.commit()
    travel_to(f.oslo(2026, 9, 28, 9))
    f.login(client, w.interpreter)
    page = html.unescape(client.get(f"/bookings/{booking.id}").get_data(as_text=True))
    assert "Fakturert tid" in page and "90 min" in page
    assert re.search(r"Honorar etter dine satser</dt><dd>1\s080(,00)?\s?kr", page), page[page.find("Fakturert"):][:400]
    assert "Et anslag" in page
    listing = html.unescape(client.get("/bookings/").get_data(as_text=True))
    assert re.search(r"1\s080(,00)?\s?kr", listing)
    _accepted_in_time(w.interpreter, booking)
    travel_to(f.oslo(2026, 10, 6, 14))
    bookings.record_actual_minutes(w.lead, booking, 120)
    f.login(client, w.interpreter)
    page = html.unescape(client.get(f"/bookings/{booking.id}").get_data(as_text=True))
    assert re.search(r"Registrert etter timen: 120 min, 1\s440(,00)?\s?kr\.", page)
