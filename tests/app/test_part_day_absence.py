"""An absence of some hours (the dentist 10:00-12:00): only the sessions it overlaps are hit, the rest
of the day stays plannable for the planner, the interpreter bookings and the pages. Before, an absence
was whole days: a counsellor away two hours lost the whole day's sessions, or was not registered at all."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Absence, BookingStatus, InterpreterBooking, OutboxMessage, Role
from guidance.planning import InstanceOptions, build_instance, ids
from guidance.services import bookings
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms and pages over a few inserts: nothing a second database decides

SUMMER_MONDAY = f.oslo(2027, 6, 7, 12)  # summer time (UTC+2)
DENTIST_DAY = dt.date(2027, 6, 15)  # a Tuesday
WINTER_MONDAY = f.oslo(2027, 1, 4, 12)  # winter time (UTC+1)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return f.oslo(day.year, day.month, day.day, hour, minute)


def part_day(user, day: dt.date, start: tuple[int, int], end: tuple[int, int]) -> Absence:
    absence = Absence(user_id=user.id, start_date=day, end_date=day, away_from=at(day, *start).astimezone(dt.UTC),
                      away_until=at(day, *end).astimezone(dt.UTC))
    db.session.add(absence)
    db.session.commit()
    return absence


def test_a_counsellor_reports_two_hours_and_only_the_session_they_overlap_is_hit(client, travel_to):
    travel_to(SUMMER_MONDAY)
    w = f.world()
    overlapped = f.published_session(w.counsellor, w.own_referral, start=at(DENTIST_DAY, 9))  # 09:00-10:30
    afternoon = f.published_session(w.counsellor, w.other_referral, start=at(DENTIST_DAY, 13))
    f.login(client, w.counsellor)
    form = page(client, "/week/absence")
    assert "Borte bare noen timer av dagen?" in form and 'type="time"' in form

    response = client.post("/week/absence", data={"start_date": DENTIST_DAY.isoformat(),
                                                   "end_date": DENTIST_DAY.isoformat(),
                                                   "from_time": "10:00", "until_time": "12:00"},
                           follow_redirects=True)
    assert "1 av de bookede timene dine er berørt" in response.get_data(as_text=True)
    absence = db.session.scalar(select(Absence))
    # Stored as instants: 10:00 Oslo in June is 08:00 UTC.
    assert absence.away_from == dt.datetime(2027, 6, 15, 8, 0, tzinfo=dt.UTC)
    assert absence.away_until == dt.datetime(2027, 6, 15, 10, 0, tzinfo=dt.UTC)
    (mail,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.lead.id)).all()
    assert "15. juni 2027, 10:00–12:00" in mail.body and "1 booket time er berørt" in mail.body
    assert "10:00" not in mail.subject

    # The counsellor's week says which hours; the day is not marked away as a whole.
    week = page(client, "/week/2027/24")
    assert "Du er registrert borte 10:00–12:00." in week
    assert "Du er registrert som borte." not in week
    # The session the hours hit is marked in the list; the afternoon one is not.
    marked = "Du er borte da: senteret flytter timen eller gir den til en kollega."
    assert week.count(marked) == 1
    assert week.index(marked) < week.index(afternoon.participants[0].referral.reference)

    lead = client.application.test_client()
    f.login(lead, w.lead)
    listed = page(lead, f"/planning/absences/{absence.id}")
    assert "15. juni 2027, 10:00–12:00" in listed
    assert overlapped.participants[0].referral.reference in listed
    assert afternoon.participants[0].referral.reference not in listed


def test_the_hours_are_checked_and_a_refused_form_keeps_what_was_typed(client, travel_to):
    travel_to(SUMMER_MONDAY)
    w = f.world()
    f.login(client, w.lead)
    day = DENTIST_DAY.isoformat()

    def post(**data) -> str:
        response = client.post("/planning/absences", data={"user_id": w.counsellor.id, "start_date": day,
                                                           "end_date": day, "reason": "", **data})
        assert response.status_code == 400
        return html.unescape(response.get_data(as_text=True))

    one_time = post(from_time="10:00")
    assert "Gi begge klokkeslettene for en del av en dag" in one_time and 'value="10:00"' in one_time
    backwards = post(from_time="12:00", until_time="10:00")
    assert "Fraværet må slutte etter at det begynner." in backwards
    two_days = post(end_date=(DENTIST_DAY + dt.timedelta(days=1)).isoformat(), from_time="10:00", until_time="12:00")
    assert "Fravær på noen timer gjelder én dag" in two_days
    # A time the form cannot read and days the wrong way round: both said in one round, not one by one.
    both = post(end_date=(DENTIST_DAY - dt.timedelta(days=1)).isoformat(), from_time="25:99", until_time="12:00")
    assert "Siste dag kan ikke være før første dag." in both and 'value="25:99"' in both
    assert 'id="from_time-error"' in both and 'id="end_date-error"' in both
    assert db.session.scalar(select(Absence)) is None

    assert client.post("/planning/absences", data={"user_id": w.counsellor.id, "start_date": day, "end_date": day,
                                                   "from_time": "10:00", "until_time": "12:00",
                                                   "reason": ""}).status_code == 302
    listed = page(client, "/planning/absences")
    assert re.search(r"15\. juni 2027, 10:00–12:00", listed)


def test_an_hour_that_does_not_exist_the_night_summer_time_starts_is_refused_on_its_field(client, travel_to):
    """02:15-02:45 on 28 March 2027 was kept as 03:15-03:45, and a later absence was refused over a time nobody
    had typed."""
    travel_to(f.oslo(2027, 3, 24, 9))
    w = f.world()
    f.login(client, w.counsellor)
    response = client.post("/week/absence", data={"start_date": "2027-03-28", "end_date": "2027-03-28",
                                                  "from_time": "02:15", "until_time": "02:45", "reason": ""})
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and db.session.scalar(select(Absence)) is None
    assert "Klokka 02:15 finnes ikke 28. mars 2027: klokka stilles en time fram den natta." in text
    assert 'id="from_time-error"' in text and 'value="02:15"' in text


def test_the_lead_cannot_register_an_absence_over_one_already_registered(client, travel_to):
    """The counsellor reported the dentist; the lead, told by phone, registers the whole day: refused with
    the absence already there named, and nothing written (one absence, one line on the lists)."""
    travel_to(SUMMER_MONDAY)
    w = f.world()
    part_day(w.counsellor, DENTIST_DAY, (10, 0), (12, 0))
    f.login(client, w.lead)
    day = DENTIST_DAY.isoformat()
    refused = client.post("/planning/absences", data={"user_id": w.counsellor.id, "start_date": day,
                                                      "end_date": (DENTIST_DAY + dt.timedelta(days=2)).isoformat(),
                                                      "reason": "Syk"})
    assert refused.status_code == 400
    text = html.unescape(refused.get_data(as_text=True))
    assert f"15. juni 2027, 10:00–12:00, er allerede registrert på {w.counsellor.name}" in text
    assert 'value="Syk"' in text  # what the lead typed is kept
    assert len(db.session.scalars(select(Absence)).all()) == 1
    later = (DENTIST_DAY + dt.timedelta(days=1)).isoformat()  # the days after are not covered yet
    assert client.post("/planning/absences", data={"user_id": w.counsellor.id, "start_date": later,
                                                   "end_date": later, "reason": ""}).status_code == 302
    assert len(db.session.scalars(select(Absence)).all()) == 2


def test_two_part_day_absences_on_one_day_may_stand_but_not_overlap_a_whole_day(client, travel_to):
    travel_to(SUMMER_MONDAY)
    w = f.world()
    f.login(client, w.counsellor)
    day = DENTIST_DAY.isoformat()

    def report(**data):
        return client.post("/week/absence", data={"start_date": day, "end_date": day, **data})

    assert report(from_time="08:00", until_time="09:00").status_code == 302
    assert report(from_time="14:00", until_time="15:00").status_code == 302
    clash = report(from_time="08:30", until_time="10:00")
    assert clash.status_code == 400 and "15. juni 2027, 08:00–09:00, er allerede registrert på deg" in \
        html.unescape(clash.get_data(as_text=True))
    whole = report()
    assert whole.status_code == 400
    assert len(db.session.scalars(select(Absence)).all()) == 2


def test_the_planner_keeps_the_hours_busy_and_the_rest_of_the_day_free(app, travel_to):
    travel_to(SUMMER_MONDAY)
    w = f.world()
    part_day(w.counsellor, DENTIST_DAY, (10, 0), (12, 0))
    part_day(w.interpreter, DENTIST_DAY, (13, 30), (15, 0))
    data = build_instance(w.lead.county, InstanceOptions(today=SUMMER_MONDAY.date()))
    counsellor = next(c for c in data["counsellors"] if c["id"] == ids.counsellor_id(w.counsellor.counsellor.id))
    interpreter = next(i for i in data["interpreters"] if i["id"] == ids.interpreter_id(w.interpreter.interpreter.id))
    assert counsellor["busy"] == [["2027-06-15T10:00", "2027-06-15T12:00"]]  # Oslo wall clock, as the format writes
    assert counsellor["absences"] == []
    assert interpreter["busy"] == [["2027-06-15T13:30", "2027-06-15T15:00"]]
    assert interpreter["absences"] == []


def test_an_interpreter_away_some_hours_gives_back_only_the_bookings_then_and_is_offered_the_rest(app, travel_to):
    travel_to(SUMMER_MONDAY)
    w = f.world()
    morning = f.published_session(w.counsellor, w.own_referral, start=at(DENTIST_DAY, 9), interpreter=w.interpreter)
    afternoon = f.published_session(w.counsellor, w.other_referral, start=at(DENTIST_DAY, 13),
                                    interpreter=w.interpreter)
    for session in (morning, afternoon):
        bookings.answer(w.interpreter, bookings.new_booking(session), True)
    db.session.commit()
    from guidance.services.absences import report_own_absence

    report_own_absence(w.interpreter, start=DENTIST_DAY, end=DENTIST_DAY, hours=(dt.time(8, 0), dt.time(11, 0)))
    status = {b.session_id: (b.status, b.decline_reason) for b in db.session.scalars(select(InterpreterBooking))}
    assert status == {morning.id: (BookingStatus.DECLINED, "Borte på dette tidspunktet (fravær registrert)."),
                      afternoon.id: (BookingStatus.ACCEPTED, None)}

    from guidance.services.interpreter_bookings.availability import Availability

    # Two more sessions in their language, to ask whether the interpreter is free for them.
    earlier = f.published_session(w.counsellor, f.referral(name="Early Person"), start=at(DENTIST_DAY, 10, 0),
                                  minutes=60, interpreter=w.interpreter)
    later = f.published_session(w.counsellor, f.referral(name="Later Person"), start=at(DENTIST_DAY, 11, 30),
                                minutes=60, interpreter=w.interpreter)
    county = w.lead.county
    free = Availability(county, [later, earlier])
    profile = w.interpreter.interpreter
    assert not free.free(profile, earlier)  # 10:00-11:00 overlaps the hours away (08:00-11:00)
    assert free.free(profile, later)  # 11:30-12:30 does not


def test_the_day_plan_and_the_week_grid_show_the_hours_away(client, travel_to):
    travel_to(WINTER_MONDAY)
    w = f.world()
    day = dt.date(2027, 1, 12)
    overlapped = f.published_session(w.counsellor, w.own_referral, start=at(day, 11))  # 11:00-12:30
    clear = f.published_session(w.counsellor, w.other_referral, start=at(day, 13))
    part_day(w.counsellor, day, (12, 0), (13, 0))
    f.login(client, w.lead)

    plan = page(client, "/grids/day?date=2027-01-12")
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<tr id="(session-\d+)">(.*?)</tr>', plan, re.S)}
    assert "Karriereveileder borte" in rows[f"session-{overlapped.id}"]
    assert "borte" not in rows[f"session-{clear.id}"]
    assert f"{w.counsellor.name} (12:00–13:00)" in plan

    grid = page(client, f"/grids/?week=2027-W02&of=counsellor-{w.counsellor.counsellor.id}")
    assert re.search(r'class="grid-away[^"]*"><span class="grid-free-label">Borte</span> 12:00–13:00', grid)
    assert '<p class="grid-unavailable">Borte</p>' not in grid  # the day itself is not away
    assert "Ledig</span> 12:30" not in grid  # no free time inside the hours away
