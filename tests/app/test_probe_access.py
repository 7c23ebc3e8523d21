"""What the access probe of 2026-12-05 found: a counsellor reached participants through a lead's
unpublished planning run (and kept them after a cancellation); see also the county admin's bounds."""
from __future__ import annotations

import datetime as dt

from guidance.extensions import db
from guidance.models import SessionStatus
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
