"""After a session is booked the referral's answers change through the centre, but the referrer can still
correct the participant's name as written and phone number: the letters and text messages made from then
on use them (the walk: a wrong number could not be mended once "Rett tilvisinga" had gone)."""
import html

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, Participant, TextMessage
from guidance.services import notices
from tests.app import factories as f
from tests.app.test_notices import gateway, opted_in  # noqa: F401 - fixtures: a real HTTP gateway, Bergen opted in

pytestmark = pytest.mark.one_database  # a form over one row; the PostgreSQL pass is for queries and concurrency


def _url(referral) -> str:
    return f"/intake/referrals/{referral.id}/contact"


def _booked(travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 15, 10), interpreter=None)
    return w


def test_the_referrer_corrects_the_phone_number_of_a_booked_participant_and_the_text_goes_there(
        app, client, travel_to, gateway, opted_in):  # noqa: F811
    app.config.update(SMS_GATEWAY_URL=gateway.url)
    w = _booked(travel_to)
    f.login(client, w.referrer, language="nb")
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "Korriger henvisningen" not in page and f'href="{_url(w.own_referral)}">Korriger navn eller telefonnummer' in page
    form = client.get(_url(w.own_referral)).get_data(as_text=True)
    assert 'value="Amal Haddad"' in form and 'value="+47 400 00 000"' in form

    response = client.post(_url(w.own_referral), data={"name": "  Amal  Haddad ", "phone": "41234567"})
    assert response.status_code == 302
    participant = db.session.get(Participant, w.own_referral.participant_id)
    assert (participant.name, participant.phone) == ("Amal Haddad", "+47 412 34 567")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.corrected"))
    assert event.detail == '{"fields": ["phone"]}'   # which field, never the number itself
    assert notices.send_reminders().texts == 1
    assert [r["json"]["to"] for r in gateway.received] == ["+4741234567"]
    assert db.session.scalar(select(TextMessage)).status == "sent"


def test_a_bad_number_is_refused_beside_the_field_with_what_was_typed_and_nothing_changes(client, travel_to):
    w = _booked(travel_to)
    f.login(client, w.referrer, language="nb")
    response = client.post(_url(w.own_referral), data={"name": "", "phone": "12-34"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'value="12-34"' in page
    assert "Skriv deltakerens fulle navn." in page
    assert "Skriv et telefonnummer med minst 8 sifre" in page
    participant = db.session.get(Participant, w.own_referral.participant_id)
    assert (participant.name, participant.phone) == ("Amal Haddad", "+47 400 00 000")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.corrected")) is None


def test_before_booking_the_whole_referral_is_corrected_instead(client, travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))
    w = f.world()   # the own referral has nothing booked
    f.login(client, w.referrer, language="nb")
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "Korriger henvisningen" in page and "Korriger navn eller telefonnummer" not in page
    response = client.post(_url(w.own_referral), data={"name": "Someone Else", "phone": ""})
    assert response.status_code == 302
    assert db.session.get(Participant, w.own_referral.participant_id).name == "Amal Haddad"


def test_another_municipalitys_referrer_cannot_reach_the_form(client, travel_to):
    w = _booked(travel_to)
    f.login(client, w.other_referrer, language="nb")
    assert client.get(_url(w.own_referral)).status_code == 404
    assert client.post(_url(w.own_referral), data={"name": "X", "phone": ""}).status_code == 404
    assert db.session.get(Participant, w.own_referral.participant_id).name == "Amal Haddad"
