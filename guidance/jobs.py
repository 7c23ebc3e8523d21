"""Background jobs on Huey: SqliteHuey at QUEUE_PATH by default, RedisHuey when REDIS_URL is set.

The consumer is a separate process: ``huey_consumer guidance.jobs.huey`` (or
``flask run-worker``). Importing this module opens the queue but builds no application;
each task makes its own app context (from the same environment as the web app), so the
app factory stays free of side effects.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, has_app_context
from huey import Huey, crontab
from huey.exceptions import RetryTask
from huey.storage import RedisStorage, SqliteStorage

from guidance.config import ROOT


def _target(redis_url: str | None, queue_path: str | None, name: str | None) -> tuple:
    return (redis_url or None, None if redis_url else (queue_path or str(ROOT / "instance" / "queue.sqlite3")),
            name or "guidance")


def _storage_settings(target: tuple) -> tuple[type, dict]:
    redis_url, queue_path, _name = target
    if redis_url:
        return RedisStorage, {"url": redis_url}
    Path(queue_path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteStorage, {"filename": queue_path}


def make_huey(redis_url: str | None = None, queue_path: str | None = None, name: str | None = None) -> Huey:
    """A Huey on Redis when `redis_url` is given, else on the SQLite file `queue_path`."""
    target = _target(redis_url, queue_path, name)
    storage_class, kwargs = _storage_settings(target)
    queue = Huey(target[2], results=False, utc=True, storage_class=storage_class, **kwargs)
    queue.bound_to = target
    return queue


huey = make_huey(os.environ.get("REDIS_URL"), os.environ.get("QUEUE_PATH"), os.environ.get("QUEUE_NAME"))


def bind_to_app_config(config) -> None:
    """Point the queue at the app's configured storage (a test app has its own queue file)."""
    target = _target(config.get("REDIS_URL"), config.get("QUEUE_PATH"), config.get("QUEUE_NAME"))
    if target == huey.bound_to:
        return
    storage_class, kwargs = _storage_settings(target)
    huey.name, huey.storage_class, huey.storage_kwargs = target[2], storage_class, kwargs
    huey.storage = huey.create_storage()
    huey.bound_to = target


_worker_app = None


@contextmanager
def app_context():
    """The current app when there is one; otherwise one app per worker process, from the environment."""
    global _worker_app
    if has_app_context():
        yield current_app
        return
    if _worker_app is None:
        from guidance import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        try:
            yield _worker_app
        finally:
            from guidance.extensions import db

            db.session.remove()


@huey.task(retries=0)
def solve_run(run_id: int) -> None:
    """Solve one planning run and store its plan (see guidance.planning.runner)."""
    from guidance.planning.runner import execute_run

    with app_context():
        execute_run(run_id)


@huey.periodic_task(crontab(minute="*"))
def sweep_stale_runs() -> None:
    """Mark runs whose worker stopped sending heartbeats as failed."""
    from guidance.planning.runner import fail_stale_runs

    with app_context():
        fail_stale_runs()


@huey.periodic_task(crontab(minute="*/5"))
def expire_booking_requests() -> None:
    """Interpreter requests nobody answered in time expire, which alerts the lead."""
    from guidance.services.interpreter_bookings.state import expire_overdue

    with app_context():
        expire_overdue()


@huey.task(retries=3, retry_delay=60)
def deliver_mail(message_ids: list[int]) -> None:
    """Send these outbox messages; retried with backoff while any is still pending (a message
    failed for good is no longer pending)."""
    from guidance.services.mail import deliver_pending, retry_delay

    with app_context():
        deliver_pending(message_ids)
        delay = retry_delay(message_ids)
    if delay is not None:
        # Not counted against `retries`: a message is retried until it is sent or given up
        # (MAIL_MAX_ATTEMPTS); the sweep also sends it, should this retry be lost.
        raise RetryTask(delay=delay)


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Send every pending message that is due: a lost enqueue or retry delays mail, never loses it."""
    from guidance.services.mail import BATCH, deliver_pending

    with app_context():
        while True:
            delivery = deliver_pending()
            if delivery.handled < BATCH:
                break


@huey.task(retries=3, retry_delay=60)
def dispatch_notices() -> None:
    """Write the waiting notices into the outbox and queue their delivery (services/notices.py);
    a notice already written is skipped, so a retry sends nothing twice."""
    from guidance.services.notices import dispatch

    with app_context():
        dispatch()


@huey.periodic_task(crontab(minute="*"))
def sweep_notices() -> None:
    """Dispatch notices a lost enqueue left waiting."""
    from guidance.services.notices import dispatch

    with app_context():
        dispatch()


@huey.task(retries=2, retry_delay=300)
def send_reminders() -> None:
    """Reminders N working days before each session (services/notices.send_reminders); idempotent."""
    from guidance.services.notices import send_reminders as remind

    with app_context():
        remind()


@huey.task(retries=2, retry_delay=300)
def send_digests() -> None:
    """The daily summaries of notices (services/notices.send_digests); idempotent."""
    from guidance.services.notices import send_digests as digests

    with app_context():
        digests()


@huey.task(retries=2, retry_delay=120)
def text_cancellation(session_id: int) -> None:
    """Text the participants of a session the centre cancelled (services/sms.tell_cancelled); idempotent."""
    from guidance.extensions import db
    from guidance.models import Session
    from guidance.services import sms

    with app_context():
        session = db.session.get(Session, session_id)
        if session is not None:
            for member in session.participants:
                sms.tell_cancelled(session, member.referral)


def enqueue_cancellation_text(session_id: int) -> None:
    """Queue the participants' text of a cancelled session (raises when the queue cannot be reached)."""
    if has_app_context():
        bind_to_app_config(current_app.config)
    text_cancellation(session_id)


def enqueue_notices() -> None:
    """Queue the notice dispatch (raises when the queue cannot be reached)."""
    if has_app_context():
        bind_to_app_config(current_app.config)
    dispatch_notices()


def enqueue_reminders() -> None:
    if has_app_context():
        bind_to_app_config(current_app.config)
    send_reminders()


def enqueue_digests() -> None:
    if has_app_context():
        bind_to_app_config(current_app.config)
    send_digests()


def enqueue_delivery(message_ids: list[int]) -> None:
    """Queue committed outbox messages for delivery (raises when the queue cannot be reached)."""
    if has_app_context():
        bind_to_app_config(current_app.config)
    deliver_mail(list(message_ids))


def enqueue_solve(run_id: int) -> None:
    """Queue a run for the consumer (raises when the queue cannot be reached)."""
    if has_app_context():
        bind_to_app_config(current_app.config)
    solve_run(run_id)
