"""Mail delivery against a real SMTP server. With a real queue consumer: the mail server is down
when the use case runs, the message waits in the outbox, and the consumer's retries send it once
the server is back. In this process: a permanent refusal (5xx) or the attempt cap marks a message
failed and nothing sends it again, a 4xx backs off, and a lead can send a failed message again."""
from __future__ import annotations

import contextlib
import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from guidance import jobs
from guidance.extensions import db
from guidance.models import AuditEvent, InterpreterBooking, OutboxMessage
from guidance.models.types import utcnow
from guidance.services import bookings, mail
from tests.app import factories as f
from tests.app.test_bookings import _booked
from tests.app.test_walkthrough import form_to, forms, submit
from tests.app.test_walkthrough import login as login_with_form
from tests.queue_consumer import consumer_for, run_queued_jobs, use_queue
from tests.smtp import Inbox, free_port, smtp_server

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/5"  # this suite's Redis db; only our own queue name is flushed
WAIT_SECONDS = 60


# Delivery through each queue backend (SQLite for the demo, Redis in production) where the queue
# decides something: the consumer, backoff schedules, retries after an outage. Tests of who may send
# again and of which invitation replaces which run on the production queue only (ONE_QUEUE): the
# backend decides nothing there, and each variant starts a real SMTP server.
QUEUES = ["sqlite-queue", "redis-queue"]
ONE_QUEUE = pytest.mark.parametrize("app_config", ["redis-queue"], indirect=True)


@pytest.fixture(params=QUEUES)
def app_config(request, app_config):
    use_queue(app_config, request.param, REDIS_URL, "test-mail")
    app_config["MAIL_SERVER"] = "127.0.0.1"
    app_config["MAIL_PORT"] = free_port()  # nothing listens there yet
    return app_config


@pytest.fixture
def consumer(app):
    with consumer_for(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(app.config["MAIL_PORT"]),
                      MAIL_RETRY_SECONDS="1", MAIL_RETRY_MAX_SECONDS="2") as process:
        yield process


def _wait_for(message_id: int, ready) -> OutboxMessage:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        db.session.expire_all()
        message = db.session.get(OutboxMessage, message_id)
        done = ready(message)
        db.session.rollback()  # end the read transaction: on SQLite it would block the consumer's writes
        if done:
            return message
        time.sleep(0.2)
    raise AssertionError(f"outbox message {message_id}: sent_at={message.sent_at} error={message.error}")


def test_mail_waits_while_the_server_is_down_and_is_sent_once_when_it_is_back(app, consumer):
    w = f.world()
    _session, booking = _booked(w)
    [message] = bookings.send_booking_requests([booking])
    message_id = message.id

    failed = _wait_for(message_id, lambda m: m.attempts >= 1 and m.error)
    assert failed.sent_at is None  # pending, not lost

    handler = Inbox()
    with smtp_server(handler, port=app.config["MAIL_PORT"]):
        sent = _wait_for(message_id, lambda m: m.sent_at is not None)
        time.sleep(2.5)  # a further retry or sweep would show up here
    assert sent.error is None
    assert [m["To"] for m in handler.messages] == [w.interpreter.email]


# Dead letters: permanent refusals, the attempt cap, and sending a failed message again. These
# run the delivery job in this process (`run_queued_jobs`) against the real SMTP server.

EN = {"Accept-Language": "en"}


@pytest.fixture
def queue(app):
    """This test's queue, emptied afterwards (its jobs are run in this process)."""
    jobs.bind_to_app_config(app.config)
    yield
    jobs.huey.storage.flush_all()


@pytest.fixture
def smtp(app):
    """A real SMTP server on the app's MAIL_PORT; set `.refuse` to make it say no."""
    handler = Inbox()
    with smtp_server(handler, port=app.config["MAIL_PORT"]):
        yield handler


def _invitation(w) -> int:
    """An interpreter request written to the outbox, its delivery job queued."""
    _session, booking = _booked(w)
    [message] = bookings.send_booking_requests([booking])
    return message.id


def _failed_invitation(w, smtp: Inbox) -> int:
    smtp.refuse = {"RCPT": "550 5.1.1 Recipient address rejected: user unknown"}
    message_id = _invitation(w)
    run_queued_jobs()
    assert _reload(message_id).failed_at is not None
    smtp.refuse = {}  # the server takes mail again: only sending it again from the outbox sends it
    return message_id


def _reload(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)  # Huey's schedule is naive UTC


@ONE_QUEUE
@pytest.mark.parametrize("command, reply, error", [
    ("RCPT", "550 5.1.1 Recipient address rejected: user unknown", "SMTPRecipientsRefused 550"),
    ("MAIL", "553 5.7.1 Sender address rejected", "SMTPSenderRefused 553"),
    ("DATA", "554 5.6.0 Message content rejected", "SMTPDataError 554"),
], ids=["rcpt-550", "mail-553", "data-554"])
def test_a_permanent_refusal_marks_the_message_failed_and_no_sweep_sends_it_again(app, queue, smtp, command, reply, error):
    w = f.world()
    smtp.refuse = {command: reply}
    message_id = _invitation(w)
    run_queued_jobs()  # the delivery job: one attempt, refused for good

    failed = _reload(message_id)
    assert failed.failed_at is not None and failed.sent_at is None
    assert (failed.error, failed.attempts, failed.next_attempt_at) == (error, 1, None)
    assert mail.retry_delay([message_id]) is None  # the job schedules no retry

    smtp.refuse = {}  # the server would take it now
    a_day_later = utcnow() + dt.timedelta(days=1)
    assert run_queued_jobs(now=_naive(a_day_later)) == 0  # no retry of the job is waiting
    mail.deliver_pending(now=a_day_later)  # the sweep, a day later
    jobs.sweep_outbox.call_local()
    assert smtp.tries == 1 and smtp.messages == []
    assert _reload(message_id).failed_at is not None


def test_a_temporary_refusal_stays_pending_and_is_sent_after_the_backoff(app, queue, smtp):
    w = f.world()
    smtp.refuse = {"RCPT": "451 4.3.0 Mailbox temporarily unavailable"}
    message_id = _invitation(w)
    before = utcnow()
    run_queued_jobs()

    pending = _reload(message_id)
    assert pending.failed_at is None and pending.sent_at is None
    assert (pending.error, pending.attempts) == ("SMTPRecipientsRefused 451", 1)
    backoff = dt.timedelta(seconds=mail.backoff_seconds(1))
    assert before + backoff <= pending.next_attempt_at <= utcnow() + backoff
    assert mail.retry_delay([message_id]) > 1  # the job tries again then

    smtp.refuse = {}
    mail.deliver_pending(now=pending.next_attempt_at - dt.timedelta(seconds=1))
    assert smtp.tries == 1  # not before its time
    mail.deliver_pending(now=pending.next_attempt_at)
    sent = _reload(message_id)
    assert sent.sent_at is not None and sent.error is None and sent.attempts == 2
    assert [m["To"] for m in smtp.messages] == [w.interpreter.email]
    # The interpreter got their working answer link; the outbox keeps none once it is sent (a dump or a
    # backup would hold live links), while it kept it for the retry.
    delivered = smtp.messages[0].get_body(("plain",)).get_content()
    token = delivered.split("/bookings/confirm/", 1)[1].split()[0]
    assert len(token) > 20 and token not in sent.body and "/bookings/confirm/…" in sent.body


@pytest.mark.parametrize("cause", ["451-reply", "server-down"])
def test_a_message_that_keeps_failing_is_given_up_after_the_maximum_attempts(app, queue, cause):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    w = f.world()
    message_id = _invitation(w)
    handler = Inbox()
    handler.refuse = {"RCPT": "451 4.3.0 Mailbox temporarily unavailable"}
    moment = utcnow()
    with contextlib.ExitStack() as stack:
        if cause == "451-reply":
            stack.enter_context(smtp_server(handler, port=app.config["MAIL_PORT"]))
        for attempt in (1, 2, 3):
            mail.deliver_pending(now=moment)
            message = _reload(message_id)
            assert message.attempts == attempt and message.sent_at is None
            assert (message.failed_at is not None) == (attempt == 3)
            moment = message.next_attempt_at or moment
    assert message.error == ("SMTPRecipientsRefused 451" if cause == "451-reply" else "ConnectionRefusedError")
    assert message.next_attempt_at is None

    handler.refuse = {}
    with smtp_server(handler, port=app.config["MAIL_PORT"]):
        mail.deliver_pending(now=moment + dt.timedelta(days=1))
    assert handler.tries == (3 if cause == "451-reply" else 0) and handler.messages == []
    assert _reload(message_id).attempts == 3


@ONE_QUEUE
def test_the_outbox_shows_whether_each_message_was_sent_is_waiting_or_was_not_delivered(app, client):
    w = f.world()
    now = utcnow()
    sent = mail.queue(w.counsellor, "Sent one", "Hei")
    waiting = mail.queue(w.interpreter, "Waiting one", "Hei")
    failed = mail.queue(w.interpreter, "Failed one", "Hei")
    db.session.flush()
    sent.sent_at = now
    waiting.error, waiting.attempts, waiting.next_attempt_at = "SMTPServerDisconnected", 2, now + dt.timedelta(minutes=2)
    failed.error, failed.attempts, failed.failed_at = "SMTPRecipientsRefused 550", 1, now
    db.session.commit()

    f.login(client, w.lead, language="en")
    page = client.get("/outbox/", headers=EN).get_data(as_text=True)
    assert "1 e-mail was not delivered" in page
    assert "Not sent yet (the mail server closed the connection, 2 attempts); next attempt" in page
    assert "Last error: the mail server refused the address (550), after 1 attempt." in page
    assert [fm.action for fm in forms(page, "/outbox/") if fm.method == "post" and "/outbox/" in fm.action] == [
        f"/outbox/{failed.id}/retry"]  # a button only where it helps
    only_failed = client.get("/outbox/?state=failed", headers=EN).get_data(as_text=True)
    assert "Failed one" in only_failed and "Waiting one" not in only_failed and "Sent one" not in only_failed
    client.post("/language", data={"language": "nb", "next": "/"})
    norsk = client.get("/outbox/?state=failed").get_data(as_text=True)
    assert "Ikke levert" in norsk and "Send på nytt" in norsk


@ONE_QUEUE
def test_a_lead_sends_a_failed_message_again_and_it_reaches_the_smtp_server(app, queue, smtp):
    w = f.world()
    message_id = _failed_invitation(w, smtp)
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the form's token is needed
    w.lead.language = "en"  # a lead who reads the app in English
    db.session.commit()
    client = app.test_client()
    login_with_form(client, w.lead, f.PASSWORD)
    page = client.get("/outbox/?state=failed", headers=EN).get_data(as_text=True)
    assert "Not delivered" in page and "the mail server refused the address (550)" in page
    form = form_to(page, f"/outbox/{message_id}/retry", "/outbox/")

    assert client.post(form.action, data={}).status_code == 400  # without the CSRF token
    assert _reload(message_id).failed_at is not None

    response = submit(client, form)
    assert response.status_code == 302
    retried = _reload(message_id)
    assert (retried.failed_at, retried.error, retried.attempts, retried.sent_at) == (None, None, 0, None)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all()
    assert (event.actor_id, event.object_id) == (w.lead.id, message_id) and "550" in event.detail
    assert smtp.tries == 1  # nothing sent inside the request

    assert run_queued_jobs() == 1  # the delivery job queued after the commit
    assert _reload(message_id).sent_at is not None
    assert smtp.tries == 2 and [m["To"] for m in smtp.messages] == [w.interpreter.email]
    # the flash was written in the lead's language
    assert "will be sent again shortly." in client.get(response.headers["Location"]).get_data(as_text=True)


@ONE_QUEUE
@pytest.mark.parametrize("person, status", [
    ("referrer", 403), ("counsellor", 403), ("interpreter", 403), ("other_county_lead", 404),
])
def test_only_the_countys_lead_or_an_admin_may_send_a_failed_message_again(app, queue, smtp, client, person, status):
    w = f.world()
    message_id = _failed_invitation(w, smtp)
    f.login(client, getattr(w, person))
    assert client.post(f"/outbox/{message_id}/retry").status_code == status
    run_queued_jobs()
    assert _reload(message_id).failed_at is not None
    assert smtp.tries == 1 and smtp.messages == []


@ONE_QUEUE
def test_an_admin_may_send_a_failed_message_again(app, queue, smtp, client):
    w = f.world()
    message_id = _failed_invitation(w, smtp)
    f.login(client, w.admin)
    assert client.post(f"/outbox/{message_id}/retry").status_code == 302
    run_queued_jobs()
    assert _reload(message_id).sent_at is not None and len(smtp.messages) == 1


@ONE_QUEUE
def test_sending_again_a_message_that_was_sent_or_has_not_failed_is_refused_with_a_message(app, queue, smtp, client):
    w = f.world()
    sent_id = _invitation(w)
    run_queued_jobs()
    assert _reload(sent_id).sent_at is not None
    waiting = mail.queue(w.interpreter, "Waiting", "Hei")
    db.session.commit()
    f.login(client, w.lead, language="en")

    already_sent = client.post(f"/outbox/{sent_id}/retry", headers=EN)
    assert already_sent.status_code == 400
    assert "This e-mail has already been sent." in already_sent.get_data(as_text=True)
    not_failed = client.post(f"/outbox/{waiting.id}/retry", headers=EN)
    assert not_failed.status_code == 400
    assert "This e-mail has not failed: it is still waiting to be sent." in not_failed.get_data(as_text=True)
    assert client.post("/outbox/999999/retry").status_code == 404
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all() == []
    run_queued_jobs()
    assert smtp.tries == 1  # the one real delivery, nothing more


def _failed(to, subject: str) -> OutboxMessage:
    """A message the mail server refused for good (as the delivery job leaves it)."""
    message = mail.queue(to, subject, "Hei")
    db.session.flush()
    message.error, message.attempts, message.failed_at = "SMTPRecipientsRefused 550", 1, utcnow()
    db.session.commit()
    return message


def test_after_an_outage_a_lead_sends_every_undelivered_message_again_at_once(app, queue, smtp):
    w = f.world()
    invitation = _failed_invitation(w, smtp)  # a real invitation, refused by the server
    to_counsellor = _failed(w.counsellor, "To the counsellor").id
    other_county = _failed(w.other_county_lead, "To another county").id
    app.config["WTF_CSRF_ENABLED"] = True
    w.lead.language = "en"  # a lead who reads the app in English
    db.session.commit()
    client = app.test_client()
    login_with_form(client, w.lead, f.PASSWORD)
    page = client.get("/outbox/", headers=EN).get_data(as_text=True)
    assert "2 e-mails were not delivered" in page  # the other county's message is not the lead's
    form = form_to(page, "/outbox/retry-failed", "/outbox/")
    assert "Send all 2 e-mails again" in page

    assert client.post(form.action, data={}).status_code == 400  # without the CSRF token
    assert _reload(invitation).failed_at is not None and _reload(to_counsellor).failed_at is not None

    response = submit(client, form)
    assert response.status_code == 302
    for message_id in (invitation, to_counsellor):
        retried = _reload(message_id)
        assert (retried.failed_at, retried.error, retried.attempts, retried.sent_at) == (None, None, 0, None)
    assert _reload(other_county).failed_at is not None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all()
    assert sorted((e.actor_id, e.object_id) for e in events) == [(w.lead.id, invitation), (w.lead.id, to_counsellor)]
    assert smtp.tries == 1  # nothing sent inside the request

    assert run_queued_jobs() == 1  # one delivery job for both
    assert _reload(invitation).sent_at is not None and _reload(to_counsellor).sent_at is not None
    assert sorted(m["To"] for m in smtp.messages) == sorted([w.interpreter.email, w.counsellor.email])
    # the flash was written in the lead's language
    assert "2 e-mails will be sent again shortly." in client.get(response.headers["Location"]).get_data(as_text=True)


def _cancel_booking() -> OutboxMessage:
    """The lead cancels the one booking: its cancellation goes to the interpreter."""
    booking = db.session.scalars(select(InterpreterBooking)).one()
    bookings.transition(None, booking, "cancel")
    cancel = bookings.invitation(booking, "CANCEL")
    db.session.commit()
    mail.deliver_later([cancel])
    return cancel


@ONE_QUEUE
def test_an_invitation_its_cancellation_replaces_is_no_longer_counted_or_offered_again(app, queue, smtp, client):
    w = f.world()
    request_id = _failed_invitation(w, smtp)
    cancel = _cancel_booking()
    run_queued_jobs()
    assert _reload(cancel.id).sent_at is not None
    assert _reload(request_id).superseded_by_id == cancel.id
    to_counsellor = _failed(w.counsellor, "To the counsellor").id
    f.login(client, w.lead, language="en")

    page = client.get("/outbox/", headers=EN).get_data(as_text=True)
    assert "1 e-mail was not delivered" in page  # only the counsellor's: the request is out of date
    assert "Replaced" in page and page.count(">Send again<") == 1
    failed_list = client.get("/outbox/?state=failed", headers=EN).get_data(as_text=True)
    assert "To the counsellor" in failed_list and "Interpreting request" not in failed_list

    response = client.post("/outbox/retry-failed", headers=EN, follow_redirects=True)
    assert "1 e-mail will be sent again shortly." in response.get_data(as_text=True)
    assert _reload(request_id).failed_at is not None  # would put the cancelled session back in the calendar
    assert _reload(to_counsellor).failed_at is None
    run_queued_jobs()
    assert [m["To"] for m in smtp.messages] == [w.interpreter.email, w.counsellor.email]  # the cancel, then the retry


def test_a_request_held_back_by_the_mail_server_is_never_sent_after_its_cancellation(app, queue, smtp):
    w = f.world()
    smtp.refuse = {"RCPT": "451 4.3.0 Mailbox temporarily unavailable"}
    request_id = _invitation(w)
    run_queued_jobs()
    waiting = _reload(request_id)
    assert waiting.sent_at is None and waiting.failed_at is None  # pending, backing off
    later = waiting.next_attempt_at + dt.timedelta(seconds=1)

    cancel = _cancel_booking()  # the session is cancelled while the request still waits
    smtp.refuse = {}
    mail.deliver_pending(now=later)

    assert _reload(cancel.id).sent_at is not None
    replaced = _reload(request_id)
    assert replaced.sent_at is None and replaced.superseded_by_id == cancel.id
    assert mail.retry_delay([request_id]) is None  # the job stops trying it
    assert [m["Subject"].startswith("Avlyst") for m in smtp.messages] == [True]


@ONE_QUEUE
def test_a_changed_session_replaces_its_waiting_invitation_to_the_same_interpreter_only(app, queue, smtp):
    w = f.world()
    smtp.refuse = {"RCPT": "451 4.3.0 Mailbox temporarily unavailable"}
    request_id = _invitation(w)
    run_queued_jobs()
    unrelated = mail.queue(w.interpreter, "Other session", "Hei",
                           ics=b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:other-session@example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    request = _reload(request_id)
    to_someone_else = mail.queue(w.counsellor, "Same event, another person", "Hei", ics=request.ics.encode())
    db.session.commit()
    assert _reload(request_id).superseded_by_id is None  # another event, another address: both stand
    assert _reload(unrelated.id).superseded_by_id is None

    changed = mail.queue(w.interpreter, "Changed", "Hei", ics=request.ics.encode())  # same event, new version
    db.session.commit()

    assert _reload(request_id).superseded_by_id == changed.id
    assert _reload(unrelated.id).superseded_by_id is None and _reload(to_someone_else.id).superseded_by_id is None


@ONE_QUEUE
def test_an_out_of_date_invitation_that_failed_before_replacements_were_marked_is_left_out_and_marked(
        app, queue, smtp, client):
    w = f.world()
    request_id = _failed_invitation(w, smtp)
    cancel = _cancel_booking()
    run_queued_jobs()
    _reload(request_id).superseded_by_id = None  # as a message failed before migration 0007 is left
    db.session.commit()
    to_counsellor = _failed(w.counsellor, "To the counsellor").id
    f.login(client, w.lead, language="en")

    response = client.post("/outbox/retry-failed", headers=EN, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "1 e-mail will be sent again shortly." in page
    assert "1 out-of-date calendar invitation was not sent again" in page
    assert _reload(request_id).superseded_by_id == cancel.id and _reload(request_id).failed_at is not None
    assert _reload(to_counsellor).failed_at is None
    assert "not delivered" not in client.get("/outbox/", headers=EN).get_data(as_text=True)


@ONE_QUEUE
@pytest.mark.parametrize("person, status", [
    ("referrer", 403), ("counsellor", 403), ("interpreter", 403), ("other_county_lead", 400),
])
def test_only_the_countys_lead_or_an_admin_sends_the_countys_failed_messages_again(app, queue, smtp, client, person, status):
    w = f.world()
    message_id = _failed_invitation(w, smtp)
    f.login(client, getattr(w, person), language="en")
    response = client.post("/outbox/retry-failed", headers=EN)
    assert response.status_code == status
    if status == 400:  # another county's lead sees none of them
        assert "No e-mails are marked as not delivered." in response.get_data(as_text=True)
    run_queued_jobs()
    assert _reload(message_id).failed_at is not None and smtp.messages == []


@ONE_QUEUE
def test_a_failed_message_with_an_unreadable_calendar_part_is_still_sent_again(app, queue, smtp, client):
    w = f.world()
    broken = _failed(w.interpreter, "Broken calendar")
    broken.ics = "BEGIN:VCALENDAR\nthis is not iCalendar"
    db.session.commit()
    other = _failed(w.counsellor, "Plain").id
    f.login(client, w.lead, language="en")

    response = client.post("/outbox/retry-failed", headers=EN)

    assert response.status_code == 302
    assert _reload(broken.id).failed_at is None and _reload(other).failed_at is None


@ONE_QUEUE
def test_sending_again_a_single_out_of_date_invitation_is_refused_with_a_message(app, queue, smtp, client):
    w = f.world()
    request_id = _failed_invitation(w, smtp)
    _cancel_booking()
    run_queued_jobs()
    f.login(client, w.lead, language="en")

    response = client.post(f"/outbox/{request_id}/retry", headers=EN)

    assert response.status_code == 400
    assert "it is out of date and is not sent again" in response.get_data(as_text=True)
    assert _reload(request_id).failed_at is not None
    run_queued_jobs()
    assert [m["To"] for m in smtp.messages] == [w.interpreter.email]  # only the cancellation


@ONE_QUEUE
def test_two_versions_of_one_invitation_queued_in_one_transaction_send_only_the_newer(app, queue, smtp):
    w = f.world()
    ics = (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:session-7@example\r\nSEQUENCE:0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    first = mail.queue(w.interpreter, "First", "Hei", ics=ics)
    second = mail.queue(w.interpreter, "Second", "Hei", ics=ics.replace(b"SEQUENCE:0", b"SEQUENCE:1"))
    db.session.commit()
    mail.deliver_pending()
    assert _reload(first.id).superseded_by_id == second.id and _reload(first.id).sent_at is None
    assert [m["Subject"] for m in smtp.messages] == ["Second"]
