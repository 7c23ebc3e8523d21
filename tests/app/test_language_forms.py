"""Nynorsk: the county's default form for pages, the municipality's chosen form for what is
sent to it (Language Act), the switcher, and Babel's dates and numbers in nn."""
import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from guidance.extensions import db
from guidance.models import AuditEvent, County, GuidanceNote, Municipality, OutboxMessage, Role
from guidance.rules import language
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

NOTE = {"goals": "Bli sjukepleiar", "background": "Vidaregåande skule", "next_steps": "Norskopplæring",
        "further_guidance": "y", "action": "share"}


@pytest.fixture(autouse=True)
def reference_forms(app):
    """Counties and municipalities are reference data shared by every test: put the shipped
    language forms back after each test here."""
    yield
    db.session.rollback()
    db.session.execute(update(County).values(language_form="nb"))
    db.session.execute(update(Municipality).values(language_form="neutral"))
    for number, form in language.COUNTY_DEFAULTS.items():
        db.session.execute(update(County).where(County.number == number).values(language_form=form))
    for number, form in language.MUNICIPALITY_DEFAULTS.items():
        db.session.execute(update(Municipality).where(Municipality.number == number).values(language_form=form))
    db.session.commit()


def _html_lang(page: str) -> str:
    return re.search(r'<html lang="([a-z]+)">', page).group(1)


def test_vestland_ships_as_nynorsk_with_its_municipalities_choices(app):
    assert f.county("46").language_form == "nn" and f.county("18").language_form == "nb"
    assert f.municipality("4621").language_form == "nn"  # Voss
    assert f.municipality("4601").language_form == "neutral"  # Bergen
    assert language.municipality_form(f.municipality("4601")) == "nn"  # neutral: the county's form
    assert language.municipality_form(f.municipality("1804")) == "nb"  # Bodø, in Nordland


def test_a_lead_of_vestland_without_a_choice_sees_nynorsk_pages(client):
    f.centre()
    lead = f.user(Role.LEAD, language=None)
    f.login(client, lead)
    page = client.get("/", headers={"Accept-Language": "nb-NO,nb;q=0.9"}).get_data(as_text=True)
    assert _html_lang(page) == "nn"
    assert "Sjå køen" in page and "Se køen" not in page
    assert 'value="nn" lang="nn" aria-current="true"' in page


def test_a_lead_of_a_bokmal_county_without_a_choice_sees_bokmal(client):
    lead = f.user(Role.LEAD, county_number="18", language=None)
    f.login(client, lead)
    page = client.get("/").get_data(as_text=True)
    assert _html_lang(page) == "nb" and "Se køen" in page


def test_the_users_own_choice_wins_over_the_county(client):
    lead = f.user(Role.LEAD, language="nb")
    f.login(client, lead)
    assert "Se køen" in client.get("/", headers={"Accept-Language": "nn"}).get_data(as_text=True)


def test_a_referrer_without_a_choice_sees_the_municipalitys_form(client):
    f.municipality("4621").county.language_form = "nb"  # the county writes bokmål, Voss nynorsk
    db.session.commit()
    referrer = f.user(Role.REFERRER, municipality_number="4621", language=None)
    f.login(client, referrer)
    assert _html_lang(client.get("/").get_data(as_text=True)) == "nn"


def test_the_browser_decides_for_anonymous_pages_and_no_means_bokmal(client):
    assert _html_lang(client.get("/login", headers={"Accept-Language": "nn-NO,nn;q=0.9"}).get_data(as_text=True)) == "nn"
    assert _html_lang(client.get("/login", headers={"Accept-Language": "no"}).get_data(as_text=True)) == "nb"


def test_the_switcher_offers_three_languages_each_in_its_own_name(client):
    page = client.get("/login").get_data(as_text=True)
    buttons = re.findall(r'<button type="submit" name="language" value="(\w+)" lang="\w+"[^>]*>([^<]+)</button>', page)
    assert buttons == [("nb", "Norsk bokmål"), ("nn", "Norsk nynorsk"), ("en", "English")]


def test_the_switcher_sets_nynorsk_and_it_is_remembered_for_the_user(client, app):
    response = client.post("/language", data={"language": "nn", "next": "/login"})
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert _html_lang(page) == "nn" and "Gå til hovudinnhaldet" in page

    lead = f.user(Role.LEAD, county_number="18")  # chose bokmål; the county writes bokmål
    f.login(client, lead)
    client.post("/language", data={"language": "nn", "next": "/"})
    db.session.refresh(lead)
    assert lead.language == "nn"
    again = app.test_client()
    f.login(again, lead)
    assert "Sjå køen" in again.get("/").get_data(as_text=True)


def test_a_language_outside_the_three_is_refused_by_the_switcher(client):
    client.post("/language", data={"language": "sv", "next": "/login"})
    assert _html_lang(client.get("/login").get_data(as_text=True)) == "nb"


def _share_note_with(client, municipality_number: str, referrer_language=None, w=None):
    w = w or f.world()
    referral = f.referral(municipality_number=municipality_number, name="Olena Kovalenko", language="uk")
    referrer = f.user(Role.REFERRER, municipality_number=municipality_number, language=referrer_language)
    f.published_session(w.counsellor, referral, start=f.oslo(2026, 10, 6, 10))
    f.login(client, w.counsellor)
    assert client.post(f"/referrals/{referral.id}/notes/draft", data=NOTE).status_code == 302
    page = client.get(f"/referrals/{referral.id}/notes/share").get_data(as_text=True)
    checked = re.search(r'name="checked" type="hidden" value="([0-9a-f]+)"', page).group(1)
    assert client.post(f"/referrals/{referral.id}/notes/share", data={"checked": checked}).status_code == 302
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_user_id == referrer.id))
    return referral, referrer, message


def test_an_email_to_a_nynorsk_municipality_is_in_nynorsk(client):
    # The referrer at Voss reads the UI in bokmål, but the county writes to Voss in nynorsk.
    referral, _referrer, message = _share_note_with(client, "4621", referrer_language="nb")
    assert message.subject == f"Rettleiingsnotat for tilvising {referral.reference}"
    assert message.body.startswith("Eit rettleiingsnotat (versjon 1)")


def test_an_email_to_a_bokmal_municipality_is_in_bokmal_and_neutral_follows_the_county(client):
    f.municipality("4621").language_form = "nb"
    db.session.commit()
    w = f.world()
    referral, _referrer, message = _share_note_with(client, "4621", w=w)
    assert message.subject == f"Veiledningsnotat for henvisning {referral.reference}"
    _bergen, _r, bergen_message = _share_note_with(client, "4601", w=w)  # neutral, in nynorsk Vestland
    assert bergen_message.subject.startswith("Rettleiingsnotat for tilvising")


def test_a_referrer_who_chose_english_gets_english(client):
    referral, _referrer, message = _share_note_with(client, "4621", referrer_language="en")
    assert message.subject == f"Guidance note for referral {referral.reference}"


def test_the_guidance_note_pdf_is_in_the_municipalitys_form(client, app):
    referral, referrer, _message = _share_note_with(client, "4621", referrer_language="en")
    note = db.session.scalar(select(GuidanceNote).where(GuidanceNote.referral_id == referral.id))
    reader = app.test_client()
    f.login(reader, referrer)
    pdf = reader.get(f"/notes/{note.id}.pdf").data
    # the document's title (its metadata), whatever language the reader's pages are in
    assert f"Rettleiingsnotat {referral.reference}".encode() in pdf


def test_an_interpreter_without_a_choice_gets_invitations_in_the_countys_form(app):
    from guidance.services import bookings

    w = f.world()
    interpreter = f.user(Role.INTERPRETER, language=None)
    day = f.future_weekday()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 10),
                                  interpreter=interpreter, interpreter_mode="onsite")
    booking = bookings.new_booking(session)
    [message] = bookings.request_messages([booking])
    assert message.subject.startswith("Førespurnad om tolkeoppdrag")
    assert "Takk ja eller nei her:" in message.body and "Lenkja verkar til" in message.body


def test_nynorsk_dates_and_numbers_come_from_babel(app):
    from flask_babel import force_locale

    from guidance import clock

    with app.test_request_context(), force_locale("nn"), clock.moved_to(dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc)):
        env = app.jinja_env
        assert env.from_string("{{ d | date('long') }}").render(d=dt.date(2027, 12, 4)) == "4. desember 2027"
        assert env.from_string("{{ d | date('EEEE d. MMMM') }}").render(d=dt.date(2027, 12, 4)) == "laurdag 4. desember"
        # another year than today's shows its year
        assert env.from_string("{{ d | date('EEEE d. MMMM') }}").render(d=dt.date(2028, 1, 4)) == "tysdag 4. januar 2028"
        assert env.from_string("{{ 123450 | money }}").render() == "1\xa0234,50\xa0kr"
        assert env.from_string("{{ 1234 | number }}").render() == "1\xa0234"


def test_lead_sets_the_countys_and_municipalities_forms(client):
    lead = f.user(Role.LEAD)
    f.login(client, lead)
    page = client.get("/language-forms/").get_data(as_text=True)
    assert "Voss" in page and "Bodø" not in page
    data = {"county_form": "nb", **{f"municipality_{m.number}": m.language_form for m in f.county("46").municipalities}}
    data["municipality_4601"] = "nb"
    assert client.post("/language-forms/", data=data).status_code == 302
    assert f.county("46").language_form == "nb" and f.municipality("4601").language_form == "nb"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "county.language_forms"))
    assert event.actor_id == lead.id and '"4601": "nb"' in event.detail


def test_a_wrong_form_is_refused_per_field_and_nothing_changes(client):
    lead = f.user(Role.LEAD)
    f.login(client, lead)
    data = {"county_form": "nn", **{f"municipality_{m.number}": m.language_form for m in f.county("46").municipalities}}
    data["municipality_4621"] = "sv"
    response = client.post("/language-forms/", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'href="#municipality_4621"' in page and 'aria-invalid="true"' in page
    assert f.municipality("4621").language_form == "nn"


def test_a_lead_cannot_reach_another_countys_forms_but_an_admin_can(client, app):
    f.login(client, f.user(Role.LEAD, county_number="18"))
    assert client.get("/language-forms/?county=46").status_code == 404
    assert client.post("/language-forms/?county=46", data={"county_form": "nb"}).status_code == 404
    assert f.county("46").language_form == "nn"
    admin = app.test_client()
    f.login(admin, f.user(Role.ADMIN, county_number=None))
    assert "Vestland" in admin.get("/language-forms/").get_data(as_text=True)
    assert "Voss" in admin.get("/language-forms/?county=46").get_data(as_text=True)
    assert admin.get("/language-forms/?county=99").status_code == 404


def test_a_language_picked_on_the_login_page_becomes_the_users_own(client, app):
    """A Vestland counsellor picked bokmål on the login page: the pages were bokmål, their calendar feed and
    e-mails nynorsk (the county's form), until they happened to pick a language again once logged in."""
    from guidance.rules.language import for_recipient

    counsellor = f.user(Role.COUNSELLOR, language=None)   # Vestland: nynorsk unless they choose
    assert counsellor.language is None and for_recipient(counsellor) == "nn"
    f.login(client, counsellor, language="nb")
    db.session.refresh(counsellor)
    assert counsellor.language == "nb" and for_recipient(counsellor) == "nb"
    # A choice already made is not overwritten by the next browser's switcher.
    client.post("/logout")
    f.login(client, counsellor, language="en")
    db.session.refresh(counsellor)
    assert counsellor.language == "nb"
