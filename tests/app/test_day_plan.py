"""The day plan: every published session of one day at all the county's locations, with what the lead
must act on before it starts, and the "Today's sessions" card on the lead's home that leads to it.
Before, the lead saw one counsellor, room or location at a time (the week grid) and had no view of
the morning across the county: who is ill, which interpreter said no, who cannot come."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Absence, BookingStatus, Location, Outcome, PlanningRun, Role, Room
from guidance.services import bookings, cannot_come
from tests.app import factories as f
from tests.app.planning.helpers import planning_world

pytestmark = pytest.mark.one_database  # pages over a few inserts: nothing a second database decides

TUESDAY_MORNING = f.oslo(2027, 1, 12, 8, 30)  # winter time (UTC+1)
SUMMER_TUESDAY = f.oslo(2027, 6, 15, 8, 30)  # summer time (UTC+2)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def rows(text: str) -> dict[str, str]:
    """Each session row of the day plan, by its anchor."""
    return {m.group(1): m.group(2) for m in re.finditer(r'<tr id="(session-\d+)">(.*?)</tr>', text, re.S)}


def second_location() -> Location:
    """A second location of the county (Voss), with one room, where the counsellor also works."""
    first = db.session.scalar(select(Location).order_by(Location.id))
    voss = Location(centre=first.centre, municipality=f.municipality("4621"), name="Utekontor Voss")
    voss.rooms.append(Room(name="Møterom", capacity=1))
    db.session.add(voss)
    db.session.commit()
    return voss


def test_the_day_lists_every_location_and_marks_what_to_act_on(client, travel_to):
    travel_to(TUESDAY_MORNING)
    w = planning_world()
    other = f.user(Role.COUNSELLOR, name="Lars Nilsen")
    voss = second_location()
    early = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 12, 8, 0))  # started at 08:00
    interpreted = f.published_session(other, w.other_referral, start=f.oslo(2027, 1, 12, 13, 0),
                                      interpreter=w.interpreter)
    booking = bookings.new_booking(interpreted)
    db.session.commit()
    bookings.transition(w.interpreter, booking, "decline", reason="Opptatt")
    db.session.commit()
    clean = f.published_session(other, f.referral(name="Rania Haddad"), start=f.oslo(2027, 1, 12, 10, 0))
    at_voss = f.published_session(w.counsellor, f.referral(name="Omar Said"), start=f.oslo(2027, 1, 12, 11, 0))
    at_voss.location, at_voss.room = voss, voss.rooms[0]
    tomorrow = f.published_session(other, f.referral(name="Ahmad Rahimi"), start=f.oslo(2027, 1, 13, 9, 0))
    other_county = f.published_session(f.user(Role.COUNSELLOR, county_number="18"), f.referral(name="Nordland Person"),
                                       start=f.oslo(2027, 1, 12, 9, 0))
    other_county.run = PlanningRun(county_id=f.county("18").id, status="succeeded", published_at=TUESDAY_MORNING)
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 1, 12), end_date=dt.date(2027, 1, 13)))
    db.session.commit()
    cannot_come.tell(w.referrer, w.own_referral, f.published_session(
        other, w.own_referral, start=f.oslo(2027, 1, 12, 14, 30)), "Etter kl. 15")
    travel_to(f.oslo(2027, 1, 12, 9, 45))  # the 08:00 session has ended without an outcome

    f.login(client, w.lead)
    day = page(client, "/grids/day?date=2027-01-12")
    assert "Dagsplan" in day and "tirsdag 12. januar 2027" in day
    # A sick call comes while the lead looks at the day: recorded from here (only from the home and Planning before).
    assert 'href="/planning/absences">Har noen meldt seg syke eller er borte? Registrer fraværet' in day
    assert "Nordland Person" not in day and "Ahmad Rahimi" not in day
    # By location (by name), each in time order, with local times.
    assert day.index("Karrieresenter Bergen") < day.index("Utekontor Voss")
    bergen = day[day.index('<h2 id="place-'):day.index("Utekontor Voss")]
    assert [m for m in re.findall(r"(\d\d:\d\d)–\d\d:\d\d", bergen)] == ["08:00", "10:00", "13:00", "14:30"]
    assert "5 veiledninger på 2 kontorsteder" in day

    by_row = rows(day)
    assert "Karriereveileder borte" in by_row[f"session-{at_voss.id}"]
    assert "Utfall ikke registrert" in by_row[f"session-{early.id}"] and "Karriereveileder borte" in by_row[f"session-{early.id}"]
    assert "Ingen tolk ennå" in by_row[f"session-{interpreted.id}"] and "sa nei" in by_row[f"session-{interpreted.id}"]
    assert by_row[f"session-{interpreted.id}"].count("Ingen tolk ennå") == 1   # the status says it; not again beside
    assert 'href="/centre/interpreters/#alerts"' in by_row[f"session-{interpreted.id}"]
    assert "Kan ikke komme" in day and "<q>Etter kl. 15</q>" in day
    assert not any(word in by_row[f"session-{clean.id}"] for word in ("borte", "Ingen tolk", "Utfall", "Kan ikke", "svart"))
    # Who is away, named once in the summary.
    assert f"Registrert borte med veiledninger denne dagen: <bdi>{w.counsellor.name}</bdi>." in day
    assert day.count(f"<bdi>{w.counsellor.name}</bdi>.") == 1, "named twice as away"
    # A session ahead can be moved or cancelled from here and the move comes back here; a started one cannot.
    back = "back=/grids/day?date%3D2027-01-12"
    assert f'/planning/sessions/{at_voss.id}/edit?{back}' in by_row[f"session-{at_voss.id}"]
    assert f"/planning/sessions/{early.id}/edit" not in by_row[f"session-{early.id}"]

    only = rows(page(client, "/grids/day?date=2027-01-12&show=to_act_on"))
    assert f"session-{clean.id}" not in only and f"session-{at_voss.id}" in only and len(only) == 4

    # Tomorrow from the pager (a Wednesday); the pager skips the weekend from a Friday.
    assert 'href="/grids/day?date=2027-01-13"' in day and 'href="/grids/day?date=2027-01-11"' in day
    assert 'href="/grids/day?date=2027-01-18"' in page(client, "/grids/day?date=2027-01-15")
    assert f"session-{tomorrow.id}" in rows(page(client, "/grids/day?date=2027-01-13"))


def test_the_home_card_counts_todays_sessions_and_leads_to_the_day_plan(client, travel_to):
    travel_to(f.oslo(2027, 1, 15, 8, 30))  # a Friday
    w = planning_world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 15, 10, 0))
    f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 15, 12, 0), status="cancelled")
    f.login(client, w.lead)
    home = page(client, "/")
    card = home[home.index('id="today-sessions"'):home.index('id="today-deadlines"')]
    assert "1 veiledning i dag på fylkets kontorsteder." in card and "I rute" in card
    assert 'href="/grids/day"' in card
    # The day plan counts the same: the cancelled session is shown and counted apart, its participant (still
    # waiting for guidance) a link to find a new time.
    day = page(client, "/grids/day")
    assert '1 veiledning på 1 kontorsted <span class="heading-sub">og 1 avlyst</span>' in day
    assert '<span class="heading-sub">1 veiledning, 1 avlyst</span>' in day
    assert f'href="/referrals/{w.other_referral.id}/times"' in day and f'href="/referrals/{w.own_referral.id}/times"' not in day
    # Booked again since: the cancelled row no longer offers to find a time (it opened "already booked").
    f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 20, 12, 0))
    assert f'href="/referrals/{w.other_referral.id}/times"' not in page(client, "/grids/day")
    assert 'href="/grids/day?date=2027-01-18"' in card and "Neste arbeidsdag: mandag 18. januar" in card
    assert "· 0 veiledninger" in card
    # What Monday holds that needs the lead shows on Friday already.
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 1, 18), end_date=dt.date(2027, 1, 18)))
    f.published_session(w.counsellor, f.referral(name="Monday Person"), start=f.oslo(2027, 1, 18, 10, 0))
    card = page(client, "/")
    card = card[card.index('id="today-sessions"'):card.index('id="today-deadlines"')]
    assert 'href="/grids/day?date=2027-01-18&show=to_act_on"' in card and "1 må gjøres" in card
    assert "· 1 veiledning" in card  # Monday's sessions, counted on Friday
    db.session.execute(Absence.__table__.delete())
    db.session.commit()

    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 1, 15), end_date=dt.date(2027, 1, 15)))
    db.session.commit()
    card = page(client, "/")
    card = card[card.index('id="today-sessions"'):card.index('id="today-deadlines"')]
    assert "1 må gjøres" in card and "Karriereveileder borte" in card
    assert 'href="/grids/day?show=to_act_on"' in card


def test_summer_time_and_an_outcome_recorded(client, travel_to):
    travel_to(SUMMER_TUESDAY)
    w = planning_world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 6, 15, 9, 0))
    assert session.start.astimezone(dt.timezone.utc).hour == 7
    travel_to(f.oslo(2027, 6, 15, 11, 0))
    session.participants[0].outcome = Outcome.ATTENDED
    db.session.commit()
    f.login(client, w.lead)
    row = rows(page(client, "/grids/day?date=2027-06-15"))[f"session-{session.id}"]
    assert "09:00–10:30" in row and "Møtte" in row and "Utfall ikke registrert" not in row


def test_who_may_see_the_day_plan(client, travel_to):
    travel_to(TUESDAY_MORNING)
    w = planning_world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 12, 10, 0))
    for person in (w.referrer, w.counsellor, w.interpreter):
        f.login(client, person)
        assert client.get("/grids/day").status_code == 403
        client.post("/logout")
    f.login(client, w.other_county_lead)
    assert w.own_referral.participant.name not in page(client, "/grids/day?date=2027-01-12")
    client.post("/logout")
    f.login(client, w.lead)
    for bad in ("2027-13-01", "yesterday", "0001-01-01"):   # said, and today shown: "not found" read as a broken link
        response = client.get(f"/grids/day?date={bad}", follow_redirects=True)
        assert response.status_code == 200 and f"{bad} er ikke en dato dagsplanen kan vise" in response.get_data(as_text=True)
    client.post("/logout")
    f.login(client, w.admin)
    assert "Vis fylket" in page(client, "/grids/day")
    admin_view = page(client, "/grids/day?county=46&date=2027-01-12")
    assert w.own_referral.participant.name in admin_view and "/planning/sessions/" not in admin_view


def test_an_interpreter_who_never_answered_is_not_said_to_have_said_no(client, travel_to):
    travel_to(TUESDAY_MORNING)
    w = planning_world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 12, 13, 0), interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    db.session.commit()
    booking.status = BookingStatus.EXPIRED
    db.session.commit()
    f.login(client, w.lead)
    row = rows(page(client, "/grids/day?date=2027-01-12"))[f"session-{session.id}"]
    assert "ikke svart i tide" in row and "sa nei" not in row


def test_a_session_under_way_and_an_interpreter_who_still_has_time_to_answer(client, travel_to):
    travel_to(f.oslo(2027, 1, 12, 9, 30))
    w = planning_world()
    now_on = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 12, 9, 0))
    ahead = f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 14, 13, 0),
                                interpreter=w.interpreter, interpreter_mode="video")
    booking = bookings.new_booking(ahead)
    booking.answer_deadline = f.oslo(2027, 1, 13, 16, 0)  # tomorrow afternoon: the interpreter has time
    db.session.commit()
    f.login(client, w.lead)
    assert "Pågår" in rows(page(client, "/grids/day?date=2027-01-12"))[f"session-{now_on.id}"]
    row = rows(page(client, "/grids/day?date=2027-01-14"))[f"session-{ahead.id}"]
    assert "Tolk spurt" in row and "Tolken har ikke svart" not in row and "video" in row

    travel_to(f.oslo(2027, 1, 13, 9, 0))  # the answer is due within a day: now it needs the lead
    f.login(client, w.lead)
    row = rows(page(client, "/grids/day?date=2027-01-14"))[f"session-{ahead.id}"]
    assert "Tolken har ikke svart" in row


def test_who_is_away_is_named_even_when_their_sessions_are_taken_care_of(client, travel_to):
    """The walk: the counsellor's sessions had been given to a colleague, and the day plan said "no
    counsellor or interpreter is away" on the day she was registered ill."""
    travel_to(TUESDAY_MORNING)
    w = planning_world()
    ill = f.user(Role.COUNSELLOR, name="Sara Lunde")
    elsewhere = f.user(Role.COUNSELLOR, county_number="18", name="Nordland Person")  # another county's
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 12, 13, 0))
    for person in (ill, elsewhere, w.interpreter):
        db.session.add(Absence(user_id=person.id, start_date=dt.date(2027, 1, 12), end_date=dt.date(2027, 1, 13)))
    db.session.commit()
    f.login(client, w.lead)
    text = page(client, "/grids/day?date=2027-01-12")
    assert "ingen veiledning har karriereveileder eller tolk som er borte" in text
    away = re.search(r"Registrert borte denne dagen:(.*?)</p>", text, re.S).group(1)
    assert "Sara Lunde" in away and w.interpreter.name in away and "Nordland Person" not in away
    quiet = page(client, "/grids/day?date=2027-01-13")  # no sessions, still away
    assert "Ingen publiserte veiledninger" in quiet and "Sara Lunde" in quiet
    assert "Registrert borte denne dagen" not in page(client, "/grids/day?date=2027-01-14")


def test_easter_is_not_a_working_day_on_the_home_the_day_plan_or_the_counsellors_week(client, travel_to):
    """On Maundy Thursday the home said "Next working day: Friday 26 March" (Good Friday), the pager went on
    to Easter Monday, and the counsellor's week read "No sessions" on days the centres are closed."""
    travel_to(f.oslo(2027, 3, 24, 9, 0))   # the Wednesday before Easter
    w = planning_world()
    w.lead.county.closure_days = ["2027-03-31"]   # the county's own closure day after Easter
    db.session.commit()
    f.login(client, w.lead)
    home = page(client, "/")
    assert "Neste arbeidsdag: tirsdag 30. mars" in home and 'href="/grids/day?date=2027-03-30"' in home
    good_friday = page(client, "/grids/day?date=2027-03-26")
    assert "Sentrene er stengt fredag 26. mars 2027: Langfredag." in good_friday   # why: Easter
    assert 'href="/grids/day?date=2027-03-24"' in good_friday and 'href="/grids/day?date=2027-03-30"' in good_friday
    # the county's closure day is skipped too
    assert 'href="/grids/day?date=2027-04-01"' in page(client, "/grids/day?date=2027-03-30")
    client.post("/logout")
    f.login(client, w.counsellor)
    week = page(client, "/week/2027/13")
    monday = week[week.index('id="day-2027-03-29"'):week.index('id="day-2027-03-30"')]
    assert "Stengt: Andre påskedag." in monday
    wednesday = week[week.index('id="day-2027-03-31"'):week.index('id="day-2027-04-01"')]
    assert "Stengt: sentrene holder stengt denne dagen." in wednesday
    tuesday = week[week.index('id="day-2027-03-30"'):week.index('id="day-2027-03-31"')]
    assert "Stengt" not in tuesday


def test_a_re_plan_keeps_the_published_sessions_up_to_the_next_day_the_centres_are_open(client, travel_to):
    """With nothing booked ahead, a re-plan keeps the next working day's sessions as they are (participants
    have their letters). On the day before a closure day that was the closure day, and the sessions of the
    day the centres open again could move: the same "next working day" as the lead's home now."""
    from guidance.services.planning import repair_keep_until

    travel_to(f.oslo(2027, 3, 30, 9, 0))   # the Tuesday after Easter
    w = planning_world()
    assert repair_keep_until(w.lead.county, dt.date(2027, 3, 30)) == dt.date(2027, 3, 31)
    w.lead.county.closure_days = ["2027-03-31"]
    db.session.commit()
    assert repair_keep_until(w.lead.county, dt.date(2027, 3, 30)) == dt.date(2027, 4, 1)
    assert repair_keep_until(w.lead.county, dt.date(2027, 3, 24)) == dt.date(2027, 3, 30)   # Easter: Thursday to Monday


def test_a_session_without_an_interpreter_says_why_none_is_needed(client, travel_to):
    """A bare "–" in the interpreter column read as a missing interpreter for an Arabic speaker whose
    counsellor speaks Arabic; only the referral page said why."""
    travel_to(TUESDAY_MORNING)
    w = planning_world()
    w.counsellor.counsellor.languages = ["nb", "ar"]
    arabic = f.referral(name="Omar Haddad", language="ar")
    norwegian = f.referral(name="Nina Berg", language="nb")
    norwegian.participant.needs_interpreter = False
    tigrinya = f.referral(name="Selam Tesfay", language="ti")
    db.session.commit()
    speaks = f.published_session(w.counsellor, arabic, start=f.oslo(2027, 1, 12, 10), interpreter_mode=None)
    manages = f.published_session(w.counsellor, norwegian, start=f.oslo(2027, 1, 12, 12), interpreter_mode=None)
    missing = f.published_session(w.counsellor, tigrinya, start=f.oslo(2027, 1, 12, 14), interpreter_mode=None)
    f.login(client, w.lead, language="en")
    found = rows(page(client, "/grids/day?date=2027-01-12"))
    assert "Not needed" in found[f"session-{speaks.id}"] and "the counsellor speaks the language" in found[f"session-{speaks.id}"]
    assert "Not needed" in found[f"session-{manages.id}"] and "nobody in it needs one" in found[f"session-{manages.id}"]
    assert "Not needed" not in found[f"session-{missing.id}"]
