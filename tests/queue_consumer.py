"""A real Huey queue consumer in a child process, for tests that need jobs to run."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def redis_available(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means: no Redis for this test
        return False


def use_queue(app_config: dict, kind: str, redis_url: str, prefix: str) -> None:
    """Point the test app at its own queue: "sqlite-queue", or "redis-queue" on ``redis_url``
    (the test fails when Redis is not running: production uses it). The queue name is unique per test."""
    import uuid

    import pytest

    if kind == "redis-queue":
        if not redis_available(redis_url):
            pytest.fail("Redis is not running on 127.0.0.1:6379 (DEVELOPERS.md says how to start it)")
        app_config["REDIS_URL"] = redis_url
    else:
        app_config["REDIS_URL"] = None
    app_config["QUEUE_NAME"] = f"{prefix}-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def consumer_for(app, **extra_env: str):
    """A real consumer on the test app's queue (SQLite, or Redis when REDIS_URL is set) and
    database, with ``extra_env`` (e.g. the test's mail server); the queue is flushed after."""
    from guidance import jobs

    jobs.bind_to_app_config(app.config)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": app.config["SECRET_KEY"],
           "QUEUE_PATH": app.config["QUEUE_PATH"], "QUEUE_NAME": app.config["QUEUE_NAME"], "PYTHONPATH": str(ROOT),
           **extra_env}
    env.pop("REDIS_URL", None)
    if app.config.get("REDIS_URL"):
        env["REDIS_URL"] = app.config["REDIS_URL"]
    with running_consumer(env, Path(app.config["QUEUE_PATH"]).with_suffix(".log")) as process:
        yield process
    jobs.huey.storage.flush_all()  # only this test's queue name


@contextlib.contextmanager
def running_consumer(env: dict, log_path: Path):
    """Start `huey_consumer guidance.jobs.huey` with `env`; stop its process group on exit."""
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "guidance.jobs.huey", "-w", "1"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        log.close()


def run_queued_jobs(now=None, rounds: int = 20) -> int:
    """Run, in this process, the jobs waiting in the test app's queue (and scheduled retries
    due by `now`, naive UTC), as a consumer would; returns how many ran. Bounded, so a job that
    keeps retrying cannot loop forever."""
    from flask import current_app

    from guidance import jobs

    jobs.bind_to_app_config(current_app.config)
    huey, ran = jobs.huey, 0
    # A consumer waits on an empty Redis queue (BRPOP, a second each time); here an empty
    # queue means "done", so ask without waiting.
    blocking, huey.storage.blocking = huey.storage.blocking, False
    try:
        for _ in range(rounds):
            task = huey.dequeue()
            if task is None:
                due = huey.read_schedule(now or huey._get_timestamp())
                if not due:
                    break
                for scheduled in due:
                    huey.enqueue(scheduled)
                continue
            huey.execute(task, timestamp=now)
            ran += 1
    finally:
        huey.storage.blocking = blocking
    return ran
