"""Moving one session of the published plan: checked against the published plan, each broken rule
named on its field in the lead's words; a move updates calendars, re-asks the interpreter, is audited."""
import datetime as dt
import html

import pytest
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import Absence, AuditEvent, BookingStatus, InterpreterBooking, OutboxMessage, Referral, Role, Session
from guidance.planning import ids
from guidance.services import bookings
from tests.app import factories as f
from tests.app.planning.helpers import planning_world

pytestmark = pytest.mark.one_database  # the solver decides these; the PostgreSQL pass keeps publishing, runs in the queue and the bridge's queries (test_publish, test_safe_publish, test_jobs, test_bridge)

EN = {"Accept-Language": "en"}
MONDAY = dt.date(2027, 1, 25)


@pytest.fixture
def world(travel_to):
    travel_to(f.oslo(2027, 1, 13, 12))  # a Wednesday, twelve days before the session
    return planning_world()


def _published(w, *, day=MONDAY, hour=9, interpreter=True, counsellor=None, referral=None, room_name="Rom 1"):
    session = f.published_session(counsellor or w.counsellor, referral or w.own_referral,
                                  start=f.oslo(day.year, day.month, day.day, hour),
                                  interpreter=w.interpreter if interpreter else None, room_name=room_name)
    if interpreter:
        booking = bookings.new_booking(session)
        bookings.transition(None, booking, "accept")
        db.session.commit()
    return session


def _move(client, session, *, day, time, room_id=None, counsellor_id=None, interpreter_id=None, mode=None,
          headers=EN, **extra):
    return client.post(f"/planning/sessions/{session.id}/edit", headers=headers, data={
        "day": day.isoformat(), "start_time": time, "room_id": room_id or session.room_id,
        "counsellor_id": counsellor_id or session.counsellor_id,
        "interpreter_id": session.interpreter_id or 0 if interpreter_id is None else interpreter_id,
        "interpreter_mode": mode or session.interpreter_mode or "onsite", **extra})


def _field_error(page: str, field: str) -> str:
    start = page.index(f'id="{field}-error"')
    return html.unescape(page[start:page.index("</p>", start)])


def test_a_published_session_moves_updates_the_calendars_re_asks_the_interpreter_and_is_audited(client, world):
    w = world
    session = _published(w)
    sequence, booking = session.sequence, session.bookings[0]
    booking_sequence = booking.sequence
    f.login(client, w.lead, language="en")
    assert "Move a booked session" in client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True)

    response = _move(client, session, day=MONDAY + dt.timedelta(days=1), time="13:00")

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    moved = db.session.get(Session, session.id)
    assert ids.to_local(moved.start) == dt.datetime(2027, 1, 26, 13, 0) and moved.pinned
    assert moved.sequence > sequence
    booking = db.session.get(InterpreterBooking, booking.id)
    assert booking.status is BookingStatus.REQUESTED and booking.sequence > booking_sequence
    assert booking.answer_deadline < moved.start
    request = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.interpreter.id)
                                 .order_by(OutboxMessage.id.desc())).first()
    assert "26.01.2027 13:00" in request.subject and "METHOD:REQUEST" in request.ics
    assert f"SEQUENCE:{booking.sequence}" in request.ics
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "session.moved")).one()
    assert audit.object_id == session.id and audit.actor_id == w.lead.id
    assert "Amal" not in (audit.detail or "")
    history = client.get(f"/referrals/{w.own_referral.id}", headers=EN).get_data(as_text=True)
    assert "Session moved by the centre" in history and "From Mon 25 Jan 2027, 09:00 to Tue 26 Jan 2027, 13:00" in history
    client.post("/logout")
    f.login(client, w.counsellor, language="en")
    week = client.get("/week/2027/4").get_data(as_text=True)
    assert "13:00" in week and "09:00" not in week


def test_an_absent_counsellor_is_named_with_the_dates_of_the_absence(client, world):
    w = world
    hanne = f.user(Role.COUNSELLOR, name="Hanne Vik")
    hanne.counsellor.locations = list(w.counsellor.counsellor.locations)
    db.session.add(Absence(user_id=hanne.id, start_date=dt.date(2027, 1, 26), end_date=dt.date(2027, 1, 27)))
    db.session.commit()
    session = _published(w)
    f.login(client, w.lead, language="en")

    response = _move(client, session, day=dt.date(2027, 1, 26), time="09:00", counsellor_id=hanne.counsellor.id)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Hanne Vik is absent 26–27 Jan 2027" in _field_error(page, "counsellor_id")
    # Only the rule that is broken, never the list of every possible cause.
    assert "cannot take it" not in page and "opening hours" not in page
    assert 'value="2027-01-26"' in page
    db.session.expire_all()
    assert db.session.get(Session, session.id).counsellor_id == w.counsellor.counsellor.id


def test_a_counsellor_away_some_hours_is_named_with_the_hours_and_the_rest_of_the_day_is_free(client, world):
    w = world
    hanne = f.user(Role.COUNSELLOR, name="Hanne Vik")
    hanne.counsellor.locations = list(w.counsellor.counsellor.locations)
    day = dt.date(2027, 1, 26)
    db.session.add(Absence(user_id=hanne.id, start_date=day, end_date=day,
                           away_from=f.oslo(2027, 1, 26, 10).astimezone(dt.UTC),
                           away_until=f.oslo(2027, 1, 26, 12).astimezone(dt.UTC)))
    db.session.commit()
    session = _published(w)
    f.login(client, w.lead, language="en")

    refused = _move(client, session, day=day, time="09:00", counsellor_id=hanne.counsellor.id)  # 09:00-10:30
    assert refused.status_code == 400
    assert "Hanne Vik cannot take a session 10:00–12:00: away then" in _field_error(
        refused.get_data(as_text=True), "counsellor_id")
    moved = _move(client, session, day=day, time="12:00", counsellor_id=hanne.counsellor.id)
    assert moved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Session, session.id).counsellor_id == hanne.counsellor.id


def test_a_room_taken_by_another_session_is_named_with_its_time(client, world):
    w = world
    colleague = f.user(Role.COUNSELLOR)
    colleague.counsellor.locations = list(w.counsellor.counsellor.locations)
    db.session.commit()
    _published(w, day=dt.date(2027, 1, 26), counsellor=colleague, referral=w.other_referral, interpreter=False)
    session = _published(w)
    f.login(client, w.lead, language="en")

    response = _move(client, session, day=dt.date(2027, 1, 26), time="09:30")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Rom 1 is taken 09:00–10:30 by another session." in _field_error(page, "room_id")
    db.session.expire_all()
    assert ids.to_local(db.session.get(Session, session.id).start) == dt.datetime(2027, 1, 25, 9, 0)


def test_a_time_outside_the_opening_hours_and_a_passed_deadline_are_named_on_their_fields(client, world):
    w = world
    w.own_referral.deadline = dt.date(2027, 2, 3)
    db.session.commit()
    session = _published(w, interpreter=False)
    f.login(client, w.lead, language="en")

    late = _move(client, session, day=MONDAY, time="15:00").get_data(as_text=True)
    assert "outside the location's opening hours (08:00–16:00)" in _field_error(late, "start_time")

    # After the deadline is the lead's call, said and confirmed (it was refused, with no way on but to cancel: the
    # participant who could not come before a deadline tomorrow could not be moved at all).
    after_deadline = _move(client, session, day=dt.date(2027, 2, 8), time="09:00").get_data(as_text=True)
    said = _field_error(after_deadline, "confirm_late")
    assert "8 February 2027 is after the deadline of" in said and "(3 February 2027)" in said, said
    assert 'id="day-error"' not in after_deadline
    assert db.session.get(Session, session.id).start.date() != dt.date(2027, 2, 8)
    moved = _move(client, session, day=dt.date(2027, 2, 8), time="09:00", confirm_late="y")
    assert moved.status_code == 302, _field_error(moved.get_data(as_text=True), "confirm_late")
    db.session.expire_all()
    assert ids.to_local(db.session.get(Session, session.id).start) == dt.datetime(2027, 2, 8, 9, 0)


def test_a_from_date_after_the_deadline_gives_times_after_it_marked(client, world):
    """The lead chose "from 14 December" for a participant whose deadline was the 12th: the page said no time fit
    "the days and time of day you chose", which the lead had never set."""
    import re

    w = world
    w.own_referral.deadline = dt.date(2027, 2, 3)
    db.session.commit()
    session = _published(w, interpreter=False)
    f.login(client, w.lead, language="en")
    page = html.unescape(client.get(f"/planning/sessions/{session.id}/edit?from_date=2027-02-08", headers=EN)
                         .get_data(as_text=True))
    section = page[page.index('id="options-heading"'):page.index("Or choose a time yourself")]
    days = re.findall(r'name="day" value="([^"]+)"', section)
    assert days and all(day >= "2027-02-08" for day in days) and "After the deadline" in section, section[:1500]
    assert "the days and time of day you chose" not in page


def test_a_session_moved_past_the_deadline_after_a_first_session_in_time_needs_no_confirmation(client, world):
    """The deadline is kept by the first guidance (the referral page and the reports count it so): moving the
    participant's second session past it asked the lead to confirm that "the deadline is missed"."""
    w = world
    w.own_referral.deadline = dt.date(2027, 2, 3)
    db.session.commit()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 27, 10), type="group",
                        room_name="Grupperom")
    session = _published(w, interpreter=False)
    f.login(client, w.lead, language="en")
    moved = _move(client, session, day=dt.date(2027, 2, 8), time="09:00")
    assert moved.status_code == 302, _field_error(moved.get_data(as_text=True), "confirm_late")
    db.session.expire_all()
    assert ids.to_local(db.session.get(Session, session.id).start) == dt.datetime(2027, 2, 8, 9, 0)


def test_a_later_plan_keeps_a_session_the_lead_booked_past_the_deadline(app, world):
    """With the deadline still binding, the next plan could not keep the lead's booking past it, and publishing
    would have cancelled the session: the bridge reads the participant as overdue from the deadline (first
    guidance) or stretches the deadline to that day (first guidance in time)."""
    from guidance.planning import InstanceOptions, build_instance

    w = world
    w.own_referral.deadline = dt.date(2027, 2, 3)
    w.other_referral.deadline = dt.date(2027, 2, 3)
    w.other_referral.needs = ["individual", "group"]
    db.session.commit()
    _published(w, day=dt.date(2027, 2, 8), interpreter=False)
    f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 27, 10), type="group",
                        room_name="Grupperom")
    f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 2, 9, 10))
    instance = build_instance(w.lead.county, InstanceOptions.for_one_booking(w.lead.county, ids.local_today()))
    by_id = {p["id"]: p for p in instance["participants"]}
    first = by_id[ids.participant_id(w.own_referral.id)]
    assert (first["deadline"], first.get("overdue_since")) == (None, "2027-02-03")
    second = by_id[ids.participant_id(w.other_referral.id)]
    assert second["deadline"] == "2027-02-09" and not second.get("overdue_since")


def test_a_clash_with_the_counsellors_session_elsewhere_names_where_it_is(client, world):
    """"Ingrid has another session 10:30–12:00" was at the outreach office in Alver, not in the week the lead was
    looking at: it read as a false clash."""
    from guidance.models import Location

    w = world
    f.centre(town="4621")
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    voss = db.session.scalar(select(Location).where(Location.name == "Karrieresenter Voss"))
    elsewhere = f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 25, 13))
    elsewhere.location, elsewhere.room = voss, voss.rooms[0]
    db.session.commit()
    session = _published(w, interpreter=False)
    f.login(client, w.lead, language="en")
    said = _field_error(_move(client, session, day=MONDAY, time="13:00").get_data(as_text=True), "counsellor_id")
    assert "has another session 13:00–14:30 at Karrieresenter Voss" in said, said


def test_a_time_typed_the_norwegian_way_is_read(client, world):
    """"9.30" was refused with "Enter the time as HH:MM": letters and timetables write times so."""
    session = _published(world, interpreter=False)
    f.login(client, world.lead, language="en")
    moved = _move(client, session, day=MONDAY, time="kl. 13.30")
    assert moved.status_code == 302, _field_error(moved.get_data(as_text=True), "start_time")
    db.session.expire_all()
    assert ids.to_local(db.session.get(Session, session.id).start) == dt.datetime(2027, 1, 25, 13, 30)


def test_a_day_that_has_passed_is_named_in_the_same_round_as_a_time_that_cannot_be_read(client, world):
    """The walk: "25:99" on a day last week was refused for the time alone; once the time was mended the
    form came back a second time for the day."""
    w = world
    session = _published(w, interpreter=False)
    f.login(client, w.lead, language="en")
    page = _move(client, session, day=dt.date(2027, 1, 11), time="25:99").get_data(as_text=True)
    assert "Enter the time as HH:MM" in _field_error(page, "start_time")
    assert "Choose a time that has not passed." in _field_error(page, "day")
    today_bad_time = _move(client, session, day=dt.date(2027, 1, 13), time="25:99").get_data(as_text=True)
    assert 'id="day-error"' not in today_bad_time   # today itself may still have times ahead


def test_the_refusal_is_in_norwegian_for_a_norwegian_lead(client, world):
    w = world
    session = _published(w, interpreter=False)
    f.login(client, w.lead)
    saturday = dt.date(2027, 1, 30)
    page = _move(client, session, day=saturday, time="09:00", headers={"Accept-Language": "nb"}).get_data(as_text=True)
    assert "30. jan. 2027 er ikke en arbeidsdag." in _field_error(page, "day")


def test_moving_to_another_interpreter_cancels_the_first_and_asks_the_second(client, world):
    w = world
    second = f.user(Role.INTERPRETER, name="Sara Nilsen")
    session = _published(w)
    first_booking = session.bookings[0]
    f.login(client, w.lead, language="en")

    response = _move(client, session, day=MONDAY, time="11:00", interpreter_id=second.interpreter.id)

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(InterpreterBooking, first_booking.id).status is BookingStatus.CANCELLED
    new = db.session.scalars(select(InterpreterBooking).where(InterpreterBooking.interpreter_id == second.interpreter.id)).one()
    assert new.status is BookingStatus.REQUESTED and new.session_id == session.id
    cancel = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.interpreter.id)
                                .order_by(OutboxMessage.id.desc())).first()
    assert "METHOD:CANCEL" in cancel.ics
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == second.id)).first() is not None


def test_the_replaced_interpreter_is_told_the_time_they_accepted_and_paid_when_it_is_late(client, world, travel_to):
    """The walk: the old interpreter got "Cancelled: interpreting" on the new day (never theirs), and a
    cancellation 37 hours before the accepted time cost nothing in the budget."""
    w = world
    second = f.user(Role.INTERPRETER, name="Sara Nilsen")
    session = _published(w)  # Monday 25 January 09:00, accepted
    first_booking = session.bookings[0]
    travel_to(f.oslo(2027, 1, 23, 20))  # Saturday evening: 37 hours before, inside the county's 48
    f.login(client, w.lead, language="en")

    # Asked first: taking the interpreter off now is paid (the cancel page said so; the move did not).
    refused = _move(client, session, day=MONDAY + dt.timedelta(days=2), time="11:00",
                    interpreter_id=second.interpreter.id)
    assert refused.status_code == 400 and 'id="confirm_paid-error"' in refused.get_data(as_text=True)
    response = _move(client, session, day=MONDAY + dt.timedelta(days=2), time="11:00",
                     interpreter_id=second.interpreter.id, confirm_paid="y")

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    first_booking = db.session.get(InterpreterBooking, first_booking.id)
    assert first_booking.status is BookingStatus.CANCELLED
    assert first_booking.actual_cost_ore > 0  # billed: the budget counts what the interpreter is paid
    assert first_booking.actual_minutes == first_booking.billed_minutes
    cancel = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.interpreter.id)
                                .order_by(OutboxMessage.id.desc())).first()
    assert "25.01.2027 09:00" in cancel.subject and "27.01.2027" not in cancel.subject + cancel.body
    assert "du får betalt for bestilt tid" in cancel.body  # in the interpreter's language
    assert "DTSTART;TZID=Europe/Oslo:20270125T090000" in cancel.ics
    request = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == second.id)).one()
    assert "27.01.2027 11:00" in request.subject


def test_a_session_that_has_started_cannot_be_moved(client, world, travel_to):
    w = world
    session = _published(w, interpreter=False)
    travel_to(f.oslo(2027, 1, 25, 9, 30))
    f.login(client, w.lead, language="en")
    # Said when the form is opened, not after it was filled in; the lead lands on the session's day plan.
    opened = client.get(f"/planning/sessions/{session.id}/edit", headers=EN)
    assert opened.status_code == 302 and opened.location.endswith("/grids/day?date=2027-01-25")
    response = _move(client, session, day=dt.date(2027, 1, 26), time="09:00")
    assert response.status_code == 302
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "has started or is over" in page
    db.session.expire_all()
    assert db.session.get(Session, session.id).start == f.oslo(2027, 1, 25, 9)


def test_a_replaced_session_opens_as_it_stands_in_the_later_plan(client, world):
    """A link from an older page opened the move form of a session a later plan had published again: the
    engine's suggestions failed (a traceback in the log) and sending it was refused."""
    from guidance.services import planning as planning_service
    from tests.app.planning.helpers import draft_run, draft_session

    w = world
    session = _published(w, interpreter=False)
    later = draft_run(w.lead)
    kept = draft_session(later, w.counsellor, [w.own_referral], start=session.start, uid=session.uid)
    planning_service.publish_run(w.lead, later, confirm_stale=True)
    f.login(client, w.lead, language="en")
    opened = client.get(f"/planning/sessions/{session.id}/edit?back=/", headers=EN)
    assert opened.status_code == 302 and f"/planning/sessions/{kept.id}/edit" in opened.location
    assert "back=" in opened.location
    page = client.get(opened.location, headers=EN).get_data(as_text=True)
    assert "published this session again" in page and "Move a booked session" in page


# The planning engine's suggestions (solver.recommend) are shown as one-click choices.

def test_suggested_times_move_the_session_in_one_click(client, world):
    w = world
    session = _published(w)
    f.login(client, w.lead, language="en")
    page = client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True)
    assert "Suggested times" in page and "Move here" in page
    # The first option's button posts its values; the move is checked again and saved.
    import re

    button = page.index("Move here")
    form = page[page.rindex("<form", 0, button):button]
    values = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
    values.pop("csrf_token", None)
    response = client.post(f"/planning/sessions/{session.id}/edit", headers=EN, data=values)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    moved = ids.to_local(db.session.get(Session, session.id).start)
    day, time = values["day"], values["start_time"]
    assert (moved.date().isoformat(), moved.strftime("%H:%M")) == (day, time)


def _suggestions(page: str) -> list[str]:
    """Each suggested time's line, as the lead reads it."""
    import re

    part = page[page.index("Suggested times"):page.index("Or choose a time yourself")]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
            for item in re.findall(r"<li>(.*?)</li>", part, flags=re.S)]


def test_suggested_times_keep_the_interpreter_who_accepted_over_a_cheaper_one(client, world):
    w = world
    cheaper = f.user(Role.INTERPRETER, name="Billig Tolk")   # Arabic, as the world's interpreter
    cheaper.interpreter.hourly_rate_ore = 50000
    db.session.commit()
    session = _published(w)   # Amal's interpreter has accepted
    booked = w.interpreter.name
    f.login(client, w.lead, language="en")
    lines = _suggestions(client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True))
    # At its own time only the interpreter can change (for when they cannot come), and the line says
    # what that costs; at every other time the interpreter who accepted comes along.
    same_time = [line for line in lines if line.startswith("Monday 25 January 2027, 09:00")]
    other_times = [line for line in lines if line not in same_time]
    # How the interpreter takes part is said too (a suggestion booked by phone read as in the room).
    assert other_times and all(line.count("interpreter") == 1 and f"interpreter {booked} (on site)" in line
                               for line in other_times), lines
    assert all(f"interpreter Billig Tolk (on site) instead of {booked}, whose booking is cancelled" in line
               for line in same_time), lines

    # Away from today for a month: every time is with the other interpreter, and each line says so.
    db.session.add(Absence(user_id=w.interpreter.id, start_date=dt.date(2027, 1, 13), end_date=dt.date(2027, 2, 12)))
    db.session.commit()
    lines = _suggestions(client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True))
    assert lines and all(f"interpreter Billig Tolk (on site) instead of {booked}, whose booking is cancelled" in line
                         for line in lines), lines


def test_suggested_times_keep_to_the_days_and_hours_the_participant_can_come(client, world):
    import re

    w = world
    session = _published(w)
    f.login(client, w.lead, language="en")
    url = f"/planning/sessions/{session.id}/edit?from_date=2027-01-27&part_of_day=afternoon"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "When can the participant come?" in page and "Show every free time" in page
    assert "from 27 January 2027 on as you chose" in html.unescape(page)
    moves = [dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', page[page.rindex("<form", 0, i):i]))
             for i in (m.start() for m in re.finditer("Move here", page))]
    assert moves
    assert all(m["day"] >= "2027-01-27" and m["start_time"] >= "12:00" for m in moves), moves

    page = client.get(f"/planning/sessions/{session.id}/edit?part_of_day=morning&from_date=2027-01-27",
                      headers=EN).get_data(as_text=True)
    mornings = re.findall(r'name="start_time" value="(\d\d:\d\d)"', page)[:-1]   # the last: the form's own
    assert mornings and all(s < "12:00" for s in mornings), mornings

    # Wednesdays and Thursdays only (a referrer's "onsdager og torsdager"): the boxes stay ticked.
    page = client.get(f"/planning/sessions/{session.id}/edit?weekdays=3&weekdays=4", headers=EN).get_data(as_text=True)
    days = [dt.date.fromisoformat(d) for d in re.findall(r'name="day" value="(\d{4}-\d\d-\d\d)"', page)[:-1]]
    assert days and all(d.isoweekday() in (3, 4) for d in days), days
    assert re.search(r'<input[^>]*checked[^>]*name="weekdays"[^>]*value="3"|<input[^>]*name="weekdays"[^>]*value="3"[^>]*checked', page)


def test_the_suggested_times_read_in_date_order_with_the_engines_first_choice_marked(client, world, monkeypatch):
    """The engine ranks its suggestions (fewest changes, travel and cost first); listed in that order the
    dates jumped (17, 18, 21, 22 December, then the 9th), and a lead reads times by date."""
    import re

    from guidance.services import plan_edits

    w = world
    session = _published(w)
    real = plan_edits.move_options

    def reversed_rank(*args, **kwargs):   # the engine's ranking, its best placed last in time
        found = real(*args, **kwargs)
        options = sorted(found.options, key=lambda o: o["start"], reverse=True)
        for o in options:
            o.pop("best", None)
        options[0]["best"] = True
        return found._replace(options=options)

    monkeypatch.setattr(plan_edits, "move_options", reversed_rank)
    f.login(client, w.lead, language="en")
    page = client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True)
    section = page[page.index('id="options-heading"'):page.index("Or choose a time yourself")]
    shown = [(d, t) for d, t in zip(re.findall(r'name="day" value="([^"]+)"', section),
                                    re.findall(r'name="start_time" value="([^"]+)"', section))]
    assert len(shown) > 1 and shown == sorted(shown), shown
    mark = 'tag-green">Best fit'
    best = section[section.index(mark):]
    assert re.search(r'name="day" value="([^"]+)"', section[:section.index(mark)]) is not None
    assert shown[-1][1] in best[:400] and section.count(mark) == 1
    # The mark is explained once, above the list: the lead could not tell what made a time the best.
    assert "“Best fit” is the time the planner ranks first" in section


def test_without_suggestions_the_form_is_the_way_to_move(client, world, monkeypatch):
    w = world
    session = _published(w)
    f.login(client, w.lead, language="en")

    def broken(instance, session, top=5, **wish):
        raise RuntimeError("engine down")

    monkeypatch.setattr("solver.recommend.recommend", broken)
    page = client.get(f"/planning/sessions/{session.id}/edit", headers=EN)
    assert page.status_code == 200 and "Suggested times" not in page.get_data(as_text=True)
    assert 'name="start_time"' in page.get_data(as_text=True)


def test_the_published_plans_sessions_page_offers_move_for_booked_sessions_ahead(client, travel_to):
    from guidance.services import planning as planning_service
    from tests.app.planning.helpers import solved_run

    travel_to(f.oslo(2027, 1, 8, 12))
    w = planning_world()
    run = solved_run(w.lead)
    planning_service.publish_run(w.lead, run)
    session = db.session.scalars(select(Session).where(Session.run_id == run.id)).first()
    f.login(client, w.lead, language="en")
    week = ids.to_local(session.start).date().isoformat()
    page = client.get(f"/planning/runs/{run.id}/sessions?week={week}", headers=EN).get_data(as_text=True)
    assert f'href="/planning/sessions/{session.id}/edit">Move' in page


def test_the_interpreter_choice_names_their_languages_in_the_page_language(client, world):
    """'Amal Khalil (Arabisk)', not '(ar)': a lead moving a session reads language names."""
    import re

    w = world
    session = _published(w)
    f.login(client, w.lead)
    page = client.get(f"/planning/sessions/{session.id}/edit").get_data(as_text=True)
    choices = page[page.index('<select id="interpreter_id"'):]
    choices = choices[:choices.index("</select>")]
    [shown] = re.findall(rf'<option[^>]*value="{w.interpreter.interpreter.id}"[^>]*>([^<]+)</option>', choices)
    assert shown == f"{w.interpreter.name} (Arabisk)", shown


def test_only_a_move_that_changes_the_interpreters_booking_says_they_are_asked_again(client, world):
    w = world
    colleague = f.user(Role.COUNSELLOR, name="Hanne Vik")
    colleague.counsellor.locations = list(w.counsellor.counsellor.locations)
    db.session.commit()
    session = _published(w)
    booking = session.bookings[0]
    f.login(client, w.lead, language="en")

    # Another counsellor, same time, place and way of interpreting: the interpreter's answer stands.
    response = _move(client, session, day=MONDAY, time="09:00", counsellor_id=colleague.counsellor.id)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = html.unescape(client.get(response.headers["Location"], headers=EN).get_data(as_text=True))
    assert "The session is given to Hanne Vik at the same time." in page
    assert "interpreter is asked again" not in page
    db.session.expire_all()
    assert db.session.get(InterpreterBooking, booking.id).status is BookingStatus.ACCEPTED

    # A new time: the interpreter is asked again, and the lead is told so.
    response = _move(client, db.session.get(Session, session.id), day=MONDAY, time="13:00")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = html.unescape(client.get(response.headers["Location"], headers=EN).get_data(as_text=True))
    assert "The counsellor's calendar is updated and the interpreter is asked again." in page
    # Where it went, in words (the lead is asked to tell the participant, perhaps from another week's page).
    assert f"The session is moved to Monday {MONDAY.day} January 2027, 13:00, Karrieresenter Bergen." in page


def test_another_interpreter_at_the_same_time_is_not_called_a_move(client, world):
    """"Timen er flyttet" for a new interpreter at the same time: the lead read that the time had gone."""
    w = world
    second = f.user(Role.INTERPRETER, name="Sara Nilsen")
    session = _published(w)
    f.login(client, w.lead, language="en")
    response = _move(client, session, day=MONDAY, time="09:00", interpreter_id=second.interpreter.id)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = html.unescape(client.get(response.headers["Location"], headers=EN).get_data(as_text=True))
    assert "The session keeps its time and room" in page and "The interpreter is asked." in page
    assert "The session is moved" not in page
    # Nor is the counsellor told "Moved: to the same time"; they hear of the interpreter when one accepts.
    from guidance.models import Notice

    assert not db.session.scalars(select(Notice).where(Notice.user_id == w.counsellor.id)).all()


# The county's minimum notice: letters must reach the participant before a new time.

def _suggested_days(page: str) -> list[dt.date]:
    import re

    return [dt.date.fromisoformat(day) for day in re.findall(r'name="day" value="(\d{4}-\d\d-\d\d)"', page)]


def test_suggested_times_keep_the_countys_notice_and_say_from_when(client, world):
    w = world
    w.lead.county.publish_notice_days = 8      # from Wednesday 13 January: the eighth working day is Monday 25th
    db.session.commit()
    session = _published(w, day=MONDAY + dt.timedelta(days=2))
    f.login(client, w.lead, language="en")

    page = client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True)

    days = _suggested_days(page[page.index("Suggested times"):page.index("Or choose a time yourself")])
    assert days and min(days) >= MONDAY, days
    assert "from 25 January 2027 on" in html.unescape(page)


def test_a_move_inside_the_notice_asks_for_confirmation_then_is_saved_with_a_warning(client, world):
    w = world
    session = _published(w)
    f.login(client, w.lead, language="en")
    tomorrow = dt.date(2027, 1, 14)   # the notice: 3 working days, new times from Monday 18th

    refused = _move(client, session, day=tomorrow, time="13:00")

    assert refused.status_code == 400
    message = _field_error(refused.get_data(as_text=True), "confirm_soon")
    assert "14 January 2027 is sooner than the county's notice (new times from 18 January 2027)" in message
    # Said on the field and listed in the summary, not a third time as a flash.
    assert html.unescape(refused.get_data(as_text=True)).count("is sooner than the county's notice") == 2
    db.session.expire_all()
    assert ids.to_local(db.session.get(Session, session.id).start) == dt.datetime(2027, 1, 25, 9, 0)
    # A time that also breaks a rule says both in one round (the box was ticked, then the rule came).
    both = html.unescape(_move(client, session, day=tomorrow, time="13:10").get_data(as_text=True))
    assert "is sooner than the county's notice" in both and "Start on the quarter hour, for example 09:15." in both

    response = client.post(f"/planning/sessions/{session.id}/edit", headers=EN, data={
        "day": tomorrow.isoformat(), "start_time": "13:00", "room_id": session.room_id,
        "counsellor_id": session.counsellor_id, "interpreter_id": session.interpreter_id or 0,
        "interpreter_mode": session.interpreter_mode or "onsite", "confirm_soon": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "sooner than the county's notice" in html.unescape(page)
    # One owner for the call: the lead (the referrer's page says the centre phones).
    assert "Phone the participant, with an interpreter if they need one" in html.unescape(page)
    # A later time within the notice rules is moved without a question or a warning.
    response = _move(client, session, day=MONDAY, time="13:00")
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert response.status_code == 302 and "sooner than the county's notice" not in html.unescape(page)


def test_saving_the_move_form_unchanged_moves_nothing_and_tells_nobody(client, world):
    w = world
    session = _published(w)
    before = (session.sequence, session.pinned)
    mails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    f.login(client, w.lead, language="en")
    response = client.post(f"/planning/sessions/{session.id}/edit", headers=EN, data={
        "day": MONDAY.isoformat(), "start_time": "09:00", "room_id": session.room_id,
        "counsellor_id": session.counsellor_id, "interpreter_id": session.interpreter_id,
        "interpreter_mode": session.interpreter_mode})
    assert response.status_code == 302
    assert "Nothing was changed." in client.get(response.location, headers=EN).get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(Session, session.id)
    assert (again.sequence, again.pinned) == before
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == mails
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.moved")) is None


def test_a_session_today_whose_counsellor_fell_ill_is_given_to_a_free_colleague_in_one_click(client, world,
                                                                                                 travel_to):
    """08:40 on the day: the counsellor of the 13:00 session calls in sick. The page offers the colleagues
    who work there then (not the one who is away too); giving it keeps time, room and interpreter."""
    w = world
    wednesday = dt.date(2027, 1, 13)
    session = _published(w, day=wednesday, hour=13)
    per = f.user(Role.COUNSELLOR, name="Per Aas")
    away = f.user(Role.COUNSELLOR, name="Anne Berg")
    for colleague in (per, away):
        colleague.counsellor.locations = list(w.counsellor.counsellor.locations)
    db.session.add_all([Absence(user_id=w.counsellor.id, start_date=wednesday, end_date=wednesday),
                        Absence(user_id=away.id, start_date=wednesday, end_date=wednesday)])
    db.session.commit()
    travel_to(f.oslo(2027, 1, 13, 8, 40))
    f.login(client, w.lead, language="en")

    page = html.unescape(client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True))
    assert "Give it to a colleague at the same time" in page
    assert "Give to Per Aas" in page and "Give to Anne Berg" not in page
    # The colleague who cannot is named with why, in the lead's words.
    assert "Why 1 colleague cannot" in page
    start = page.index("Why 1 colleague cannot")
    refused = page[start:page.index("</details>", start)]
    assert "Anne Berg is absent" in refused and "Anne Berg</bdi>: Anne Berg" not in refused, refused
    assert "Suggested times" in page  # or a new time after the notice (the engine knows today's sessions)
    button = page.index("Give to Per Aas")
    form = page[page.rindex("<form", 0, button):button]
    import re

    values = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
    values.pop("csrf_token", None)
    assert (values["day"], values["start_time"]) == ("2027-01-13", "13:00")
    response = client.post(f"/planning/sessions/{session.id}/edit", headers=EN, data=values)

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert "The session is given to Per Aas at the same time" in html.unescape(
        client.get(response.headers["Location"], headers=EN).get_data(as_text=True))
    db.session.expire_all()
    given = db.session.get(Session, session.id)
    assert given.counsellor_id == per.counsellor.id
    assert ids.to_local(given.start) == dt.datetime(2027, 1, 13, 13, 0)
    assert given.interpreter_id == w.interpreter.interpreter.id
    assert given.bookings[0].status is BookingStatus.ACCEPTED  # the interpreter's yes stands
    # The first counsellor's e-mail and calendar still link the session: it says what became of it, not "not found";
    # a counsellor never told of it gets nothing.
    client.post("/logout")
    f.login(client, w.counsellor, language="en")
    gone = client.get(f"/week/sessions/{session.id}", headers=EN)
    assert gone.status_code == 410 and "This session is no longer yours" in gone.get_data(as_text=True)
    assert "Amal" not in gone.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "access.refused",
                                                      AuditEvent.object_id == session.id)) is not None
    client.post("/logout")
    f.login(client, away, language="en")
    assert client.get(f"/week/sessions/{session.id}", headers=EN).status_code == 404


def test_the_absence_page_gives_each_session_to_a_free_colleague_and_comes_back(client, world, travel_to):
    w = world
    monday = MONDAY
    first = _published(w, day=monday, hour=9)
    second = _published(w, day=monday, hour=13, referral=f.referral(name="Lina Haddad", language="ar"))
    per = f.user(Role.COUNSELLOR, name="Per Aas")
    per.counsellor.locations = list(w.counsellor.counsellor.locations)
    absence = Absence(user_id=w.counsellor.id, start_date=monday, end_date=monday)
    db.session.add(absence)
    db.session.commit()
    f.login(client, w.lead, language="en")
    page = html.unescape(client.get(f"/planning/absences/{absence.id}", headers=EN).get_data(as_text=True))
    assert page.count("Give to Per Aas") == 2
    button = page.index("Give to Per Aas")
    form = page[page.rindex("<form", 0, button):button]
    import re

    action = re.search(r'action="([^"]+)"', form).group(1)
    values = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
    values.pop("csrf_token", None)
    response = client.post(action, headers=EN, data=values)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/planning/absences/{absence.id}")
    page = html.unescape(client.get(response.headers["Location"], headers=EN).get_data(as_text=True))
    assert "The session is given to Per Aas at the same time" in page
    db.session.expire_all()
    assert {db.session.get(Session, first.id).counsellor_id, db.session.get(Session, second.id).counsellor_id} \
        == {per.counsellor.id, w.counsellor.counsellor.id}


def test_a_session_whose_interpreter_declined_can_still_be_given_to_a_colleague(client, world):
    """The declined interpreter is the interpreter alert's business; the handover is not refused for it."""
    w = world
    session = _published(w, day=MONDAY, hour=9, interpreter=False)
    session.interpreter, session.interpreter_mode, session.language = w.interpreter.interpreter, "onsite", "ar"
    booking = bookings.new_booking(session)
    db.session.commit()
    bookings.answer(w.interpreter, booking, False, "Opptatt")
    per = f.user(Role.COUNSELLOR, name="Per Aas")
    per.counsellor.locations = list(w.counsellor.counsellor.locations)
    db.session.add(Absence(user_id=w.counsellor.id, start_date=MONDAY, end_date=MONDAY))
    db.session.commit()
    f.login(client, w.lead, language="en")
    page = html.unescape(client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True))
    assert "Give to Per Aas" in page
    response = _move(client, session, day=MONDAY, time="09:00", counsellor_id=per.counsellor.id)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    assert db.session.get(Session, session.id).counsellor_id == per.counsellor.id


def test_taking_away_the_interpreter_names_the_language_and_the_referral_it_leaves_uncovered(client, world):
    w = world
    session = _published(w)
    f.login(client, w.lead)   # in Norwegian
    response = _move(client, session, day=MONDAY, time="09:00", interpreter_id=0, headers={})
    assert response.status_code == 400
    message = " ".join(_field_error(response.get_data(as_text=True), "interpreter_id").split())
    assert f"snakker ikke arabisk, språket til {w.own_referral.reference}, og veiledningen har ingen tolk for det" \
        in message


def test_the_day_plan_gives_a_session_of_a_counsellor_away_to_a_free_colleague_and_comes_back(client, world):
    w = world
    session = _published(w, day=MONDAY, hour=9)
    per = f.user(Role.COUNSELLOR, name="Per Aas")
    per.counsellor.locations = list(w.counsellor.counsellor.locations)
    db.session.add(Absence(user_id=w.counsellor.id, start_date=MONDAY, end_date=MONDAY))
    db.session.commit()
    f.login(client, w.lead, language="en")
    day_url = f"/grids/day?date={MONDAY.isoformat()}&show=to_act_on"
    page = html.unescape(client.get(day_url, headers=EN).get_data(as_text=True))
    assert "Counsellor away" in page and page.count("Give to Per Aas") == 1
    import re

    # Its move page lists Per at the same time once, as a colleague, not again among the suggested times.
    move_page = html.unescape(client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True))
    suggestions = move_page[move_page.index("Suggested times"):move_page.index("Or choose a time yourself")]
    assert "Give to Per Aas" in move_page and "Move here" in suggestions
    assert "25 January 2027, 09:00" not in suggestions

    button = page.index("Give to Per Aas")
    form = page[page.rindex("<form", 0, button):button]
    values = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
    values.pop("csrf_token", None)
    response = client.post(re.search(r'action="([^"]+)"', form).group(1), headers=EN, data=values)
    assert response.status_code == 302 and response.headers["Location"].endswith(day_url)
    page = html.unescape(client.get(response.headers["Location"], headers=EN).get_data(as_text=True))
    assert "The session is given to Per Aas at the same time" in page and "Counsellor away" not in page
    db.session.expire_all()
    assert db.session.get(Session, session.id).counsellor_id == per.counsellor.id


def test_the_move_form_lists_the_counsellors_of_the_location_first_and_only_the_interpreters_of_the_language(client, world):
    import re

    w = world
    session = _published(w)
    per = f.user(Role.COUNSELLOR, name="Per Aas")
    per.counsellor.locations = list(w.counsellor.counsellor.locations)
    elsewhere = f.user(Role.COUNSELLOR, name="Anne Berg")  # works at no location of this session
    tigrinya = f.user(Role.INTERPRETER, name="Aaron Tesfay")
    tigrinya.interpreter.languages[0].language = "ti"
    db.session.commit()
    f.login(client, w.lead, language="en")
    page = html.unescape(client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True))
    select = re.search(r'<select[^>]*name="counsellor_id".*?</select>', page, re.S).group(0)
    here = re.search(r'<optgroup label="Work at ([^"]+)">(.*?)</optgroup>', select, re.S)
    assert here.group(1) == session.location.name
    assert "Per Aas" in here.group(2) and w.counsellor.name in here.group(2) and "Anne Berg" not in here.group(2)
    assert re.search(r'<optgroup label="Other counsellors">.*Anne Berg', select, re.S)
    interpreters = re.search(r'<select[^>]*name="interpreter_id".*?</select>', page, re.S).group(0)
    names = re.findall(r">([^<>]+)</option>", interpreters)
    # Arabic is the session's language: its interpreters only (a Tigrinya one was offered, and refused only
    # after the move was sent).
    assert names[0] == "No interpreter" and names[1].startswith(w.interpreter.name) and len(names) == 2, names


def test_moving_a_session_of_a_municipality_without_a_referrer_says_to_tell_the_participant(client, world):
    w = world
    askoy = f.referral(municipality_number="4627", name="Askøy Person")  # no referrer has an account there
    session = _published(w, referral=askoy, interpreter=False)
    f.login(client, w.lead, language="en")
    response = _move(client, session, day=MONDAY + dt.timedelta(days=1), time="10:00")
    assert response.status_code == 302
    page = html.unescape(client.get(response.headers["Location"], headers=EN).get_data(as_text=True))
    assert "The session is moved" in page
    assert f"Nobody is told of Askøy Person ({askoy.reference}, +47 400 00 000) in Veiled: the municipality" in page

    # A participant whose municipality has a referrer: the referrer is told, no warning.
    told = _published(w, hour=13, interpreter=False)
    response = _move(client, told, day=MONDAY + dt.timedelta(days=1), time="13:00")
    assert "Nobody is told" not in html.unescape(client.get(response.headers["Location"], headers=EN).get_data(as_text=True))


def test_the_move_page_says_whose_session_it_is_and_by_when(client, world):
    """The page named only the kind, time and place: the lead could not tell whose session it was, nor
    whether a time they had in mind broke the participant's deadline."""
    session = _published(world)
    f.login(client, world.lead)
    page = html.unescape(client.get(f"/planning/sessions/{session.id}/edit").get_data(as_text=True))
    facts = page[page.index('<dl class="facts">'):page.index("</dl>")]
    referral = world.own_referral
    assert world.counsellor.name in facts and world.interpreter.name in facts
    assert referral.participant.name in facts and referral.reference in facts
    assert f"frist {referral.deadline.day}. " in facts  # "frist 10. april 2027", in the page's language


def test_a_suggestion_at_another_location_says_the_participants_journey(client, world):
    """A Bergen group was offered Stord first, and the move page said nothing of the journey."""
    import re

    from guidance.models import Location

    w = world
    voss_person = f.referral(municipality_number="4621", name="Sara Voss", language="nb")
    voss = f.centre(town="4621")
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    session = _published(w, interpreter=False, referral=voss_person)   # in Bergen, 86 minutes from Voss
    f.login(client, w.lead, language="en")
    page = html.unescape(client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True))
    section = page[page.index('id="options-heading"'):]
    at_voss = re.findall(r"Karrieresenter Voss <strong class=\"tag tag-(\w+)\">participant's journey (\d+) min each way \(was (\d+)\)</strong>", section)
    assert at_voss and all(tag == "blue" and int(now) == 0 and int(was) > 60 for tag, now, was in at_voss), section[:2000]
    assert voss.name == "Karrieresenter Voss"


def test_a_group_suggestion_says_its_journey_is_the_longest_of_its_participants(client, world):
    """A group's tag read "participant's journey 86 min": the lead took it for everyone's."""
    import re

    from guidance.models import Location

    w = world
    voss_person = f.referral(municipality_number="4621", name="Sara Voss", language="nb")
    f.centre(town="4621")
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    session = f.published_session(w.counsellor, [voss_person, f.referral(name="Per Bergen", language="nb")],
                                  start=f.oslo(MONDAY.year, MONDAY.month, MONDAY.day, 9), type="group")
    f.login(client, w.lead, language="en")
    page = html.unescape(client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True))
    section = page[page.index('id="options-heading"'):]
    tags = re.findall(r'<strong class="tag tag-\w+">([^<]*journey[^<]*)</strong>', section)
    assert tags and all(t.startswith("longest journey of a participant ") for t in tags), tags


def test_the_absence_page_says_why_nobody_is_free_once_a_day_not_on_every_row(client, world):
    """A sick day empties a counsellor's four sessions, and the same colleague is full all day: the reasons
    were repeated on every row, and the lead read the same lines four times to find nothing new."""
    w = world
    _published(w, day=MONDAY, hour=9)
    _published(w, day=MONDAY, hour=13, referral=f.referral(name="Lina Haddad", language="ar"))
    per = f.user(Role.COUNSELLOR, name="Per Aas")
    per.counsellor.locations = list(w.counsellor.counsellor.locations)
    per.counsellor.multicultural = False
    absence = Absence(user_id=w.counsellor.id, start_date=MONDAY, end_date=MONDAY)
    db.session.add(absence)
    db.session.commit()
    f.login(client, w.lead, language="en")
    page = html.unescape(client.get(f"/planning/absences/{absence.id}", headers=EN).get_data(as_text=True))
    reason = "Per Aas has not completed the multicultural-guidance training"
    assert page.count(reason) == 1
    assert page.index("Mon 25 Jan 2027, 09:00") < page.index(reason) \
        < page.index("Nobody free then, for the reasons above")


def test_suggestions_further_from_home_come_after_the_nearer_ones_under_their_own_heading(client, world):
    """In date order the earliest free time was at Voss, 88 minutes from a Bergen participant's home, and the lead
    took the first suggestion for the best one."""
    import re

    from guidance.models import Location

    w = world
    f.centre(town="4621")
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    session = _published(w, interpreter=False)   # a Bergen participant in Bergen
    f.login(client, w.lead, language="en")
    page = html.unescape(client.get(f"/planning/sessions/{session.id}/edit?back=/", headers=EN).get_data(as_text=True))
    section = page[page.index('id="options-heading"'):page.index("Or choose a time yourself")]
    heading = section.index("Further to travel for the participant")
    places = [(m.start(), m.group(1)) for m in re.finditer(r": (Karrieresenter \w+)", section)]
    assert {p for _, p in places} == {"Karrieresenter Bergen", "Karrieresenter Voss"}, places
    assert all((at > heading) == (place == "Karrieresenter Voss") for at, place in places), places
    # Narrowing the times keeps the way back to where the lead came from.
    wish = page[page.index('class="wish"'):]
    assert '<input type="hidden" name="back" value="/">' in wish[:wish.index("</form>")]


def test_a_move_without_a_page_to_go_back_to_lands_on_the_day_plan_of_its_new_day(client, world):
    """Opened by its address, a move landed on the sessions of the run that first published it, where every row
    read "replaced by a newer plan"."""
    w = world
    session = _published(w)
    f.login(client, w.lead, language="en")
    response = _move(client, session, day=MONDAY, time="13:00")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/grids/day?date={MONDAY.isoformat()}")


def test_a_suggestion_the_engine_weighed_by_video_says_so_and_moving_there_makes_it_a_video_session(
        client, world, monkeypatch):
    """The engine may weigh a time elsewhere as video for a participant who can take video. The move kept the
    session on site, so the time the lead clicked was refused for the journey (or sent a Bergen participant to
    another town). Now the suggestion says "by video instead of on site", and moving there makes it a video
    session, which the referrer is told of (the new letter says video)."""
    import re

    from solver import recommend as engine

    from guidance.models import Location, Notice

    w = world
    f.centre(town="4621")
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    w.own_referral.participant.video_ok = True
    db.session.commit()
    session = _published(w, interpreter=False)   # Bergen, on site
    real = engine.recommend

    def by_video(instance, **kwargs):
        answer = real(instance, **kwargs)
        for option in answer.get("options", []):
            for s in option["sessions"]:
                s["mode"] = "video"
        return answer

    monkeypatch.setattr(engine, "recommend", by_video)
    f.login(client, w.lead, language="en")
    page = client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True)
    lines = _suggestions(html.unescape(page))
    # Said once ("by video, the counsellor at Voss by video instead of on site" said it twice).
    assert lines and all("by video, the counsellor at" in line and "instead of on site" in line
                         and line.count("by video") == 1 and "journey" not in line for line in lines), lines
    button = page.index("Move here")
    values = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', page[page.rindex("<form", 0, button):button]))
    assert values["mode"] == "video"
    response = client.post(f"/planning/sessions/{session.id}/edit", headers=EN, data=values)
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Session, session.id)
    assert moved.mode == "video"
    assert "by video" in html.unescape(client.get(response.headers["Location"], headers=EN).get_data(as_text=True))
    told = db.session.scalars(select(Notice).where(Notice.user_id == w.referrer.id, Notice.session_id == session.id)).all()
    assert [n.kind for n in told] == ["referral_moved"]


def test_the_lead_makes_a_session_a_video_session_at_its_own_time_when_the_referral_allows_video(client, world):
    """A participant phones: can it be by video? The lead changes only the way they take part. A referral that
    does not say video is possible is refused on that field; one that does is saved and the referrer told."""
    from guidance.models import Notice

    w = world
    session = _published(w, interpreter=False)
    f.login(client, w.lead, language="en")
    assert 'id="mode"' in client.get(f"/planning/sessions/{session.id}/edit", headers=EN).get_data(as_text=True)
    data = {"day": MONDAY.isoformat(), "start_time": "09:00", "room_id": session.room_id,
            "counsellor_id": session.counsellor_id, "interpreter_id": 0, "interpreter_mode": "onsite", "mode": "video"}

    refused = client.post(f"/planning/sessions/{session.id}/edit", headers=EN, data=data)
    assert refused.status_code == 400
    assert f"The referral of {w.own_referral.reference} does not say the participant can take part by video: if they " \
        'can, say so under "Can come" on the referral page' in _field_error(html.unescape(refused.get_data(as_text=True)),
                                                                            "mode")
    db.session.expire_all()
    assert db.session.get(Session, session.id).mode == "onsite"

    # The way out the refusal names: the lead says so on the referral page (a booked referral cannot be corrected).
    page = client.get(f"/referrals/{w.own_referral.id}", headers=EN).get_data(as_text=True)
    assert 'name="video_ok"' in page
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    saved = client.post(f"/referrals/{w.own_referral.id}/can-come", headers=EN,
                        data={"video_ok": "y", **({"csrf_token": token.group(1)} if token else {})})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, w.own_referral.id).participant.video_ok is True
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.can_come_changed")) is not None
    response = client.post(f"/planning/sessions/{session.id}/edit", headers=EN, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    page = html.unescape(client.get(response.headers["Location"], headers=EN).get_data(as_text=True))
    assert "The session keeps its time; the participant now takes part by video, and their referrer is told." in page
    history = html.unescape(client.get(f"/referrals/{w.own_referral.id}", headers=EN).get_data(as_text=True))
    assert "Now by video" in history[history.index("Session moved by the centre"):]
    db.session.expire_all()
    assert db.session.get(Session, session.id).mode == "video"
    assert db.session.scalars(select(Notice.kind).where(Notice.user_id == w.referrer.id,
                                                        Notice.session_id == session.id)).all() == ["referral_moved"]


def test_a_group_session_is_moved_without_a_choice_of_video(client, world):
    """Rule 7: a group meets on site. Its move form offers no video, and a move without the field keeps it on site."""
    w = world
    group = f.published_session(w.counsellor, [w.own_referral, f.referral(name="Andre Deltaker")],
                                start=f.oslo(2027, 1, 25, 9), type="group", room_name="Grupperom")
    f.login(client, w.lead, language="en")
    assert 'id="mode"' not in client.get(f"/planning/sessions/{group.id}/edit", headers=EN).get_data(as_text=True)
    response = _move(client, group, day=MONDAY + dt.timedelta(days=1), time="13:00")
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    db.session.expire_all()
    assert db.session.get(Session, group.id).mode == "onsite"


def test_best_fit_is_not_a_time_further_from_home_than_another_on_the_list(client, world, monkeypatch):
    """The engine's first choice was Voss, 88 minutes each way for a Bergen participant, with a Bergen time on the
    same list: marked "Best fit", it was the one the lead took."""
    from solver import recommend as engine

    from guidance.models import Location

    w = world
    f.centre(town="4621")
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    session = _published(w, interpreter=False)   # a Bergen participant in Bergen
    real = engine.recommend
    voss = ids.location_id(db.session.scalar(select(Location.id).where(Location.name == "Karrieresenter Voss")))

    def voss_first(instance, **kwargs):
        answer = real(instance, **kwargs)
        answer["options"].sort(key=lambda o: o["sessions"][0]["location"] != voss)
        return answer

    monkeypatch.setattr(engine, "recommend", voss_first)
    f.login(client, w.lead, language="en")
    lines = _suggestions(html.unescape(client.get(f"/planning/sessions/{session.id}/edit", headers=EN)
                                       .get_data(as_text=True)))
    assert any("Voss" in line for line in lines) and any("Bergen" in line for line in lines), lines
    assert not any("Best fit" in line for line in lines), lines
    assert "ranks first" not in html.unescape(client.get(f"/planning/sessions/{session.id}/edit", headers=EN)
                                              .get_data(as_text=True))


def test_the_interpreter_sees_that_a_request_was_moved_and_from_when(client, world):
    """The accepted day was gone from the interpreter's pages, with only a new request for another day and no word
    of a move (the e-mail said it; in a county without a mail server nothing did)."""
    w = world
    session = _published(w)   # Monday 25 January 09:00, accepted
    booking_id = session.bookings[0].id
    f.login(client, w.lead, language="en")
    assert _move(client, session, day=MONDAY + dt.timedelta(days=2), time="11:00").status_code == 302
    client.post("/logout")
    f.login(client, w.interpreter)
    listing = html.unescape(client.get("/bookings/").get_data(as_text=True))
    assert "Moved from Mon 25 Jan 09:00" in listing   # the page kept the English chosen before
    detail = html.unescape(client.get(f"/bookings/{booking_id}").get_data(as_text=True))
    assert "The career centre moved this assignment: you were first asked for Monday 25 January 09:00." in detail
    assert "Please answer again for the new time." in detail
