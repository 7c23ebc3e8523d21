"""Page times at county scale (issue 24, item 9): real HTTP against gunicorn on 127.0.0.1.

    .venv/bin/python tests/bench/pages_bench.py [--referrals 2000] [--requests 20]
        [--database-url postgresql://postgres@127.0.0.1:5432/test_scale] [--keep DIR] [--workers 2]

Builds a demo county (``seed_demo``) with ``--referrals`` referrals in a fresh database (a SQLite
file in a temporary directory, or the PostgreSQL database given, whose ``public`` schema is
dropped and rebuilt by the migrations), plans it with the spreadsheet baseline (fast and valid,
judged by the checker like every run) and publishes that plan, so the outbox holds the interpreter
requests. Then it serves the app with gunicorn, logs in as the lead, a referrer and a counsellor,
and times each page ``--requests`` times after two warm-up requests per worker: median, p95, the page's size
and the ratio of its median to the login page's median in the same run. Targets: every page p95
under 200 ms, the calendar feed (about 250 events) under 100 ms, the options to book a waiting referral
or move a booked session within 2 s.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

PAGE_TARGET_MS = 200
FEED_TARGET_MS = 100
OPTIONS_TARGET_MS = 2000  # "book one referral now" and "move one session": the options within 2 s
PASSWORD = "bench-" + secrets.token_hex(8)


def _psycopg_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build(env: dict, referrals: int) -> dict:
    """Migrate, seed, plan and publish; return what the timing needs (ids, e-mails, a feed token)."""
    os.environ.update(env)
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from guidance import create_app
    from guidance.extensions import db
    from guidance.models import OutboxMessage, PlanningRun, RunStatus, Session, SessionStatus, User
    from guidance.planning.runner import _store
    from guidance.services import calendar as cal
    from guidance.services import planning as planning_service
    from guidance.services.demo import seed_demo
    from solver.baseline import baseline

    app = create_app({"WTF_CSRF_ENABLED": True})
    with app.app_context():
        started = time.monotonic()
        upgrade(directory=str(ROOT / "migrations"))
        result = seed_demo(referrals=referrals, password=PASSWORD)
        lead = db.session.scalar(select(User).where(User.email == result.credentials["lead"][0]))
        run = planning_service.start_run(lead, time_limit=10, enqueue=lambda run_id: None)
        import json

        plan = baseline(json.loads(run.instance_json))
        run.status = RunStatus.RUNNING
        db.session.commit()
        _store(run.id, plan)
        run = db.session.get(PlanningRun, run.id, populate_existing=True)
        assert run.status is RunStatus.SUCCEEDED, run.message
        planning_service.publish_run(lead, run, confirm_stale=True)
        # The counsellor with the most booked sessions: their feed is the biggest.
        counsellor_id, count = db.session.execute(
            select(Session.counsellor_id, func.count()).where(Session.status == SessionStatus.BOOKED)
            .group_by(Session.counsellor_id).order_by(func.count().desc()).limit(1)).one()
        counsellor = db.session.scalar(select(User).where(User.counsellor.has(id=counsellor_id)))
        token = cal.issue_feed_token(counsellor)
        db.session.commit()
        feed_events = len(cal.feed_sessions(counsellor))
        # A referral the plan left waiting (the lead books it now) and a booked session ahead (the lead moves it).
        from guidance.models import Referral, ReferralStatus

        waiting = db.session.scalar(select(Referral.id).where(Referral.status == ReferralStatus.RECEIVED)
                                    .order_by(Referral.deadline, Referral.id).limit(1))
        ahead = db.session.scalar(select(Session.id).where(Session.status == SessionStatus.BOOKED,
                                                           Session.start > func.now()).order_by(Session.start).limit(1))
        facts = {
            "run_id": run.id, "lead_otpauth": result.second_factor["lead"], "lead": result.credentials["lead"][0], "referrer": result.credentials["referrer"][0],
            "counsellor": counsellor.email, "feed_token": token, "feed_events": feed_events,
            "waiting_referral_id": waiting, "session_ahead_id": ahead,
            "sessions": db.session.scalar(select(func.count()).select_from(Session).where(Session.run_id == run.id)),
            "unscheduled": len(plan["unscheduled"]),
            "outbox": db.session.scalar(select(func.count()).select_from(OutboxMessage)),
            "referrals": result.referrals, "build_seconds": round(time.monotonic() - started, 1),
        }
    return facts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"], cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(base + "/login", timeout=60)
            return process, base
        except requests.RequestException:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not start")


def logged_in(base: str, email: str, otpauth: str | None = None) -> requests.Session:
    http = requests.Session()
    page = http.get(base + "/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = http.post(base + "/login", data={"csrf_token": token, "email": email, "password": PASSWORD},
                       allow_redirects=False)
    if answer.headers.get("Location", "").endswith("/login/code") and otpauth:  # the lead's second step
        import pyotp

        answer = http.post(base + "/login/code", data={"csrf_token": token, "code": pyotp.parse_uri(otpauth).now()},
                           allow_redirects=False)
    assert answer.status_code in (302, 303), f"login as {email} failed ({answer.status_code})"
    return http


def time_page(http: requests.Session, url: str, count: int, warm_up: int) -> dict:
    """Steady state: `warm_up` requests first, so every gunicorn worker has served the page once
    (a worker's first request of a page also pays its imports and caches: printed apart)."""
    started = time.perf_counter()
    first = http.get(url)
    cold = (time.perf_counter() - started) * 1000
    assert first.status_code == 200, f"{url}: {first.status_code}"
    for _ in range(warm_up - 1):
        http.get(url)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = http.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, f"{url}: {answer.status_code}"
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"median": statistics.median(times), "p95": p95, "bytes": len(first.content), "cold": cold}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="PostgreSQL database to use (its public schema is rebuilt)")
    parser.add_argument("--keep", help="a directory to keep the SQLite database and queue in (default: temporary)")
    args = parser.parse_args()

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pages-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.database_url:
        url = _psycopg_url(args.database_url)
        _reset_postgres(url)
        backend = "postgresql"
    else:
        database = workdir / "bench.sqlite3"
        database.unlink(missing_ok=True)
        url = f"sqlite:///{database}"
        backend = "sqlite"
    env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16), "QUEUE_PATH": str(workdir / "queue.sqlite3"),
           "UPLOAD_FOLDER": str(workdir / "uploads"), "CALENDAR_FEED_RATE_LIMIT": "100000 per hour",
           "LOGIN_RATE_LIMIT": "1000 per minute", "REDIS_URL": "", "MAIL_SERVER": ""}
    for key in ("REDIS_URL", "MAIL_SERVER"):
        os.environ.pop(key, None)
    env = {k: v for k, v in env.items() if v}

    facts = build(env, args.referrals)
    print(f"# {backend}: {facts['referrals']} referrals, {facts['sessions']} sessions in run {facts['run_id']} "
          f"({facts['unscheduled']} needs unscheduled), {facts['outbox']} e-mails in the outbox, "
          f"feed of {facts['feed_events']} events; built in {facts['build_seconds']} s")
    process, base = serve(env, args.workers)
    try:
        lead, referrer, counsellor = (logged_in(base, facts[who], facts.get(f"{who}_otpauth"))
                                      for who in ("lead", "referrer", "counsellor"))
        anonymous = requests.Session()
        run = facts["run_id"]
        pages = [
            ("login page", anonymous, "/login", PAGE_TARGET_MS),
            ("lead: home (today)", lead, "/", PAGE_TARGET_MS),
            ("lead: week grid", lead, "/grids/", PAGE_TARGET_MS),
            ("lead: a waiting referral", lead, f"/referrals/{facts['waiting_referral_id']}", PAGE_TARGET_MS),
            ("lead: book it now, options", lead, f"/referrals/{facts['waiting_referral_id']}/times", OPTIONS_TARGET_MS),
            ("lead: move a session, options", lead, f"/planning/sessions/{facts['session_ahead_id']}/edit",
             OPTIONS_TARGET_MS),
            ("referrer: home", referrer, "/", PAGE_TARGET_MS),
            ("counsellor: home", counsellor, "/", PAGE_TARGET_MS),
            ("lead: referrals", lead, "/referrals/", PAGE_TARGET_MS),
            ("lead: referrals, page 2", lead, "/referrals/?page=2", PAGE_TARGET_MS),
            ("lead: referrals, status filter", lead, "/referrals/?status=received", PAGE_TARGET_MS),
            ("referrer: referrals", referrer, "/referrals/", PAGE_TARGET_MS),
            ("lead: dashboard", lead, "/dashboard/", PAGE_TARGET_MS),
            ("lead: queue", lead, "/queue/", PAGE_TARGET_MS),
            ("lead: run sessions", lead, f"/planning/runs/{run}/sessions", PAGE_TARGET_MS),
            ("lead: run unscheduled", lead, f"/planning/runs/{run}/unscheduled", PAGE_TARGET_MS),
            ("lead: outbox", lead, "/outbox/", PAGE_TARGET_MS),
            ("lead: outbox, search", lead, "/outbox/?q=tolk", PAGE_TARGET_MS),
            ("counsellor: week", counsellor, "/week/", PAGE_TARGET_MS),
            (f"counsellor: feed ({facts['feed_events']} events)", requests.Session(),
             f"/calendar/{facts['feed_token']}.ics", FEED_TARGET_MS),
        ]
        rows = []
        for name, http, path, target in pages:
            rows.append((name, time_page(http, base + path, args.requests, 2 * args.workers), target))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    login = rows[0][1]["median"]
    load = os.getloadavg()
    print(f"# {args.requests} requests per page after {2 * args.workers} warm-up requests (first: 'first ms'), gunicorn -w {args.workers}, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, {os.cpu_count()} cores")
    print(f"| page ({backend}) | median ms | p95 ms | KB | × login | first ms | target p95 | |")
    print("|---|---|---|---|---|---|---|---|")
    for name, figures, target in rows:
        verdict = "PASS" if figures["p95"] < target else "FAIL"
        print(f"| {name} | {figures['median']:.1f} | {figures['p95']:.1f} | {figures['bytes'] / 1024:.1f} | "
              f"{figures['median'] / login:.1f} | {figures['cold']:.0f} | {target} | {verdict} |")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
