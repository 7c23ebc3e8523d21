"""Shared fixtures: the application against every configured database.

App tests run once on SQLite and, when TEST_DATABASE_URL is set, once more on PostgreSQL.
The schema is built by the Alembic migrations (never create_all), once per database.
"""
from __future__ import annotations

import contextlib
import os

import pytest
import redis
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _postgres_url(worker: str = "master") -> str:
    """TEST_DATABASE_URL for the psycopg driver; each pytest-xdist worker gets a database of its own
    beside it (`<name>_gw0`, ...), created on first use, because the fixture drops the schema."""
    url = os.environ["TEST_DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
            break
    if worker == "master":
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated database with the reference data (counties, municipalities) loaded."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        url = _postgres_url(os.environ.get("PYTEST_XDIST_WORKER", "master"))
        _reset_postgres(url)
    from flask_migrate import upgrade

    from guidance import create_app
    from guidance.services.reference_data import load_reference_data

    app = create_app(_test_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        load_reference_data()
        from guidance.extensions import db

        db.engine.dispose()
    return url


def _test_config(url: str, instance_dir) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(instance_dir / "uploads"),
        "QUEUE_PATH": str(instance_dir / "queue.sqlite3"),
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        # scrypt costs ~0.1 s of CPU per hash by design; the suite hashes thousands of test passwords
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


REFERENCE_TABLES = {"county", "municipality", "alembic_version"}


@pytest.fixture(scope="session", autouse=True)
def shared_engines():
    """One SQLAlchemy engine per database and settings for the worker's apps. An app per test made
    an engine per test, and an engine keeps the SQL it has compiled: every test compiled its queries
    again (about a sixth of an app test's time). Each test still gets its own app and emptied tables."""
    from guidance.extensions import db

    make, engines = db._make_engine, {}

    def shared(bind_key, options, app):
        key = repr(sorted((name, str(value)) for name, value in options.items()))
        if key not in engines:
            engines[key] = make(bind_key, options, app)
        return engines[key]

    db._make_engine = shared
    yield
    db._make_engine = make
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="session")
def template_cache(tmp_path_factory):
    """One compiled-template cache for the worker's apps (an app per test compiled every page again)."""
    return str(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def app_config(database_url, tmp_path, template_cache):
    """Settings for one test's app; tests may change them before asking for `app`."""
    return {**_test_config(database_url, tmp_path), "TEMPLATE_CACHE_DIR": template_cache}


@pytest.fixture
def app(app_config):
    from guidance import create_app
    from guidance.extensions import db, limiter

    app = create_app(app_config)
    app.test_client_class = RequestIsolatingClient
    with app.app_context():
        # A test may point the limiter at a storage that is down on purpose.
        with contextlib.suppress(ConnectionError, redis.exceptions.ConnectionError):
            limiter.reset()
        yield app
        db.session.remove()
        _empty_tables(db)
        db.engine.dispose()


def _empty_tables(db) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
        # Counties are reference data, kept between tests; their settings go back to the defaults.
        county = db.metadata.tables["county"]
        # The language form is reference data too (Vestland writes nynorsk): tests that change it
        # put it back themselves (tests/app/test_language_forms.py::reference_forms).
        defaults = {c.name: (c.default.arg if c.default is not None else None) for c in county.columns
                    if c.name not in ("id", "number", "name", "language_form")}
        connection.execute(county.update().values(**defaults))


class RequestIsolatingClient(FlaskClient):
    """Each request starts as in production: no logged-in user or locale cached in `g`, and
    nothing read from the session's identity map.

    Tests hold an application context open for their factories, and Flask reuses it for
    requests; without this, one request's login would leak into the next.
    """

    def open(self, *args, **kwargs):
        from guidance.extensions import db

        for name in list(vars(g)):
            delattr(g, name)
        db.session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def inbox():
    """A real SMTP server on the loopback interface: (handler with .messages, port)."""
    from tests.smtp import Inbox, smtp_server

    handler = Inbox()
    with smtp_server(handler) as port:
        yield handler, port


@pytest.fixture
def travel_to(monkeypatch):
    """Move the app's one clock (`guidance.clock`): `travel_to(aware_instant)`; undone after the test."""
    from guidance import clock

    def move(instant):
        assert instant.tzinfo is not None, "the clock takes aware instants"
        monkeypatch.setattr(clock, "_source", lambda: instant)

    return move


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL pass is for what touches the database: tests marked `one_database` (walks whose
    answer is decided in Python, such as the GET access matrix) run on SQLite only."""
    dropped = [item for item in items if getattr(item, "callspec", None) is not None
               and ((item.callspec.params.get("database_url") == "postgresql" and item.get_closest_marker("one_database"))
                    or _crossed_queue(item))]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


QUEUE_KINDS = {"sqlite-queue", "redis-queue"}


def _crossed_queue(item) -> bool:
    """With the PostgreSQL pass on, a test parametrised by queue runs the pairs as deployed: the SQLite
    queue with SQLite (the demo), Redis with PostgreSQL (production). The crossed pairs start a real
    consumer each and decide nothing the deployed pairs do not; on SQLite alone both queues run."""
    database = item.callspec.params.get("database_url")
    if "postgresql" not in BACKENDS or database is None:
        return False
    queue = QUEUE_KINDS.intersection(str(v) for v in item.callspec.params.values())
    return queue == {"sqlite-queue" if database == "postgresql" else "redis-queue"}
