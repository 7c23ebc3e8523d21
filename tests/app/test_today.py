"""The lead's home (issue 24, "Today"): each item appears when its situation exists, links to
where it is fixed, and disappears once it is fixed; times and dates read in Oslo."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import (
    Absence,
    InterpreterBudget,
    Outcome,
    PlanningRun,
    Role,
)
from guidance.services import bookings, outcomes
from guidance.services import today as today_service
from tests.app import factories as f

# Wednesday 10 March 2027 (week 10, winter time) and Wednesday 9 June 2027 (week 23, summer time).
WINTER = f.oslo(2027, 3, 10, 10, 0)
SUMMER = f.oslo(2027, 6, 9, 10, 0)


@pytest.fixture
def winter(travel_to):
    travel_to(WINTER)
    return WINTER


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def card(page: str, heading_id: str) -> str:
    """The text of one card of the home (from its heading to the next card)."""
    start = page.index(f'id="{heading_id}"')
    end = page.find('<section class="card"', start)
    return page[start:end if end != -1 else len(page)]


def queue_at_risk(client) -> list[str]:
    return re.findall(r'href="/referrals/\d+">(H-[A-Z0-9-]+)<', client.get("/queue/?at_risk=1").get_data(as_text=True))


def set_up(county_number: str = "46") -> None:
    """A county that can plan: the centre's location (f.centre) and a counsellor working there."""
    from guidance.models import Location

    counsellor = f.user(Role.COUNSELLOR, county_number=county_number)
    counsellor.counsellor.locations = [loc for loc in db.session.scalars(select(Location))
                                       if loc.centre.county.number == county_number]
    db.session.commit()


def lead_seen(client, lead) -> None:
    """Log in and open the home once, so "new since your last visit" starts empty."""
    f.login(client, lead)
    home(client)


def test_an_empty_day_says_nothing_needs_you_and_what_to_do_next(client, winter):
    f.centre()
    set_up()
    lead = f.user(Role.LEAD)
    lead_seen(client, lead)
    page = home(client)
    assert "Ingenting venter på deg i dag" in page
    assert "onsdag 10. mars" in page and "uke 10" in page
    for heading in ("today-deadlines", "today-interpreters", "today-absences", "today-outcomes"):
        assert '<strong class="tag tag-green">I rute</strong>' in card(page, heading)
    assert 'href="/queue/"' in page and 'href="/planning/"' in page


def test_passed_and_near_deadlines_are_listed_until_a_session_meets_them(client, winter):
    f.centre()
    lead = f.user(Role.LEAD)
    counsellor = f.user(Role.COUNSELLOR)
    overdue = f.referral(name="Overdue Person", deadline=dt.date(2027, 3, 1))  # 9 days ago
    near = f.referral(name="Near Person", deadline=dt.date(2027, 3, 15))  # Monday: 3 working days
    later = f.referral(name="Later Person", deadline=dt.date(2027, 3, 24))  # 10 working days: at risk, not urgent
    f.referral(name="Safe Person", deadline=dt.date(2027, 5, 20))
    lead_seen(client, lead)
    deadlines = card(home(client), "today-deadlines")
    assert "Overdue Person" in deadlines and "Passert for 9 dager siden" in deadlines
    assert "0 arbeidsdager" not in deadlines
    assert "Near Person" in deadlines and "3 arbeidsdager igjen" in deadlines
    assert "Later Person" not in deadlines and "Safe Person" not in deadlines
    assert f'href="/referrals/{overdue.id}"' in deadlines
    assert "frist 1. mars" in deadlines
    assert "Se alle 3 i faresonen i køen" in deadlines and 'href="/queue/?at_risk=1"' in deadlines
    # the two listed and the button's three: the walk could not tell what the third was
    assert "1 til har frist innen 15 arbeidsdager og ingen time før den." in deadlines
    # nothing booked for either: the badge counts those to book now, and each line offers it
    assert '<strong class="tag tag-red">2 uten noe booket</strong>' in deadlines
    assert f'href="/referrals/{overdue.id}/times"' in deadlines and "ingenting booket" in deadlines

    # A session after the deadline does not meet it; one on the deadline day does.
    f.published_session(counsellor, near, start=f.oslo(2027, 3, 16, 9))
    assert "Near Person" in card(home(client), "today-deadlines")
    # Nothing booked comes first: the overdue one booked late goes below the one with no session at all.
    f.published_session(counsellor, overdue, start=f.oslo(2027, 3, 11, 9))
    unbooked = f.referral(name="Unbooked Person", deadline=dt.date(2027, 3, 5))
    deadlines = card(home(client), "today-deadlines")
    assert deadlines.index("Unbooked Person") < deadlines.index("Overdue Person")
    # The walk: "4 passed" of four booked late, and the one with nothing booked was a line below.
    assert '<strong class="tag tag-red">1 uten noe booket</strong>' in deadlines
    assert f'href="/referrals/{unbooked.id}/times"' in deadlines and f'href="/referrals/{overdue.id}/times"' not in deadlines
    db.session.delete(unbooked)
    db.session.commit()
    f.published_session(counsellor, near, start=f.oslo(2027, 3, 15, 9), room_name="Grupperom")
    deadlines = card(home(client), "today-deadlines")
    assert "Near Person" not in deadlines
    # A session after a passed deadline still leaves it passed (the law was not met), but nothing is left to book:
    # the badge says booked late, not a red alarm (the review read "4 passed" of four booked that day).
    assert "Overdue Person" in deadlines and '<strong class="tag tag-orange">1 booket etter fristen</strong>' in deadlines
    assert "tag-red" not in deadlines[:deadlines.index("card-body")]
    assert later.reference not in deadlines


def test_a_deadline_today_or_on_the_weekend_reads_as_such(client, travel_to):
    travel_to(f.oslo(2027, 3, 12, 10, 0))  # a Friday
    f.centre()
    lead = f.user(Role.LEAD)
    f.referral(name="Due Today", deadline=dt.date(2027, 3, 12))
    f.referral(name="Due Saturday", deadline=dt.date(2027, 3, 13))
    lead_seen(client, lead)
    deadlines = card(home(client), "today-deadlines")
    assert re.search(r"Due Today.*?Frist i dag.*?Due Saturday.*?Ingen arbeidsdager igjen", deadlines, re.S)
    assert "0 arbeidsdager" not in deadlines and "Passert" not in deadlines


def test_the_home_lists_exactly_the_queues_at_risk_referrals(client, winter):
    f.centre()
    lead = f.user(Role.LEAD)
    counsellor = f.user(Role.COUNSELLOR)
    late = f.referral(name="A", deadline=dt.date(2027, 3, 11))
    f.published_session(counsellor, late, start=f.oslo(2027, 3, 16, 9))
    overdue = f.referral(name="B", deadline=dt.date(2027, 2, 20))
    in_time = f.referral(name="C", deadline=dt.date(2027, 3, 12))
    f.published_session(counsellor, in_time, start=f.oslo(2027, 3, 12, 9), room_name="Grupperom")
    within_15 = f.referral(name="D", deadline=dt.date(2027, 3, 26))
    f.referral(name="E", deadline=dt.date(2027, 6, 1))
    f.login(client, lead)
    on_home = today_service.overview(lead).at_risk_ids
    from guidance.models import Referral

    references = [db.session.get(Referral, i).reference for i in on_home]
    assert references == queue_at_risk(client) == [overdue.reference, late.reference, within_15.reference]
    assert "Se alle 3 i faresonen i køen" in home(client)
    # The statistics page lists the same ones, by name (its references named nobody the lead knew).
    page = client.get("/dashboard/").get_data(as_text=True)
    risk = page[page.index('id="risk-heading"'):page.index('id="interpreter-heading"')]
    assert re.findall(r"<bdi>(\w)</bdi>", risk) == ["B", "A", "D"]


def _interpreted_session(w, start: dt.datetime):
    session = f.published_session(w.counsellor, w.own_referral, start=start, interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    db.session.commit()
    return session, booking


def test_interpreter_requests_declined_or_unanswered_show_until_answered_or_rebooked(client, winter):
    w = f.world()
    lead_seen(client, w.lead)
    session, booking = _interpreted_session(w, f.oslo(2027, 3, 17, 9))
    booking.answer_deadline = WINTER + dt.timedelta(days=3)  # plenty of time: not the lead's business yet
    db.session.commit()
    assert "tolkebestillinger for kommende veiledninger er godtatt" in card(home(client), "today-interpreters")

    booking.answer_deadline = WINTER + dt.timedelta(hours=6)
    db.session.commit()
    interpreters = card(home(client), "today-interpreters")
    assert "Venter på svar" in interpreters and f'href="/centre/interpreters/#booking-{booking.id}"' in interpreters
    assert "svarfrist onsdag 10. mars kl. 16:00" in interpreters
    # still within its answer time: waiting, not yet a session that needs an interpreter (the page it
    # links to lists only those, and the home said "177 need an interpreter" where the page had 6)
    assert "1 venter på svar" in interpreters and "trenger tolk" not in interpreters

    bookings.transition(w.interpreter, booking, "decline", reason="Busy")
    db.session.commit()
    interpreters = card(home(client), "today-interpreters")
    assert '<strong class="tag tag-red">Avslått</strong>' in interpreters
    assert "1 trenger tolk" in interpreters and "venter på svar</strong>" not in interpreters
    assert 'href="/centre/interpreters/#alerts"' in interpreters
    # The interpreting page has the row the home links to.
    f.login(client, w.lead)
    assert f'id="booking-{booking.id}"' in client.get("/centre/interpreters/").get_data(as_text=True)

    replacement = bookings.new_booking(session)
    replacement.answer_deadline = WINTER + dt.timedelta(days=2)
    db.session.commit()
    assert "Avslått" not in card(home(client), "today-interpreters")


def test_an_expired_request_shows_as_unanswered_and_an_accepted_one_not(client, winter):
    w = f.world()
    lead_seen(client, w.lead)
    _session, booking = _interpreted_session(w, f.oslo(2027, 3, 12, 13))
    booking.answer_deadline = WINTER - dt.timedelta(hours=1)
    db.session.commit()
    assert "Ikke besvart" in card(home(client), "today-interpreters")
    bookings.transition(w.interpreter, booking, "accept")
    db.session.commit()
    assert "Ikke besvart" not in card(home(client), "today-interpreters")


@pytest.mark.parametrize("now, shown", [(WINTER, "onsdag 17. mars kl. 09:30"), (SUMMER, "onsdag 16. juni kl. 09:30")])
def test_a_session_time_on_the_home_is_oslo_time_in_winter_and_summer(client, travel_to, now, shown):
    travel_to(now)
    w = f.world()
    lead_seen(client, w.lead)
    day = (now + dt.timedelta(days=7)).date()
    _session, booking = _interpreted_session(w, f.oslo(day.year, day.month, day.day, 9, 30))
    booking.answer_deadline = now + dt.timedelta(hours=2)
    db.session.commit()
    interpreters = card(home(client), "today-interpreters")
    assert shown in interpreters
    assert "08:30" not in interpreters and "07:30" not in interpreters
    assert "kl. 12:00" in interpreters  # the answer deadline, two hours after 10:00 Oslo time


def test_an_absence_that_hits_a_published_session_shows_until_the_session_is_dealt_with(client, winter):
    w = f.world()
    lead_seen(client, w.lead)
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 16, 9))
    quiet = Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 3, 11), end_date=dt.date(2027, 3, 12))
    db.session.add(quiet)
    db.session.commit()
    # An absence over days already past is no longer something to move.
    f.published_session(w.counsellor, f.referral(name="Past Person"), start=f.oslo(2027, 3, 9, 9))
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 3, 8), end_date=dt.date(2027, 3, 10)))
    db.session.commit()
    assert "Ikke noe fravær rammer en publisert veiledning" in card(home(client), "today-absences")

    hit = Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 3, 17))
    db.session.add(hit)
    db.session.commit()
    absences = card(home(client), "today-absences")
    assert f'href="/planning/absences/{hit.id}"' in absences and f"/planning/absences/{quiet.id}\"" not in absences
    assert w.counsellor.name in absences and "1 veiledning må flyttes" in absences
    assert "15. mars – 17. mars" in absences

    bookings.cancel_session(w.lead, session, "counsellor_unavailable")
    assert f'href="/planning/absences/{hit.id}"' not in card(home(client), "today-absences")



def test_the_absence_page_moves_or_cancels_each_hit_session_still_ahead(client, winter):
    """A counsellor phones in sick: from the absence page the lead moves or cancels each session still
    ahead, one by one, without a new plan; a session already begun offers neither."""
    w = f.world()
    f.login(client, w.lead)
    begun = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 10, 9))
    ahead = f.published_session(w.counsellor, f.referral(name="Next Person"), start=f.oslo(2027, 3, 11, 9))
    sick = Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 3, 10), end_date=dt.date(2027, 3, 11))
    one_day = Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 3, 11), end_date=dt.date(2027, 3, 11))
    db.session.add_all([sick, one_day])
    db.session.commit()
    page = client.get(f"/planning/absences/{sick.id}").get_data(as_text=True)
    assert "2 publiserte timer trenger et annet tidspunkt" in page
    back = f"?back=/planning/absences/{sick.id}"
    assert f'href="/planning/sessions/{ahead.id}/edit{back}"' in page
    assert f'href="/planning/sessions/{ahead.id}/cancel{back}"' in page
    assert f"/planning/sessions/{begun.id}/" not in page
    assert client.get(f"/planning/sessions/{ahead.id}/edit").status_code == 200
    page = client.get(f"/planning/absences/{one_day.id}").get_data(as_text=True)
    assert "1 publisert time trenger et annet tidspunkt" in page

def test_new_referrals_since_the_last_visit_stay_while_the_lead_works_through_them(client, travel_to):
    travel_to(WINTER)
    w = f.world()
    f.login(client, w.lead)
    first = card(home(client), "today-new")  # the first visit looks back seven days
    assert "Mottatt siden onsdag 3. mars kl. 10:00" in first
    assert "Amal Haddad" in first and "Yonas Tesfay" in first and f'href="/referrals/{w.own_referral.id}"' in first

    travel_to(WINTER + dt.timedelta(minutes=10))  # back from a referral: the same visit, the same list
    assert "Amal Haddad" in card(home(client), "today-new")
    for n in range(5):   # more than the card lists: the rest is a link to them in the queue
        f.referral(name=f"Extra Person {n}")
    more = card(home(client), "today-new")
    # The link goes to the queue's waiting list, which holds more than these: its words carry no count.
    assert 'Og 2 til. <a href="/queue/?status=received">Se alle henvisningene som venter i køen</a>' in more

    travel_to(WINTER + dt.timedelta(hours=3))  # the next visit: only what came since the last view
    fresh = f.referral(name="Fresh Person")
    f.login(client, w.lead)  # three idle hours ended the session (SESSION_IDLE_MINUTES)
    new = card(home(client), "today-new")
    assert "Fresh Person" in new and fresh.reference in new and "Amal Haddad" not in new
    assert '<strong class="tag tag-blue">1 ny</strong>' in new
    assert "Mottatt siden onsdag 10. mars kl. 10:10" in new
    assert "booket allerede" not in new
    assert "i dag kl. 13:00" in new  # received 13:00 Oslo time (12:00 UTC)
    # Booked since it came ("Finn tid"): still new, and the card says it needs no booking.
    f.published_session(w.counsellor, fresh, start=f.oslo(2027, 3, 15, 9))
    new = card(home(client), "today-new")
    assert '<strong class="tag tag-blue">1 ny</strong>' in new and "1 av dem er booket allerede." in new

    travel_to(WINTER + dt.timedelta(hours=5))
    f.login(client, w.lead)
    new = card(home(client), "today-new")
    assert "Fresh Person" not in new and "Ingen nye henvisninger" in new


def test_sessions_this_week_without_an_outcome_show_until_recorded(client, winter):
    w = f.world()
    lead_seen(client, w.lead)
    other = f.referral(name="Second Person")
    yesterday = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 9, 9))
    monday = f.published_session(w.counsellor, other, start=f.oslo(2027, 3, 8, 13))
    last_week = f.published_session(w.counsellor, f.referral(name="Third"), start=f.oslo(2027, 3, 5, 9))
    today_later = f.published_session(w.counsellor, f.referral(name="Fourth"), start=f.oslo(2027, 3, 10, 13))
    long_ago = f.published_session(w.counsellor, f.referral(name="Fifth"), start=f.oslo(2027, 2, 23, 9))
    outcomes_card = card(home(client), "today-outcomes")
    # each to its day's plan, where the session is (the run's table of references said nothing of outcomes)
    assert f'href="/grids/day?date=2027-03-09#session-{yesterday.id}"' in outcomes_card
    assert "tirsdag 9. mars kl. 09:00" in outcomes_card and "mandag 8. mars kl. 13:00" in outcomes_card
    # last week's too: on a Monday the card emptied and they were never recorded; not today's, not older
    assert "fredag 5. mars kl. 09:00" in outcomes_card and "onsdag 10. mars" not in outcomes_card
    assert "23. februar" not in outcomes_card
    assert w.counsellor.name in outcomes_card and "3 veiledninger" in outcomes_card
    assert today_later.id and long_ago.id

    for session, referral in ((yesterday, w.own_referral), (monday, other), (last_week, last_week.participants[0].referral)):
        outcomes.record_outcomes(w.counsellor, session, {referral.id: Outcome.ATTENDED})
    assert "Alle veiledninger de siste to ukene har utfall" in card(home(client), "today-outcomes")


def test_on_a_monday_last_weeks_sessions_are_still_in_the_window():
    assert today_service.outcome_window(dt.date(2027, 3, 8)) == (dt.date(2027, 2, 22), dt.date(2027, 3, 7))
    assert today_service.outcome_window(dt.date(2027, 3, 10)) == (dt.date(2027, 2, 24), dt.date(2027, 3, 9))


def test_the_interpreter_budget_used_this_month(client, winter):
    w = f.world()
    lead_seen(client, w.lead)
    assert "Budsjett ikke satt" in card(home(client), "today-budget")
    _session, booking = _interpreted_session(w, f.oslo(2027, 3, 17, 9))
    booking.cost_ore = 150_000  # 1 500 kr
    db.session.add(InterpreterBudget(county_id=w.lead.county_id, month=dt.date(2027, 3, 1), amount_ore=1_000_000))
    db.session.commit()
    budget = card(home(client), "today-budget")
    assert "Tolkebudsjett, mars" in budget and "15 %" in budget and "brukt: 1\xa0500\xa0kr av 10\xa0000\xa0kr" in budget
    assert "Innenfor budsjett" in budget and 'href="/dashboard/#interpreter-heading"' in budget
    assert 'class="meter-fill" width="15"' in budget   # drawn to the percent: steps of ten drew 99 % as 90 %
    booking.cost_ore = 1_200_000
    db.session.commit()
    budget = card(home(client), "today-budget")
    assert "Over budsjett" in budget and 'class="meter-fill meter-over" width="100"' in budget
    # A month given 0 kr: no share of nothing, the figures alone.
    db.session.scalar(select(InterpreterBudget)).amount_ore = 0
    db.session.commit()
    budget = card(home(client), "today-budget")
    assert "None" not in budget and "Over budsjett" in budget and "brukt: 12\xa0000\xa0kr av 0\xa0kr" in budget
    assert 'class="meter-fill meter-over" width="100"' in budget


def test_the_budget_card_names_a_later_month_already_over_its_budget(client, winter):
    """July was booked to 71 934 kr against 60 000: the home card spoke of this month only, and the dashboard's
    table had no mark."""
    w = f.world()
    lead_seen(client, w.lead)
    _session, booking = _interpreted_session(w, f.oslo(2027, 4, 14, 9))
    booking.cost_ore = 720_000
    db.session.add_all([InterpreterBudget(county_id=w.lead.county_id, month=dt.date(2027, 3, 1), amount_ore=1_000_000),
                        InterpreterBudget(county_id=w.lead.county_id, month=dt.date(2027, 4, 1), amount_ore=600_000)])
    db.session.commit()
    budget = card(home(client), "today-budget")
    assert "En senere måned er allerede over budsjettet" in budget
    assert "april 2027: 7\xa0200\xa0kr av 6\xa0000\xa0kr" in budget, budget
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    row = dashboard[dashboard.index("april 2027"):][:400]
    assert "Over budsjett" in row, row
    db.session.scalar(select(InterpreterBudget).where(InterpreterBudget.month == dt.date(2027, 4, 1))).amount_ore = 800_000
    db.session.commit()
    assert "senere måned" not in card(home(client), "today-budget")
    # Setting a budget below what is booked says so at once (the save said only "saved").
    saved = client.post("/dashboard/budget", data={"month": "2027-04", "amount": "5 000"}, follow_redirects=True)
    assert "April 2027 har allerede 7\xa0200\xa0kr i tolker booket, mer enn dette budsjettet på 5\xa0000\xa0kr" in \
        saved.get_data(as_text=True)


def test_the_budget_card_warns_near_the_budget_and_on_a_pace_past_it(client, winter):
    """The walkthrough: green "Within budget" at 96 %. At 90 % spent and booked, or when the month's pace
    (rules.budget) carries past the budget, the card warns in orange, and says why."""
    w = f.world()
    lead_seen(client, w.lead)
    db.session.add(InterpreterBudget(county_id=w.lead.county_id, month=dt.date(2027, 3, 1), amount_ore=1_000_000))
    _session, ahead = _interpreted_session(w, f.oslo(2027, 3, 17, 9))
    ahead.cost_ore = 960_000  # 9 600 kr of 10 000, all still ahead
    db.session.commit()
    budget = card(home(client), "today-budget")
    assert "96 %" in budget and "Nesten brukt opp" in budget and "tag-orange" in budget
    assert "Innenfor budsjett" not in budget and "tag-green" not in budget and "meter-warn" in budget
    assert "Det er lite igjen til nye tolkebestillinger denne måneden" in budget

    # 40 % booked, but 4 000 kr of it held on 8 March: 7 working days gone of March's 20 make about 11 400 kr.
    ahead.cost_ore = 0
    _session, held = _interpreted_session(w, f.oslo(2027, 3, 8, 9))
    held.cost_ore = 400_000
    db.session.commit()
    budget = card(home(client), "today-budget")
    assert "40 %" in budget and "På vei over budsjettet" in budget and "Innenfor budsjett" not in budget
    assert "blir kostnaden omtrent 11\xa0400\xa0kr ved utgangen av måneden" in budget

    held.cost_ore = 300_000  # about 8 600 kr by the end of the month: within
    db.session.commit()
    budget = card(home(client), "today-budget")
    assert "Innenfor budsjett" in budget and "omtrent" not in budget


def test_another_countys_data_never_appears(client, winter):
    f.centre()
    f.centre("18", town="1804")
    set_up()
    lead = f.user(Role.LEAD)
    nordland_lead = f.user(Role.LEAD, county_number="18")
    nordland_counsellor = f.user(Role.COUNSELLOR, county_number="18", name="Nordland Counsellor")
    nordland_referral = f.referral(municipality_number="1804", name="Nordland Person", deadline=dt.date(2027, 3, 1))
    session = f.published_session(nordland_counsellor, nordland_referral, start=f.oslo(2027, 3, 9, 9))
    session.run = PlanningRun(county_id=nordland_lead.county_id, status="succeeded", published_at=WINTER)
    later = f.published_session(nordland_counsellor, f.referral(municipality_number="1804", name="Nordland Two"),
                                start=f.oslo(2027, 3, 16, 9))
    later.run = session.run
    db.session.add(Absence(user_id=nordland_counsellor.id, start_date=dt.date(2027, 3, 16),
                           end_date=dt.date(2027, 3, 16)))
    db.session.commit()

    f.login(client, lead)
    page = home(client)
    for text in ("Nordland Person", "Nordland Two", "Nordland Counsellor", nordland_referral.reference):
        assert text not in page
    assert "Ingenting venter på deg i dag" in page  # Vestland has nothing to do

    other = client.application.test_client()
    f.login(other, nordland_lead)
    theirs = home(other)
    assert "Nordland Person" in card(theirs, "today-deadlines")
    assert "Nordland Counsellor" in card(theirs, "today-absences")
    assert "Nordland Counsellor" in card(theirs, "today-outcomes")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COUNSELLOR, Role.REFERRER, Role.INTERPRETER])
def test_the_other_roles_homes_still_work(client, winter, role):
    w = f.world()
    person = {Role.ADMIN: w.admin, Role.COUNSELLOR: w.counsellor, Role.REFERRER: w.referrer,
              Role.INTERPRETER: w.interpreter}[role]
    f.login(client, person)
    page = home(client)
    assert "today-deadlines" not in page
    assert db.session.get(type(person), person.id).last_seen_home_at is None


def test_viewing_the_home_records_the_visit(client, winter):
    w = f.world()
    f.login(client, w.lead)
    home(client)
    db.session.expire_all()
    assert db.session.get(type(w.lead), w.lead.id).last_seen_home_at == WINTER


def test_a_county_not_set_up_yet_leads_its_lead_to_the_set_up_not_to_all_clear(client, winter):
    """A new lead of an empty county read "All clear, nothing needs you" (the go-live review)."""
    lead = f.user(Role.LEAD)
    lead_seen(client, lead)
    page = home(client)
    assert "Ingenting venter på deg i dag" not in page
    assert "Sett opp fylket før den første planen" in page
    for link in (f'href="/setup/counties/{lead.county_id}"', 'href="/people/counsellors"', 'href="/people/interpreters"',
                 f'href="/setup/counties/{lead.county_id}/workbook"'):
        assert link in page
    f.centre()
    set_up()
    assert "Sett opp fylket før den første planen" not in home(client)


def test_and_n_more_outcomes_lists_them_all_on_the_home(client, winter):
    w = f.world()
    lead_seen(client, w.lead)
    for day in (8, 9):
        for hour in (9, 11, 13, 15):
            f.published_session(w.counsellor, f.referral(name=f"Person {day} {hour}"), start=f.oslo(2027, 3, day, hour))
    outcomes_card = card(home(client), "today-outcomes")
    assert "8 veiledninger" in outcomes_card and outcomes_card.count("uten utfall</strong>") == 5
    assert 'href="/?all=1#today-outcomes">Og 3 til.' in outcomes_card
    everything = card(client.get("/?all=1").get_data(as_text=True), "today-outcomes")
    assert everything.count("uten utfall</strong>") == 8 and "Og 3 til" not in everything


def test_sessions_an_account_change_broke_are_on_the_home(client, winter):
    """An administrator deactivated an interpreter with 28 accepted bookings; the lead's home said "on track"
    and only the set-up page knew."""
    import html as html_module

    from tests.app.planning.helpers import planning_world

    w = planning_world()   # the counsellor works at the location
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 16, 10), interpreter=w.interpreter)
    lead_seen(client, w.lead)
    assert 'id="today-broken"' not in home(client)
    w.interpreter.active = False
    db.session.commit()
    page = html_module.unescape(home(client))
    section = page[page.index('id="today-broken"'):]
    section = section[:section.index("</section>")]
    assert "1 publisert time passer ikke lenger" in section and w.own_referral.reference in section
    assert "tirsdag 16. mars kl. 10:00" in section and w.interpreter.name in section
    assert f'href="/readiness/counties/{w.lead.county_id}#broken-heading"' in section
    assert session.id


def test_a_month_just_over_its_budget_does_not_read_100_percent():
    """160 349 of 160 000 said "100 % used" beside "Over budget"."""
    import datetime as dt

    from guidance.services.today import Budget

    month = dt.date(2026, 12, 1)
    assert Budget(month, 160_349, 160_000).percent == 101
    assert Budget(month, 159_900, 160_000).percent == 100   # under it: never more than it is
    assert Budget(month, 80_000, 160_000).percent == 50 and Budget(month, 10, None).percent is None
