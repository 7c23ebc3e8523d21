"""Every page that shows a session's time shows Oslo's wall clock, in winter (UTC+1) and summer (UTC+2).

A session at 09:00 in Oslo is stored as 08:00 UTC in January and 07:00 UTC in June; a page that
reads the stored instant as local, or a local text as UTC, shows 08:00/07:00 or 10:00/11:00.
"""
import datetime as dt
import json
import re

import pytest

from guidance.extensions import db
from guidance.models import Absence, BookingStatus, Session
from guidance.planning import ids
from guidance.services import bookings
from tests.app import factories as f
from tests.app.planning.helpers import draft_run, draft_session

SEASONS = {
    # (session day, a day some weeks before it: "today" for the test)
    "winter": (dt.date(2027, 1, 18), dt.date(2027, 1, 4)),
    "summer": (dt.date(2027, 6, 14), dt.date(2027, 6, 1)),
}


@pytest.fixture(params=sorted(SEASONS))
def season(request, travel_to):
    day, today = SEASONS[request.param]
    travel_to(f.oslo(today.year, today.month, today.day, 12))
    return day


def _shows_nine(page: str) -> None:
    """The session's start reads 09:00 and no wrongly shifted hour appears next to it."""
    assert "09:00" in page
    for wrong in ("07:00", "08:00", "10:00", "11:00"):
        assert wrong not in page, f"{wrong} shown for a session at 09:00 Oslo time"


def _nine(day: dt.date) -> dt.datetime:
    return f.oslo(day.year, day.month, day.day, 9, 0)


def _published(w, day, *, interpreter=False):
    return f.published_session(w.counsellor, w.own_referral, start=_nine(day),
                               interpreter=w.interpreter if interpreter else None)


def test_changes_against_the_published_plan_show_oslo_times(client, season):
    w = f.world()
    run = draft_run(w.lead, today=season - dt.timedelta(days=7))
    session = draft_session(run, w.counsellor, [w.own_referral], start=_nine(season))
    from guidance.planning.instance import session_dict

    run.plan_json = json.dumps({"format": "guidance-plan/1", "sessions": [session_dict(session)],
                                "unscheduled": [], "stats": {}})
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/planning/runs/{run.id}/changes").get_data(as_text=True)
    assert w.own_referral.reference in page
    _shows_nine(page)


def test_the_run_sessions_page_and_the_edit_form_show_oslo_times(client, season):
    w = f.world()
    run = draft_run(w.lead, today=season - dt.timedelta(days=7))
    session = draft_session(run, w.counsellor, [w.own_referral], start=_nine(season))
    f.login(client, w.lead)
    page = client.get(f"/planning/runs/{run.id}/sessions?week={season.isoformat()}").get_data(as_text=True)
    assert w.own_referral.reference in page
    assert "09:00–10:30" in page
    _shows_nine(page.replace("10:30", ""))
    edit = client.get(f"/planning/sessions/{session.id}/edit").get_data(as_text=True)
    assert 'value="09:00"' in edit
    _shows_nine(edit)


def test_the_cancel_page_and_the_absence_page_show_oslo_times(client, season):
    w = f.world()
    session = _published(w, season)
    absence = Absence(user_id=w.counsellor.id, start_date=season, end_date=season)
    db.session.add(absence)
    db.session.commit()
    f.login(client, w.lead)
    cancel = client.get(f"/planning/sessions/{session.id}/cancel").get_data(as_text=True)
    assert "09:00–10:30" in cancel
    _shows_nine(cancel.replace("10:30", ""))
    page = client.get(f"/planning/absences/{absence.id}").get_data(as_text=True)
    _shows_nine(page)


def test_the_counsellors_week_day_and_session_pages_show_oslo_times(client, season):
    w = f.world()
    session = _published(w, season)
    f.login(client, w.counsellor)
    year, week, _weekday = season.isocalendar()
    for url in (f"/week/{year}/{week}", f"/week/day/{season.isoformat()}", f"/week/sessions/{session.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "09:00" in page and "10:30" in page, url
        _shows_nine(page.replace("10:30", ""))


def test_the_referral_page_shows_the_session_in_oslo_time(client, season):
    w = f.world()
    _published(w, season)
    f.login(client, w.lead)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    # The referral's history lists when things were recorded (at noon on "today"); the session line is ours.
    line = re.search(r"[^\n]*Rom 1[^\n]*|[^\n]*" + re.escape(f"{season.day}.") + r"[^\n]*09:00[^\n]*", page)
    assert line is not None and "09:00" in line.group(0)
    assert not re.search(r"(07|08|10|11):00, " + re.escape(_location_name(w)), page)


def _location_name(w) -> str:
    from sqlalchemy import select

    from guidance.models import Location

    return db.session.scalar(select(Location).order_by(Location.id)).name


def test_the_interpreters_pages_and_the_leads_bookings_page_show_oslo_times(client, season):
    w = f.world()
    session = _published(w, season, interpreter=True)
    booking = bookings.new_booking(session)
    db.session.commit()
    f.login(client, w.interpreter)
    for url in ("/bookings/", f"/bookings/{booking.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "09:00" in page and "10:30" in page, url
        # The answer deadline is another instant on the page; the session's own times are what we pin (the list's
        # "what the centre has on record" gives the weekly hours, 08:00–16:00, which are wall-clock settings).
        page = page.split('id="my-terms"')[0]
        assert not re.search(r"(07|08|10|11):00–", page), url
    client.post("/logout")
    booking.status = BookingStatus.DECLINED
    booking.decline_reason = "busy"
    db.session.commit()
    f.login(client, w.lead)
    page = client.get("/centre/interpreters/").get_data(as_text=True)
    assert re.search(r"\b09:00, ", page)
    assert not re.search(r"\b(07|08|10|11):00, ", page)


def test_a_naive_datetime_never_reaches_a_date_formatter(app):
    from flask import render_template_string

    with app.test_request_context():
        with pytest.raises(TypeError):
            render_template_string("{{ when | datetime('short') }}", when=dt.datetime(2027, 1, 18, 9, 0))
        aware = ids.to_utc(dt.datetime(2027, 6, 14, 9, 0))
        assert render_template_string("{{ when | time }}", when=aware) == "09:00"
