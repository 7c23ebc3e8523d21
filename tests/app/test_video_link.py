"""A counsellor's video meeting room: typed once on their profile, it reaches everyone who joins a video
session by video — the participant's letter, the referrer's notice, the interpreter's request and the
calendars — instead of "the counsellor sends the link"."""
import pytest
import io

import icalendar
from pypdf import PdfReader
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Location
from guidance.services import calendar as cal
from guidance.services.interpreter_bookings import requests
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

LINK = "https://meet.example.no/kari-nordmann"


def _video_session(w, *, mode="video", interpreter_mode="video"):
    day = f.future_weekday(3)
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 9),
                                  interpreter=w.interpreter, interpreter_mode=interpreter_mode, language="ar")
    session.mode = mode
    db.session.commit()
    return session


def test_the_lead_saves_a_link_and_it_is_shown_on_the_form_again(client):
    w = f.world()
    f.login(client, w.lead)
    profile = w.counsellor.counsellor
    location = db.session.scalar(select(Location).order_by(Location.id))
    data = {"name": w.counsellor.name, "email": w.counsellor.email, "multicultural": "y", "languages": ["nb", "en"],
            "location_ids": [str(location.id)], "max_sessions_per_day": "4", "video_link": f"  {LINK}  ",
            **{f"day{d}_start": "08:00" for d in range(1, 6)}, **{f"day{d}_end": "15:30" for d in range(1, 6)}}
    assert client.post(f"/people/counsellors/{profile.id}", data=data).status_code == 302
    db.session.expire_all()
    assert w.counsellor.counsellor.video_link == LINK
    assert f'value="{LINK}"' in client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)


def test_the_calendar_of_a_video_session_holds_the_link_and_an_onsite_one_does_not(app):
    w = f.world()
    w.counsellor.counsellor.video_link = LINK
    video = _video_session(w)
    day = f.future_weekday(4)
    onsite = f.published_session(w.counsellor, w.other_referral, start=f.oslo(day.year, day.month, day.day, 9))
    body = cal.build_calendar([video, onsite], lambda s: "https://veiled.example.no/s")
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    assert f"Videomøte: {LINK}" in str(events[video.uid]["DESCRIPTION"])
    assert LINK not in str(events[onsite.uid]["DESCRIPTION"])
    from guidance.services import notices

    assert notices._place(video) == f"videomøte {LINK}"  # the referrer's notice of the booking
    # The feed remembers each event's text: a changed link is a changed event.
    w.counsellor.counsellor.video_link = "https://meet.example.no/nytt-rom"
    db.session.commit()
    again = icalendar.Calendar.from_ical(cal.build_calendar([video], lambda s: "https://veiled.example.no/s"))
    assert "nytt-rom" in str(again.walk("VEVENT")[0]["DESCRIPTION"])


def test_an_interpreter_by_video_gets_the_link_in_the_request(app):
    w = f.world()
    w.counsellor.counsellor.video_link = LINK
    session = _video_session(w, mode="onsite", interpreter_mode="video")  # participant on site, interpreter by video
    booking = requests.new_booking(session)
    db.session.commit()
    assert requests.where_to_be(booking, session) == (
        f"På video: gå inn i karriereveilederens møterom når timen begynner: {LINK}")
    w.counsellor.counsellor.video_link = None
    assert "sender deg lenken til møtet" in requests.where_to_be(booking, session)


def test_the_participants_letter_gives_the_link_in_both_languages(client):
    w = f.world()
    w.counsellor.counsellor.video_link = LINK
    w.own_referral.referred_by = w.referrer
    _video_session(w)
    f.login(client, w.referrer)
    response = client.get(f"/referrals/{w.own_referral.id}/letters.pdf")
    pages = ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.data)).pages]
    assert len(pages) == 2
    assert all(LINK in page for page in pages)
    assert "Timenerpåvideo" in pages[0]


def test_the_interpreters_booking_page_says_how_they_take_part(client):
    w = f.world()
    w.counsellor.counsellor.video_link = LINK
    by_video = _video_session(w, mode="onsite", interpreter_mode="video")
    video_booking = requests.new_booking(by_video)
    location = by_video.location
    location.address, location.directions = "Kaigaten 4, 5015 Bergen", "Inngang fra Kaigaten."
    day = f.future_weekday(5)
    on_site = f.published_session(w.counsellor, w.other_referral, start=f.oslo(day.year, day.month, day.day, 9),
                                  interpreter=w.interpreter, interpreter_mode="onsite", language="ar")
    site_booking = requests.new_booking(on_site)
    db.session.commit()
    f.login(client, w.interpreter)
    page = client.get(f"/bookings/{video_booking.id}").get_data(as_text=True)
    assert "Slik deltar du" in page and LINK in page
    page = client.get(f"/bookings/{site_booking.id}").get_data(as_text=True)
    assert "Adresse: Kaigaten 4, 5015 Bergen<br>" in page and "Inngang fra Kaigaten." in page and LINK not in page


def test_an_interpreter_by_phone_has_a_number_to_call_if_the_call_does_not_come(app):
    """"The counsellor calls you": if nobody did, the interpreter had no number to call."""
    w = f.world()
    session = _video_session(w, mode="onsite", interpreter_mode="phone")
    booking = requests.new_booking(session)
    w.counsellor.phone = "+47 902 12 114"
    db.session.commit()
    said = requests.where_to_be(booking, session)
    assert said.startswith("På telefon: karriereveilederen ringer deg") and "ring +47 902 12 114." in said
    w.counsellor.phone = None
    session.location.centre.phone = "+47 55 30 60 00"
    assert "ring +47 55 30 60 00." in requests.where_to_be(booking, session)
