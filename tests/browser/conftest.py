"""Browser fixtures: the real app served over HTTP on 127.0.0.1, driven by Debian's Chromium.

The server runs in a thread of the test process against its own migrated SQLite database, so
tests can build data with the factories (inside `live.app_context()`) and then use it in the
browser. CSRF is on: forms are exercised as users send them. Playwright never downloads a
browser: it launches /usr/bin/chromium. Without that binary the tests skip locally and fail
in CI (CI=true), where `.ci/run` installs it.
"""
from __future__ import annotations

import os
import re
import socket
import threading
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


def _require_browser() -> None:
    reason = None
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing (apt-get install chromium); .ci/run installs it"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -r requirements-dev.txt)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    app: object
    url: str
    world: object
    url_values: dict = field(default_factory=dict)

    def app_context(self):
        return self.app.app_context()


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """The app on http://127.0.0.1:<free port> with a factories.World and every area's url_values."""
    _require_browser()
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from guidance import create_app
    from guidance.extensions import db
    from guidance.services.reference_data import load_reference_data

    base = tmp_path_factory.mktemp("live")
    app = create_app({
        "SECRET_KEY": "browser-tests-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'live.sqlite3'}",
        "UPLOAD_FOLDER": str(base / "uploads"),
        "QUEUE_PATH": str(base / "queue.sqlite3"),
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # see tests/conftest.py
    })
    with app.app_context():
        upgrade()
        load_reference_data()
        from tests.app import factories as f
        from tests.app.test_access import _url_values

        world = f.world()
        # the counsellor works at every location, so a planning run has someone to plan with
        from sqlalchemy import select

        from guidance.models import Location

        world.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
        db.session.commit()
        values = _url_values(world)
        # Keep the objects usable after this context closes (ids and e-mails are read later).
        for name in vars(world):
            db.session.refresh(getattr(world, name))
        db.session.expunge_all()
        db.session.remove()
    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", world=world, url_values=values)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(live):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_context(browser, locale: str = "nb-NO", **kwargs):
    """A fresh browser profile (no cookies) whose Accept-Language asks for `locale`."""
    return browser.new_context(locale=locale, viewport=kwargs.pop("viewport", {"width": 1280, "height": 900}), **kwargs)


@pytest.fixture
def context(browser):
    ctx = new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    p.set_default_timeout(15_000)
    return p


def login(page, live, person, password: str | None = None) -> None:
    """Log in through the form, as a person would."""
    from tests.app.factories import PASSWORD

    page.goto(f"{live.url}/login")
    page.fill("input[name=email]", person.email)
    page.fill("input[name=password]", password or PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_load_state()
    if urlsplit(page.url).path == "/login/code":
        # Leads and admins: the second step, with the code their (test) authenticator app shows.
        from tests.app.factories import second_factor_code

        with live.app.app_context():
            code = second_factor_code(person)
        page.fill("input[name=code]", code)
        page.click("form:has(input[name=code]) button[type=submit]")
        page.wait_for_load_state()


def choose_language(page, live, language: str) -> None:
    """Pick `language` with the switcher on the login page, as a person would: the choice holds
    for the browser session (before and after logging in), whatever the user or county prefer."""
    page.goto(f"{live.url}/login")
    page.click(f"form.language-switcher button[value={language}]")
    page.wait_for_load_state()


def artifact_path(name: str, suffix: str) -> Path:
    """test-artifacts/browser/<name><suffix>, the name made safe for a file."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") + suffix)


def save_json(name: str, data, suffix: str = ".json") -> Path:
    """Keep a result (such as axe-core's) as a JSON artefact next to the screenshot of the same name."""
    import json

    path = artifact_path(name, suffix)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/browser/ (kept by CI as an artefact)."""
    path = artifact_path(name, ".png")
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.screenshot(path=str(path), full_page=True, timeout=30_000)
    except PlaywrightError as error:
        # An artefact, not a check: a slow machine must not fail the test for want of a picture.
        print(f"screenshot {path.name} not taken: {error.message.splitlines()[0]}")
    return path


def past_session(live, name: str, language: str, days_ago: int, hour: int):
    """A published session of the world's counsellor on a weekday ``days_ago`` or a little
    earlier, at ``hour`` Oslo time, ready for an outcome; returns (session id, referral id, day)."""
    import datetime as dt

    from guidance.extensions import db
    from guidance.models import User
    from guidance.planning.ids import local_today
    from tests.app import factories as f

    day = local_today() - dt.timedelta(days=days_ago)
    day -= dt.timedelta(days=max(0, day.isoweekday() - 5))  # a weekday
    with live.app_context():
        counsellor = db.session.get(User, live.world.counsellor.id)
        referral = f.referral(name=name, language=language)
        session = f.published_session(counsellor, referral, start=f.oslo(day.year, day.month, day.day, hour))
        ids = session.id, referral.id
        db.session.remove()
    return (*ids, day)
