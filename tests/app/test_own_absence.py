"""A counsellor reports their own absence: recorded at once, the county's lead e-mailed with the
booked sessions it hits (no participant named), the lead's absence page lists them for a re-plan."""
import pytest
import datetime as dt
import re

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Absence, AuditEvent, OutboxMessage
from guidance.planning import ids
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def test_a_counsellor_reports_an_absence_and_the_lead_is_told_which_sessions_it_hits(client, app):
    w = f.world()
    day = f.future_weekday(weeks=2)
    hit = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 10))
    f.login(client, w.counsellor)
    assert "Meld fravær" in client.get("/week/").get_data(as_text=True)

    wrong = client.post("/week/absence", data={"start_date": day.isoformat(),
                                              "end_date": (day - dt.timedelta(days=1)).isoformat()})
    assert wrong.status_code == 400 and "Siste dag kan ikke være før første dag." in wrong.get_data(as_text=True)
    assert db.session.scalar(select(Absence)) is None

    response = client.post("/week/absence", data={"start_date": day.isoformat(), "end_date": day.isoformat()},
                           follow_redirects=True)
    assert "Fraværet ditt er meldt" in response.get_data(as_text=True)
    assert "1 av de bookede timene dine er berørt" in response.get_data(as_text=True)
    absence = db.session.scalar(select(Absence))
    assert (absence.user_id, absence.start_date, absence.end_date, absence.reason) == (w.counsellor.id, day, day, None)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "absence.reported")).actor_id == w.counsellor.id

    (mail,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.lead.id)).all()
    assert mail.subject == "Fravær meldt av en karriereveileder"
    assert w.counsellor.name in mail.body and "1 booket time er berørt" in mail.body
    assert f"/planning/absences/{absence.id}" in mail.body
    assert "Amal" not in mail.subject + mail.body and w.own_referral.reference not in mail.subject

    lead = app.test_client()
    f.login(lead, w.lead)
    page = lead.get(re.search(r"(/planning/absences/\d+)", mail.body).group(1)).get_data(as_text=True)
    assert w.own_referral.reference in page and ids.to_local(hit.start).strftime("%H:%M") in page


def test_an_absence_reported_with_nothing_booked_says_so(client):
    w = f.world()
    f.login(client, w.counsellor)
    day = f.future_weekday(weeks=5)
    page = client.post("/week/absence", data={"start_date": day.isoformat(), "end_date": day.isoformat()},
                       follow_redirects=True).get_data(as_text=True)
    assert "Ingen av de bookede timene dine er berørt." in page


def test_an_absence_already_reported_or_already_over_is_refused_with_the_reason(client):
    w = f.world()
    f.login(client, w.counsellor)
    day = f.future_weekday(weeks=2)
    first = {"start_date": day.isoformat(), "end_date": (day + dt.timedelta(days=1)).isoformat()}
    assert client.post("/week/absence", data=first).status_code == 302
    again = client.post("/week/absence", data={"start_date": (day + dt.timedelta(days=1)).isoformat(),
                                              "end_date": (day + dt.timedelta(days=3)).isoformat()})
    assert again.status_code == 400 and "er allerede registrert på deg" in again.get_data(as_text=True)
    past = ids.local_today() - dt.timedelta(days=30)
    over = client.post("/week/absence", data={"start_date": past.isoformat(), "end_date": past.isoformat()})
    assert over.status_code == 400 and "Disse dagene er over" in over.get_data(as_text=True)
    assert len(db.session.scalars(select(Absence)).all()) == 1
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.lead.id)).all()) == 1


def test_an_interpreter_blocks_days_and_the_lead_hears_of_the_bookings_it_hits(client):
    """An interpreter on another assignment reports the days: recorded like a lead's registration (so
    replacements and plans leave them free), the lead e-mailed with the bookings it hits."""
    from guidance.services import bookings

    w = f.world()
    day = f.future_weekday(weeks=2)
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 10),
                                  interpreter=w.interpreter)
    bookings.answer(w.interpreter, bookings.new_booking(session), True)
    f.login(client, w.interpreter)
    assert "Meld dager du ikke kan tolke" in client.get("/bookings/").get_data(as_text=True)
    page = client.post("/bookings/absence", data={"start_date": day.isoformat(), "end_date": day.isoformat()},
                       follow_redirects=True).get_data(as_text=True)
    assert "1 av oppdragene dine er berørt; lederen finner en annen tolk." in page
    absence = db.session.scalar(select(Absence))
    assert absence.user_id == w.interpreter.id and (absence.start_date, absence.end_date) == (day, day)
    (mail,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.lead.id)).all()
    assert mail.subject == "Fravær meldt av en tolk" and "1 booket time er berørt og trenger en annen tolk." in mail.body
    # An Absence row like a lead's registration: replacements and plans leave those days free
    # (tests/app/test_bookings.py: an absent interpreter is not offered).


def test_an_interpreters_absence_releases_their_requests_and_bookings_on_those_days(client):
    """A request on a day away can no longer be accepted by mistake, and an accepted booking is given
    back: both count as declined (so the lead's alert offers another interpreter at once) and leave
    the interpreter's calendar; a booking on another day stays."""
    from guidance.models import BookingStatus, InterpreterBooking
    from guidance.services import bookings

    w = f.world()
    day = f.future_weekday(weeks=2)
    other_day = day + dt.timedelta(days=7)
    at = lambda d, h: f.oslo(d.year, d.month, d.day, h)
    accepted = f.published_session(w.counsellor, w.own_referral, start=at(day, 9), interpreter=w.interpreter)
    asked = f.published_session(w.counsellor, f.referral(name="Asked Person"), start=at(day, 13), interpreter=w.interpreter)
    later = f.published_session(w.counsellor, f.referral(name="Later Person"), start=at(other_day, 9),
                                interpreter=w.interpreter)
    bookings.answer(w.interpreter, bookings.new_booking(accepted), True)
    bookings.new_booking(asked)
    bookings.answer(w.interpreter, bookings.new_booking(later), True)
    db.session.commit()
    f.login(client, w.interpreter)
    client.post("/bookings/absence", data={"start_date": day.isoformat(), "end_date": day.isoformat()})
    status = {b.session_id: (b.status, b.decline_reason) for b in db.session.scalars(select(InterpreterBooking))}
    away = "Borte denne dagen (fravær registrert)."
    assert status == {accepted.id: (BookingStatus.DECLINED, away), asked.id: (BookingStatus.DECLINED, away),
                      later.id: (BookingStatus.ACCEPTED, None)}
    cancels = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.interpreter.id,
                                                             OutboxMessage.subject.like("Fjernet fra kalenderen din%"))).all()
    assert len(cancels) == 2
    page = client.get("/bookings/").get_data(as_text=True)
    assert f'name="booking" value="' not in page  # nothing left to accept
    # The list says they were given back for the absence: it read "Declined", and the interpreter declined nothing.
    closed = page[page.index("Tidligere og avsluttede"):]
    assert closed.count("Gitt tilbake: du er borte") == 2 and "Avslått" not in closed

    absence = db.session.scalar(select(Absence))
    ended = client.post(f"/bookings/absence/{absence.id}/end", data={"whole": "1"}, follow_redirects=True)
    assert "Oppdrag du ga tilbake for dette fraværet, forblir gitt tilbake" in ended.get_data(as_text=True)


def test_back_earlier_ends_the_absence_and_plans_may_book_the_counsellor_again(client, app, travel_to):
    """Reported ill Tuesday to Thursday, better on Wednesday: the counsellor says they are back on
    Wednesday; the absence ends on Tuesday, the leads are told, the next plan sees them from Wednesday."""
    from guidance.planning import InstanceOptions, build_instance

    travel_to(f.oslo(2027, 1, 12, 8, 0))  # Tuesday
    w = f.world()
    f.login(client, w.counsellor)
    reported = client.post("/week/absence", data={"start_date": "2027-01-12", "end_date": "2027-01-14"})
    assert reported.headers["Location"].endswith("/week/2027/2")  # the week the absence begins in
    absence = db.session.scalar(select(Absence))
    page = client.get("/week/absence").get_data(as_text=True)
    assert f'action="/week/absence/{absence.id}/end"' in page

    late = client.post(f"/week/absence/{absence.id}/end", data={"back_on": "2027-01-15"}, follow_redirects=True)
    assert "Fraværet slutter allerede" in late.get_data(as_text=True)
    done = client.post(f"/week/absence/{absence.id}/end", data={"back_on": "2027-01-13"}, follow_redirects=True)
    assert "Velkommen tilbake" in done.get_data(as_text=True)
    db.session.expire_all()
    assert (absence.start_date, absence.end_date) == (dt.date(2027, 1, 12), dt.date(2027, 1, 12))
    told = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_user_id == w.lead.id,
                                                         OutboxMessage.subject == "Tilbake tidligere enn meldt"))
    assert told is not None and w.counsellor.name in told.body and "13. januar 2027" in told.body
    instance = build_instance(w.lead.county, InstanceOptions(today=dt.date(2027, 1, 12)))
    counsellor = next(c for c in instance["counsellors"] if c["name"] == w.counsellor.name)
    assert counsellor["absences"] == []  # the horizon starts Wednesday: nothing of the absence is left in it

    # Another person's absence is out of reach; the lead ends one that has not begun, and it is gone.
    other = Absence(user_id=w.interpreter.id, start_date=dt.date(2027, 1, 18), end_date=dt.date(2027, 1, 20))
    db.session.add(other)
    db.session.commit()
    assert client.post(f"/week/absence/{other.id}/end", data={"back_on": "2027-01-18"}).status_code == 404
    lead = app.test_client()
    f.login(lead, w.lead)
    lead_page = lead.get(f"/planning/absences/{other.id}").get_data(as_text=True)
    # The day back is left for the lead to type, from the day after the first: a day filled in took a
    # one-day absence away in one click (the walk of 8 December). Taking it all away is its own button.
    back = lead_page[lead_page.index('id="back-earlier"'):]
    date_input = back[back.rindex("<input", 0, back.index('name="back_on"')):].split(">")[0]
    assert "Tilbake tidligere?" in lead_page and 'min="2027-01-19"' in date_input and 'value=""' in date_input
    assert "Ta bort fraværet" in lead_page
    first_day = lead.post(f"/planning/absences/{other.id}/end", data={"back_on": "2027-01-18"}, follow_redirects=True)
    assert "Skriv en dag etter den første dagen i fraværet" in first_day.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Absence, other.id) is not None
    response = lead.post(f"/planning/absences/{other.id}/end", data={"whole": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/planning/absences")
    assert db.session.get(Absence, other.id) is None
    # An absence reported ahead and taken away before it begins is not a "welcome back".
    client.post("/week/absence", data={"start_date": "2027-01-25", "end_date": "2027-01-26"})
    ahead = db.session.scalar(select(Absence).where(Absence.start_date == dt.date(2027, 1, 25)))
    gone = client.post(f"/week/absence/{ahead.id}/end", data={"whole": "1"}, follow_redirects=True)
    assert "Fraværet er fjernet" in gone.get_data(as_text=True) and db.session.get(Absence, ahead.id) is None
    # A lead's own change is not e-mailed back to the leads.
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.body.contains(w.interpreter.name))) is None
