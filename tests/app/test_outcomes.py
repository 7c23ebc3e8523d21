"""Outcomes after a session and follow-up requests: what goes back into the queue, and how."""
import datetime as dt

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, Outcome, Referral, ReferralStatus, Role, Session, SessionStatus
from guidance.services import outcomes
from guidance.services.errors import DomainError
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # pages over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def _held(w, *referrals, type="individual"):
    return f.published_session(w.counsellor, list(referrals) or [w.own_referral], start=f.oslo(2026, 10, 6, 10), type=type)


def test_no_show_puts_the_referral_back_in_the_queue_with_same_deadline_and_counsellor(client):
    w = f.world()
    deadline = w.own_referral.deadline
    session = _held(w)
    f.login(client, w.counsellor)
    response = client.post(f"/week/sessions/{session.id}/outcomes", data={f"outcome-{w.own_referral.id}": "no_show"})
    assert response.status_code == 302
    referral = db.session.get(Referral, w.own_referral.id)
    assert referral.status is ReferralStatus.NO_SHOW
    assert referral.deadline == deadline
    assert referral.preferred_counsellor_id == w.counsellor.counsellor.id
    assert session.participants[0].outcome is Outcome.NO_SHOW
    assert db.session.get(type(session), session.id).status is SessionStatus.COMPLETED


def test_no_show_is_planned_again_with_the_same_counsellor(app):
    from guidance.planning import InstanceOptions, build_instance

    w = f.world()
    session = _held(w)
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.NO_SHOW})
    instance = build_instance(w.own_referral.county, InstanceOptions(today=dt.date(2026, 10, 7)))
    [participant] = [p for p in instance["participants"] if p["id"] == f"R{w.own_referral.id}"]
    assert "individual" in participant["needs"]
    assert participant["preferred_counsellor"] == f"C{w.counsellor.counsellor.id}"


def test_attended_every_need_completes_the_referral(app):
    w = f.world()
    w.own_referral.needs = ["individual"]
    db.session.commit()
    session = _held(w)
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.ATTENDED})
    assert w.own_referral.status is ReferralStatus.COMPLETED


def test_outcomes_are_per_participant_in_a_group(app):
    w = f.world()
    session = _held(w, w.own_referral, w.other_referral, type="group")
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.ATTENDED,
                                                     w.other_referral.id: Outcome.CANCELLED_LATE})
    assert w.other_referral.status is ReferralStatus.RECEIVED
    assert w.other_referral.preferred_counsellor_id == w.counsellor.counsellor.id
    assert w.own_referral.status is ReferralStatus.BOOKED  # the individual session is still to come
    details = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "session.outcome")).all()
    assert all("Amal" not in d for d in details)


def test_outcome_before_the_session_is_refused(client):
    w = f.world()
    day = f.future_weekday()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 10))
    f.login(client, w.counsellor)
    response = client.post(f"/week/sessions/{session.id}/outcomes", data={f"outcome-{w.own_referral.id}": "no_show"})
    assert response.status_code == 400
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.BOOKED


def test_another_counsellor_cannot_record_an_outcome(client):
    w = f.world()
    session = _held(w)
    f.login(client, f.user(Role.COUNSELLOR))
    assert client.post(f"/week/sessions/{session.id}/outcomes", data={f"outcome-{w.own_referral.id}": "attended"}).status_code == 404


def test_follow_up_enters_the_queue_with_the_counsellor_preferred(client):
    w = f.world()
    session = _held(w)
    f.login(client, w.counsellor)
    response = client.post(f"/week/sessions/{session.id}/follow-up", data={"referral_id": w.own_referral.id, "weeks": "6"})
    assert response.status_code == 302
    follow_up = db.session.scalar(select(Referral).where(Referral.follow_up_of_id == w.own_referral.id))
    assert follow_up.status is ReferralStatus.RECEIVED and follow_up.needs == ["individual"]
    assert follow_up.preferred_counsellor_id == w.counsellor.counsellor.id
    assert follow_up.participant_id == w.own_referral.participant_id
    assert follow_up.referring_municipality_id == w.own_referral.referring_municipality_id
    assert follow_up.deadline - follow_up.earliest_date == dt.timedelta(weeks=6, days=-1)
    again = client.post(f"/week/sessions/{session.id}/follow-up", data={"referral_id": w.own_referral.id, "weeks": "6"})
    assert again.status_code == 400
    # The counsellor who asked can read it (it answered 404), and the two referrals link each other.
    page = client.get(f"/referrals/{follow_up.id}").get_data(as_text=True)
    assert f'Karriereveilederen, som oppfølging av <a href="/referrals/{w.own_referral.id}">' in page
    assert follow_up.reference in client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert follow_up.reference in client.get("/referrals/").get_data(as_text=True)
    client.post("/logout")
    f.login(client, f.user(Role.COUNSELLOR, name="Another Counsellor"))
    assert client.get(f"/referrals/{follow_up.id}").status_code == 404


def test_follow_up_for_someone_outside_the_session_is_refused(app):
    w = f.world()
    session = _held(w)
    with pytest.raises(DomainError):
        outcomes.request_follow_up(w.counsellor, session, w.other_referral, 6)


def _status_tags(page: str) -> list[str]:
    import re

    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r'<strong class="tag tag-[a-z]+">([^<]*)</strong>', page)]


def test_a_session_whose_only_participant_did_not_show_reads_not_held(client):
    w = f.world()
    session = _held(w)
    f.login(client, w.counsellor)
    client.post(f"/week/sessions/{session.id}/outcomes", data={f"outcome-{w.own_referral.id}": "no_show"})
    page = client.get(f"/week/sessions/{session.id}").get_data(as_text=True)
    assert "Ikke gjennomført: ingen møtte" in _status_tags(page)
    assert "Gjennomført" not in _status_tags(page)
    # The counsellor's week says the same.
    assert "Ikke gjennomført: ingen møtte" in _status_tags(client.get("/week/2026/41").get_data(as_text=True))


def test_a_group_session_with_one_participant_present_was_held(app):
    w = f.world()
    session = _held(w, w.own_referral, w.other_referral, type="group")
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.ATTENDED,
                                                     w.other_referral.id: Outcome.NO_SHOW})
    assert session.status is SessionStatus.COMPLETED and session.shown_status == "completed"
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.CANCELLED_LATE})
    assert session.shown_status == "not_held"
    from guidance.services.week_grid import status_of

    assert status_of(session) == "not_held"  # the lead's week grids


def test_after_the_individual_session_a_referral_waiting_for_its_group_reads_waiting_not_booked(client, app):
    """The referrer's list and page, and the lead's queue, say "booked" only while a session is still to
    be held; after the individual session, with the group session not yet booked, they say waiting (and
    until its outcome is recorded, that the session is over)."""
    import re

    w = f.world()
    w.own_referral.needs = ["individual", "group"]
    w.own_referral.status = ReferralStatus.BOOKED
    db.session.commit()
    session = _held(w)

    def tags(page: str) -> list[str]:
        return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r'<strong class="tag tag-[a-z]+">([^<]*)</strong>', page)]

    referrer = app.test_client()
    f.login(referrer, w.referrer)
    # Held, outcome not yet in: over and waiting for the outcome, neither booked nor waiting for the next one.
    before = tags(referrer.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True))
    assert "Timen er over, venter på utfall" in before and "Booket" not in before

    f.login(client, w.counsellor)
    client.post(f"/week/sessions/{session.id}/outcomes", data={f"outcome-{w.own_referral.id}": "attended"})
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.BOOKED
    page = referrer.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "Venter på neste time" in tags(page) and "Booket" not in tags(page)
    assert "Venter på neste time" in tags(referrer.get("/referrals/").get_data(as_text=True))
    lead = app.test_client()
    f.login(lead, w.lead)
    assert "Venter på neste time" in tags(lead.get("/queue/").get_data(as_text=True))

    # Booked again for the group: "booked" once more.
    day = f.future_weekday(weeks=2)
    f.published_session(w.counsellor, w.own_referral, type="group", start=f.oslo(day.year, day.month, day.day, 10),
                        room_name="Grupperom")
    assert "Booket" in tags(referrer.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True))

    # The centre cancels the group session: back in the queue, and still waiting for the next, not "received" as a
    # referral nobody has seen (the participant came to the first).
    from guidance.services.interpreter_bookings.changes import cancel_session

    group = db.session.scalar(select(Session).where(Session.type == "group"))
    cancel_session(w.lead, group, reason="counsellor_unavailable")
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.RECEIVED
    after = tags(referrer.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True))
    assert "Venter på neste time" in after and "Mottatt" not in after, after
    waiting = referrer.get("/referrals/?status=waiting_next").get_data(as_text=True)
    assert w.own_referral.reference in waiting
    assert w.own_referral.reference not in referrer.get("/referrals/?status=received").get_data(as_text=True)


def test_a_follow_up_is_not_offered_or_taken_before_the_session(client):
    w = f.world()
    day = f.future_weekday(weeks=2)
    ahead = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 10))
    f.login(client, w.counsellor)
    assert "Be om en oppfølgingssamtale" not in client.get(f"/week/sessions/{ahead.id}").get_data(as_text=True)
    response = client.post(f"/week/sessions/{ahead.id}/follow-up", data={"referral_id": w.own_referral.id, "weeks": "6"})
    assert response.status_code in (302, 400)
    assert db.session.scalar(select(Referral).where(Referral.follow_up_of_id == w.own_referral.id)) is None


def test_changing_a_recorded_outcome_is_confirmed_first(client):
    """Weeks later a counsellor changes "came" to "cancelled late": the page names the change and what it
    does (back into the queue) and saves only when confirmed; the choice is kept meanwhile."""
    w = f.world()
    session = _held(w)
    f.login(client, w.counsellor)
    url = f"/week/sessions/{session.id}/outcomes"
    client.post(url, data={f"outcome-{w.own_referral.id}": "attended"})
    asked = client.post(url, data={f"outcome-{w.own_referral.id}": "cancelled_late"})
    # asked on a page of its own: Back from the saved session shows it again, not "Confirm Form Resubmission"
    assert asked.status_code == 302 and asked.headers["Location"].endswith(f"/week/sessions/{session.id}?confirm=outcomes")
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Du endrer et utfall som allerede er registrert" in page
    assert "Møtte → Avlyst sent" in page
    assert f'value="cancelled_late" checked' in page
    # said where the page opens (on a phone the form is screens further down), linked to the box
    summary = page[page.index("</h1>"):page.index('id="outcomes-caption"')]
    assert 'class="error-summary"' in summary and 'href="#confirm_change"' in summary
    assert "Utfallene er ikke lagret ennå" in summary
    db.session.expire_all()
    member = db.session.get(Session, session.id).participants[0]
    assert member.outcome is Outcome.ATTENDED

    assert client.post(url, data={f"outcome-{w.own_referral.id}": "cancelled_late", "confirm_change": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Session, session.id).participants[0].outcome is Outcome.CANCELLED_LATE
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.RECEIVED
    # Back to the question's page once saved: nothing is left to confirm, the session reads as saved
    back = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Du endrer et utfall som allerede er registrert" not in back


def test_a_cancelled_session_asks_the_counsellor_for_no_outcome(client, travel_to):
    travel_to(f.oslo(2027, 1, 14, 12))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 13, 10), status="cancelled")
    f.login(client, w.counsellor)
    page = client.get(f"/week/sessions/{session.id}").get_data(as_text=True)
    assert "Ikke noe utfall: timen er avlyst" in page and "Etter veiledningen" not in page
