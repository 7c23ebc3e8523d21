"""Mail delivery with a real queue consumer: the mail server is down when the use case runs,
the message waits in the outbox, and the consumer's retries send it once the server is back."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from guidance.extensions import db
from guidance.models import OutboxMessage
from guidance.services import bookings
from tests.app import factories as f
from tests.app.test_bookings import _booked
from tests.queue_consumer import consumer_for, use_queue
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
