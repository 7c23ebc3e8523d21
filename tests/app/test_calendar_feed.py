"""The calendar subscription feed and .ics downloads: standard, stable, private."""
import datetime as dt
import html
import re

import icalendar
import pytest
import vobject

from guidance.extensions import db
from guidance.models import SessionStatus
from guidance.services import calendar as cal
from tests.app import factories as f


@pytest.fixture
def today(travel_to):
    """The feed's window is relative to today; pin it so the test data stays inside."""
    day = dt.date(2027, 3, 1)
    travel_to(dt.datetime(2027, 3, 1, 11, 0, tzinfo=dt.timezone.utc))
    return day


def _subscribe(client, counsellor, says: str | None = None) -> str:
    f.login(client, counsellor)
    page = client.post("/week/calendar/token", follow_redirects=True).get_data(as_text=True)
    if says is not None:
        assert says in html.unescape(page)
    https = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    assert f'href="webcal://{https.split("://", 1)[1]}"' in page
    # Shown once: reloading the page shows no address and makes no new one.
    again = client.get("/week/calendar").get_data(as_text=True)
    assert https not in again and not re.search(r'value="(http[^"]+\.ics)"', again)
    return "/" + https.split("://", 1)[1].split("/", 1)[1]


def _strict_icalendar(body: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(body)
    assert all(not component.errors for component in calendar.walk()), [c.errors for c in calendar.walk()]
    return calendar


def _vobject(body: bytes):
    """A second, independent parser: vobject reads and validates the text on its own."""
    parsed = vobject.readOne(body.decode("utf-8"), validate=True)
    return {str(event.uid.value): event for event in parsed.vevent_list}


def test_feed_parses_with_two_parsers_and_keeps_oslo_time_across_daylight_saving(client, today):
    w = f.world()
    before = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 26, 9))
    after = f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 3, 29, 9))
    url = _subscribe(client, w.counsellor)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.data

    calendar = _strict_icalendar(body)
    timezones = calendar.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Oslo"]
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert events[before.uid].decoded("DTSTART").utcoffset() == dt.timedelta(hours=1)
    assert events[after.uid].decoded("DTSTART").utcoffset() == dt.timedelta(hours=2)
    assert events[before.uid]["DTSTART"].params["TZID"] == "Europe/Oslo"

    second = _vobject(body)
    assert set(second) == {before.uid, after.uid}
    assert second[before.uid].dtstart.value.utcoffset() == dt.timedelta(hours=1)
    assert second[after.uid].dtstart.value.utcoffset() == dt.timedelta(hours=2)
    assert second[after.uid].dtstart.value.astimezone(dt.timezone.utc).hour == 7
    assert second[before.uid].dtend.value - second[before.uid].dtstart.value == dt.timedelta(minutes=90)


def test_feed_holds_references_and_a_link_but_no_names_or_phones(client, today):
    w = f.world()
    session = f.published_session(w.counsellor, [w.own_referral, w.other_referral], start=f.oslo(2027, 3, 3, 10),
                                  type="group", interpreter=w.interpreter, room_name="Grupperom")
    body = client.get(_subscribe(client, w.counsellor)).get_data(as_text=True)
    unfolded = body.replace("\r\n ", "")
    assert w.own_referral.reference in unfolded and w.other_referral.reference in unfolded
    assert f"/week/sessions/{session.id}" in unfolded
    for personal in ("Amal Haddad", "Yonas Tesfay", "Amal", "Haddad", "400 00 000", w.interpreter.name):
        assert personal not in unfolded


def test_sequence_rises_and_etag_changes_when_a_session_changes(client, today):
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 3, 10))
    url = _subscribe(client, w.counsellor)
    first = client.get(url)
    event = _strict_icalendar(first.data).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 0 and str(event["UID"]) == session.uid

    session.start, session.end = f.oslo(2027, 3, 4, 12), f.oslo(2027, 3, 4, 13, 30)
    cal.bump_sequence(session)
    db.session.commit()
    second = client.get(url)
    event = _strict_icalendar(second.data).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1 and str(event["UID"]) == session.uid
    assert event.decoded("DTSTART") == f.oslo(2027, 3, 4, 12)
    assert second.headers["ETag"] != first.headers["ETag"]


def test_cancelled_session_stays_in_the_feed_as_cancelled(client, today):
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 3, 10))
    url = _subscribe(client, w.counsellor)
    session.status = SessionStatus.CANCELLED
    cal.bump_sequence(session)
    db.session.commit()
    events = _vobject(client.get(url).data)
    assert events[session.uid].status.value == "CANCELLED"
    assert int(events[session.uid].sequence.value) == 1
    # In the title as well: calendar apps that ignore STATUS showed it as any other session.
    assert events[session.uid].summary.value.startswith("Avlyst: Individuell veiledning")


def test_an_interpreter_asked_but_not_yet_confirmed_is_said_so_in_the_counsellors_calendar(client, today):
    """The feed said "Tolk: arabisk (video)" while the app said the interpreter was only asked."""
    from guidance.services import bookings

    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 3, 10),
                                  interpreter=w.interpreter, interpreter_mode="video", language="ar")
    booking = bookings.new_booking(session)
    db.session.commit()
    url = _subscribe(client, w.counsellor)
    said = _vobject(client.get(url).data)[session.uid].description.value
    assert "Tolk: Arabisk (video), spurt, men ikke bekreftet ennå" in said, said
    bookings.answer(w.interpreter, booking, True)
    db.session.commit()
    said = _vobject(client.get(url).data)[session.uid].description.value
    assert "Tolk: Arabisk (video)" in said and "ikke bekreftet" not in said, said


def test_unchanged_feed_answers_304_to_its_etag(client, today):
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 3, 10))
    url = _subscribe(client, w.counsellor)
    etag = client.get(url).headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_a_new_address_stops_the_old_one_and_only_a_hash_is_stored(client, today):
    w = f.world()
    # the first address replaces nothing, so it does not say that older ones stopped
    old = _subscribe(client, w.counsellor, says="Kalenderadressen din er klar.")
    new = _subscribe(client, w.counsellor, says="Adresser du har laget før, virker ikke lenger.")
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    token = new.rsplit("/", 1)[1].removesuffix(".ics")
    db.session.refresh(w.counsellor)
    assert w.counsellor.calendar_token_hash and token not in w.counsellor.calendar_token_hash


def test_switching_the_address_off_stops_the_feed(client, today):
    w = f.world()
    url = _subscribe(client, w.counsellor)
    client.post("/week/calendar/revoke")
    assert client.get(url).status_code == 404


def test_feed_of_a_deactivated_user_stops(client, today):
    w = f.world()
    url = _subscribe(client, w.counsellor)
    w.counsellor.active = False
    db.session.commit()
    assert client.get(url).status_code == 404


def test_feed_covers_the_past_30_and_next_180_days(client, today):
    w = f.world()
    inside = [f.published_session(w.counsellor, f.referral(), start=f.oslo(2027, 1, 31, 9)),
              f.published_session(w.counsellor, f.referral(), start=f.oslo(2027, 8, 27, 9))]
    outside = [f.published_session(w.counsellor, f.referral(), start=f.oslo(2027, 1, 29, 9)),
               f.published_session(w.counsellor, f.referral(), start=f.oslo(2027, 8, 30, 9))]
    events = _vobject(client.get(_subscribe(client, w.counsellor)).data)
    assert set(events) == {s.uid for s in inside}
    assert not {s.uid for s in outside} & set(events)


def test_feed_is_rate_limited(app, client, today):
    app.config["CALENDAR_FEED_RATE_LIMIT"] = "3 per minute"
    w = f.world()
    url = _subscribe(client, w.counsellor)
    statuses = [client.get(url).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_week_and_session_downloads_are_valid_calendars(client, today):
    w = f.world()
    first = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 2, 9))
    second = f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 3, 4, 13))
    f.login(client, w.counsellor)
    week = client.get("/week/2027/9.ics")
    assert week.mimetype == "text/calendar" and "attachment" in week.headers["Content-Disposition"]
    assert set(_vobject(week.data)) == {first.uid, second.uid}
    one = client.get(f"/week/sessions/{first.id}.ics")
    assert set(_vobject(one.data)) == {first.uid}
    assert "Amal Haddad" not in one.get_data(as_text=True)
