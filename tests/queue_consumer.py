"""A real Huey queue consumer in a child process, for tests that need jobs to run."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
    return ran
