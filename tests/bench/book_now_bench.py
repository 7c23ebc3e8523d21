"""Book one referral now (issue 24 item 3): how long the options page takes at county scale.

    .venv/bin/python tests/bench/book_now_bench.py [--referrals 2000] [--time-limit 60] [--repeat 7]
        [--database-url URL] [--workers 1]

Builds a demo county (`seed_demo`, Vestland) with ``--referrals`` referrals in a fresh SQLite file
(or the empty database ``--database-url`` names: its schema is dropped and rebuilt), solves and
publishes a plan (in this process, as the planning page does, without the queue), adds one new
referral (the mid-quarter arrival), then serves the app with gunicorn on 127.0.0.1 and, signed in
as the lead, times the options page ``/referrals/<id>/times`` and the login page ``--repeat``
times each, interleaved. Prints the medians, the ratio to the login page in the same run, and,
measured in process, the two parts of the page: building the county's instance and the
recommendation. Target: the options page within 2 s.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
HOST = "127.0.0.1"
PASSWORD = "bench-password-not-secret"
TARGET_SECONDS = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--time-limit", type=int, default=60, help="seconds for the solve of the published plan")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="book-now-bench-") as tmp:
        base = Path(tmp)
        url = args.database_url or f"sqlite:///{base / 'bench.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + os.urandom(8).hex(),
               "UPLOAD_FOLDER": str(base / "uploads"), "QUEUE_PATH": str(base / "queue.sqlite3"),
               "LOGIN_RATE_LIMIT": "100000 per minute", "PYTHONPATH": str(ROOT)}
        os.environ.update(env)
        started = time.perf_counter()
        facts = prepare(url, args.referrals, args.time_limit)
        print(f"county: {facts['referrals']} referrals, published plan of {facts['sessions']} sessions "
              f"(solve {facts['solve_seconds']:.1f} s), set up in {time.perf_counter() - started:.0f} s")
        print(f"in process (median of 3): build_instance {facts['build_instance']:.2f} s, "
              f"recommend (every open need) {facts['recommend']:.2f} s, options found {facts['options']}")
        port = free_port()
        server = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "wsgi:app", "-b", f"{HOST}:{port}", "-w", str(args.workers),
             "--timeout", "120", "--log-level", "warning"], env=env, cwd=ROOT)
        try:
            wait_for_port(port)
            figures = measure(port, facts, args.repeat)
        finally:
            server.terminate()
            server.wait(timeout=30)
    page, login = figures["page"], figures["login"]
    print(f"{'page':<34} {'median':>9} {'p95':>9} {'ratio':>7}")
    print(f"{'GET /login':<34} {ms(login):>9} {ms(p95(login)):>9} {1:>7.1f}")
    print(f"{'GET /referrals/<id>/times':<34} {ms(page):>9} {ms(p95(page)):>9} "
          f"{statistics.median(page) / statistics.median(login):>7.0f}")
    print(f"options page size {figures['bytes'] // 1024} KB, {figures['buttons']} options shown; target "
          f"{TARGET_SECONDS:.0f} s: {'PASS' if statistics.median(page) <= TARGET_SECONDS else 'FAIL'}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores, shared)")
    return 0


def prepare(url: str, referrals: int, time_limit: int) -> dict:
    """Migrate, seed, solve and publish, add one referral; time the page's parts in process."""
    import datetime as dt

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from guidance import create_app
    from guidance.extensions import db
    from guidance.models import (LegalBasis, Municipality, Participant, PlanningRun, Referral, Role, RunStatus,
                                 Session, SessionStatus, User)
    from guidance.planning.ids import local_today
    from guidance.planning.runner import execute_run
    from guidance.rules.deadlines import effective_deadline
    from guidance.services import book_now, planning
    from guidance.services.demo import seed_demo
    from guidance.services.referral_reference import new_reference

    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app()
    with app.app_context():
        upgrade()
        demo = seed_demo(county_number="46", referrals=referrals, password=PASSWORD)
        lead = db.session.scalar(select(User).where(User.role == Role.LEAD))
        run = planning.start_run(lead, time_limit=10, enqueue=lambda run_id: None)
        run.time_limit_seconds = time_limit
        db.session.commit()
        solve_started = time.perf_counter()
        execute_run(run.id)
        solve_seconds = time.perf_counter() - solve_started
        db.session.expire_all()
        run = db.session.get(PlanningRun, run.id)
        if run.status is not RunStatus.SUCCEEDED:
            raise SystemExit(f"the plan did not solve: {run.status.value} {run.message}")
        planning.publish_run(lead, run, confirm_stale=True)
        bergen = db.session.scalar(select(Municipality).where(Municipality.number == "4601"))
        today = local_today()
        settled = today - dt.timedelta(days=3)
        newcomer = Referral(
            reference=new_reference(), county=lead.county, referring_municipality=bergen,
            participant=Participant(name="Olena Kovalenko", municipality=bergen, language="uk", needs_interpreter=True),
            legal_basis=LegalBasis.INTEGRATION_ACT, settlement_date=settled, earliest_date=today,
            deadline=effective_deadline(LegalBasis.INTEGRATION_ACT, settlement_date=settled,
                                        programme_decision_date=None, referral_date=today))
        db.session.add(newcomer)
        db.session.commit()
        sessions = db.session.scalar(select(func.count()).select_from(Session)
                                     .where(Session.status == SessionStatus.BOOKED))
        total = db.session.scalar(select(func.count()).select_from(Referral))
        parts = []
        with app.test_request_context():
            for _ in range(3):
                found = book_now.choices(db.session.get(Referral, newcomer.id))
                parts.append(found.seconds)
        options = sum(len(n.options) for n in found.needs)
        return {"referrals": total, "sessions": sessions, "solve_seconds": solve_seconds, "referral_id": newcomer.id,
                "lead": lead.email, "lead_otpauth": demo.second_factor["lead"], "options": options,
                "build_instance": statistics.median(p["build_instance"] for p in parts),
                "recommend": statistics.median(p["recommend"] for p in parts)}


def measure(port: int, facts: dict, repeat: int) -> dict:
    import requests

    base = f"http://{HOST}:{port}"
    browser = requests.Session()
    form = browser.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', form)
    csrf = next(g for g in token.groups() if g)
    answer = browser.post(f"{base}/login", data={"email": facts["lead"], "password": PASSWORD, "csrf_token": csrf},
                          allow_redirects=False)
    if answer.headers.get("Location", "").endswith("/login/code"):  # the lead's second step
        import pyotp

        answer = browser.post(f"{base}/login/code", data={"code": pyotp.parse_uri(facts["lead_otpauth"]).now(),
                                                          "csrf_token": csrf}, allow_redirects=False)
    if answer.status_code != 302:
        raise SystemExit(f"login as the lead failed: {answer.status_code}")
    anonymous = requests.Session()
    page_url = f"{base}/referrals/{facts['referral_id']}/times"
    browser.get(page_url)  # warm up: imports and caches of the worker
    anonymous.get(f"{base}/login")
    times = {"page": [], "login": []}
    body = ""
    for _ in range(repeat):
        started = time.perf_counter()
        response = browser.get(page_url)
        times["page"].append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"the options page answered {response.status_code}")
        body = response.text
        started = time.perf_counter()
        anonymous.get(f"{base}/login")
        times["login"].append(time.perf_counter() - started)
    return {**times, "bytes": len(body.encode()), "buttons": body.count('name="option"')}


def ms(values) -> str:
    value = statistics.median(values) if isinstance(values, list) else values
    return f"{value * 1000:.0f} ms"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not start on port {port}")


if __name__ == "__main__":
    sys.exit(main())
