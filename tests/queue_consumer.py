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
