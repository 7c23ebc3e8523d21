"""Screenshots of the main pages for review: a seeded SQLite demo with a planned and published
plan, served by `flask run`, photographed with Playwright (chromium) for the lead, the referrer and
a counsellor. Pictures go to test-artifacts/screens/<role>-<page>.png.

    .venv/bin/python scripts/screenshots.py [--port 5078] [--width 1280] [--only lead]

It uses its own database in a temporary directory and never touches instance/guidance.sqlite3.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(ROOT / ".venv" / "bin" / "flask")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD_LINE = " / "

PLAN = """
import datetime as dt, json, sys
from sqlalchemy import select
from guidance import create_app
from guidance.extensions import db
from guidance.models import User, Role, PlanningRun, Location, Session
from guidance.planning.runner import execute_run
from guidance.services import planning as planning_service

app = create_app()
with app.app_context():
    lead = db.session.scalar(select(User).where(User.role == Role.LEAD))
    run = planning_service.start_run(lead, time_limit=int(sys.argv[1]), enqueue=lambda run_id: None)
    execute_run(run.id)
    db.session.expire_all()
    run = db.session.get(PlanningRun, run.id)
    planning_service.publish_run(lead, run, confirm_stale=True, confirm_newer=True)
    second = planning_service.start_run(lead, time_limit=int(sys.argv[1]), enqueue=lambda run_id: None)
    execute_run(second.id)
    first = db.session.scalar(select(Session.start).where(Session.run_id == run.id).order_by(Session.start))
    location = db.session.scalar(select(Session.location_id).where(Session.run_id == run.id))
    print(json.dumps({"published": run.id, "draft": second.id, "first": first.isoformat() if first else None,
                      "location": location}))
"""


def run(cmd, env, **kw):
    print("+", " ".join(c if len(c) < 60 else "<script>" for c in cmd), flush=True)
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, text=True, capture_output=True, **kw)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5078)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--referrals", type=int, default=80)
    parser.add_argument("--seconds", type=int, default=10, help="planning time budget")
    parser.add_argument("--only", default="", help="one role: lead, referrer, counsellor")
    parser.add_argument("--pages", default="", help="only pages whose name contains this")
    parser.add_argument("--out", default=str(ROOT / "test-artifacts" / "screens"))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="veiled-screens-"))
    env = {**os.environ, "FLASK_APP": "guidance", "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
           "SECRET_KEY": "screenshots-only", "QUEUE_PATH": str(tmp / "queue.sqlite3"), "UPLOAD_FOLDER": str(tmp)}
    run([FLASK, "db", "upgrade"], env)
    seeded = run([FLASK, "seed-demo", "--referrals", str(args.referrals)], env).stdout
    credentials = {}
    for line in seeded.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] == "/":
            credentials[parts[0]] = (parts[1], parts[3])
    planned = run([str(ROOT / ".venv" / "bin" / "python"), "-c", PLAN, str(args.seconds)], env).stdout
    import json

    facts = json.loads(planned.strip().splitlines()[-1])
    print("plan:", facts, flush=True)

    server = subprocess.Popen([FLASK, "run", "--port", str(args.port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(base + "/login", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        import datetime as dt

        first = dt.datetime.fromisoformat(facts["first"]) if facts["first"] else dt.datetime.now(dt.timezone.utc)
        year, number, _d = first.isocalendar()
        week = f"{year}-W{number:02d}"
        draft, published = facts["draft"], facts["published"]
        pages = {
            "lead": [("home", "/"), ("referrals", "/referrals/"), ("queue", "/queue/"), ("planning", "/planning/"),
                     ("run", f"/planning/runs/{published}"), ("run-sessions", f"/planning/runs/{draft}/sessions"),
                     ("run-week", f"/planning/runs/{draft}/week"),
                     ("grid-counsellor", f"/grids/?week={week}"),
                     ("grid-location", f"/grids/?week={week}&of=location-{facts['location']}"),
                     ("grid-table", f"/grids/?week={week}&layout=table"),
                     ("dashboard", "/dashboard/"), ("outbox", "/outbox/"), ("interpreting", "/centre/interpreters/")],
            "referrer": [("home", "/"), ("referrals", "/referrals/"), ("new-referral", "/intake/new")],
            "counsellor": [("home", "/"), ("week", f"/week/{year}/{number}"),
                           ("week-grid", f"/week/grid?week={week}")],
        }
        from playwright.sync_api import sync_playwright

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            for role, role_pages in pages.items():
                if args.only and role != args.only or role not in credentials:
                    continue
                context = browser.new_context(viewport={"width": args.width, "height": 900})
                page = context.new_page()
                email, password = credentials[role]
                page.goto(base + "/login")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", password)
                page.click("main button[type=submit]")
                for name, path in role_pages:
                    if args.pages and args.pages not in name:
                        continue
                    response = page.goto(base + path)
                    target = out / f"{role}-{name}-{args.width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(f"{response.status if response else '?'} {path} -> {target}", flush=True)
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
