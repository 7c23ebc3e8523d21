"""Notices (issue 27): referrers and counsellors hear about sessions by e-mail through the outbox
and the queue, each as they chose; reminders before sessions; text messages through a gateway."""
import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import icalendar
import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, Notice, OutboxMessage, Referral, Session, TextMessage
from guidance.services import bookings, notes, notices, plan_edits, sms
from guidance.services import planning as planning_service
from tests.app import factories as f
from tests.app.planning.helpers import draft_run, draft_session, planning_world
from tests.queue_consumer import run_queued_jobs

BASE = "https://veiled.example.no"


@pytest.fixture
def app_config(app_config, inbox):
    app_config["MAIL_SERVER"] = "127.0.0.1"
    app_config["MAIL_PORT"] = inbox[1]
    app_config["BASE_URL"] = BASE
    return app_config


def _to(user) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == user.id)
                                   .order_by(OutboxMessage.id)))


def _retry_everything():
    """A retried job: the dispatch job queued again and run, and the sweep's dispatch."""
    from guidance import jobs

    jobs.enqueue_notices()
    run_queued_jobs()
    notices.dispatch()
    run_queued_jobs()


def _booked(w, start, referral=None):
    return f.published_session(w.counsellor, referral or w.own_referral, start=start, interpreter=None)


def test_a_publish_tells_each_referrer_once_without_names_and_with_a_link(app, travel_to, inbox):
    handler, _port = inbox
    travel_to(f.oslo(2027, 1, 8, 12))
    w = planning_world()
    second = f.referral(name="Sara Haile")
    run = draft_run(w.lead)
    draft_session(run, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 19, 10))
    draft_session(run, w.counsellor, [second], start=f.oslo(2027, 1, 20, 10))
    draft_session(run, w.counsellor, [w.other_referral], start=f.oslo(2027, 1, 21, 10))

    planning_service.publish_run(w.lead, run, confirm_stale=True)
    run_queued_jobs()

    [message] = _to(w.referrer)  # both Bergen referrals in one e-mail
    assert w.own_referral.reference in message.body and second.reference in message.body
    assert "Amal" not in message.subject + message.body and "Sara" not in message.subject + message.body
    assert f"{BASE}/referrals/{w.own_referral.id}" in message.body and f"{BASE}/account/notices" in message.body
    assert message.sent_at is not None
    [other] = _to(w.other_referrer)
    assert other.subject == f"Time booka for tilvising {w.other_referral.reference}"  # Voss writes nynorsk
    assert _to(w.counsellor) == []  # a published plan is in the counsellor's calendar already

    _retry_everything()
    assert len(_to(w.referrer)) == 1 and len(_to(w.other_referrer)) == 1
    assert len([m for m in handler.messages if m["To"] == w.referrer.email]) == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.sent")).first()
    assert "Amal" not in (event.detail or "") and w.referrer.email not in (event.detail or "")


def test_a_move_tells_the_referrer_and_sends_the_counsellor_the_updated_event(app, travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 9), interpreter=w.interpreter)

    plan_edits.move_published_session(w.lead, session, start=dt.datetime(2027, 1, 26, 13, 0), room_id=session.room_id,
                                      counsellor_id=session.counsellor_id, interpreter_id=w.interpreter.interpreter.id,
                                      interpreter_mode="onsite")
    run_queued_jobs()

    [to_referrer] = _to(w.referrer)
    assert to_referrer.subject == f"Time flytta for tilvising {w.own_referral.reference}"  # Bergen: the county's nynorsk
    # Which session moved, from when to when: a participant may have several.
    assert "timen 25.01.2027 09:00 er flytta til 26.01.2027 13:00" in to_referrer.body
    assert f"{BASE}/referrals/{w.own_referral.id}" in to_referrer.body
    [to_counsellor] = _to(w.counsellor)
    assert "Amal" not in to_counsellor.subject and "26.01.2027 13:00" in to_counsellor.subject
    assert "Timen din 25.01.2027 09:00 er flyttet til 26.01.2027 13:00" in to_counsellor.body
    calendar = icalendar.Calendar.from_ical(to_counsellor.ics)
    [event] = calendar.walk("VEVENT")
    moved = db.session.get(Session, session.id)
    assert str(calendar["METHOD"]) == "REQUEST" and str(event["UID"]) == moved.uid
    assert int(event["SEQUENCE"]) == moved.sequence and moved.sequence > 0
    assert f"{BASE}/week/sessions/{session.id}" in to_counsellor.body

    _retry_everything()
    assert len(_to(w.referrer)) == 1 and len(_to(w.counsellor)) == 1


def test_a_cancel_tells_the_referrer_and_cancels_the_counsellors_event(app, travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    session = _booked(w, f.oslo(2027, 1, 25, 9))

    bookings.cancel_session(w.lead, session, "counsellor_unavailable")
    run_queued_jobs()

    [to_referrer] = _to(w.referrer)
    assert to_referrer.subject == f"Time avlyst for tilvising {w.own_referral.reference}"
    [to_counsellor] = _to(w.counsellor)
    assert "METHOD:CANCEL" in to_counsellor.ics and "STATUS:CANCELLED" in to_counsellor.ics
    _retry_everything()
    assert len(_to(w.referrer)) == 1 and len(_to(w.counsellor)) == 1
    assert len(db.session.scalars(select(Notice)).all()) == 2


def test_the_settings_page_changes_what_is_sent(client, travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    first, second = _booked(w, f.oslo(2027, 1, 25, 9)), _booked(w, f.oslo(2027, 1, 26, 9))
    f.login(client, w.referrer)
    page = client.get("/account/notices").get_data(as_text=True)
    assert 'value="immediate" checked' in page or "checked" in page
    # A reminder comes on its own day: it is asked as yes or no, not "immediately" (the others are).
    import re

    reminders = page[page.rindex("<fieldset", 0, page.index('name="reminders"')):]
    reminders = reminders[:reminders.index("</fieldset>")]
    assert re.findall(r'<label for="reminders-\d">([^<]+)</label>', reminders) == ["Ja, på e-post", "Nei"], reminders
    assert client.post("/account/notices", data={"referral_sessions": "digest", "guidance_notes": "never",
                                                 "reminders": "immediate"}).status_code == 302
    assert client.post("/account/notices", data={"referral_sessions": "sometimes"}).status_code == 400
    client.post("/logout")
    f.login(client, w.counsellor)
    assert client.post("/account/notices", data={"my_sessions": "never"}).status_code == 302

    bookings.cancel_session(w.lead, first, "other")
    bookings.cancel_session(w.lead, second, "other")
    run_queued_jobs()
    assert _to(w.referrer) == [] and _to(w.counsellor) == []  # digest and never: nothing now

    notices.send_digests()
    run_queued_jobs()
    [digest] = _to(w.referrer)
    assert digest.subject == "Dagleg oppsummering: 2 endringar i Veiled" and digest.sent_at is not None
    assert digest.body.count(w.own_referral.reference) == 2
    notices.send_digests()
    assert len(_to(w.referrer)) == 1 and _to(w.counsellor) == []

    notes.share(w.counsellor, w.own_referral, notes.NoteInput("Mål", "Bakgrunn", "Neste steg", False))
    assert len(_to(w.referrer)) == 1  # guidance notes: never


def _move(w, session, to: dt.datetime):
    plan_edits.move_published_session(w.lead, db.session.get(Session, session.id), start=to, room_id=session.room_id,
                                      counsellor_id=session.counsellor_id, interpreter_id=w.interpreter.interpreter.id,
                                      interpreter_mode="onsite")


def test_a_session_moved_twice_before_the_summary_is_one_line_from_the_time_the_referrer_had(app, travel_to):
    """The daily summary listed "25.01 09:00 moved to 27.01 10:00" and "26.01 13:00 moved to 27.01 10:00": the
    referrer never heard of 26.01, and read two sessions where the participant has one."""
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    w.referrer.notice_settings = {"referral_sessions": "digest"}
    db.session.commit()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 9), interpreter=w.interpreter)
    _move(w, session, dt.datetime(2027, 1, 26, 13, 0))
    _move(w, session, dt.datetime(2027, 1, 27, 10, 0))

    [digest] = notices.send_digests()
    assert digest.subject == "Dagleg oppsummering: 1 endring i Veiled"
    assert "timen 25.01.2027 09:00 er flytta til 27.01.2027 10:00" in digest.body
    assert "26.01.2027" not in digest.body and digest.body.count(w.own_referral.reference) == 1

    # Moved back to the time they had: the line says where it is, not "09:00 is moved to 09:00".
    _move(w, session, dt.datetime(2027, 1, 28, 10, 0))
    _move(w, session, dt.datetime(2027, 1, 27, 10, 0))
    [digest] = notices.send_digests()
    assert "er flytta til 27.01.2027 10:00" in digest.body and "timen 27.01.2027" not in digest.body


def test_a_session_booked_and_moved_before_the_e_mail_left_is_told_as_booked_at_its_new_time(app, travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 9), interpreter=w.interpreter)
    notices.session_event(w.lead, session, notices.BOOKED, counsellor=False)
    db.session.commit()
    _move(w, session, dt.datetime(2027, 1, 26, 13, 0))   # before the dispatch ran: one e-mail for both
    run_queued_jobs()

    [to_referrer] = _to(w.referrer)
    assert to_referrer.subject == f"Time booka for tilvising {w.own_referral.reference}"
    assert "26.01.2027 13:00" in to_referrer.body and "25.01.2027" not in to_referrer.body


def test_the_reminder_command_run_twice_sends_one_reminder(app, travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))  # Wednesday: two working days ahead is Friday
    w = planning_world()
    friday = _booked(w, f.oslo(2027, 1, 15, 10))
    _booked(w, f.oslo(2027, 1, 14, 10), referral=f.referral(name="Noor Ali"))  # Thursday: not yet
    runner = app.test_cli_runner()

    for _ in range(2):
        result = runner.invoke(args=["send-reminders"])
        assert result.exit_code == 0, result.output
        run_queued_jobs()

    [reminder] = _to(w.referrer)
    assert reminder.subject == "Påminning: timar 15.01.2027"
    assert w.own_referral.reference in reminder.body and "15.01.2027 10:00" in reminder.body
    assert friday.location.name in reminder.body and "Amal" not in reminder.body


def test_the_reminder_day_is_the_countys_setting(client, travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    _booked(w, f.oslo(2027, 1, 18, 10))  # Monday: three working days after Wednesday
    f.login(client, w.lead)
    county = w.lead.county
    form = {"individual_minutes": 90, "group_minutes": 90, "group_min_size": 3, "group_max_size": 8,
            "max_travel_minutes": 150, "booking_answer_hours": 48, "reminder_working_days": 3}
    assert client.post(f"/setup/counties/{county.id}/settings", data={**form, "reminder_working_days": 40}).status_code == 400
    assert client.post(f"/setup/counties/{county.id}/settings", data=form).status_code == 302
    db.session.expire_all()
    assert w.lead.county.reminder_working_days == 3
    assert notices.send_reminders().notices == 1


# -- text messages -----------------------------------------------------------------------------

class Gateway:
    """A local HTTP SMS gateway that records what it receives and answers `status`."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 202
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append({"json": json.loads(body), "auth": self.headers.get("Authorization"),
                                         "type": self.headers.get("Content-Type")})
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"id": f"gw-{len(gateway.received)}"}).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def gateway():
    running = Gateway()
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture
def opted_in(app):
    """Bergen opts in to text messages (municipalities are reference data: put back after)."""
    bergen = f.municipality("4601")
    bergen.sms_reminders = True
    db.session.commit()
    yield bergen
    db.session.rollback()
    bergen = f.municipality("4601")
    bergen.sms_reminders = False
    db.session.commit()


def test_the_participant_gets_a_text_in_their_language_once(app, travel_to, gateway, opted_in):
    app.config.update(SMS_GATEWAY_URL=gateway.url, SMS_GATEWAY_USERNAME="veiled", SMS_GATEWAY_PASSWORD="s3cret")
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    _booked(w, f.oslo(2027, 1, 15, 10))  # Amal Haddad, Arabic, +47 400 00 000

    assert notices.send_reminders().texts == 1
    assert notices.send_reminders().texts == 0  # run twice: one text

    [request] = gateway.received
    assert request["json"]["to"] == "+4740000000" and request["json"]["sender"] == "Veiled"
    assert request["json"]["text"].startswith("تذكير") and "الجمعة 15.01.2027" in request["json"]["text"]  # Friday
    assert "10:00" in request["json"]["text"] and "Amal" not in request["json"]["text"]
    assert request["auth"].startswith("Basic ") and request["type"].startswith("application/json")
    [row] = db.session.scalars(select(TextMessage)).all()
    assert (row.status, row.language, row.gateway_id) == ("sent", "ar", "gw-1")
    assert request["json"]["reference"] == row.key


def test_a_session_the_centre_cancels_is_texted_to_the_participant_in_their_language(app, travel_to, gateway, opted_in):
    """Their letter gives the time, and the referrer's e-mail reached nobody who could tell them that day: a
    participant came for a session cancelled a week before. Not when they said themselves they cannot come."""
    from guidance.services.interpreter_bookings.changes import cancel_session

    app.config.update(SMS_GATEWAY_URL=gateway.url)
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    session = _booked(w, f.oslo(2027, 1, 22, 10))   # Amal Haddad, Arabic
    cancel_session(w.lead, session, reason="counsellor_unavailable")
    run_queued_jobs()
    run_queued_jobs()   # a retried job texts nothing twice

    [request] = gateway.received
    text = request["json"]["text"]
    assert text.startswith("إلغاء") and "22.01.2027" in text and "10:00" in text and "Amal" not in text
    assert request["json"]["to"] == "+4740000000"

    theirs = _booked(w, f.oslo(2027, 1, 25, 10))
    cancel_session(w.lead, theirs, reason="participant_cancelled")
    run_queued_jobs()
    assert len(gateway.received) == 1


def test_every_cancellation_text_names_the_weekday_date_and_time_in_its_language():
    import datetime as dt

    from guidance.models import Session

    session = Session(start=dt.datetime(2027, 1, 15, 9, tzinfo=dt.timezone.utc))
    for language in sms.catalogue():
        text = sms.cancelled_text(session, language)
        assert "15.01.2027" in text and "10:00" in text and sms.weekday(session.start, language) in text, language


def test_every_text_names_the_weekday_in_its_language():
    """A date alone is easy to misread; the weekday is what people plan by (Friday 15 January 2027)."""
    import datetime as dt

    friday = dt.datetime(2027, 1, 15, 10, tzinfo=dt.timezone.utc)
    words = {language: sms.weekday(friday, language) for language in sms.catalogue()}
    assert words["nb"] == "fredag" and words["nn"] == "fredag" and words["en"] == "Friday"
    assert words["uk"] == "пʼятниця" and words["prs"] == words["fa"] and all(words.values())


def test_a_gateway_error_is_recorded_and_tried_again_on_the_next_run(app, travel_to, gateway, opted_in):
    app.config.update(SMS_GATEWAY_URL=gateway.url)
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    _booked(w, f.oslo(2027, 1, 15, 10))
    gateway.status = 503
    assert notices.send_reminders().texts == 0
    assert db.session.scalar(select(TextMessage)).error == "HTTP 503"
    gateway.status = 202
    assert notices.send_reminders().texts == 1
    assert len(gateway.received) == 2


def test_no_text_without_opt_in_phone_or_gateway_or_after_the_start(app, travel_to, gateway, opted_in):
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    session = _booked(w, f.oslo(2027, 1, 15, 10))
    referral = db.session.get(Referral, w.own_referral.id)

    assert sms.remind(session, referral) == 0  # no SMS_GATEWAY_URL: off
    app.config.update(SMS_GATEWAY_URL=gateway.url)
    opted_in.sms_reminders = False
    db.session.commit()
    assert sms.remind(session, referral) == 0  # the municipality did not opt in
    opted_in.sms_reminders = True
    referral.participant.phone = None
    db.session.commit()
    assert sms.remind(session, referral) == 0  # no phone number
    referral.participant.phone = "+47 400 00 000"
    db.session.commit()
    travel_to(f.oslo(2027, 1, 15, 10, 1))
    assert sms.remind(session, referral) == 0  # the session has started
    assert gateway.received == []


def test_the_text_catalogue_has_every_language():
    """Every language a letter is written in has its text too: a Sorani, Pashto or Kurmanji speaker was texted
    in Norwegian though their letter was in their language."""
    from guidance.services import letters

    texts = sms.catalogue()
    assert set(texts) >= set(letters.languages())
    for language, entry in texts.items():
        assert "{date}" in entry["reminder"] and "{time}" in entry["reminder"] and "{place}" in entry["reminder"]


def test_the_text_message_page_says_when_no_gateway_is_set_up(client, opted_in):
    w = f.world()
    f.login(client, w.lead)
    county = w.lead.county
    page = client.get(f"/setup/counties/{county.id}/text-messages").get_data(as_text=True)
    assert "Ingen SMS-tjeneste" in page
    voss = f.municipality("4621")
    response = client.post(f"/setup/counties/{county.id}/text-messages", data={"sms_4601": "y", "sms_4621": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert voss.sms_reminders is True
    voss.sms_reminders = False
    db.session.commit()
    client.post("/logout")
    f.login(client, w.other_county_lead)
    assert client.get(f"/setup/counties/{county.id}/text-messages").status_code == 404


def test_an_interpreter_request_carries_the_address_and_the_answer_deadline(app, travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 9), interpreter=w.interpreter)
    session.location.address = "Kaigaten 4, 5015 Bergen"
    booking = bookings.new_booking(session)
    db.session.commit()
    [message] = bookings.send_booking_requests([booking])
    assert "Kaigaten 4, 5015 Bergen" in message.body and "Svar innen" in message.body
    by_video = f.published_session(w.counsellor, f.referral(name="Noor Ali"), start=f.oslo(2027, 1, 26, 9),
                                   interpreter=w.interpreter, interpreter_mode="video")
    video_booking = bookings.new_booking(by_video)
    db.session.commit()
    [video] = bookings.send_booking_requests([video_booking])
    assert "På video" in video.body and "Kaigaten" not in video.body and "Svar innen" in video.body


def test_booking_one_referral_now_tells_its_referrer_and_the_counsellor(client, travel_to):
    from tests.app.planning.test_book_now import _tokens, booking_world

    w = booking_world(travel_to)
    f.login(client, w.lead)
    token = _tokens(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))[0]
    assert client.post(f"/referrals/{w.own_referral.id}/times", data={"option": token}).status_code == 302
    run_queued_jobs()

    [to_referrer] = _to(w.referrer)
    assert to_referrer.subject == f"Time booka for tilvising {w.own_referral.reference}"
    [to_counsellor] = _to(w.counsellor)
    assert "METHOD:REQUEST" in to_counsellor.ics and "Amal" not in to_counsellor.subject + to_counsellor.body
    assert _to(w.other_referrer) == []  # the other referral's session did not change
    _retry_everything()
    assert len(_to(w.referrer)) == 1 and len(_to(w.counsellor)) == 1


def test_a_shared_note_waits_for_the_daily_summary_when_the_referrer_chose_it(app):
    w = f.world()
    w.referrer.notice_settings = {"guidance_notes": notices.DIGEST}
    db.session.commit()
    notes.share(w.counsellor, w.own_referral, notes.NoteInput("Mål", "Bakgrunn", "Neste steg", False))
    assert _to(w.referrer) == []
    [digest] = notices.send_digests()
    assert w.own_referral.reference in digest.body and "rettleiingsnotat" in digest.body
    assert f"{BASE}/referrals/{w.own_referral.id}" in digest.body


def test_a_withdrawal_tells_the_counsellor_but_not_the_referrer_who_withdrew(app, travel_to):
    from guidance.services import referrals

    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    w.own_referral.referred_by = w.referrer
    w.counsellor.language = "en"  # an English reader gets English
    db.session.commit()
    _booked(w, f.oslo(2027, 1, 25, 9))

    referrals.withdraw_referral(w.referrer, w.own_referral, "Flyttet")
    run_queued_jobs()

    assert _to(w.referrer) == []
    [to_counsellor] = _to(w.counsellor)
    assert to_counsellor.subject == "Cancelled: session 25.01.2027 09:00" and "METHOD:CANCEL" in to_counsellor.ics


def _handed_over(travel_to, to: dt.datetime, reader: str = "nb"):
    """Monday 25 January 09:00 with the world's counsellor, handed to a colleague at `to` (Oslo
    wall clock) by the lead's move; the notices dispatched. (world, colleague, session)."""
    from guidance.models import Location, Role

    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    w.counsellor.language = reader
    other = f.user(Role.COUNSELLOR)
    other.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 9), interpreter=w.interpreter)
    plan_edits.move_published_session(w.lead, session, start=to, room_id=session.room_id,
                                      counsellor_id=other.counsellor.id, interpreter_id=w.interpreter.interpreter.id,
                                      interpreter_mode="onsite")
    run_queued_jobs()
    return w, other, session


def test_a_session_handed_to_another_counsellor_leaves_one_calendar_and_enters_the_other(app, travel_to):
    w, other, session = _handed_over(travel_to, dt.datetime(2027, 1, 25, 9, 0))

    [gone] = _to(w.counsellor)
    [new] = _to(other)
    assert "METHOD:CANCEL" in gone.ics and "METHOD:REQUEST" in new.ics
    assert str(icalendar.Calendar.from_ical(gone.ics).walk("VEVENT")[0]["UID"]) == session.uid
    assert _to(w.referrer) == []  # the same time and place for the participant: nothing to tell
    # The first counsellor reads that it goes on with a colleague, not that it is cancelled.
    assert gone.subject.startswith("Gitt til en kollega") and f"er gitt til {other.name}" in gone.body
    assert "flyttet til en annen tid" not in gone.body


def test_a_new_plan_tells_the_referrer_what_moved_and_what_was_cancelled(app, travel_to):
    travel_to(f.oslo(2027, 1, 8, 12))
    w = planning_world()
    second = f.referral(name="Sara Haile")
    first_run = draft_run(w.lead)
    kept = draft_session(first_run, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 19, 10))
    dropped = draft_session(first_run, w.counsellor, [second], start=f.oslo(2027, 1, 20, 10))
    planning_service.publish_run(w.lead, first_run, confirm_stale=True)
    run_queued_jobs()
    assert len(_to(w.referrer)) == 1

    second_run = draft_run(w.lead)
    draft_session(second_run, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 21, 13), uid=kept.uid)
    planning_service.publish_run(w.lead, second_run, confirm_stale=True)
    run_queued_jobs()

    latest = _to(w.referrer)[-1]
    assert len(_to(w.referrer)) == 2 and latest.subject == "2 endringar i timar for tilvisingane dine"
    assert f"{w.own_referral.reference}: timen 19.01.2027 10:00 er flytta til 21.01.2027 13:00" in latest.body
    assert f"{second.reference}: timen 20.01.2027 10:00" in latest.body and "avlyst" in latest.body
    # The moved one's new letter, to hand over (the participant holds the one for the 19th); none for the cancelled.
    moved_line = latest.body[latest.body.index(w.own_referral.reference):].split("\n\n")[0]
    assert f"Gi deltakaren det nye brevet, som erstattar det gamle (PDF): http" in moved_line
    assert f"/referrals/{w.own_referral.id}/letters.pdf" in moved_line
    assert latest.body.count("letters.pdf") == 1
    assert dropped.uid not in latest.body and "Sara" not in latest.body
    # The counsellor hears of their own sessions the new plan moved or cancelled (the first plan's
    # bookings reached their calendar without e-mails): one e-mail each, with its calendar event.
    subjects = sorted(m.subject for m in _to(w.counsellor))
    assert subjects == ["Avlyst: time 20.01.2027 10:00", "Flyttet: time 21.01.2027 13:00"]


def test_a_session_handed_over_and_moved_is_cancelled_for_the_first_counsellor_at_the_time_they_had(app, travel_to):
    w, other, session = _handed_over(travel_to, dt.datetime(2027, 1, 27, 13, 0), reader="en")

    [gone] = _to(w.counsellor)
    assert gone.subject == "Given to a colleague: session 25.01.2027 09:00"
    assert "Your session 25.01.2027 09:00 at" in gone.body and "27.01.2027" not in gone.body
    # Moved as well as given: "given to" alone read as a colleague taking it at the same time.
    assert f"is moved to another time and given to {other.name}" in gone.body
    assert f"{BASE}/week/day/2027-01-25" in gone.body and f"/week/sessions/{session.id}" not in gone.body
    [new] = _to(other)
    assert new.subject.endswith("27.01.2027 13:00")
    # The calendar cancellation is the event the first counsellor had: a mail client showed "Cancelled: Wednesday
    # 13:00", a session they never had.
    import icalendar

    [cancelled] = [e for e in icalendar.Calendar.from_ical(gone.ics).walk("VEVENT")]
    assert cancelled["status"] == "CANCELLED" and cancelled["uid"] == session.uid
    from zoneinfo import ZoneInfo

    assert cancelled.decoded("dtstart").astimezone(ZoneInfo("Europe/Oslo")).strftime("%d.%m.%Y %H:%M") == "25.01.2027 09:00"
    assert cancelled.decoded("dtend") - cancelled.decoded("dtstart") == session.end - session.start


def test_a_summary_sent_late_leaves_out_sessions_that_have_started(app, travel_to):
    """A digest held back (an outage, a stopped worker) listed 49 sessions held weeks ago as "booked"."""
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    w.referrer.notice_settings = {key: notices.DIGEST for key in notices.kinds_for(w.referrer)}
    db.session.commit()
    early = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 18, 9), interpreter=w.interpreter)
    later = f.published_session(w.counsellor, f.referral(name="Samir Haddad", language="ar"),
                                start=f.oslo(2027, 2, 1, 9), interpreter=w.interpreter)
    for session, start in ((early, dt.datetime(2027, 1, 18, 13, 0)), (later, dt.datetime(2027, 2, 1, 13, 0))):
        plan_edits.move_published_session(w.lead, session, start=start, room_id=session.room_id,
                                          counsellor_id=session.counsellor_id, interpreter_id=w.interpreter.interpreter.id,
                                          interpreter_mode="onsite")
    travel_to(f.oslo(2027, 1, 20, 12))   # the summary runs a week late: the first session is held by now
    [digest] = notices.send_digests()
    referral_of_later = later.participants[0].referral
    assert referral_of_later.reference in digest.body and w.own_referral.reference not in digest.body
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notice.dropped_stale")) is not None
    assert notices.send_digests() == []   # nothing left over for the next day


def test_a_referrers_changes_of_one_publication_come_in_one_e_mail_however_many_there_are(app, travel_to, monkeypatch):
    """Rounds of 200 notices cut Bergen's 200 changes into two e-mails 0.4 s apart; a round now takes
    whole recipients (here two a round, so three rounds)."""
    monkeypatch.setattr(notices, "BATCH", 2)
    travel_to(f.oslo(2027, 1, 8, 12))
    w = planning_world()
    run = draft_run(w.lead)
    bergen = [w.own_referral] + [f.referral(name=f"Bergen Person {n}") for n in range(4)]
    for day, referral in enumerate(bergen):
        draft_session(run, w.counsellor, [referral], start=f.oslo(2027, 1, 18 + day, 10))
    draft_session(run, w.counsellor, [w.other_referral], start=f.oslo(2027, 1, 25, 10))
    planning_service.publish_run(w.lead, run, confirm_stale=True)
    run_queued_jobs()
    [message] = _to(w.referrer)
    assert all(r.reference in message.body for r in bergen)
    assert len(_to(w.other_referrer)) == 1


def test_an_interpreter_asked_again_twice_before_the_first_left_hears_of_the_time_they_have(app, travel_to):
    """Moved 17.12 -> 11.12 -> 14.12 before the 11.12 request went out (the next replaced it, unsent): the request that
    did go said "the assignment on 11.12 is moved", a time the interpreter had never heard of."""
    from guidance.services import bookings as booking_service

    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 9), interpreter=w.interpreter)
    from guidance.services import mail

    messages = booking_service.request_messages([booking_service.new_booking(session)], w.lead)
    db.session.commit()
    mail.deliver_later(messages)
    run_queued_jobs()
    assert all(m.sent_at for m in _to(w.interpreter)), [(m.subject, m.sent_at) for m in _to(w.interpreter)]
    for to in (dt.datetime(2027, 1, 26, 13, 0), dt.datetime(2027, 1, 27, 10, 0)):   # no delivery in between
        plan_edits.move_published_session(w.lead, db.session.get(Session, session.id), start=to,
                                          room_id=session.room_id, counsellor_id=session.counsellor_id,
                                          interpreter_id=w.interpreter.interpreter.id, interpreter_mode="onsite")
    run_queued_jobs()
    last = [m for m in _to(w.interpreter) if m.superseded_by_id is None][-1]
    assert "25.01.2027 09:00" in last.body and "26.01.2027" not in last.body, last.body


def test_two_sessions_booked_for_one_referral_give_its_letter_link_once(app, travel_to):
    """The referrer's e-mail said "Give the participant the letter (PDF)" twice, under each of the two sessions."""
    travel_to(f.oslo(2027, 1, 13, 12))
    w = planning_world()
    for start in (f.oslo(2027, 1, 25, 9), f.oslo(2027, 1, 27, 12)):
        notices.session_event(w.lead, _booked(w, start), notices.BOOKED, counsellor=False)
    db.session.commit()
    notices.dispatch()
    [mail] = _to(w.referrer)
    assert mail.body.count(f"/referrals/{w.own_referral.id}/letters.pdf") == 1
    assert mail.body.index("letters.pdf") > mail.body.index("27.01.2027")
