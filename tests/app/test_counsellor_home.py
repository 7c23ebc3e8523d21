"""The counsellor's home: today's sessions at their Oslo times, the next day with sessions, outcomes to
record and guidance notes to share — each linking to where it is done."""
import datetime as dt

import pytest

from guidance.extensions import db
from guidance.models import GuidanceNote, Outcome, Role
from tests.app import factories as f
from tests.app.page_text import card as _card

pytestmark = pytest.mark.one_database  # pages over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


@pytest.mark.parametrize("season, day", [("winter", dt.date(2027, 1, 19)), ("summer", dt.date(2027, 6, 15))])
def test_today_lists_the_counsellors_own_sessions_at_oslo_time(client, travel_to, season, day):
    travel_to(f.oslo(day.year, day.month, day.day, 7, 30))
    w = f.world()
    mine = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 9, 15))
    colleague = f.user(Role.COUNSELLOR, name="Kari Berg")
    f.published_session(colleague, f.referral(name="Lina Haddad"), start=f.oslo(day.year, day.month, day.day, 11, 0))
    f.login(client, w.counsellor)
    page = client.get("/").get_data(as_text=True)
    today = _card(page, "day-today")
    assert "09:15–10:45" in today and "1 deltaker" in today
    assert f'href="/week/sessions/{mine.id}"' in page
    assert "11:00" not in today  # the colleague's session


def test_today_marks_the_session_under_way_and_the_next_one(client, travel_to):
    travel_to(f.oslo(2027, 1, 19, 10, 0))  # during the 09:15 session
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 19, 9, 15))
    f.published_session(w.counsellor, f.referral(name="Lina Haddad"), start=f.oslo(2027, 1, 19, 11, 0),
                        status="cancelled")
    f.published_session(w.counsellor, f.referral(name="Sara Tesfay"), start=f.oslo(2027, 1, 19, 13, 0))
    f.published_session(w.counsellor, f.referral(name="Omid Rahimi"), start=f.oslo(2027, 1, 19, 15, 0))
    f.login(client, w.counsellor)
    today = _card(client.get("/").get_data(as_text=True), "day-today")
    assert today.index("09:15") < today.index("Pågår") < today.index("11:00")
    assert today.index("13:00") < today.index("Neste") < today.index("15:00")  # not the cancelled 11:00
    assert today.count("Neste") == 1 and today.count("Pågår") == 1


def test_friday_shows_monday_as_the_next_day_and_no_cancelled_session(client, travel_to):
    travel_to(f.oslo(2027, 1, 22, 12))  # a Friday
    w = f.world()
    f.published_session(w.counsellor, f.referral(name="Lina Haddad"), start=f.oslo(2027, 1, 25, 8, 0), status="cancelled")
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 13, 0))
    f.login(client, w.counsellor)
    page = client.get("/").get_data(as_text=True)
    assert "Ingen timer i dag." in _card(page, "day-today")
    following = _card(page, "day-next")
    assert following.startswith("Neste: mandag 25. januar")
    assert "13:00–14:30" in following and "08:00" not in following


def test_a_held_session_without_outcome_is_listed_until_recorded(client, travel_to):
    travel_to(f.oslo(2027, 1, 20, 15))
    w = f.world()
    held = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 18, 9, 0))
    f.published_session(w.counsellor, f.referral(name="Lina Haddad"), start=f.oslo(2027, 1, 20, 16, 0))
    f.login(client, w.counsellor)
    outcomes = _card(client.get("/").get_data(as_text=True), "day-outcomes")
    assert "mandag 18. januar kl. 09:00" in outcomes and "1 uten utfall" in outcomes
    assert "16:00" not in outcomes  # not over yet
    held.participants[0].outcome = Outcome.NO_SHOW
    db.session.commit()
    outcomes = _card(client.get("/").get_data(as_text=True), "day-outcomes")
    assert "Alle timene du har hatt, har utfall." in outcomes


def test_a_participant_who_came_needs_a_shared_note(client, travel_to):
    travel_to(f.oslo(2027, 1, 20, 15))
    w = f.world()
    held = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 18, 9, 0))
    held.participants[0].outcome = Outcome.ATTENDED
    db.session.commit()
    f.login(client, w.counsellor)
    page = client.get("/").get_data(as_text=True)
    notes = _card(page, "day-notes")
    assert w.own_referral.reference in notes and "Ikke skrevet" in notes
    assert f'href="/referrals/{w.own_referral.id}/notes/draft"' in page
    note = GuidanceNote(referral_id=w.own_referral.id, author_id=w.counsellor.id, goals="Arbeid", status="draft")
    db.session.add(note)
    db.session.commit()
    assert "Utkast ikke delt" in _card(client.get("/").get_data(as_text=True), "day-notes")
    note.status = "shared"
    db.session.commit()
    notes = _card(client.get("/").get_data(as_text=True), "day-notes")
    assert w.own_referral.reference not in notes and "har et delt veiledningsnotat" in notes


def test_another_counsellors_sessions_stay_off_the_home(client, travel_to):
    travel_to(f.oslo(2027, 1, 20, 7))
    w = f.world()
    other = f.user(Role.COUNSELLOR)
    f.published_session(other, w.own_referral, start=f.oslo(2027, 1, 20, 10, 0))
    f.login(client, w.counsellor)
    page = client.get("/").get_data(as_text=True)
    assert "Ingen timer i dag." in _card(page, "day-today") and "10:00" not in _card(page, "day-today")


def test_and_n_more_opens_every_outcome_still_to_record(client, travel_to):
    travel_to(f.oslo(2027, 1, 22, 16))  # a Friday afternoon after a full week
    w = f.world()
    held = [f.published_session(w.counsellor, f.referral(name=f"Person {day} {hour}"), start=f.oslo(2027, 1, day, hour, 0))
            for day in (18, 19, 20, 21) for hour in (9, 13)]
    f.login(client, w.counsellor)
    page = client.get("/").get_data(as_text=True)
    outcomes = _card(page, "day-outcomes")
    assert "8 veiledninger" in outcomes and outcomes.count("1 uten utfall") == 5
    assert 'href="/?all=1#day-outcomes">Og 3 til.' in page
    page = client.get("/?all=1").get_data(as_text=True)
    everything = _card(page, "day-outcomes")
    assert everything.count("1 uten utfall") == 8 and "Og 3 til" not in everything
    assert all(f'href="/week/sessions/{s.id}"' in page for s in held)


def test_a_day_the_counsellor_is_away_says_so_on_the_home(client, travel_to):
    """Reported sick for Thursday: the home said "Next: Thursday, 1 session" as if nothing had happened."""
    from guidance.models import Absence

    travel_to(f.oslo(2027, 1, 20, 15))  # Wednesday
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 21, 9, 0))
    f.login(client, w.counsellor)
    assert "Du er registrert som borte" not in client.get("/").get_data(as_text=True)
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 1, 21), end_date=dt.date(2027, 1, 22)))
    db.session.commit()
    following = _card(client.get("/").get_data(as_text=True), "day-next")
    assert following.startswith("Neste: torsdag 21. januar") and "Du er registrert som borte." in following
    assert "Du er registrert som borte" not in _card(client.get("/").get_data(as_text=True), "day-today")


def test_hours_away_are_named_on_the_day_they_fall(client, travel_to):
    """Away 10:00-12:00 on Thursday for the dentist: the home said nothing of it (only whole days were
    named), so the counsellor could not see that the centre knew, nor which hours it keeps free."""
    from guidance.models import Absence

    travel_to(f.oslo(2027, 6, 16, 15))  # Wednesday, summer time
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 6, 17, 13, 0))
    f.login(client, w.counsellor)
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 6, 17), end_date=dt.date(2027, 6, 17),
                           away_from=dt.datetime(2027, 6, 17, 8, tzinfo=dt.UTC),
                           away_until=dt.datetime(2027, 6, 17, 10, tzinfo=dt.UTC)))
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    following = _card(home, "day-next")
    assert following.startswith("Neste: torsdag 17. juni")
    assert "Du er registrert borte 10:00–12:00." in following  # Oslo time (UTC+2 in June)
    assert "Du er registrert som borte." not in following  # the rest of the day is worked
    assert "borte" not in _card(home, "day-today")


def test_the_day_says_whether_the_interpreter_has_said_yes(client, travel_to):
    """The home read "Tolk: ukrainsk (telefon)" for an interpreter only asked: the counsellor took it as booked."""
    from guidance.services import bookings

    travel_to(f.oslo(2027, 1, 19, 7, 30))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 19, 9, 15),
                                  interpreter=w.interpreter, interpreter_mode="phone", language="ar")
    booking = bookings.new_booking(session)
    db.session.commit()
    f.login(client, w.counsellor)
    today = _card(client.get("/").get_data(as_text=True), "day-today")
    assert "(telefon, spurt, ikke bekreftet ennå)" in today, today
    bookings.answer(w.interpreter, booking, True)
    db.session.commit()
    today = _card(client.get("/").get_data(as_text=True), "day-today")
    assert "(telefon, bekreftet)" in today and "ikke bekreftet" not in today
