"""Who may see what: every route for every role, and data across municipalities and counties."""
import re

import pytest

from guidance.models import Role
from tests.app import factories as f

ANON = "anonymous"
ROLES = [ANON, Role.ADMIN, Role.LEAD, Role.COUNSELLOR, Role.REFERRER, Role.INTERPRETER]

# endpoint -> expected GET status per role. A route missing here fails the test below:
# whoever adds a route decides who may use it.
EXPECTED = {
    "static": {r: 200 for r in ROLES},
    "auth.login": {ANON: 200, **{r: 302 for r in ROLES[1:]}},
    "auth.logout": {r: 405 for r in ROLES},
    "auth.language": {r: 405 for r in ROLES},
    "main.home": {ANON: 302, **{r: 200 for r in ROLES[1:]}},
    "admin.users": {ANON: 302, Role.ADMIN: 200, Role.LEAD: 403, Role.COUNSELLOR: 403, Role.REFERRER: 403, Role.INTERPRETER: 403},
    "admin.new_user": {ANON: 302, Role.ADMIN: 200, Role.LEAD: 403, Role.COUNSELLOR: 403, Role.REFERRER: 403, Role.INTERPRETER: 403},
    "admin.set_active": {r: 405 for r in ROLES},
    "referrals.index": {ANON: 302, Role.ADMIN: 403, Role.LEAD: 200, Role.COUNSELLOR: 200, Role.REFERRER: 200, Role.INTERPRETER: 403},
    # the referral of the referrer's own municipality
    "referrals.show": {ANON: 302, Role.ADMIN: 403, Role.LEAD: 200, Role.COUNSELLOR: 404, Role.REFERRER: 200, Role.INTERPRETER: 403},
    "api.health": {r: 200 for r in ROLES},
}


def _url_for_rule(rule, w) -> str:
    values = {"referral_id": w.own_referral.id, "user_id": w.counsellor.id, "filename": "css/app.css"}
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_every_route_answers_every_role_as_expected(app):
    w = f.world()
    people = {Role.ADMIN: w.admin, Role.LEAD: w.lead, Role.COUNSELLOR: w.counsellor, Role.REFERRER: w.referrer, Role.INTERPRETER: w.interpreter}
    rules = list(app.url_map.iter_rules())
    missing = sorted({r.endpoint for r in rules} - EXPECTED.keys())
    assert not missing, f"routes without an access expectation: {missing}"
    failures = []
    for role in ROLES:
        client = app.test_client()
        if role != ANON:
            assert f.login(client, people[role]).status_code == 302
        for rule in rules:
            status = client.get(_url_for_rule(rule, w)).status_code
            if status != EXPECTED[rule.endpoint][role]:
                failures.append((str(role), rule.rule, status, EXPECTED[rule.endpoint][role]))
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
