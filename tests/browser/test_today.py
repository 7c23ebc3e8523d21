"""The lead's home with something in every card, in Chromium: axe-clean, readable at 320 px,
and a screenshot for review (test-artifacts/browser/today-lead-home-*.png)."""
from __future__ import annotations

import datetime as dt

from tests.browser.conftest import choose_language, login, new_context, screenshot
from tests.browser.test_accessibility import _describe, axe_violations


def _busy_day(live) -> None:
    """Deadlines passed and near, a declined and an unanswered interpreter request, an absence that
    hits a session, a session yesterday without an outcome and a budget for this month."""
    from guidance.extensions import db
    from guidance.models import Absence, InterpreterBudget, User
    from guidance.planning.ids import local_today
    from guidance.rules.deadlines import is_working_day
    from guidance.services import bookings
    from tests.app import factories as f

    today = local_today()

    def working_day(start: dt.date, step: int) -> dt.date:
        day = start + dt.timedelta(days=step)
        while not is_working_day(day):
            day += dt.timedelta(days=1 if step > 0 else -1)
        return day

    with live.app_context():
        counsellor = db.session.get(User, live.world.counsellor.id)
        interpreter = db.session.get(User, live.world.interpreter.id)
        f.referral(name="Hamid Rahimi", language="fa", deadline=today - dt.timedelta(days=9))
        f.referral(name="Iryna Shevchenko", language="uk", deadline=working_day(today, 3))
        f.referral(name="Samira Yusuf", language="so", deadline=working_day(today, 1))
        ahead = working_day(today, 4)
        declined = f.published_session(counsellor, f.referral(name="Noor Ali"), interpreter=interpreter,
                                       start=f.oslo(ahead.year, ahead.month, ahead.day, 9))
        booking = bookings.new_booking(declined)
        db.session.flush()
        bookings.transition(interpreter, booking, "decline", reason="Opptatt")
        later = working_day(today, 2)
        waiting = f.published_session(counsellor, f.referral(name="Ali Hassan"), interpreter=interpreter,
                                      start=f.oslo(later.year, later.month, later.day, 13, 30), room_name="Grupperom")
        asked = bookings.new_booking(waiting)
        asked.answer_deadline = f.oslo(today.year, today.month, today.day, 23, 0)
        asked.cost_ore = 1_850_000
        yesterday = working_day(today, -1)
        f.published_session(counsellor, f.referral(name="Yusuf Omar"), start=f.oslo(yesterday.year, yesterday.month,
                                                                                      yesterday.day, 10))
        db.session.add(Absence(user_id=counsellor.id, start_date=ahead, end_date=ahead, reason=None))
        db.session.add(InterpreterBudget(county_id=counsellor.county_id, month=today.replace(day=1),
                                         amount_ore=3_000_000))
        db.session.commit()
        db.session.remove()


def test_the_lead_home_with_data_reads_well_and_passes_axe(browser, live):
    from playwright.sync_api import expect

    _busy_day(live)
    context = new_context(browser)
    page = context.new_page()
    login(page, live, live.world.lead)  # lands on the home: a visit
    with live.app_context():
        from guidance.extensions import db
        from tests.app import factories as f

        f.referral(name="Mariam Tesfay", language="ti", municipality_number="4621")
        db.session.remove()
    page.goto(f"{live.url}/")
    for heading in ("Frister uten veiledning", "Tolkebestillinger", "Fravær", "Nye henvisninger", "Utfall mangler"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text("Passert for 9 dager siden")).to_be_visible()
    expect(page.get_by_role("link", name="Mariam Tesfay")).to_be_visible()  # new since the visit at login
    screenshot(page, "today-lead-home-nb")
    assert not (violations := axe_violations(page, "today-lead-home-nb")), _describe(violations)

    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live.url}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "today-lead-home-320")
    context.close()

    english = new_context(browser, locale="en-GB")
    page = english.new_page()
    choose_language(page, live, "en")  # the lead's saved bokmål wins over the browser; the switcher wins over both
    login(page, live, live.world.lead)
    expect(page.get_by_role("heading", name="Deadlines without a session", exact=True)).to_be_visible()
    expect(page.get_by_text("Passed 9 days ago")).to_be_visible()
    screenshot(page, "today-lead-home-en")
    assert not (violations := axe_violations(page, "today-lead-home-en")), _describe(violations)
    english.close()
