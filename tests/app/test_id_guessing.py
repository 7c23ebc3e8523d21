"""Guessing ids: every route that takes an object id, called by every role with the id of
another county's (or, for referrers, another municipality's) referral, attachment, note,
session, booking, run, participant, outbox message, county, location, room, counsellor or
interpreter, must neither show nor change it.

The routes come from the URL map, so new pages and API endpoints are covered as they land.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import (
    Attachment,
    AuditEvent,
    GuidanceNote,
    InterpreterBooking,
    OutboxMessage,
    PlanningRun,
    Referral,
    Role,
    Session,
    SessionParticipant,
)
from tests.app import factories as f
from tests.app.test_access import _url_values

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

UTC = dt.timezone.utc


def foreign_world(county_number: str = "18", town: str = "1804"):
    """A referral in another county with everything that hangs off it (Bodø, Nordland)."""
    centre = f.centre(county_number, town)
    location = centre.locations[0]
    counsellor = f.user(Role.COUNSELLOR, county_number=county_number)
    interpreter = f.user(Role.INTERPRETER, county_number=county_number)
    referral = f.referral(municipality_number=town, name="Selam Haile", language="ti")
    attachment = Attachment(referral=referral, original_name="kartlegging.pdf", stored_name="f" * 32,
                            content_type="application/pdf", size=10)
    db.session.add(attachment)
    note = GuidanceNote(referral=referral, author_id=counsellor.id, goals="mål", status="shared")
    run = PlanningRun(county_id=referral.county_id, status="succeeded")
    start = dt.datetime(2027, 2, 2, 9, 0, tzinfo=UTC)
    session = Session(run=run, plan_session_id="s1", uid="foreign-session-1", type="individual",
                      counsellor_id=counsellor.counsellor.id, location_id=location.id, room_id=location.rooms[0].id,
                      start=start, end=start + dt.timedelta(hours=1), language="ti",
                      interpreter_id=interpreter.interpreter.id, interpreter_mode="onsite")
    session.participants.append(SessionParticipant(referral=referral))
    booking = InterpreterBooking(session=session, interpreter_id=interpreter.interpreter.id, mode="onsite",
                                 language="ti", billed_minutes=60, cost_ore=72000)
    # An invitation to the interpreter that the mail server refused: a lead could send it again.
    message = OutboxMessage(to_user_id=interpreter.id, to_address=interpreter.email, subject="Tolkeforespørsel",
                            body="Hei", attempts=1, error="SMTPRecipientsRefused 550", failed_at=start)
    db.session.add_all([attachment, note, run, session, booking, message])
    db.session.commit()
    return {
        "referral_id": referral.id, "attachment_id": attachment.id, "note_id": note.id, "run_id": run.id,
        "session_id": session.id, "booking_id": booking.id, "participant_id": referral.participant_id,
        "message_id": message.id, "county_id": centre.county_id, "location_id": location.id,
        "room_id": location.rooms[0].id, "counsellor_id": counsellor.counsellor.id,
        "interpreter_id": interpreter.interpreter.id,
    }


def _people(w):
    return {Role.ADMIN: w.admin, Role.LEAD: w.lead, Role.COUNSELLOR: w.counsellor,
            Role.REFERRER: w.referrer, Role.INTERPRETER: w.interpreter}


def _fill(rule, values) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _guessable_rules(app, foreign_ids):
    return [r for r in app.url_map.iter_rules() if r.arguments & foreign_ids.keys()]


def _counts():
    failed_mail = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.failed_at.is_not(None)))
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in
                 (Referral, Attachment, GuidanceNote, Session, InterpreterBooking, PlanningRun)) + (failed_mail,)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.LEAD, Role.COUNSELLOR, Role.REFERRER, Role.INTERPRETER], ids=str)
def test_other_countys_objects_cannot_be_reached_by_guessing_ids(app, role):
    w = f.world()
    values = {**_url_values(w)}
    foreign = foreign_world()
    # Admins answer data-subject requests and run the outbox for the whole installation: that
    # record, export and anonymisation and every e-mail are theirs by design.
    # So is the centre set-up of every county: places, counsellors and interpreters, and its readiness.
    # (The county's text-message reminders, notices.text_messages, are part of that set-up.)
    exempt = {"privacy.export", "privacy.participant", "privacy.anonymise", "outbox.retry", "notices.text_messages"} | {r.endpoint for r in app.url_map.iter_rules()
                                                   if r.endpoint.startswith(("setup.", "people.", "readiness."))} \
        if role is Role.ADMIN else set()
    client = app.test_client()
    if role is Role.ADMIN:  # and the county workbook of every county (issue 21)
        exempt |= {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("workbook.")}
    f.login(client, _people(w)[role])
    before = _counts()
    traces = select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "access.refused")
    audit_before = db.session.scalar(traces)
    shown, changed = [], []
    for rule in _guessable_rules(app, foreign):
        if rule.endpoint in exempt:
            continue
        url = _fill(rule, {**values, **foreign})
        if "GET" in rule.methods:
            response = client.get(url)
            # 401: the API answers a browser session without a bearer token before looking anything up
            if response.status_code not in (401, 403, 404):
                shown.append((rule.endpoint, "GET", response.status_code))
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={}, json=None)
            # Refused means refused before anything else: a 400 or 422 would mean the form was
            # read (and could have been acted on) before the object was checked.
            if response.status_code not in (401, 403, 404):
                changed.append((rule.endpoint, method, response.status_code))
    assert not shown, f"{role} reached another county's objects: {shown}"
    assert not changed, f"{role} was not refused changing another county's objects: {changed}"
    assert _counts() == before
    # Refused requests leave no "viewed" trace of objects the user may not see, only the refusal.
    assert db.session.scalar(traces) == audit_before
    refusals = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "access.refused", AuditEvent.actor_id == _people(w)[role].id))
    assert refusals > 0


def test_referrer_cannot_reach_another_municipalitys_referral_in_the_same_county(app):
    w = f.world()
    values = _url_values(w)
    client = app.test_client()
    f.login(client, w.referrer)
    other = {"referral_id": w.other_referral.id, "participant_id": w.other_referral.participant_id}
    shown = []
    for rule in _guessable_rules(app, other):
        if "GET" in rule.methods:
            status = client.get(_fill(rule, {**values, **other})).status_code
            if status not in (401, 403, 404):
                shown.append((rule.endpoint, status))
    assert not shown


def neighbour_world(w):
    """Objects in the SAME county that the world's counsellor, interpreter and referrer must not
    reach: another counsellor's session with another interpreter's booking, for Voss's referral
    (another municipality), with a shared note and an outbox message to that interpreter."""
    from guidance.services import bookings

    counsellor = f.user(Role.COUNSELLOR)
    interpreter = f.user(Role.INTERPRETER)
    day = f.future_weekday()
    session = f.published_session(counsellor, w.other_referral, start=f.oslo(day.year, day.month, day.day, 13),
                                  interpreter=interpreter)
    booking = bookings.new_booking(session)
    note = GuidanceNote(referral=w.other_referral, author_id=counsellor.id, goals="mål", status="shared")
    message = OutboxMessage(to_user_id=interpreter.id, to_address=interpreter.email, subject="Tolkeforespørsel",
                            body="Hei", attempts=1, error="SMTPRecipientsRefused 550", failed_at=session.start)
    db.session.add_all([note, message])
    db.session.commit()
    return {"referral_id": w.other_referral.id, "participant_id": w.other_referral.participant_id,
            "session_id": session.id, "booking_id": booking.id, "note_id": note.id, "message_id": message.id}


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.REFERRER, Role.INTERPRETER], ids=str)
def test_objects_of_the_same_county_that_are_not_yours_cannot_be_reached_by_guessing_ids(app, role):
    """Not only other counties: a counsellor guessing a colleague's session, an interpreter another
    interpreter's booking, a referrer the neighbouring municipality's referral."""
    from tests.app.test_write_access import _fingerprint

    w = f.world()
    values = _url_values(w)
    neighbour = neighbour_world(w)
    client = app.test_client()
    f.login(client, _people(w)[role])
    before = _fingerprint()
    reached = []
    for rule in _guessable_rules(app, neighbour):
        url = _fill(rule, {**values, **neighbour})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={})
            if response.status_code not in (401, 403, 404):
                reached.append((rule.endpoint, method, response.status_code))
    assert not reached, f"{role} reached objects that are not theirs: {reached}"
    assert _fingerprint() == before


def test_api_tokens_cannot_reach_other_municipalities_objects_by_id(app):
    """A case system's token, on every API route that takes an id, with another municipality's
    and another county's ids: 404 (or 403), never the object."""
    make_token = f.api_token
    w = f.world()
    foreign = foreign_world()
    values = _url_values(w)
    voss = w.other_referral.referring_municipality  # same county as Bergen, another municipality
    headers = {"Authorization": f"Bearer {make_token(voss)}"}
    client = app.test_client()
    rules = [r for r in _guessable_rules(app, foreign) if r.rule.startswith("/api/")]
    shown = []
    for guess in (foreign, {"referral_id": w.own_referral.id, "participant_id": w.own_referral.participant_id}):
        for rule in rules:
            if not rule.arguments & guess.keys():
                continue
            url = _fill(rule, {**values, **foreign, **guess})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, headers=headers, json={})
                if response.status_code not in (400, 403, 404, 405, 409, 422):
                    shown.append((rule.endpoint, method, response.status_code))
    assert not shown
