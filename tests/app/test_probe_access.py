"""What the access probe of 2026-12-05 found: a counsellor reached participants through a lead's
unpublished planning run (and kept them after a cancellation); see also the county admin's bounds."""
from __future__ import annotations

from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import ApiToken, Role, SessionStatus, User
from tests.app import factories as f
from tests.app.planning.helpers import draft_run, draft_session

MONDAY = f.oslo(2027, 3, 15, 9, 0)


def test_a_draft_run_gives_a_counsellor_no_participant(client, travel_to):
    """A lead who tries a run does not open its participants to every counsellor in it: not the
    referral page, not its list, not a note."""
    travel_to(f.oslo(2027, 3, 10, 10, 0))
    w = f.world()
    draft_session(draft_run(w.lead), w.counsellor, [w.own_referral], start=MONDAY)
    f.login(client, w.counsellor)
    assert client.get(f"/referrals/{w.own_referral.id}").status_code == 404
    assert w.own_referral.reference not in client.get("/referrals/").get_data(as_text=True)
    assert client.get(f"/referrals/{w.own_referral.id}/notes/draft").status_code == 404
    shared = client.post(f"/referrals/{w.own_referral.id}/notes/draft",
                         data={"goals": "Mål", "next_steps": "Steg", "background": "", "action": "share"})
    assert shared.status_code == 404
    assert client.get(f"/referrals/{w.own_referral.id}/notes/share").status_code == 404
    assert client.post(f"/referrals/{w.own_referral.id}/notes/share", data={"checked": "0" * 64}).status_code == 404


def test_a_booked_session_gives_the_counsellor_the_participant_and_a_cancelled_one_takes_it_back(client, travel_to):
    travel_to(f.oslo(2027, 3, 10, 10, 0))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=MONDAY)
    f.login(client, w.counsellor)
    assert client.get(f"/referrals/{w.own_referral.id}").status_code == 200
    assert w.own_referral.reference in client.get("/referrals/").get_data(as_text=True)
    session.status = SessionStatus.CANCELLED
    db.session.commit()
    assert client.get(f"/referrals/{w.own_referral.id}").status_code == 404
    assert w.own_referral.reference not in client.get("/referrals/").get_data(as_text=True)


def test_a_held_session_keeps_the_participant_for_the_note(client, travel_to):
    travel_to(f.oslo(2027, 3, 20, 10, 0))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=MONDAY, status="completed")
    f.login(client, w.counsellor)
    assert client.get(f"/referrals/{w.own_referral.id}/notes/draft").status_code == 200


# --- an administrator bound to one county --------------------------------------------------------

def _county_admin():
    w = f.world()
    admin = f.user(Role.ADMIN, county_number=None)
    admin.county = f.county("18")  # Nordland's administrator
    db.session.commit()
    return w, admin


def test_a_county_administrator_manages_only_their_countys_accounts(client):
    w, admin = _county_admin()
    bodo_lead = f.user(Role.LEAD, county_number="18")
    f.login(client, admin)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert bodo_lead.name in listing and w.lead.name not in listing and w.admin.name not in listing
    # another county's referrer, the installation's administrator: not even their page
    assert client.get(f"/admin/users/{w.referrer.id}").status_code == 404
    assert client.get(f"/admin/users/{w.admin.id}").status_code == 404
    taken = client.post(f"/admin/users/{w.referrer.id}", data={
        "name": w.referrer.name, "email": w.referrer.email, "role": "referrer", "county_id": "0",
        "municipality_id": str(w.referrer.municipality_id), "active": "y", "password": "Overtatt av Nordland 77"})
    assert taken.status_code == 404
    assert client.post(f"/admin/users/{w.referrer.id}/active", data={}).status_code == 404
    db.session.refresh(w.referrer)
    assert w.referrer.check_password(f.PASSWORD) and w.referrer.active
    # their own county's lead: yes
    assert client.get(f"/admin/users/{bodo_lead.id}").status_code == 200


def test_a_county_administrator_cannot_widen_their_own_or_anyones_scope(client):
    w, admin = _county_admin()
    f.login(client, admin)
    own = client.post(f"/admin/users/{admin.id}", data={
        "name": admin.name, "email": admin.email, "role": "admin", "county_id": "0", "municipality_id": "0",
        "active": "y", "password": ""})
    assert own.status_code == 400
    db.session.refresh(admin)
    assert admin.county_id == f.county("18").id
    vestland = client.post("/admin/users/new", data={
        "name": "Kari Nordmann", "email": "kari@example.no", "role": "lead", "county_id": str(f.county("46").id),
        "municipality_id": "0", "password": "fjord lantern quietly 42"})
    assert vestland.status_code == 400
    bergen = client.post("/admin/users/new", data={
        "name": "Kari Nordmann", "email": "kari@example.no", "role": "referrer", "county_id": "0",
        "municipality_id": str(f.municipality("4601").id), "password": "fjord lantern quietly 42"})
    assert bergen.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "kari@example.no")) is None


def test_a_county_administrator_sees_only_their_countys_participants_tokens_and_mail(client):
    w, admin = _county_admin()
    f.login(client, admin)
    participant = w.own_referral.participant
    assert client.get(f"/admin/participants/{participant.id}/export.json").status_code == 404
    token = client.post("/admin/api-tokens/", data={"municipality_id": str(f.municipality("4601").id),
                                                   "name": "Fagsystem"})
    assert token.status_code == 400 and db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    f.api_token(f.municipality("4601"))
    assert "Fagsystem" not in client.get("/admin/api-tokens/").get_data(as_text=True)
    found = client.post("/admin/participants", data={"query": participant.name}).get_data(as_text=True)
    assert participant.name not in found
    # the installation's administrator reaches all of it
    client.post("/logout")
    f.login(client, w.admin)
    assert client.get(f"/admin/participants/{participant.id}/export.json").status_code == 200
