"""Run the solver for one PlanningRun, in the queue consumer.

The solver runs in a child process so that a cancel stops it at once (the solver reports
progress only when it finds a better plan, so a flag read in ``on_progress`` could wait for
the whole time budget) and a crash in it cannot take the consumer down. The parent keeps a
heartbeat on the run; a run whose heartbeat stops (the consumer died) is failed by
:func:`fail_stale_runs`. The plan is stored in one transaction, so a run never ends half stored.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
import threading
import time

from sqlalchemy import select, update
from sqlalchemy.exc import InterfaceError, OperationalError

from guidance.extensions import db
from guidance.models import PlanningRun, RunStatus
from guidance.models.types import utcnow

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
STALE_AFTER_SECONDS = 60.0
# Beyond its budget the solver gets this long (construction, output) before it is stopped.
GRACE_SECONDS = 60.0
SOLVER_WORKERS = 2

# run.message is "<code>" or "<code>: <technical detail>"; the pages translate the code.
WORKER_STOPPED = "worker_stopped"
SOLVER_ERROR = "solver_error"
SOLVER_CRASHED = "solver_crashed"
TIMED_OUT = "timed_out"
STORE_ERROR = "store_error"
CANCELLED = "cancelled"


def execute_run(run_id: int) -> None:
    """Solve a queued run and store the result; the run ends succeeded, failed or cancelled."""
    run = db.session.get(PlanningRun, run_id)
    if run is None or run.status is not RunStatus.QUEUED:
        return  # cancelled while waiting, or already handled
    run.status, run.started_at = RunStatus.RUNNING, utcnow()
    run.progress = {"heartbeat": utcnow().isoformat(), "elapsed_seconds": 0, "pid": os.getpid()}
    db.session.commit()
    try:
        outcome = _solve_in_child(run)
    except Exception as error:  # noqa: BLE001 - a run must end failed, whatever happened
        db.session.rollback()
        log.exception("planning run %s failed", run_id)
        _finish(run_id, RunStatus.FAILED, f"{SOLVER_ERROR}: {type(error).__name__}: {error}")
        return
    kind, payload = outcome
    if kind == "plan":
        _store(run_id, payload)
    elif kind == "cancelled":
        _finish(run_id, RunStatus.CANCELLED, CANCELLED)
    else:
        _finish(run_id, RunStatus.FAILED, payload)


def fail_stale_runs(now: dt.datetime | None = None, stale_after: float = STALE_AFTER_SECONDS) -> list[int]:
    """Fail running runs whose worker has sent no heartbeat for `stale_after` seconds."""
    now = now or utcnow()
    failed = []
    for run in db.session.scalars(select(PlanningRun).where(PlanningRun.status == RunStatus.RUNNING)):
        beat = (run.progress or {}).get("heartbeat")
        last = dt.datetime.fromisoformat(beat) if beat else (run.started_at or run.created_at)
        if (now - last).total_seconds() > stale_after:
            run.status, run.finished_at = RunStatus.FAILED, now
            run.message = f"{WORKER_STOPPED}: no heartbeat since {last.isoformat(timespec='seconds')}"
            failed.append(run.id)
    db.session.commit()
    return failed


# ---------------------------------------------------------------------------- the child


# The solver process is forked from a fork server that has imported this module and the solver
# once (multiprocessing's "forkserver": a clean single-threaded process, so forking it is safe where
# forking the consumer, with its threads and sockets, is not). A fresh interpreter per run spent
# about two seconds importing the app and OR-Tools before it solved anything.
SOLVER_PRELOAD = ["guidance.planning.runner", "solver", "solver.model"]


def _solver_context():
    multiprocessing.set_forkserver_preload(SOLVER_PRELOAD)  # read when the fork server starts
    return multiprocessing.get_context("forkserver")


def child_main(instance_json: str, time_limit: float, workers: int, conn, consumer_pid: int) -> None:
    """Entry point of the solver process: sends ("progress", {...})*, then ("plan", {...}) or ("error", text)."""
    from solver import solve
    from solver.formats import FormatError

    first_parent = os.getppid()

    def orphan_watch():
        # A consumer killed with SIGKILL cannot stop us; stop when it is gone (the fork server, our
        # parent, ends with it, so a changed parent says so too).
        while True:
            time.sleep(1.0)
            if os.getppid() != first_parent or not _alive(consumer_pid):
                os._exit(3)

    threading.Thread(target=orphan_watch, daemon=True).start()
    try:
        plan = solve(json.loads(instance_json), time_limit=time_limit, workers=workers,
                     on_progress=lambda p: conn.send(("progress", dict(p))))
        conn.send(("plan", plan.model_dump(mode="json")))
    except FormatError as error:
        conn.send(("error", f"{SOLVER_ERROR}: the instance was rejected: {error.message()}"))
    except Exception as error:  # noqa: BLE001 - report, the parent decides
        conn.send(("error", f"{SOLVER_ERROR}: {type(error).__name__}: {error}"))
    finally:
        conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _solve_in_child(run: PlanningRun) -> tuple[str, object]:
    context = _solver_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=child_main, daemon=True,
                            args=(run.instance_json, float(run.time_limit_seconds), SOLVER_WORKERS, sender, os.getpid()))
    child.start()
    sender.close()
    run_id, started = run.id, time.monotonic()
    deadline = started + run.time_limit_seconds + GRACE_SECONDS
    progress: dict = {}
    last_beat, fresh = 0.0, False
    try:
        while True:
            message = _receive(receiver, timeout=0.5)
            if message is not None:
                kind, payload = message
                if kind == "progress":
                    progress, fresh = payload, True
                elif kind == "eof":  # the solver process ended without a result
                    child.join(5)
                    return "error", f"{SOLVER_CRASHED}: the solver process ended with exit code {child.exitcode}"
                else:
                    return kind, payload
            now = time.monotonic()
            # New progress is shown within a second; otherwise a heartbeat every few seconds.
            if now - last_beat >= (1.0 if fresh else HEARTBEAT_SECONDS):
                last_beat, fresh = now, False
                if _beat(run_id, progress, now - started):
                    return "cancelled", None
            if now > deadline:
                return "error", f"{TIMED_OUT}: no plan {run.time_limit_seconds + GRACE_SECONDS:.0f} s after the start"
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
            child.join(5)
            if child.is_alive():
                child.kill()
        child.join(5)


def _receive(receiver, timeout: float):
    try:
        if receiver.poll(timeout):
            return receiver.recv()
    except (EOFError, OSError):
        return ("eof", None)
    return None


def _beat(run_id: int, progress: dict, elapsed: float) -> bool:
    """Write progress and a heartbeat; True when the lead asked to cancel.

    A database that is briefly unreachable (a restart, a failover) skips this beat and the solve
    goes on; only one that stays away longer than STALE_AFTER_SECONDS lets the sweep fail the run."""
    try:
        run = db.session.get(PlanningRun, run_id, populate_existing=True)
        if run is None:
            return True
        keep = {k: v for k, v in (run.progress or {}).items() if k == "pid"}
        run.progress = {**keep, **progress, "elapsed_seconds": round(elapsed, 1), "heartbeat": utcnow().isoformat()}
        cancel = run.cancel_requested or run.status is not RunStatus.RUNNING
        db.session.commit()
    except (OperationalError, InterfaceError) as error:
        db.session.rollback()
        log.warning("planning run %s: heartbeat not written (%s)", run_id, type(error).__name__)
        return False
    return cancel


def _store(run_id: int, plan: dict) -> None:
    from solver.check import check_plan
    from solver.objective import terms

    from guidance.planning.pins import enforce_pins
    from guidance.planning.store import store_plan

    try:
        run = db.session.get(PlanningRun, run_id, populate_existing=True)
        if run.cancel_requested or run.status is not RunStatus.RUNNING:
            db.session.rollback()
            _finish(run_id, RunStatus.CANCELLED, CANCELLED)
            return
        instance = json.loads(run.instance_json)
        plan = enforce_pins(instance, plan, run.pinned or [])
        plan.setdefault("stats", {})["terms"] = terms(instance, plan)  # pins may have changed the plan
        result = check_plan(instance, plan)
        store_plan(run, plan, instance, run.pinned or [])
        run.plan_json = json.dumps(plan, ensure_ascii=False)
        run.metrics = {**result.metrics, "violated_rules": sorted(result.rules_broken())}
        run.status, run.finished_at = RunStatus.SUCCEEDED, utcnow()
        progress = dict(run.progress or {})
        progress.update(sessions_placed=result.metrics.get("scheduled"), objective=plan["stats"].get("objective"),
                        best_bound=plan["stats"].get("best_bound"))
        run.progress = progress
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - nothing half stored: roll back, then fail the run
        db.session.rollback()
        log.exception("storing planning run %s failed", run_id)
        _finish(run_id, RunStatus.FAILED, f"{STORE_ERROR}: {type(error).__name__}: {error}")


def _finish(run_id: int, status: RunStatus, message: str) -> None:
    db.session.execute(
        update(PlanningRun).where(PlanningRun.id == run_id)
        .values(status=status, message=message, finished_at=utcnow())
    )
    db.session.commit()
