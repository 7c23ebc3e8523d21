"""Who may see what: every route for every role, and data across municipalities and counties."""
import importlib
import pkgutil
import re

import pytest

from guidance.models import Role
from tests.app import factories as f

from tests.app.access.foundation import ANON, ROLES


def _area_modules():
    package = importlib.import_module("tests.app.access")
    return [importlib.import_module(f"tests.app.access.{m.name}") for m in pkgutil.iter_modules(package.__path__)]


def _expected() -> dict:
    merged = {}
    for module in _area_modules():
        merged.update(module.EXPECTED)
    return merged


def _url_values(w) -> dict:
    values = {}
    for module in _area_modules():
        if hasattr(module, "url_values"):
            values.update(module.url_values(w))
    return values


def _url_for_rule(rule, values) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


@pytest.mark.one_database  # the status of each route is decided by may() and the guards, in Python
def test_every_route_answers_every_role_as_expected(app):
    w = f.world()
    people = {Role.ADMIN: w.admin, Role.LEAD: w.lead, Role.COUNSELLOR: w.counsellor, Role.REFERRER: w.referrer, Role.INTERPRETER: w.interpreter}
    expected = _expected()
    values = _url_values(w)
    rules = list(app.url_map.iter_rules())
    missing = sorted({r.endpoint for r in rules} - expected.keys())
    assert not missing, f"routes without an access expectation: {missing}"
    failures = []
    for role in ROLES:
        client = app.test_client()
        if role != ANON:
            assert f.login(client, people[role]).status_code == 302
        for rule in rules:
            status = client.get(_url_for_rule(rule, values)).status_code
            if status != expected[rule.endpoint][role]:
                failures.append((str(role), rule.rule, status, expected[rule.endpoint][role]))
    assert not failures


def test_referrer_cannot_see_other_municipality(client):
    w = f.world()
    f.login(client, w.referrer)
    assert client.get(f"/referrals/{w.other_referral.id}").status_code == 404
    listing = client.get("/referrals/").get_data(as_text=True)
    assert "Amal Haddad" in listing
    assert "Yonas Tesfay" not in listing


def test_lead_cannot_see_another_county(client):
    w = f.world()
    f.login(client, w.other_county_lead)
    assert client.get(f"/referrals/{w.own_referral.id}").status_code == 404
    assert "Amal Haddad" not in client.get("/referrals/").get_data(as_text=True)


def test_centre_staff_reading_a_referral_is_audited(client):
    from sqlalchemy import select

    from guidance.extensions import db
    from guidance.models import AuditEvent

    w = f.world()
    f.login(client, w.lead)
    client.get(f"/referrals/{w.own_referral.id}")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.viewed")).all()
    assert [(e.actor_id, e.object_id) for e in events] == [(w.lead.id, w.own_referral.id)]


@pytest.mark.parametrize("role", [Role.LEAD, Role.REFERRER, Role.COUNSELLOR, Role.INTERPRETER])
def test_only_admins_create_users(client, role):
    w = f.world()
    person = {Role.LEAD: w.lead, Role.REFERRER: w.referrer, Role.COUNSELLOR: w.counsellor, Role.INTERPRETER: w.interpreter}[role]
    f.login(client, person)
    response = client.post("/admin/users/new", data={"name": "X", "email": "x@example.no", "role": "admin", "password": "a" * 12})
    assert response.status_code == 403
