#!/usr/bin/env python3
"""Load and fault test of referral intake (run on demand; not part of the test suite).

Starts its OWN PostgreSQL cluster and Redis on free ports under a temporary directory (so the
PostgreSQL restart never touches a shared server), migrates, seeds one county and an API
token, serves the app with gunicorn on 127.0.0.1, and then for --seconds lets --clients
threads submit referrals through POST /api/v1/referrals. Every submission has its own
Idempotency-Key and is retried with the same key and body until it is confirmed; a share of
confirmed submissions is sent again on purpose. Meanwhile it restarts PostgreSQL and kills the
queue consumer (when the app has one) while a planning run is solving, on top of a plan published
before the load. At the end it counts referrals in the database per key:

    lost       = confirmed to a client but not in the database
    duplicated = more than one referral (or participant) for one key
    unconfirmed= never confirmed (a client gave up)

and prints status counts, p50/p95 latency and the outage behaviour (503 problem JSON, no 500).
Meanwhile a lead and a counsellor read HTML pages (/referrals/, /planning/, /queue/, /week/);
their status codes are reported, during the PostgreSQL restart too: a 503 must be a page, never a 500.
The planning run whose consumer was killed must end failed (or finish, if a consumer retried it),
and the previously published plan must be intact: the same sessions with the same times, people,
rooms and statuses, and the same published run and publication time.
Exit status 0 only when nothing was lost or duplicated, no 500 was seen and both planning checks hold.

    .venv/bin/python tests/load/run.py --clients 50 --seconds 60

Traffic goes only to 127.0.0.1. Needs: PostgreSQL server binaries, redis-server, gunicorn.
"""
from __future__ import annotations

import argparse
import glob
import http.client
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # to ask whether the app has a queue and a planning service
PYTHON = sys.executable
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port}")


# --- services ---------------------------------------------------------------------------------

class Postgres:
    """A throw-away cluster owned by the `postgres` user, listening on 127.0.0.1 only."""

    def __init__(self, base: Path):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise SystemExit("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin)")
        self.bin = Path(bins[-1])
        self.data = base / "pgdata"
        self.port = free_port()
        self.log = base / "postgres.log"
        self.base = base

    def _as_postgres(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._ctl("start")
        self._as_postgres(str(self.bin / "createdb"), "-h", HOST, "-p", str(self.port), "-U", "postgres", "load")

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -c listen_addresses={HOST} -c unix_socket_directories={self.base} -c max_connections=200 -c fsync=off"
        args = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-m", "fast"]
        self._as_postgres(*args, "-o", options, action)

    def restart(self, down_seconds: float = 3) -> None:
        """Stop, stay down for a while (requests meanwhile must get 503), start again."""
        self._ctl("stop")
        time.sleep(down_seconds)
        self._ctl("start")

    def stop(self) -> None:
        try:
            self._ctl("stop")
        except subprocess.CalledProcessError:
            pass

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/load"


class Redis:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"


# --- the app ------------------------------------------------------------------------------------

def app_env(pg: Postgres, redis: Redis, base: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": pg.url, "REDIS_URL": redis.url, "SECRET_KEY": "load-test-" + uuid.uuid4().hex,
        "UPLOAD_FOLDER": str(base / "uploads"), "FLASK_APP": "guidance", "PYTHONPATH": str(ROOT),
        # the point is to measure the app, not its per-client throttles
        "LOGIN_RATE_LIMIT": "100000 per minute", "API_RATE_LIMIT": "1000000 per minute",
    })
    return env


SEED = r'''
import json, sys
from guidance import create_app
from guidance.extensions import db
app = create_app()
with app.app_context():
    from guidance.services.demo import seed_demo
    demo = seed_demo(county_number="46", referrals=REFERRALS)
    from guidance.models import Municipality, Role, User
    from sqlalchemy import select
    bergen = db.session.scalar(select(Municipality).where(Municipality.number == "4601"))
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    from guidance.services import api_tokens
    _token, plaintext = api_tokens.create_token(admin, municipality_id=bergen.id, name="load test")
    db.session.commit()
    people = {role: [*pair, demo.second_factor.get(role)] for role, pair in demo.credentials.items()
              if role in ("lead", "counsellor")}
    print(json.dumps({"token": plaintext, "municipality": bergen.number, "people": people}))
'''


def prepare_app(env: dict, referrals: int) -> dict:
    flask = [PYTHON, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([PYTHON, "-c", SEED.replace("REFERRALS", str(int(referrals)))], env=env, cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"seeding failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "wsgi:app", "-b", f"{HOST}:{port}", "-w", str(workers), "--threads", "4",
         "--timeout", "60", "--log-level", "warning"], env=env, cwd=ROOT)
    wait_for_port(port)
    return process


def start_consumer(env: dict) -> subprocess.Popen | None:
    try:
        import guidance.jobs  # noqa: F401
    except ImportError:
        return None
    return subprocess.Popen([PYTHON, "-m", "huey.bin.huey_consumer", "guidance.jobs.huey", "-w", "1", "-q"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# --- the clients --------------------------------------------------------------------------------

def referral_body(i: int, run_id: str, municipality: str) -> dict:
    """One participant per submission; the name carries the run and the number to count later."""
    return {
        "participant": {
            "name": f"Last Test {run_id} {i}", "phone": f"+47 9{i % 10000000:07d}", "municipality": municipality,
            "language": random.choice(["uk", "ar", "ti", "so"]), "needs_interpreter": True, "video_ok": False,
        },
        "legal_basis": "integration_act", "settlement_date": time.strftime("%Y-%m-%d"),
    }


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    latencies: list = field(default_factory=list)
    confirmed: dict = field(default_factory=dict)  # key -> referral id or reference
    unconfirmed: set = field(default_factory=set)
    bad_503: int = 0  # 503 without problem JSON
    errors: Counter = field(default_factory=Counter)
    samples_500: list = field(default_factory=list)
    pages: Counter = field(default_factory=Counter)  # HTML pages of logged-in users: status -> count
    bad_page_503: int = 0  # a page's 503 that is not an HTML page
    page_500_samples: list = field(default_factory=list)


def submit(conn_box: list, port: int, token: str, key: str, body: bytes, stats: Stats, deadline: float) -> dict | None:
    """POST until confirmed (201/200) or refused for good (other 4xx); the same key every time."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key,
               "Accept": "application/json"}
    delay = 0.05
    while time.monotonic() < deadline + 30:  # let in-flight submissions finish after the run
        started = time.perf_counter()
        try:
            if conn_box[0] is None:
                conn_box[0] = http.client.HTTPConnection(HOST, port, timeout=30)
            conn_box[0].request("POST", "/api/v1/referrals", body=body, headers=headers)
            response = conn_box[0].getresponse()
            payload = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            conn_box[0] = None
            with stats.lock:
                stats.errors[type(error).__name__] += 1
            time.sleep(delay)
            delay = min(delay * 2, 2)
            continue
        elapsed = time.perf_counter() - started
        with stats.lock:
            stats.statuses[status] += 1
            stats.latencies.append(elapsed)
            if status == 503 and response.getheader("Content-Type", "").split(";")[0] != "application/problem+json":
                stats.bad_503 += 1
            if status == 500 and len(stats.samples_500) < 3:
                stats.samples_500.append(payload[:300])
        if status in (200, 201):
            return json.loads(payload)
        if status in (429, 500, 502, 503, 504):
            time.sleep(delay)
            delay = min(delay * 2, 2)
            continue
        print(f"refused for good: {status} {payload[:200]!r}", file=sys.stderr)
        return None
    return None


def client_loop(n: int, port: int, token: str, municipality: str, run_id: str, stats: Stats, deadline: float,
                counter, resend_share: float) -> None:
    conn = [None]
    rng = random.Random(n)
    while time.monotonic() < deadline:
        i = next(counter)
        key = f"load-{run_id}-{i}"
        body = json.dumps(referral_body(i, run_id, municipality)).encode()
        result = submit(conn, port, token, key, body, stats, deadline)
        if result is None:
            with stats.lock:
                stats.unconfirmed.add(key)
            continue
        with stats.lock:
            stats.confirmed[key] = result.get("reference") or result.get("id")
        if rng.random() < resend_share:
            again = submit(conn, port, token, key, body, stats, deadline)
            if again is not None and (again.get("reference") or again.get("id")) != stats.confirmed[key]:
                with stats.lock:
                    stats.errors["retry answered with another referral"] += 1


# --- logged-in users reading pages --------------------------------------------------------------

PAGES = {"lead": ["/referrals/", "/planning/", "/queue/"], "counsellor": ["/week/", "/referrals/"]}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _open(opener, path: str, port: int, data: dict | None = None) -> tuple[int, str, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(f"http://{HOST}:{port}{path}", data=body, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode(errors="replace")


def _log_in(opener, port: int, email: str, password: str, otpauth: str | None = None) -> bool:
    status, _type, page = _open(opener, "/login", port)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or not token:
        return False
    status, _type, _page = _open(opener, "/login", port, {"csrf_token": token.group(1), "email": email,
                                                          "password": password})
    if status == 302 and otpauth:
        # The lead's second step; a code used a moment ago is refused, and the loop tries again later.
        import pyotp

        status, _type, _page = _open(opener, "/login/code", port, {"csrf_token": token.group(1),
                                                                    "code": pyotp.parse_uri(otpauth).now()})
    return status == 302


def page_loop(port: int, role: str, email: str, password: str, stats: Stats, deadline: float,
              otpauth: str | None = None) -> None:
    """A browser user during the faults: every page answer counted; a 503 must be an HTML page."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)
    logged_in = False
    while time.monotonic() < deadline:
        try:
            if not logged_in:
                logged_in = _log_in(opener, port, email, password, otpauth)
                if not logged_in:
                    time.sleep(0.5)
                    continue
            for path in PAGES[role]:
                status, content_type, page = _open(opener, path, port)
                with stats.lock:
                    stats.pages[status] += 1
                    if status == 503 and not content_type.startswith("text/html"):
                        stats.bad_page_503 += 1
                    if status >= 500 and status != 503 and len(stats.page_500_samples) < 3:
                        stats.page_500_samples.append(f"{path}: {page[:200]}")
                if status == 302:
                    logged_in = False
                    break
                time.sleep(0.1)
        except (OSError, http.client.HTTPException) as error:
            with stats.lock:
                stats.errors[f"page {type(error).__name__}"] += 1
            time.sleep(0.5)


# --- faults -------------------------------------------------------------------------------------

def faults(pg: Postgres, consumer_box: list, env: dict, seconds: int, stats: Stats, log: list,
           planning_run: int | None, kill_box: list) -> None:
    time.sleep(seconds * 0.3)
    before, pages_before = Counter(stats.statuses), Counter(stats.pages)
    log.append(f"{time.strftime('%X')} stopping PostgreSQL for 3 s")
    pg.restart()
    time.sleep(2)
    during, pages_during = Counter(stats.statuses) - before, Counter(stats.pages) - pages_before
    log.append(f"{time.strftime('%X')} PostgreSQL back; API statuses meanwhile: {dict(during)}; "
               f"HTML pages meanwhile: {dict(pages_during)}")
    time.sleep(seconds * 0.2)
    consumer = consumer_box[0]
    if consumer is not None:
        state = planning_state(env, planning_run) if planning_run is not None else None
        # Kill it mid-run: wait (a little) for the planning run to be solving.
        waited = time.monotonic() + 20
        while state is not None and state.startswith("queued") and time.monotonic() < waited:
            time.sleep(1)
            state = planning_state(env, planning_run)
        log.append(f"{time.strftime('%X')} killing the queue consumer (SIGKILL) and starting a new one; "
                   f"planning run {planning_run}: {state or 'none'}")
        kill_box[0] = state
        consumer.send_signal(signal.SIGKILL)
        consumer.wait()
        consumer_box[0] = start_consumer(env)


# --- a planning run meanwhile ------------------------------------------------------------------

START_RUN = r'''
import sys
from guidance import create_app
from guidance.extensions import db
from guidance.models import Role, User
app = create_app()
with app.app_context():
    from guidance.services import planning
    lead = db.session.query(User).filter_by(role=Role.LEAD).first()
    run = planning.start_run(lead, time_limit=int(sys.argv[1]))
    db.session.commit()
    print(run.id)
'''

# The published plan as comparable rows: which run is published (and when), and every live session.
SNAPSHOT = r'''
def published_snapshot():
    from sqlalchemy import select
    from guidance.extensions import db
    from guidance.models import PlanningRun, Role, Session, User
    from guidance.planning.instance import published_sessions
    lead = db.session.query(User).filter_by(role=Role.LEAD).first()
    runs = db.session.execute(select(PlanningRun.id, PlanningRun.published_at).where(
        PlanningRun.county_id == lead.county_id, PlanningRun.published_at.is_not(None)).order_by(PlanningRun.id)).all()
    sessions = [[s.id, s.run_id, s.uid, s.sequence, s.status.value, s.start.isoformat(), s.end.isoformat(),
                 s.counsellor_id, s.room_id, s.interpreter_id, sorted(p.referral_id for p in s.participants)]
                for s in published_sessions(lead.county)]
    return {"published_runs": [[i, at.isoformat()] for i, at in runs], "sessions": sessions}
'''

# A plan published before the load: solved in this process (no queue) and published.
PUBLISH = SNAPSHOT + r'''
import json
from guidance import create_app
from guidance.extensions import db
from guidance.models import Role, RunStatus, User
app = create_app()
with app.app_context():
    from guidance.planning.runner import execute_run
    from guidance.services import planning
    lead = db.session.query(User).filter_by(role=Role.LEAD).first()
    run = planning.start_run(lead, time_limit=10, enqueue=lambda run_id: None)
    execute_run(run.id)
    db.session.expire_all()
    run = db.session.get(type(run), run.id)
    if run.status is not RunStatus.SUCCEEDED:
        raise SystemExit(f"the plan to publish did not solve: {run.status.value} {run.message}")
    planning.publish_run(lead, run, confirm_stale=True)
    print(json.dumps(published_snapshot()))
'''

STATE = r'''
import sys
from guidance import create_app
from guidance.extensions import db
from guidance.models import PlanningRun
app = create_app()
with app.app_context():
    run = db.session.get(PlanningRun, int(sys.argv[1]))
    progress = (run.progress or {}) if run else {}
    import datetime as dt
    beat = progress.get("heartbeat")
    age = (dt.datetime.now(dt.timezone.utc) - dt.datetime.fromisoformat(beat)).total_seconds() if beat else -1
    print(f"{run.status.value}: {run.message or ''} (elapsed {progress.get('elapsed_seconds', 0)} s, "
          f"last heartbeat {age:.0f} s ago)" if run else "missing")
'''


def has_planning() -> bool:
    try:
        import guidance.services.planning  # noqa: F401
    except ImportError:
        return False
    return True


def publish_plan(env: dict) -> dict | None:
    """Solve and publish a plan before the load; its snapshot is compared after the faults."""
    if not has_planning():
        return None
    out = subprocess.run([PYTHON, "-c", PUBLISH], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"publishing a plan before the load failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_planning_run(env: dict, time_limit: int) -> int | None:
    if not has_planning():
        return None
    out = subprocess.run([PYTHON, "-c", START_RUN, str(time_limit)], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        print("could not start a planning run:", out.stderr.strip().splitlines()[-1:], file=sys.stderr)
        return None
    return int(out.stdout.strip().splitlines()[-1])


def planning_state(env: dict, run_id: int) -> str:
    out = subprocess.run([PYTHON, "-c", STATE, str(run_id)], env=env, cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout.strip() else "unknown"


def check_planning(before: dict | None, after: dict | None, final_state: str | None, killed_during: str | None,
                   faults_on: bool) -> tuple[bool, list[str]]:
    """The killed run ended (failed, or finished when retried) and the published plan did not change."""
    if before is None:
        return True, ["no planning service: nothing to check"]
    lines, ok = [], True
    state = (final_state or "missing").split(":")[0]
    ended = state in ("failed", "succeeded", "cancelled")
    lines.append(f"run killed mid-way ended: {'yes' if ended else 'NO'} ({final_state})")
    if faults_on and not (killed_during or "").startswith("running"):
        lines.append(f"note: the consumer was killed while the run was {killed_during!r}, not mid-solve")
    beat_age = re.search(r"last heartbeat (-?\d+) s ago", killed_during or "")
    if faults_on and beat_age and int(beat_age.group(1)) > 10:
        lines.append(f"note: the run's heartbeat had already stopped {beat_age.group(1)} s before the kill "
                     "(the database restart ended it?): the kill did not hit a live solve")
    ok &= ended
    same_runs = before["published_runs"] == after["published_runs"]
    same_sessions = before["sessions"] == after["sessions"]
    lines.append(f"published plan intact: {'yes' if same_runs and same_sessions else 'NO'} "
                 f"(published runs {before['published_runs']} -> {after['published_runs']}; "
                 f"{len(before['sessions'])} sessions before, {len(after['sessions'])} after, "
                 f"{'identical' if same_sessions else 'CHANGED'})")
    if not same_sessions:
        gone = {tuple(map(str, r)) for r in before["sessions"]} - {tuple(map(str, r)) for r in after["sessions"]}
        lines.append(f"  first changed sessions: {sorted(gone)[:3]}")
    ok &= same_runs and same_sessions and bool(before["sessions"])
    if not before["sessions"]:
        lines.append("the plan published before the load has no sessions: nothing was really checked")
    return ok, lines


# --- counting -----------------------------------------------------------------------------------

COUNT = SNAPSHOT + r'''
import json, sys
from sqlalchemy import func, select
from guidance import create_app
from guidance.extensions import db
from guidance.models import Participant, Referral
run_id = sys.argv[1]
planning_run = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "-" else None
app = create_app()
with app.app_context():
    status = None
    if planning_run is not None:
        from guidance.models import PlanningRun
        found = db.session.get(PlanningRun, planning_run)
        status = f"{found.status.value}: {found.message or ''}".strip() if found else "missing"
    per_key = dict(db.session.execute(
        select(Referral.idempotency_key, func.count()).where(Referral.idempotency_key.like(f"load-{run_id}-%"))
        .group_by(Referral.idempotency_key)).all())
    names = db.session.execute(
        select(Participant.name, func.count()).where(Participant.name.like(f"Last Test {run_id} %"))
        .group_by(Participant.name)).all()
    print(json.dumps({"per_key": per_key, "duplicate_names": [n for n, c in names if c > 1], "planning_run": status,
                      "published": published_snapshot()}))
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--resend-share", type=float, default=0.2, help="share of confirmed submissions sent again")
    parser.add_argument("--referrals", type=int, default=200,
                        help="demo referrals to seed (enough that a planning run uses its whole budget)")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="veiled-load-"))
    os.chmod(base, 0o755)
    pg, redis = Postgres(base), Redis()
    processes: list[subprocess.Popen] = []
    consumer_box: list = [None]
    kill_box: list = [None]  # the planning run's state when the consumer was killed
    try:
        pg.start()
        redis.start()
        env = app_env(pg, redis, base)
        seeded = prepare_app(env, args.referrals)
        published_before = publish_plan(env)
        port = free_port()
        processes.append(start_gunicorn(env, port, args.workers))
        consumer_box[0] = start_consumer(env)
        # Still solving when the consumer is killed (after half the run): budget beyond the load's end.
        planning_run = start_planning_run(env, min(600, max(30, args.seconds + 30)))
        run_id = uuid.uuid4().hex[:8]
        stats, fault_log = Stats(), []
        deadline = time.monotonic() + args.seconds
        import itertools

        counter = itertools.count(1)
        threads = [threading.Thread(target=client_loop, args=(n, port, seeded["token"], seeded["municipality"],
                                                              run_id, stats, deadline, counter, args.resend_share))
                   for n in range(args.clients)]
        for role, (email, password, otpauth) in seeded.get("people", {}).items():
            threads.append(threading.Thread(target=page_loop, args=(port, role, email, password, stats, deadline, otpauth)))
        if not args.no_faults:
            threads.append(threading.Thread(target=faults, args=(pg, consumer_box, env, args.seconds, stats, fault_log,
                                                                 planning_run, kill_box)))
        print(f"{args.clients} clients for {args.seconds} s against http://{HOST}:{port} ({args.workers} gunicorn workers)")
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # The run whose worker was killed must end (failed by the stale-run sweep of the new consumer,
        # a minute without heartbeat plus up to a minute to the next sweep, or finished): wait up to 4 minutes.
        wait_until = time.monotonic() + (240 if planning_run is not None else 0)
        while True:
            counted = json.loads(subprocess.run([PYTHON, "-c", COUNT, run_id, str(planning_run or "-")], env=env, cwd=ROOT,
                                                check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
            state = (counted.get("planning_run") or "").split(":")[0]
            if state not in ("queued", "running") or time.monotonic() > wait_until:
                break
            time.sleep(5)
    finally:
        for p in processes + [consumer_box[0]]:
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(20)
        redis.stop()
        pg.stop()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    per_key = counted["per_key"]
    lost = sorted(k for k in stats.confirmed if per_key.get(k, 0) == 0)
    duplicated = sorted(k for k, c in per_key.items() if c > 1) + counted["duplicate_names"]
    latencies = sorted(stats.latencies)
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    print()
    for line in fault_log:
        print("fault:", line)
    print(f"submissions confirmed: {len(stats.confirmed)}   in database: {sum(per_key.values())}")
    print(f"lost: {len(lost)}   duplicated: {len(duplicated)}   unconfirmed (gave up): {len(stats.unconfirmed)}")
    print(f"responses by status: {dict(sorted(stats.statuses.items()))}   connection errors: {dict(stats.errors)}")
    print(f"503 without problem JSON: {stats.bad_503}   500s: {stats.statuses.get(500, 0)} {stats.samples_500}")
    print(f"HTML pages of logged-in users by status: {dict(sorted(stats.pages.items()))}   "
          f"503 that is not a page: {stats.bad_page_503}   5xx other than 503: {stats.page_500_samples}")
    print(f"planning run started before the load: {counted.get('planning_run') or 'none (no planning service)'}")
    planning_ok, planning_lines = check_planning(published_before, counted.get("published"), counted.get("planning_run"),
                                                 kill_box[0], not args.no_faults)
    for line in planning_lines:
        print("planning:", line)
    print(f"latency per request: p50 {p50 * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   ({len(latencies)} requests)")
    page_5xx = sum(count for status, count in stats.pages.items() if status >= 500 and status != 503)
    ok = (not lost and not duplicated and not stats.statuses.get(500) and not stats.bad_503 and planning_ok
          and not page_5xx and not stats.bad_page_503 and bool(stats.pages))
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
