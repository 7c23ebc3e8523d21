"""A lead who holds sessions too (a small centre's lead): the lead's e-mail on the counsellor form gives them a
counsellor profile and keeps them lead; plans book them; they see their week, record their sessions'
outcomes and write their participants' notes, and no more of a colleague's than a lead may."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import CounsellorProfile, GuidanceNote, Location, Outcome, Role, SessionParticipant
from guidance.planning.instance import InstanceOptions, build_instance
from guidance.services import absences
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms and pages over the ORM


def _counselling_lead(client, w):
    location = db.session.scalar(select(Location).order_by(Location.id))
    f.login(client, w.lead)
    response = client.post("/people/counsellors/new", data={
        "name": w.lead.name, "email": w.lead.email, "multicultural": "y", "languages": ["nb"],
        "location_ids": [str(location.id)], "max_sessions_per_day": "2",
        "day2_start": "08:00", "day2_end": "15:30"})
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    return db.session.get(type(w.lead), w.lead.id)


def test_the_leads_own_email_makes_them_a_counsellor_too_and_plans_book_them(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    lead = _counselling_lead(client, w)
    assert lead.role is Role.LEAD and lead.counsellor is not None and lead.counsellor.max_sessions_per_day == 2
    planned = [c["id"] for c in build_instance(f.county("46"), InstanceOptions(today=f.oslo(2027, 1, 4).date()))["counsellors"]]
    assert f"C{lead.counsellor.id}" in planned
    assert lead in absences.staff_of_county(lead.county_id)   # the lead can be registered away as a counsellor

    page = client.get("/").get_data(as_text=True)
    assert 'href="/week/"' in page   # "Min uke" in the lead's menu
    # They choose how to hear of changes to their own sessions, as a counsellor does.
    settings = client.get("/account/notices").get_data(as_text=True)
    assert 'name="my_sessions"' in settings, settings[:3000]
    assert 'href="/account/notices"' in page
    # Reporting their own absence works under their week (the page built its form address from the role).
    reported = client.post("/week/absence", data={"start_date": "2027-01-06", "end_date": "2027-01-06"})
    assert reported.status_code == 302
    assert client.get("/week/absence").status_code == 200
    from guidance.models import OutboxMessage

    told = set(db.session.scalars(select(OutboxMessage.to_user_id)))
    assert lead.id not in told   # the county's other leads are told; not the one who reported it

    # A fellow lead: no week, cannot make the first a counsellor nor open or change their profile (the e-mail
    # on it is their login).
    other = f.user(Role.LEAD, name="Annen Leder")
    client.post("/logout")
    f.login(client, other)
    assert client.get("/week/").status_code == 403
    assert client.get(f"/people/counsellors/{lead.counsellor.id}").status_code in (403, 404)
    refused = client.post("/people/counsellors/new", data={
        "name": other.name, "email": w.lead.email, "multicultural": "y", "languages": ["nb"],
        "location_ids": [str(lead.counsellor.locations[0].id)], "max_sessions_per_day": "2"})
    assert refused.status_code == 400
    third = f.user(Role.LEAD, name="Tredje Leder")
    taken = client.post("/people/counsellors/new", data={
        "name": third.name, "email": third.email, "multicultural": "y", "languages": ["nb"],
        "location_ids": [str(lead.counsellor.locations[0].id)], "max_sessions_per_day": "2"})
    assert taken.status_code == 400
    db.session.expire_all()
    assert db.session.get(type(third), third.id).counsellor is None


def test_a_counselling_lead_records_their_own_sessions_outcomes_and_writes_their_notes_not_a_colleagues(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    lead = _counselling_lead(client, w)
    mine = f.published_session(lead, w.own_referral, start=f.oslo(2027, 1, 5, 9))
    colleagues_referral = f.referral(name="Sara Haddad")
    theirs = f.published_session(w.counsellor, colleagues_referral, start=f.oslo(2027, 1, 5, 11))
    week = client.get("/week/2027/1").get_data(as_text=True)
    assert w.own_referral.reference in week and colleagues_referral.reference not in week
    travel_to(f.oslo(2027, 1, 5, 7))   # the morning of the session: the lead's home has it first
    client.post("/logout")
    f.login(client, lead)
    home = html.unescape(client.get("/").get_data(as_text=True))
    mine_card = home[home.index('id="my-sessions-today"'):home.index("</section>", home.index('id="my-sessions-today"'))]
    assert "09:00–10:30" in mine_card and f'href="/week/sessions/{mine.id}"' in mine_card
    assert f'/week/sessions/{theirs.id}"' not in mine_card

    travel_to(f.oslo(2027, 1, 5, 15))   # after the session (the idle sign-out has ended the first login)
    client.post("/logout")
    f.login(client, lead)
    done = client.post(f"/week/sessions/{mine.id}/outcomes", data={f"outcome-{w.own_referral.id}": "attended"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/week/sessions/{mine.id}")
    db.session.expire_all()
    assert db.session.scalar(select(SessionParticipant.outcome).where(
        SessionParticipant.session_id == mine.id)) is Outcome.ATTENDED
    # Their home asks for the guidance note of the participant who came.
    home = html.unescape(client.get("/").get_data(as_text=True))
    card = home[home.index('id="my-sessions-today"'):home.index("</section>", home.index('id="my-sessions-today"'))]
    assert "1 veiledningsnotat å dele" in card and w.own_referral.reference in card
    # A colleague's session is not theirs to open under their week (a lead sees it on the planning pages).
    assert client.get(f"/week/sessions/{theirs.id}").status_code in (403, 404)
    assert client.get(f"/week/sessions/{mine.id}").status_code == 200
    refused = client.post(f"/week/sessions/{theirs.id}/outcomes", data={f"outcome-{colleagues_referral.id}": "attended"})
    assert refused.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.scalar(select(SessionParticipant.outcome).where(
        SessionParticipant.session_id == theirs.id)) is None

    written = client.post(f"/referrals/{w.own_referral.id}/notes/draft", data={
        "goals": "Jobbe som sykepleier", "background": "", "next_steps": "", "action": "save"})
    assert written.status_code in (200, 302)
    assert db.session.scalar(select(GuidanceNote).where(GuidanceNote.referral_id == w.own_referral.id)) is not None
    assert client.get(f"/referrals/{colleagues_referral.id}/notes/draft").status_code in (403, 404)
    # As lead they still read the county's referrals and plan.
    assert client.get(f"/referrals/{colleagues_referral.id}").status_code == 200
    assert client.get("/planning/").status_code == 200
