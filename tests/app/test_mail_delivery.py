"""Mail delivery against a real SMTP server. With a real queue consumer: the mail server is down
when the use case runs, the message waits in the outbox, and the consumer's retries send it once
the server is back. In this process: a permanent refusal (5xx) or the attempt cap marks a message
failed and nothing sends it again, and a 4xx backs off."""
from __future__ import annotations

import contextlib
import datetime as dt
import time
from pathlib import Path

import pytest

from guidance import jobs
from guidance.extensions import db
from guidance.models import OutboxMessage
from guidance.models.types import utcnow
from guidance.services import bookings, mail
from tests.app import factories as f
from tests.app.test_bookings import _booked
from tests.queue_consumer import consumer_for, run_queued_jobs, use_queue
from tests.smtp import Inbox, free_port, smtp_server

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/5"  # this suite's Redis db; only our own queue name is flushed
WAIT_SECONDS = 60


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
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


# Dead letters: permanent refusals and the attempt cap. These
# run the delivery job in this process (`run_queued_jobs`) against the real SMTP server.

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


def _reload(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)  # Huey's schedule is naive UTC


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
