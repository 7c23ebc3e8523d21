"""Who may write what: every endpoint that takes a POST, for every role and for anonymous users,
sent as a browser sends it (a valid CSRF token, a session cookie).

Each area module in tests/app/access/ names, in `WRITERS`, the roles that may POST to each of its
endpoints. Every other role must be refused (403 or 404, 401 from the bearer-token API; anonymous users
are sent to the login page or get 401) and the database must be exactly as it was. The writers must get past the gate (no
401/403/404/405, never a 5xx). A new POST endpoint without an entry fails the test.
"""
from __future__ import annotations

import hashlib
import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, text

from guidance.extensions import db
from guidance.models import Role
from tests.app import factories as f
from tests.app.access.foundation import ANON, ROLES
from tests.app.test_access import _area_modules, _url_for_rule, _url_values

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

REFUSED = {401, 403, 404}  # 401: the API takes bearer tokens, not sessions
REFUSED_ANONYMOUS = {302, 401, 404}
NOT_PAST_THE_GATE = {401, 403, 404, 405}
# The server-side session row notes each request (idle expiry): bookkeeping, not a write.
SESSION_BOOKKEEPING = {"user_session"}


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def _writers() -> dict:
    merged = {}
    for module in _area_modules():
        merged.update(getattr(module, "WRITERS", {}))
    return merged


def _bodies(w) -> dict:
    bodies = {}
    for module in _area_modules():
        if hasattr(module, "post_bodies"):
            bodies.update(module.post_bodies(w))
    return bodies


def _write_url_values(w) -> dict:
    overrides = {}
    for module in _area_modules():
        if hasattr(module, "write_url_values"):
            overrides.update(module.write_url_values(w))
    return overrides


def _url(rule, values, overrides) -> str:
    return _url_for_rule(rule, {**values, **overrides.get(rule.endpoint, {})})


def _fingerprint() -> str:
    """A digest of every row of every table: a refused write must leave it unchanged."""
    digest = hashlib.sha256()
    db.session.expire_all()
    for table in db.metadata.sorted_tables:
        if table.name in SESSION_BOOKKEEPING:
            continue
        query = select(table).order_by(*table.primary_key.columns)
        if table.name == "audit_event":  # a refusal is recorded by design; nothing else may be
            query = query.where(table.c.action != "access.refused")
        rows = db.session.execute(query).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    db.session.rollback()
    return digest.hexdigest()


class Browser:
    """A test client that holds a CSRF token the way a rendered form does."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self._signer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        self.token = None

    def _refresh_token(self):
        raw = hashlib.sha1(f"{id(self)}".encode()).hexdigest()
        with self.client.session_transaction() as session:
            session["csrf_token"] = raw
        self.token = self._signer.dumps(raw)

    def login(self, person):
        self._refresh_token()
        response = self.client.post("/login", data={"email": person.email, "password": f.PASSWORD,
                                                    "csrf_token": self.token})
        if response.status_code == 302 and response.headers["Location"] == "/login/code":
            response = self.client.post("/login/code", data={"code": f.second_factor_code(person),
                                                             "csrf_token": self.token})
        assert response.status_code == 302, f"login as {person.role} failed"
        self._refresh_token()

    def post(self, url: str, body: dict):
        self._refresh_token()  # an earlier POST (a refused logout, say) may have cleared the session
        data = {**body, "csrf_token": self.token}
        return self.client.post(url, data=data, headers={"X-CSRFToken": self.token})


def _post_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if "POST" in r.methods), key=lambda r: r.endpoint)


def test_every_post_endpoint_names_its_writers(app):
    writers = _writers()
    missing = sorted({r.endpoint for r in _post_rules(app)} - writers.keys())
    assert not missing, f"POST endpoints without WRITERS in tests/app/access/: {missing}"


def test_every_role_but_the_writers_is_refused_and_nothing_is_written(app):
    w = f.world()
    people = {Role.ADMIN: w.admin, Role.LEAD: w.lead, Role.COUNSELLOR: w.counsellor, Role.REFERRER: w.referrer,
              Role.INTERPRETER: w.interpreter}
    writers, values, bodies = _writers(), _url_values(w), _bodies(w)
    overrides = _write_url_values(w)
    rules = _post_rules(app)
    failures = []
    for role in ROLES:
        browser = Browser(app)
        if role != ANON:
            browser.login(people[role])
        refused_here = [rule for rule in rules if role not in writers[rule.endpoint]]
        # One digest around all of a role's refused writes (a digest per write costs minutes on
        # PostgreSQL); when it moved, a second pass digests each write to name the culprit.
        before = _fingerprint()
        for rule in refused_here:
            response = browser.post(_url(rule, values, overrides), bodies.get(rule.endpoint, {}))
            refused = REFUSED_ANONYMOUS if role == ANON else REFUSED
            if response.status_code not in refused:
                failures.append((str(role), rule.endpoint, response.status_code, "should be refused"))
            if role == ANON and response.status_code == 302:
                assert "/login" in response.headers["Location"], (rule.endpoint, response.headers["Location"])
        if _fingerprint() != before:
            for rule in refused_here:
                each = _fingerprint()
                status = browser.post(_url(rule, values, overrides), bodies.get(rule.endpoint, {})).status_code
                if _fingerprint() != each:
                    failures.append((str(role), rule.endpoint, status, "refused but wrote"))
            failures.append((str(role), "-", "-", "a refused write changed the database"))
    assert not failures, "\n".join(map(str, failures))


def test_the_writers_get_past_the_gate(app):
    w = f.world()
    people = {Role.ADMIN: w.admin, Role.LEAD: w.lead, Role.COUNSELLOR: w.counsellor, Role.REFERRER: w.referrer,
              Role.INTERPRETER: w.interpreter}
    writers, values, bodies = _writers(), _url_values(w), _bodies(w)
    overrides = _write_url_values(w)
    failures = []
    for rule in _post_rules(app):
        for role in writers[rule.endpoint]:
            browser = Browser(app)  # a fresh session each time: a write may log out or deactivate
            if role != ANON:
                browser.login(people[role])
            response = browser.post(_url(rule, values, overrides), bodies.get(rule.endpoint, {}))
            if response.status_code in NOT_PAST_THE_GATE or response.status_code >= 500:
                failures.append((str(role), rule.endpoint, response.status_code))
            db.session.rollback()
    assert not failures, "\n".join(map(str, failures))
