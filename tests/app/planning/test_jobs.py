"""The planning job lifecycle with a real Huey consumer, on the SQLite queue and on Redis.

Each test starts `huey_consumer guidance.jobs.huey` as a separate process against the test
database, starts runs the way the lead's page does, and waits for the run to end.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import time
from pathlib import Path

import pytest
from solver.check import check_plan

from guidance.extensions import db
from guidance.models import PlanningRun, RunStatus, Session
from guidance.services import planning as planning_service
from guidance.services.errors import DomainError
from tests.app.planning.helpers import TODAY, planning_world
from tests.queue_consumer import consumer_for, use_queue

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = "redis://127.0.0.1:6379/11"  # db 11 is this suite's; only our own queue name is flushed
WAIT_SECONDS = 180


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue(request, app_config):
    """Queue settings for both the test app and its consumer."""
    use_queue(app_config, request.param, REDIS_URL, "test-planning")
    return request.param


@pytest.fixture
def consumer(queue, app):
    """A real consumer process on the app's queue and database."""
    with consumer_for(app) as process:
        yield process


def _wait_for(run_id: int, statuses: set[RunStatus]) -> PlanningRun:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        db.session.expire_all()
        run = db.session.get(PlanningRun, run_id)
        status = run.status
        db.session.rollback()  # end the read transaction: on SQLite it would block the consumer's writes
        if status in statuses:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} still {run.status} after {WAIT_SECONDS} s")


def _demo_lead():
    """The demo county's 200 referrals: a solve that uses its whole budget."""
    from guidance.models import Role, User
    from guidance.services.demo import seed_demo

    seed_demo(county_number="46", referrals=200, today=TODAY, password="demo-password-123")
    return db.session.query(User).filter_by(role=Role.LEAD).one()


def test_a_run_solves_in_the_background_and_stores_a_valid_plan(consumer):
    w = planning_world()
    run = planning_service.start_run(w.lead, time_limit=10, today=TODAY)
    assert run.status is RunStatus.QUEUED

    run = _wait_for(run.id, {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})

    assert run.status is RunStatus.SUCCEEDED, run.message
    assert run.progress["heartbeat"] and run.metrics["scheduled"] >= 1
    sessions = db.session.query(Session).filter_by(run_id=run.id).all()
    assert len(sessions) == len(json.loads(run.plan_json)["sessions"]) >= 1
    assert check_plan(json.loads(run.instance_json), json.loads(run.plan_json)).valid


def test_a_second_run_for_the_county_is_refused_while_one_is_active(consumer):
    lead = _demo_lead()
    first = planning_service.start_run(lead, time_limit=120, today=TODAY)

    with pytest.raises(DomainError) as refusal:
        planning_service.start_run(lead, time_limit=10, today=TODAY)

    assert f"(planforslag {first.id})" in refusal.value.message  # bokmål: the default language
    assert db.session.query(PlanningRun).count() == 1
    planning_service.cancel_run(lead, first)
    _wait_for(first.id, {RunStatus.CANCELLED, RunStatus.SUCCEEDED, RunStatus.FAILED})


def test_cancelling_a_running_run_stops_the_solver_and_stores_nothing(consumer):
    lead = _demo_lead()
    run = planning_service.start_run(lead, time_limit=300, today=TODAY)
    run = _wait_for(run.id, {RunStatus.RUNNING})

    planning_service.cancel_run(lead, run)
    run = _wait_for(run.id, {RunStatus.CANCELLED, RunStatus.SUCCEEDED, RunStatus.FAILED})

    assert run.status is RunStatus.CANCELLED
    assert run.finished_at - run.started_at < dt.timedelta(seconds=300)  # it did not run its budget out
    assert db.session.query(Session).filter_by(run_id=run.id).count() == 0
    assert run.plan_json is None


def test_a_run_the_solver_rejects_fails_with_a_message_and_stores_nothing(consumer):
    from guidance import jobs

    w = planning_world()
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.QUEUED, time_limit_seconds=10, progress={},
                      instance_json=json.dumps({"format": "guidance-instance/1", "horizon": "soon"}))
    db.session.add(run)
    db.session.commit()
    jobs.enqueue_solve(run.id)

    run = _wait_for(run.id, {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})

    assert run.status is RunStatus.FAILED
    assert run.message.startswith("solver_error: the instance was rejected")
    assert db.session.query(Session).filter_by(run_id=run.id).count() == 0


def test_a_worker_that_dies_mid_run_leaves_the_run_failed(consumer):
    from guidance.planning.runner import fail_stale_runs

    lead = _demo_lead()
    run = planning_service.start_run(lead, time_limit=300, today=TODAY)
    run = _wait_for(run.id, {RunStatus.RUNNING})

    os.killpg(consumer.pid, signal.SIGKILL)
    consumer.wait(10)
    db.session.expire_all()
    assert fail_stale_runs() == []  # a fresh heartbeat: not yet given up
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    assert fail_stale_runs(now=later) == [run.id]

    run = db.session.get(PlanningRun, run.id)
    assert run.status is RunStatus.FAILED and run.message.startswith("worker_stopped")
    assert db.session.query(Session).filter_by(run_id=run.id).count() == 0


def _state_and_parent(pid: int) -> tuple[str, int] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _running(pid: int) -> bool:
    found = _state_and_parent(pid)
    return found is not None and found[0] != "Z"  # a zombie has ended; it waits only to be reaped


def _descendants(pid: int) -> set[int]:
    """Every running process below `pid` (read from /proc: the consumer's fork server and its solver)."""
    parents = {int(entry.name): found[1] for entry in Path("/proc").iterdir()
               if entry.name.isdigit() and (found := _state_and_parent(int(entry.name))) and found[0] != "Z"}
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def test_a_solver_whose_consumer_is_killed_stops_instead_of_running_its_budget_out(consumer):
    """SIGKILL to the consumer alone (not its group) cannot pass a signal on: the solver must notice."""
    lead = _demo_lead()
    run = planning_service.start_run(lead, time_limit=300, today=TODAY)
    _wait_for(run.id, {RunStatus.RUNNING})
    deadline = time.monotonic() + 30
    while not (below := _descendants(consumer.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert below, "the running run has no solver process"

    os.kill(consumer.pid, signal.SIGKILL)
    consumer.wait(10)
    deadline = time.monotonic() + 15
    while (left := {pid for pid in below if _running(pid)}) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not left, f"solver processes {sorted(left)} still run after their consumer was killed"


class KilledOnStart:
    """A real solver process that is killed right after it starts."""

    def __init__(self, process):
        self.process = process

    def start(self):
        self.process.start()
        self.process.kill()

    def __getattr__(self, name):
        return getattr(self.process, name)


def test_a_solver_process_that_dies_fails_the_run_at_once(app, monkeypatch):
    """The solver child is killed (out of memory, say): the run fails with a message, nothing stored."""
    import multiprocessing

    from guidance.planning import runner

    w = planning_world()
    run = planning_service.start_run(w.lead, time_limit=300, today=TODAY, enqueue=lambda run_id: None)
    real_context = multiprocessing.get_context

    class KillingContext:
        """Starts the real solver process, then kills it as the kernel's OOM killer would."""

        def __init__(self, method):
            self.inner = real_context(method)

        def Pipe(self, duplex=True):
            return self.inner.Pipe(duplex=duplex)

        def Process(self, **kwargs):
            return KilledOnStart(self.inner.Process(**kwargs))

    monkeypatch.setattr(runner, "_solver_context", lambda: KillingContext("forkserver"))
    runner.execute_run(run.id)

    db.session.expire_all()
    run = db.session.get(PlanningRun, run.id)
    assert run.status is RunStatus.FAILED and run.message.startswith("solver_crashed")
    assert db.session.query(Session).filter_by(run_id=run.id).count() == 0


def test_a_heartbeat_during_a_database_outage_is_skipped_and_the_solve_goes_on(app, monkeypatch):
    """A database restart while a run solves must not end the run: the next heartbeat is written."""
    from sqlalchemy.exc import OperationalError

    from guidance.planning import runner

    w = planning_world()
    run = planning_service.start_run(w.lead, time_limit=30, today=TODAY, enqueue=lambda run_id: None)
    run.status = RunStatus.RUNNING
    db.session.commit()
    real_commit = db.session.commit

    def unreachable():
        raise OperationalError("UPDATE planning_run", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "commit", unreachable)
    assert runner._beat(run.id, {"best": 1}, 3.0) is False  # no cancel, no exception
    monkeypatch.setattr(db.session, "commit", real_commit)
    assert runner._beat(run.id, {"best": 2}, 5.0) is False
    db.session.expire_all()
    progress = db.session.get(PlanningRun, run.id).progress
    assert progress["best"] == 2 and progress["elapsed_seconds"] == 5.0 and progress["heartbeat"]
