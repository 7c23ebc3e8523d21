"""What the audit trail records about access (issue 25, item 6)."""
from __future__ import annotations

import json

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, Role
from tests.app import factories as f


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_logins_and_failed_logins_are_audited_without_the_typed_text(client):
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, counsellor, password="not the password")
    client.post("/login", data={"email": "nobody@example.no", "password": "guess guess guess"})
    f.login(client, counsellor)
    failed = events("auth.login_failed")
    assert [(e.object_type, e.object_id) for e in failed] == [("user", counsellor.id), ("none", None)]
    assert [json.loads(e.detail)["reason"] for e in failed] == ["wrong_password", "unknown_account"]
    assert all("nobody" not in (e.detail or "") and "guess" not in (e.detail or "") for e in failed)
    assert [(e.actor_id, e.object_id) for e in events("auth.logged_in")] == [(counsellor.id, counsellor.id)]


def test_refused_access_is_audited(client):
    w = f.world()
    f.login(client, w.referrer)
    assert client.get("/planning/").status_code == 403
    assert client.get(f"/referrals/{w.other_referral.id}").status_code == 404
    refused = events("access.refused")
    assert [(e.actor_id, e.object_type, e.object_id) for e in refused] == [
        (w.referrer.id, "area", None), (w.referrer.id, "referral", w.other_referral.id)]
    # The refusal is not part of the referral's history that its own referrer sees.
    f.login(client, w.other_referrer)
    assert "access.refused" not in client.get(f"/referrals/{w.other_referral.id}").get_data(as_text=True)


def test_a_referrer_reading_a_referral_is_audited(client):
    w = f.world()
    f.login(client, w.referrer)
    assert client.get(f"/referrals/{w.own_referral.id}").status_code == 200
    assert [(e.actor_id, e.object_id) for e in events("referral.viewed")] == [(w.referrer.id, w.own_referral.id)]


def test_calendar_token_events_name_the_user(client):
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, counsellor)
    assert client.post("/week/calendar/token").status_code in (200, 302)
    issued = events("calendar.token_issued")
    assert [(e.object_type, e.object_id) for e in issued] == [("user", counsellor.id)]
