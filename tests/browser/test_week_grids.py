"""Week grids in Chromium (issue 24, item 2): blocks at their Oslo times with status words, axe-clean,
scrolling inside their region at 320 px, and screenshots for review (test-artifacts/browser/week-grid-*.png)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.conftest import login, new_context, screenshot
from tests.browser.test_accessibility import ZOOM_CHECK, _describe, axe_violations


@pytest.fixture(scope="session")
def busy_week(live) -> tuple[str, int, int]:
    """Built once per live app, whichever test asks first: the app is shared by the session, and a second build
    doubles the counsellor's sessions (a module-scoped fixture was built again when the worker's tests of this
    module were not consecutive, as under pytest-xdist's load distribution). Twenty weeks ahead (clear of the lead's "today" lists and of the access fixtures' absence in February 2027):
    the world's counsellor holds three sessions,
    one with an interpreter asked and one cancelled; a second counsellor overlaps at the same location.
    Returns (week key, the counsellor's profile id, the location id)."""
    from guidance.extensions import db
    from guidance.models import InterpreterBooking, Role, User
    from guidance.planning.ids import local_today
    from tests.app import factories as f

    monday = local_today() + dt.timedelta(weeks=20)
    monday -= dt.timedelta(days=monday.weekday())
    tuesday, wednesday = monday + dt.timedelta(days=1), monday + dt.timedelta(days=2)
    with live.app_context():
        counsellor = db.session.get(User, live.world.counsellor.id)
        interpreter = db.session.get(User, live.world.interpreter.id)
        colleague = f.user(Role.COUNSELLOR, name="Kari Nordmann")
        asked = f.published_session(counsellor, f.referral(name="Rahel Tesfay", language="ti"), interpreter=interpreter,
                                    start=f.oslo(tuesday.year, tuesday.month, tuesday.day, 9))
        db.session.add(InterpreterBooking(session=asked, interpreter_id=interpreter.interpreter.id, mode="onsite",
                                          language="ti", billed_minutes=90, cost_ore=108_000,
                                          answer_deadline=f.oslo(monday.year, monday.month, monday.day, 12)))
        f.published_session(counsellor, f.referral(name="Omid Karimi", language="fa"),
                            start=f.oslo(tuesday.year, tuesday.month, tuesday.day, 13))
        f.published_session(counsellor, f.referral(name="Leyla Ahmadi", language="fa"), status="cancelled",
                            start=f.oslo(wednesday.year, wednesday.month, wednesday.day, 10, 30))
        other = f.published_session(colleague, f.referral(name="Jamal Hassan", language="so"), room_name="Grupperom",
                                    start=f.oslo(tuesday.year, tuesday.month, tuesday.day, 9, 30))
        # Hours away beside a session on Thursday (an appointment that came after the plan): a second lane.
        from guidance.models import Absence

        thursday = monday + dt.timedelta(days=3)
        f.published_session(counsellor, f.referral(name="Sara Yohannes", language="ti"),
                            start=f.oslo(thursday.year, thursday.month, thursday.day, 14))
        db.session.add(Absence(user_id=counsellor.id, start_date=thursday, end_date=thursday,
                               away_from=f.oslo(thursday.year, thursday.month, thursday.day, 14, 30),
                               away_until=f.oslo(thursday.year, thursday.month, thursday.day, 15, 30)))
        db.session.commit()
        year, week, _day = monday.isocalendar()
        result = (f"{year}-W{week:02d}", counsellor.counsellor.id, other.location_id)
        db.session.remove()
    return result


def test_week_grids_show_sessions_at_their_times_and_pass_axe(browser, live, busy_week):
    from playwright.sync_api import expect

    week, counsellor_id, location_id = busy_week
    context = new_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, live, live.world.lead)

    page.goto(f"{live.url}/grids/?week={week}&of=counsellor-{counsellor_id}")
    grid = page.locator("table.week-grid")
    expect(grid.locator("li.grid-block").filter(has_text="09:00–10:30")).to_contain_text("Tolk spurt")
    expect(grid.locator("li.grid-block").filter(has_text="13:00–14:30")).to_contain_text("Booket")
    expect(grid.locator("li.grid-block").filter(has_text="10:30–12:00")).to_contain_text("Avlyst")
    expect(grid.locator("li.grid-free").first).to_be_visible()
    # the 09:00 block lies below the 08:00 line and above the 13:00 block of the same day
    nine = grid.locator("li.grid-block").filter(has_text="09:00–10:30").bounding_box()
    one = grid.locator("li.grid-block").filter(has_text="13:00–14:30").bounding_box()
    assert nine["y"] + nine["height"] <= one["y"]
    # the days equally wide however much text each holds (a busy day took the room, Friday's blocks were cut
    # off), and Thursday, with hours away beside a session, wider: the block stays in its own day
    days = grid.locator("thead th").evaluate_all("(ths) => ths.slice(1).map(th => th.getBoundingClientRect().width)")
    one_lane = days[:3] + days[4:]
    assert len(days) == 5 and max(one_lane) - min(one_lane) <= 2 and days[3] > max(one_lane) + 50, days
    move = grid.locator("a.action-link").first.bounding_box()   # Move/Cancel: targets of 24 px at least
    assert move["height"] >= 24, move
    away = grid.locator("li.grid-away").bounding_box()
    thursday = grid.locator("thead th").nth(4).bounding_box()
    assert thursday["x"] <= away["x"] and away["x"] + away["width"] <= thursday["x"] + thursday["width"] + 1, (away, thursday)
    screenshot(page, "week-grid-counsellor-nb")
    assert not (violations := axe_violations(page, "week-grid-counsellor-nb")), _describe(violations)

    page.goto(f"{live.url}/grids/?week={week}&of=location-{location_id}")
    rooms = page.locator("table.room-week tbody tr")
    group_room = rooms.filter(has=page.get_by_role("rowheader", name="Grupperom"))
    expect(group_room.locator("li.grid-block").filter(has_text="09:30–11:00")).to_contain_text("Kari Nordmann")
    expect(group_room.locator("li.grid-block")).to_have_count(1)
    # the location's five days fit 1280 px: nothing to scroll sideways, no block cut off
    region = page.locator("div.table-scroll:has(table.room-week)")
    assert region.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1"), region.evaluate("(e) => [e.scrollWidth, e.clientWidth]")
    screenshot(page, "week-grid-location-nb")
    assert not (violations := axe_violations(page, "week-grid-location-nb")), _describe(violations)

    for width, text_zoom in ((1280, "200%"), (320, "100%")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live.url}/grids/?week={week}&of=counsellor-{counsellor_id}")
        page.evaluate("(size) => { document.documentElement.style.fontSize = size; }", text_zoom)
        result = page.evaluate(ZOOM_CHECK)
        assert result["overflow"] <= 1 and not result["clipped"], (width, result)
        screenshot(page, f"week-grid-counsellor-{width}-{text_zoom.rstrip('%')}")
    context.close()

    context = new_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, live, live.world.counsellor)
    page.goto(f"{live.url}/week/grid?week={week}")
    expect(page.locator("li.grid-block").filter(has_text="09:00–10:30")).to_be_visible()
    expect(page.locator("li.grid-block")).to_have_count(4)  # not the colleague's session
    screenshot(page, "week-grid-own-week-nb")
    assert not (violations := axe_violations(page, "week-grid-own-week-nb")), _describe(violations)
    context.close()


def test_a_counsellors_week_on_a_phone_shows_each_session_whole_and_the_menu_is_short(browser, live, busy_week):
    """390 px (a phone): each session a card whose 'Open' link is on the screen without swiping
    sideways, and the header leaves the page its first screen (the review: an 817-px table in a
    358-px box, 'Open' at x=753, a 342-px header)."""
    week, _counsellor_id, _location_id = busy_week
    year, number = week.split("-W")
    context = new_context(browser, viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, live, live.world.counsellor)
    page.goto(f"{live.url}/week/{year}/{int(number)}")
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] < 250, header
    links = page.get_by_role("link", name="Åpne")
    assert links.count() == 4   # the week's four sessions, the cancelled one included
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= 390, box
        assert box["height"] >= 24, box   # WCAG 2.5.8 target size
    screenshot(page, "week-phone-counsellor")
    # the account's pages are one tap away, logging out is at hand
    page.get_by_text(live.world.counsellor.name, exact=True).click()
    assert page.get_by_role("link", name="Endre passord").is_visible()
    assert page.get_by_role("button", name="Logg ut", exact=True).is_visible()
    context.close()


def test_a_printed_day_plan_and_week_plan_hold_the_sessions_without_the_pages_controls(browser, live, busy_week):
    """Printed for the reception desk, the day plan carried its tabs, pagers, filter form and Move/Cancel
    links, and squeezed the participants' column to a word a line."""
    import io

    from pypdf import PdfReader

    week, _counsellor_id, location_id = busy_week
    year, number = week.split("-W")
    tuesday = dt.date.fromisocalendar(int(year), int(number), 2)
    context = new_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, live, live.world.lead)
    for path in (f"/grids/day?date={tuesday.isoformat()}", f"/grids/?week={week}&of=location-{location_id}"):
        page.goto(f"{live.url}{path}")
        page.emulate_media(media="print")
        pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
        if path.startswith("/grids/day"):
            # landscape, and a participant's name with their reference on one line (four lines each, before)
            box = pdf.pages[0].mediabox
            assert box.width > box.height, (box.width, box.height)
            assert re.search(r"Rahel Tesfay H-[0-9A-Z]{4}-[0-9A-Z]{2}", pdf.pages[0].extract_text()), pdf.pages[0].extract_text()
        # words, however the narrow A4 columns wrap the lines
        text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
        assert "09:00" in text and "Kari Nordmann" in text, text[:400]
        for control in ("Flytt", "Avlys", "Neste", "Forrige", "Vis uken for"):
            assert not re.search(rf"\b{control}\b", text), (path, control)   # "Avlyst", the status, stays
        page.emulate_media(media="screen")
    context.close()
