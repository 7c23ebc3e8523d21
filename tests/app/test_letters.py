"""Summons letters (issue 27): the referrer downloads a PDF letter per participant and booked session
ahead, in Norwegian (the municipality's form) and the participant's language; never the interpreter's
name; only their own municipality's letters; the download is audited without names."""
import pytest
import datetime as dt
import io
import json

from babel.dates import format_date
from pypdf import PdfReader
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, BookingStatus, InterpreterBooking, Location, Role, Session, SessionParticipant
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

ADDRESS = "Kaigaten 4, 5015 Bergen"


def _pages(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf" and response.headers["Cache-Control"] == "no-store"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


def _place():
    location = db.session.scalar(select(Location).order_by(Location.id))
    location.address, location.step_free = ADDRESS, True
    location.directions = "Bybanen til Byparken, inngang fra Kaigaten."
    db.session.commit()


def _ukrainian(w, *, municipality_number="4601", weeks=3):
    _place()
    w.referrer.phone = "+47 911 22 333"
    referral = f.referral(municipality_number=municipality_number, name="Olena Kovalenko", language="uk")
    referral.referred_by = w.referrer
    db.session.commit()
    day = f.future_weekday(weeks)
    session = f.published_session(w.counsellor, referral, start=f.oslo(day.year, day.month, day.day, 9),
                                  interpreter=w.interpreter, interpreter_mode="video", language="uk")
    # Publishing asks the interpreter; they accepted.
    db.session.add(InterpreterBooking(session=session, interpreter_id=session.interpreter_id, status=BookingStatus.ACCEPTED,
                                      mode="video", language="uk", billed_minutes=90, cost_ore=90000))
    db.session.commit()
    return referral, day


def test_ukrainian_participant_gets_date_time_and_address_in_norwegian_and_ukrainian_without_interpreter_name(client):
    w = f.world()
    referral, day = _ukrainian(w)
    f.login(client, w.referrer)
    pages = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))
    assert len(pages) == 2
    norwegian, ukrainian = pages
    # Bergen is language-neutral: Vestland writes nynorsk.
    assert "Innkalling til karriererettleiing" in norwegian
    assert format_date(day, "full", locale="nn") in norwegian
    assert "Запрошення на кар'єрну консультацію" in ukrainian
    assert format_date(day, "full", locale="uk") in ukrainian
    for page in pages:
        assert "09:00–10:30" in page and ADDRESS in page and "Olena Kovalenko" in page
        assert "+47 911 22 333" in page and w.referrer.name in page and referral.reference in page
        assert w.interpreter.name not in page
    assert "tolk på ukrainsk er med på video" in norwegian
    assert "українська" in ukrainian and "відеозв'язку" in ukrainian
    # The directions are the centre's, in Norwegian: the Ukrainian sheet says so in Ukrainian.
    assert "Опис дороги норвезькою мовою" in " ".join(ukrainian.split()) and "på norsk" not in norwegian


def test_bokmal_municipality_gets_bokmal_and_nynorsk_municipality_gets_nynorsk(client):
    w = f.world()
    bergen = f.municipality("4601")
    before = bergen.language_form
    try:
        bergen.language_form = "nb"
        db.session.commit()
        referral, day = _ukrainian(w)
        f.login(client, w.referrer)
        norwegian = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))[0]
        assert "Innkalling til karriereveiledning" in norwegian and format_date(day, "full", locale="nb") in norwegian
        assert "Ta med" in norwegian and "Veiledningen er gratis." in norwegian
    finally:
        bergen.language_form = before
        db.session.commit()
    voss, voss_day = _ukrainian(w, municipality_number="4621", weeks=4)
    other = client.application.test_client()
    f.login(other, w.other_referrer)
    norwegian = _pages(other.get(f"/referrals/{voss.id}/letters.pdf"))[0]
    assert "Innkalling til karriererettleiing" in norwegian and "Rettleiinga er gratis." in norwegian


def test_all_letters_hold_one_letter_per_booked_session_ahead_of_the_municipality_only(client, travel_to):
    w = f.world()
    olena, day = _ukrainian(w)
    f.published_session(w.counsellor, [olena, w.own_referral], type="group", room_name="Grupperom",
                        start=f.oslo(day.year, day.month, day.day, 13))
    # Not letters: a cancelled session, a session of another municipality.
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 11), status="cancelled")
    f.published_session(w.counsellor, w.other_referral, start=f.oslo(day.year, day.month, day.day, 11))
    f.login(client, w.referrer)
    pages = _pages(client.get(f"/municipalities/{w.referrer.municipality_id}/letters.pdf"))
    norwegian = [p for p in pages if "Innkalling til karriererettleiing" in p]
    assert len(norwegian) == 3  # Olena's two sessions, Amal's group session
    assert sum(olena.reference in p for p in norwegian) == 2
    assert sum(w.own_referral.reference in p for p in norwegian) == 1
    assert not any(w.other_referral.reference in p for p in pages)
    # Olena's letters have a Ukrainian page each, Amal's an Arabic page: one letter, two pages.
    assert len(pages) == 6
    # A session that has begun is no longer ahead: no letter for it.
    travel_to(f.oslo(day.year, day.month, day.day, 12))
    f.login(client, w.referrer)  # weeks later: the sign-in has ended
    pages = _pages(client.get(f"/municipalities/{w.referrer.municipality_id}/letters.pdf"))
    assert len([p for p in pages if "Innkalling til karriererettleiing" in p]) == 2


def test_only_the_municipality_and_its_county_lead_get_the_letters(client, app):
    w = f.world()
    referral, _day = _ukrainian(w)
    bergen = w.referrer.municipality_id
    for person in (w.other_referrer, w.other_county_lead):
        other = app.test_client()
        f.login(other, person)
        assert other.get(f"/referrals/{referral.id}/letters.pdf").status_code == 404
        assert other.get(f"/municipalities/{bergen}/letters.pdf").status_code == 404
    for person in (w.counsellor, w.interpreter, w.admin):
        other = app.test_client()
        f.login(other, person)
        assert other.get(f"/referrals/{referral.id}/letters.pdf").status_code == 403
    lead = app.test_client()
    f.login(lead, w.lead)
    assert len(_pages(lead.get(f"/referrals/{referral.id}/letters.pdf"))) == 2
    assert len(_pages(lead.get(f"/municipalities/{bergen}/letters.pdf"))) == 2


def test_download_is_audited_without_names_and_links_are_on_the_pages(client):
    w = f.world()
    referral, _day = _ukrainian(w)
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert f"/referrals/{referral.id}/letters.pdf" in page
    listing = client.get("/referrals/").get_data(as_text=True)
    assert f"/municipalities/{w.referrer.municipality_id}/letters.pdf" in listing
    client.get(f"/referrals/{referral.id}/letters.pdf")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "letters.downloaded"))
    assert event.object_type == "referral" and event.object_id == referral.id and event.actor_id == w.referrer.id
    assert json.loads(event.detail) == {"letters": 1}
    assert "Olena" not in event.detail


def test_no_booked_session_ahead_sends_the_referrer_back_with_a_message(client):
    w = f.world()
    f.login(client, w.referrer)
    response = client.get(f"/referrals/{w.own_referral.id}/letters.pdf", follow_redirects=True)
    assert response.status_code == 200 and "ingen booket time framover" in response.get_data(as_text=True).lower()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "letters.downloaded")) is None


@pytest.mark.parametrize("status", [BookingStatus.DECLINED, BookingStatus.REQUESTED])
def test_an_interpreter_not_confirmed_reads_as_an_interpreter_being_arranged(client, status):
    """Declined, or asked and not yet answered: the letter does not promise how the interpreter takes part."""
    w = f.world()
    referral, _day = _ukrainian(w)
    booking = db.session.scalar(select(InterpreterBooking))
    booking.status = status
    db.session.commit()
    f.login(client, w.referrer)
    norwegian, ukrainian = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))
    assert "Vi ordnar med ein tolk på ukrainsk for deg." in norwegian and "er med på video" not in norwegian
    assert "Ми організовуємо для вас перекладача" in ukrainian and w.interpreter.name not in ukrainian


def test_the_lead_finds_a_municipality_s_letters_after_choosing_it_in_the_referral_list(client):
    w = f.world()
    _ukrainian(w)
    bergen = w.referrer.municipality_id
    f.login(client, w.lead)
    assert "letters.pdf" not in client.get("/referrals/").get_data(as_text=True)
    listing = client.get(f"/referrals/?municipality={bergen}").get_data(as_text=True)
    assert f"/municipalities/{bergen}/letters.pdf" in listing


def test_characters_no_font_has_are_not_written_to_the_logs(client, caplog):
    import logging

    w = f.world()
    referral, _day = _ukrainian(w)
    referral.participant.name = "王小明 Kovalenko"
    db.session.commit()
    f.login(client, w.referrer)
    with caplog.at_level(logging.DEBUG):
        pages = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))
    assert "Kovalenko" in pages[0]
    assert "王" not in caplog.text and "Kovalenko" not in caplog.text
    assert "no embedded font covers" in caplog.text


def test_a_municipality_with_more_letters_than_one_download_gets_them_in_parts(client, monkeypatch):
    from guidance.services import letters

    monkeypatch.setattr(letters, "MAX_LETTERS", 2)  # 100 in production; three letters here
    w = f.world()
    olena, day = _ukrainian(w, weeks=1)   # inside the referrer home's two weeks ahead
    f.published_session(w.counsellor, [olena, w.own_referral], type="group", room_name="Grupperom",
                        start=f.oslo(day.year, day.month, day.day, 13))
    f.login(client, w.referrer)
    bergen = w.referrer.municipality_id
    listing = client.get("/referrals/").get_data(as_text=True)
    assert "Brev 1–2 av 3" in listing and "Brev 3–3 av 3" in listing
    # The home's "every booked session ahead" also comes in parts (it silently stopped at the first part).
    home = client.get("/").get_data(as_text=True)
    assert "Brev 1–2 av 3 (PDF)" in home and f"/municipalities/{bergen}/letters.pdf?part=2" in home, home
    assert "Brevene for alle bookede timer framover, i deler:" in home   # every session ahead, not the next two weeks
    first = _pages(client.get(f"/municipalities/{bergen}/letters.pdf?part=1"))
    second = _pages(client.get(f"/municipalities/{bergen}/letters.pdf?part=2"))
    # Earliest first; in a group, participants in the order they were referred.
    assert olena.reference in first[0] and w.own_referral.reference in first[2] and len(first) == 4
    assert len(second) == 2 and olena.reference in second[0]
    beyond = client.get(f"/municipalities/{bergen}/letters.pdf?part=3", follow_redirects=True).get_data(as_text=True)
    # Not "no booked session ahead": there are three letters, in two parts.
    assert "del 3 er tom" in beyond and "ingen booket time" not in beyond.lower()


def test_a_referrer_without_a_phone_number_is_told_and_adds_it_to_the_letter(client):
    """The letter says "call or write to" the adviser: one without a number on file sees so beside the
    letter, adds it on their own page, and the next letter gives it."""
    w = f.world()
    referral, _day = _ukrainian(w)
    w.referrer.phone = None
    db.session.commit()
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "har ikke telefonnummeret ditt" in page and 'href="/account/phone"' in page
    assert all("Telefon" not in p for p in _pages(client.get(f"/referrals/{referral.id}/letters.pdf")))

    refused = client.post("/account/phone", data={"phone": "12 34"})
    assert refused.status_code == 400 and "8 til 15 sifre" in refused.get_data(as_text=True)
    assert 'value="12 34"' in refused.get_data(as_text=True)
    assert client.post("/account/phone", data={"phone": "91122333"}).status_code == 302
    assert "+47 911 22 333" in _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))[0]
    assert "har ikke telefonnummeret ditt" not in client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.phone_changed"))
    assert event.actor_id == w.referrer.id and "911" not in (event.detail or "")


def test_the_phone_notice_shows_only_where_the_letter_names_the_referrer(client):
    """A referral sent by nobody in particular gives the introduction programme on the letter, not the
    adviser: no notice about the adviser's phone there."""
    w = f.world()
    referral, _day = _ukrainian(w)
    w.referrer.phone = None
    referral.referred_by = None
    db.session.commit()
    f.login(client, w.referrer)
    assert "har ikke telefonnummeret ditt" not in client.get(f"/referrals/{referral.id}").get_data(as_text=True)


def test_without_a_referrer_the_letter_gives_the_career_centre_to_call(client):
    """A participant of a municipality with no referrer in Veiled was told to contact "the introduction
    programme in Samnanger", where nobody could move the session: the centre's own phone and e-mail now."""
    w = f.world()
    referral, _day = _ukrainian(w)
    referral.referred_by = None
    centre = db.session.scalar(select(Location).order_by(Location.id)).centre
    centre.phone, centre.email = "+47 55 00 00 00", "bergen@karriere.example.no"
    db.session.commit()
    f.login(client, w.lead)
    first = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))[0]
    assert f"Ring eller skriv til {centre.name}" in " ".join(first.split()) and "+47 55 00 00 00" in first
    assert "introduksjonsprogrammet" not in first


def _booked(w, name: str, language: str, weeks: int = 1):
    _place()
    referral = f.referral(name=name, language=language)
    referral.referred_by = w.referrer
    db.session.commit()
    day = f.future_weekday(weeks)
    f.published_session(w.counsellor, referral, start=f.oslo(day.year, day.month, day.day, 9))
    return referral


def test_russian_and_persian_participants_get_a_page_in_their_language(client):
    """A quarter of the demo's referrals (Russian, Persian, ...) got a Norwegian-only letter."""
    w = f.world()
    russian = _booked(w, "Irina Petrova", "ru")
    persian = _booked(w, "Maryam Ahmadi", "fa")
    f.login(client, w.referrer)
    _norwegian, page = _pages(client.get(f"/referrals/{russian.id}/letters.pdf"))
    page = " ".join(page.split())
    assert "Приглашение на карьерную консультацию" in page and "Irina Petrova" in page
    _norwegian, page = _pages(client.get(f"/referrals/{persian.id}/letters.pdf"))
    assert "Maryam Ahmadi" in page and "09:00" in page
    assert len(PdfReader(io.BytesIO(client.get(f"/referrals/{persian.id}/letters.pdf").data)).pages) == 2


def test_pashto_sorani_and_kurmanji_speakers_get_a_page_in_their_language(client):
    """Three of the commonest languages of newly settled refugees had a Norwegian-only letter."""
    w = f.world()
    w.referrer.phone = "+47 412 34 567"
    db.session.commit()
    for name, code, title in (("Gul Ahmad", "ps", "د مسلکي مشورې بلنلیک"), ("Shilan Ahmed", "ckb", "بانگهێشت"),
                              ("Berivan Aydin", "kmr", "Vexwendin ji bo şêwirmendiya pîşeyî")):
        referral = _booked(w, name, code)
        f.login(client, w.referrer)
        _norwegian, page = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))
        text = " ".join(page.split())
        assert title in text and name in text and "09:00–10:30" in text and "+47 412 34 567" in text, (code, text)
        assert "Det finnes ikke noe brev" not in client.get(f"/referrals/{referral.id}").get_data(as_text=True)


def test_a_letter_in_norwegian_only_is_said_so_where_the_referrer_takes_it(client):
    w = f.world()
    lingala = _booked(w, "Grace Mbuyi", "ln")
    f.login(client, w.referrer)
    assert len(_pages(client.get(f"/referrals/{lingala.id}/letters.pdf"))) == 1
    page = client.get(f"/referrals/{lingala.id}").get_data(as_text=True)
    assert "Det finnes ikke noe brev på lingala ennå: dette er bare på norsk." in page
    home = client.get("/").get_data(as_text=True)
    assert "Bare på norsk: ikke noe brev på lingala ennå" in home
    ukrainian, _day = _ukrainian(w)
    assert "Det finnes ikke noe brev" not in client.get(f"/referrals/{ukrainian.id}").get_data(as_text=True)


def _moved_by_the_lead(w):
    """The Ukrainian participant's session (`_ukrainian`), moved by the lead to 13:00 the next day: (referral, old day,
    session)."""
    from guidance.models import Session
    from guidance.services import plan_edits

    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    referral, day = _ukrainian(w)
    session = db.session.scalar(select(Session).where(Session.participants.any(referral_id=referral.id)))
    referral.earliest_date = day - dt.timedelta(days=7)
    db.session.commit()
    plan_edits.move_published_session(w.lead, session, start=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(13, 0)),
                                      room_id=session.room_id, counsellor_id=session.counsellor_id,
                                      interpreter_id=session.interpreter_id, interpreter_mode="video")
    return referral, day, session


def test_a_moved_sessions_letter_says_it_replaces_the_letter_with_the_old_time(client):
    """Two letters that look alike sent participants on the old day: the new one names the old time."""
    from guidance.models import Session
    from guidance.planning import ids

    w = f.world()
    referral, day, session = _moved_by_the_lead(w)
    f.login(client, w.referrer)
    # Still one sheet per language: the longer letter is set a little smaller rather than spill over.
    norwegian, ukrainian = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))
    old = f"{day.strftime('%d.%m.%Y')} 09:00"
    assert "Ny tid" in norwegian and f"erstattar brevet om {old}" in " ".join(norwegian.split())
    assert old in ukrainian and "Новий час" in ukrainian
    assert ids.to_local(db.session.get(Session, session.id).start).hour == 13


def test_a_moved_session_published_again_by_a_later_plan_still_says_it_replaces_the_old_time(client):
    """A sick day: the lead moved sessions, then published a repair plan that kept them. Publishing writes a kept
    session again as a new row (same calendar UID), and its letter no longer named the old time."""
    from guidance.models import SessionStatus

    w = f.world()
    referral, day, session = _moved_by_the_lead(w)
    kept = f.published_session(w.counsellor, referral, start=session.start, interpreter=w.interpreter,
                               interpreter_mode="video", language="uk")
    kept.uid, session.status = session.uid, SessionStatus.SUPERSEDED
    db.session.commit()
    f.login(client, w.referrer)
    norwegian = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))[0]
    assert f"erstattar brevet om {day.strftime('%d.%m.%Y')} 09:00" in " ".join(norwegian.split())


def test_a_letter_booked_after_a_cancellation_says_it_replaces_the_cancelled_time(client):
    """The counsellor fell ill, the lead cancelled, the participant was booked again: the new letter looked like a
    second invitation beside the first, and the participant could come on the old day. A booking taken back at
    once (no letter went out for it) is not named."""
    from guidance.models import Session
    from guidance.services.interpreter_bookings import changes

    w = f.world()
    referral, day = _ukrainian(w)
    first = db.session.scalar(select(Session).where(Session.participants.any(referral_id=referral.id)))
    changes.cancel_session(w.lead, first, reason="counsellor_unavailable")
    later = day + dt.timedelta(days=7)
    f.published_session(w.counsellor, referral, start=f.oslo(later.year, later.month, later.day, 12))
    f.login(client, w.referrer)
    norwegian, ukrainian = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))
    old = f"{day.strftime('%d.%m.%Y')} 09:00"
    assert f"erstattar brevet om {old}" in " ".join(norwegian.split()) and "12:00–13:30" in norwegian
    assert old in ukrainian and "Новий час" in ukrainian

    other = f.referral(name="Ali Rahimi", language="uk")
    other.referred_by = w.referrer
    db.session.commit()
    mistake = f.published_session(w.counsellor, other, start=f.oslo(day.year, day.month, day.day, 13))
    changes.cancel_session(w.lead, mistake, reason="booked_by_mistake")
    f.published_session(w.counsellor, other, start=f.oslo(later.year, later.month, later.day, 9))
    norwegian = _pages(client.get(f"/referrals/{other.id}/letters.pdf"))[0]
    assert "Ny tid" not in norwegian and "erstattar" not in norwegian and "09:00–10:30" in norwegian


def test_a_kurmanji_speakers_letter_names_the_language_not_its_code(client):
    """CLDR names no "kmr": the letter said "ein tolk på kmr", then "på kurdisk", which does not say which of the two
    Kurdish languages (Sorani is another interpreter)."""
    w = f.world()
    _place()
    referral = f.referral(name="Berivan Aydin", language="kmr")
    referral.referred_by = w.referrer
    db.session.commit()
    day = f.future_weekday(2)
    f.published_session(w.counsellor, referral, start=f.oslo(day.year, day.month, day.day, 9),
                        interpreter=w.interpreter, interpreter_mode="onsite", language="kmr")
    f.login(client, w.referrer)
    page, _kurmanji = _pages(client.get(f"/referrals/{referral.id}/letters.pdf"))
    text = " ".join(page.split())
    assert "tolk på kurmanji" in text and "kmr" not in text and "kurdisk" not in text


def test_in_a_group_of_two_languages_each_letter_speaks_only_of_its_own_interpreter(client):
    """A group with a Ukrainian interpreter: the Ukrainian participant's letter names the interpreter;
    an Arabic speaker the counsellor understands, and a participant who needs none, read of no interpreter
    (not "an interpreter in Ukrainian")."""
    w = f.world()
    ukrainian, _day = _ukrainian(w)
    session = db.session.scalar(select(Session))
    arabic = f.referral(name="Rania Haddad", language="ar")          # the counsellor speaks Arabic
    no_need = f.referral(name="Selam Haile", language="ti")
    no_need.participant.needs_interpreter = False
    w.counsellor.counsellor.languages = ["nb", "en", "ar"]
    for r in (arabic, no_need):
        r.referred_by = w.referrer
        session.participants.append(SessionParticipant(referral=r))
    db.session.commit()
    f.login(client, w.referrer)
    norwegian = _pages(client.get(f"/referrals/{ukrainian.id}/letters.pdf"))[0]
    assert "ukrainsk" in norwegian and "Tolk" in norwegian
    for other in (arabic, no_need):
        pages = _pages(client.get(f"/referrals/{other.id}/letters.pdf"))
        assert all("ukrainsk" not in p and "украї" not in p.lower() for p in pages), other.participant.name
    # The Arabic speaker needs an interpreter and the counsellor speaks Arabic: the letter says so (it said nothing
    # of an interpreter, and the participant phoned to ask whether one would come); one who needs none reads nothing.
    norwegian, in_arabic = _pages(client.get(f"/referrals/{arabic.id}/letters.pdf"))
    assert "Du treng ikkje tolk: karriererettleiaren snakkar arabisk." in " ".join(norwegian.split())   # Bergen: nynorsk
    import unicodedata

    assert "مترجم فوري" in unicodedata.normalize("NFKC", in_arabic)   # the shaped glyphs read as letters
    assert "Tolk" not in _pages(client.get(f"/referrals/{no_need.id}/letters.pdf"))[0]


def test_one_adviser_of_many_prints_only_the_letters_of_their_own_referrals(client, travel_to):
    """Bergen has many advisers: one's download of the new letters emptied the list for the others, who were left
    without their participants' letters. Each can print their own; the municipality's list keeps the rest."""
    from guidance.models import Role

    travel_to(f.oslo(2027, 1, 8, 12))
    w = f.world()
    colleague = f.user(Role.REFERRER, name="Kari Kollega")
    w.own_referral.referred_by = w.referrer
    theirs = f.referral(name="Sara Haddad")
    theirs.referred_by = colleague
    db.session.commit()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 20, 9))
    f.published_session(w.counsellor, theirs, start=f.oslo(2027, 1, 21, 9))
    f.login(client, w.referrer)
    home = client.get("/").get_data(as_text=True)
    assert "Last ned de 2 brevene (PDF)" in home and "Bare dine henvisninger: brevet (PDF)" in home
    pages = _pages(client.get("/letters/new.pdf?mine=1"))
    norwegian = [p for p in pages if "Innkalling til karriererettleiing" in p]
    assert len(norwegian) == 1 and w.own_referral.reference in norwegian[0]
    client.post("/logout")
    f.login(client, colleague)
    home = client.get("/").get_data(as_text=True)
    assert "Last ned brevet (PDF)" in home and "Bare dine henvisninger" not in home   # all that is left is theirs
    pages = _pages(client.get("/letters/new.pdf?mine=1"))
    assert [p for p in pages if "Innkalling til karriererettleiing" in p and theirs.reference in p]


def test_the_referrer_prints_only_the_letters_not_printed_yet(client, travel_to):
    """After a settlement wave's plan the referrer had every booked session ahead in parts of a hundred (617
    letters, seven files) and no way to print the forty new ones. The home now counts the letters nobody in
    the municipality has downloaded, and one download gives just those; a moved session's new time is a new
    letter. The centre's own downloads (to look, or to post) do not count as the referrer's."""
    import re

    travel_to(f.oslo(2027, 1, 8, 12))
    w = f.world()
    first = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 20, 9))
    sara = f.referral(name="Sara Haddad")
    f.published_session(w.counsellor, sara, start=f.oslo(2027, 1, 21, 9))
    f.login(client, w.lead)
    _pages(client.get(f"/municipalities/{w.referrer.municipality_id}/letters.pdf"))   # the centre looks
    client.post("/logout")
    f.login(client, w.referrer)
    home = client.get("/").get_data(as_text=True)
    assert 'id="home-letters"' in home
    assert "Last ned de 2 brevene (PDF)" in home
    pages = _pages(client.get("/letters/new.pdf"))
    norwegian = [p for p in pages if "Innkalling til karriererettleiing" in p]
    assert len(norwegian) == 2 and any(sara.reference in p for p in norwegian)
    assert 'id="home-letters"' not in client.get("/").get_data(as_text=True)
    nothing = client.get("/letters/new.pdf")
    assert nothing.status_code == 302

    # A new booking and a new time: those two letters, not the one already handed out.
    yonas = f.referral(name="Yonas Haile", language="ti")
    f.published_session(w.counsellor, yonas, start=f.oslo(2027, 1, 22, 9))
    first.start = f.oslo(2027, 1, 25, 13)
    db.session.commit()
    home = re.sub(r"\s+", " ", client.get("/").get_data(as_text=True))
    assert "Last ned de 2 brevene (PDF)" in home
    pages = _pages(client.get("/letters/new.pdf"))
    norwegian = [p for p in pages if "Innkalling til karriererettleiing" in p]
    assert len(norwegian) == 2 and not any(sara.reference in p for p in norwegian)
    assert any(yonas.reference in p for p in norwegian) and any(w.own_referral.reference in p for p in norwegian)
    # One participant's letter from their page counts too.
    f.published_session(w.counsellor, sara, start=f.oslo(2027, 1, 27, 9), type="group", room_name="Grupperom")
    _pages(client.get(f"/referrals/{sara.id}/letters.pdf"))
    assert 'id="home-letters"' not in client.get("/").get_data(as_text=True)


def test_a_session_moved_twice_names_every_earlier_time_and_a_new_place(client):
    """Moved 23.12 12:00 -> 13:30 (she was given that letter), then to Voss: the new letter named 12:00 only, and
    said "new time" of a session now 100 km away."""
    from guidance.services import plan_edits

    w = f.world()
    referral, day = _ukrainian(w)
    session = db.session.scalar(select(Session).where(Session.participants.any(referral_id=referral.id)))
    referral.earliest_date = day - dt.timedelta(days=7)
    voss = f.centre(town="4621")
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    plan_edits.move_published_session(w.lead, session, start=dt.datetime.combine(day, dt.time(10, 30)),
                                      room_id=session.room_id, counsellor_id=session.counsellor_id,
                                      interpreter_id=session.interpreter_id, interpreter_mode="video")
    f.login(client, w.referrer)
    norwegian = " ".join(_pages(client.get(f"/referrals/{referral.id}/letters.pdf"))[0].split())
    assert "Ny tid " in norwegian and "ny stad" not in norwegian   # same place: the time only

    voss_room = voss.locations[0].rooms[0]
    plan_edits.move_published_session(w.lead, db.session.get(Session, session.id),
                                      start=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(13, 0)),
                                      room_id=voss_room.id, counsellor_id=session.counsellor_id,
                                      interpreter_id=session.interpreter_id, interpreter_mode="video")
    norwegian, ukrainian = (" ".join(p.split()) for p in _pages(client.get(f"/referrals/{referral.id}/letters.pdf")))
    first, second = f"{day.strftime('%d.%m.%Y')} 09:00", f"{day.strftime('%d.%m.%Y')} 10:30"
    assert f"erstattar brevet om {first} / {second}" in norwegian, norwegian
    assert "Ny tid og ny stad" in norwegian and "Karrieresenter Voss" in norwegian
    assert first in ukrainian and second in ukrainian and "Новий час і місце" in ukrainian


def test_a_long_letter_stays_on_its_sheet_and_each_participants_letters_start_a_sheet(client):
    """A moved Kurmanji letter with a centre's 389-character directions spilled two lines onto a page of their own,
    and in the municipality's file the next participant's Norwegian letter printed on its back."""
    from guidance.services import plan_edits

    w = f.world()
    berivan = _booked(w, "Berivan Aydin", "kmr")
    location = db.session.scalar(select(Location).order_by(Location.id))
    location.directions = ("Ta bybanen til Byparken og gå ned Kaigaten mot Bryggen. Inngangen er i bakgården bak "
                           "det gule bygget, ved sykkelstativene; ring på ringeklokka merket Karrieresenteret og vent i "
                           "resepsjonen i andre etasje. Heisen er til venstre for trappa. Parkering for bevegelses"
                           "hemmede er i Kaigaten 6. Spør i skranken på biblioteket om du ikke finner fram. Kommer du med buss, gå av "
                           "ved Bergen busstasjon og følg skiltene mot sentrum i om lag ti minutter.")
    db.session.commit()
    session = db.session.scalar(select(Session).where(Session.participants.any(referral_id=berivan.id)))
    for hour in (10, 12):
        plan_edits.move_published_session(w.lead, db.session.get(Session, session.id),
                                          start=dt.datetime.combine(session.start.date(), dt.time(hour, 30)),
                                          room_id=session.room_id, counsellor_id=session.counsellor_id,
                                          interpreter_id=None, interpreter_mode="onsite")
    lingala = _booked(w, "Grace Mbuyi", "ln")     # Norwegian only: one page
    f.login(client, w.referrer)
    assert len(_pages(client.get(f"/referrals/{berivan.id}/letters.pdf"))) == 2   # one sheet, both sides
    pages = _pages(client.get(f"/municipalities/{w.referrer.municipality_id}/letters.pdf"))
    starts = [i for i, page in enumerate(pages) if "Innkalling til karriererettleiing" in page]
    assert len(starts) == 2 and all(i % 2 == 0 for i in starts), starts   # each on the front of a sheet
    assert any(lingala.reference in page for page in pages)


def test_the_referral_page_says_when_the_letters_language_is_not_checked_by_a_translator(client, tmp_path, monkeypatch):
    """Every catalogue but Norwegian is marked NOT YET REVIEWED, and the referrer handed the letters over unaware."""
    import shutil

    from guidance.services import letters

    w = f.world()
    arabic = _booked(w, "Lina Haddad", "ar")
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{arabic.id}").get_data(as_text=True)
    assert 'id="letter-unreviewed"' in page and "Siden på arabisk i brevet er ikke kontrollert" in page
    # A translator's review removes the mark from the catalogue: the note goes.
    for po in letters.CATALOGUES.glob("*.po"):
        shutil.copy(po, tmp_path / po.name)
    reviewed = tmp_path / "ar.po"
    reviewed.write_text("".join(line for line in reviewed.read_text(encoding="utf-8").splitlines(keepends=True)
                                if "NOT YET REVIEWED" not in line), encoding="utf-8")
    monkeypatch.setattr(letters, "CATALOGUES", tmp_path)
    assert 'id="letter-unreviewed"' not in client.get(f"/referrals/{arabic.id}").get_data(as_text=True)


def test_a_booking_at_the_cancelled_time_in_another_town_says_it_replaces_the_old_letter(client):
    """Re-booked at the same hour at Voss: the new letter had no "replaces" line, and the participant held two letters
    for one time in two towns."""
    from guidance.services.interpreter_bookings.changes import cancel_session

    w = f.world()
    referral, day = _ukrainian(w)
    first = db.session.scalar(select(Session).where(Session.participants.any(referral_id=referral.id)))
    cancel_session(w.lead, first, reason="counsellor_unavailable")
    voss = f.centre(town="4621")
    again = f.published_session(w.counsellor, referral, start=first.start)
    again.location, again.room = voss.locations[0], voss.locations[0].rooms[0]
    db.session.commit()
    f.login(client, w.referrer)
    norwegian = " ".join(_pages(client.get(f"/referrals/{referral.id}/letters.pdf"))[0].split())
    assert f"Ny tid og ny stad Dette brevet erstattar brevet om {day.strftime('%d.%m.%Y')} 09:00" in norwegian, norwegian
    assert "Karrieresenter Voss" in norwegian


def test_the_referrals_history_names_the_towns_of_a_move_to_another_place(client):
    """"From Thu 17 Dec 12:30 to Fri 11 Dec 08:00" hid that the session went from Bergen to Voss."""
    import html

    from guidance.services import plan_edits

    w = f.world()
    referral, day = _ukrainian(w)
    session = db.session.scalar(select(Session).where(Session.participants.any(referral_id=referral.id)))
    voss = f.centre(town="4621")
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    plan_edits.move_published_session(w.lead, session, start=dt.datetime.combine(day, dt.time(13, 0)),
                                      room_id=voss.locations[0].rooms[0].id, counsellor_id=session.counsellor_id,
                                      interpreter_id=session.interpreter_id, interpreter_mode="video")
    f.login(client, w.referrer)
    page = html.unescape(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    history = " ".join(page[page.index("<h2>Historikk</h2>"):].split())
    assert "Fra Karrieresenter Bergen til Karrieresenter Voss" in history, history[:1500]
