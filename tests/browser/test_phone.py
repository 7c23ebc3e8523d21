"""A counsellor's day on a phone (375 px): the day's sessions as cards, nothing to scroll sideways (the table
was 881 px wide in a 343 px box: type, language, interpreter and participants were off screen)."""
from __future__ import annotations

from tests.browser.conftest import login, new_context, screenshot


def test_the_counsellors_day_reads_on_a_phone_without_scrolling_sideways(browser, live):
    from playwright.sync_api import expect

    from guidance.extensions import db
    from guidance.models import User
    from tests.app import factories as f

    day = f.future_weekday(weeks=7, weekday=4)
    with live.app_context():
        counsellor = db.session.get(User, live.world.counsellor.id)
        interpreter = db.session.get(User, live.world.interpreter.id)
        f.published_session(counsellor, f.referral(name="Telefon Deltaker", language="ar"), interpreter=interpreter,
                            start=f.oslo(day.year, day.month, day.day, 14, 15))
        db.session.remove()
    ctx = new_context(browser, viewport={"width": 375, "height": 800})
    page = ctx.new_page()
    try:
        login(page, live, live.world.counsellor)
        page.goto(f"{live.url}/week/day/{day.isoformat()}")
        expect(page.get_by_text("Telefon Deltaker")).to_be_in_viewport()
        expect(page.get_by_text(live.world.interpreter.name)).to_be_in_viewport()
        region = page.locator(".table-scroll")
        assert region.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1"), region.evaluate("(e) => [e.scrollWidth, e.clientWidth]")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # The menu's links are finger-sized targets (they were 19 px high).
        heights = page.locator(".main-nav ul a").evaluate_all("(links) => links.map(a => a.getBoundingClientRect().height)")
        assert heights and min(heights) >= 24, heights
        screenshot(page, "counsellor-day-375")
    finally:
        ctx.close()


def test_an_interpreters_calendar_page_on_a_phone_keeps_its_choices_tappable_and_copies_the_address(browser, live):
    """The second e-mail choice was squeezed to a 7-px dot by its long label; the address shown once had to be
    selected by hand in a read-only field, and "switch off" touched the button above it."""
    ctx = new_context(browser, viewport={"width": 375, "height": 800}, permissions=["clipboard-read", "clipboard-write"])
    page = ctx.new_page()
    try:
        login(page, live, live.world.interpreter)
        page.goto(f"{live.url}/bookings/calendar")
        widths = page.locator(".choices input[type=radio]").evaluate_all(
            "(boxes) => boxes.map(b => b.getBoundingClientRect().width)")
        assert len(widths) >= 2 and min(widths) >= 24, widths
        page.get_by_role("button", name="Lag kalenderadressen min").click()
        address = page.locator("#feed-url").input_value()
        page.get_by_role("button", name="Kopier adressen").click()
        page.get_by_text("Adressen er kopiert.").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == address
        page.goto(f"{live.url}/bookings/calendar")
        make = page.get_by_role("button", name="Lag en ny kalenderadresse").bounding_box()
        off = page.get_by_role("button", name="Slå av kalenderadressen min").bounding_box()
        assert off["y"] - (make["y"] + make["height"]) >= 24, (make, off)
        screenshot(page, "interpreter-calendar-375")
    finally:
        ctx.close()
