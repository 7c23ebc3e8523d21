"""The lead types in a location with its opening hours and a room, by keyboard and clicks, in
Norwegian; the next planning instance holds exactly that (issue 21)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.browser.conftest import login, new_context, screenshot


def test_lead_types_in_a_location_with_hours_and_a_room_nb(browser, live):
    from playwright.sync_api import expect

    from guidance.extensions import db
    from guidance.models import Location, User
    from guidance.planning import InstanceOptions, build_instance

    ctx = new_context(browser)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live, live.world.lead)
        page.get_by_role("navigation").get_by_role("link", name="Oppsett").click()
        screenshot(page, "journey-setup-nb-1-county")
        page.get_by_role("link", name="Nytt kontorsted").click()

        page.get_by_label("Navn", exact=True).click()
        page.keyboard.type("Karrieresenter Odda")
        page.get_by_label("Kommune", exact=True).select_option(label="Ullensvang")
        # Nothing is chosen for the lead: Odda is its own centre, not silently Bergen's.
        page.get_by_label("Karrieresenter", exact=True).select_option(label="Et nytt karrieresenter med dette navnet")
        page.get_by_label("Gateadresse").click()
        page.keyboard.type("Almerket 3, 5750 Odda")
        page.get_by_label("Trinnfri tilgang").check()

        def times(day: str, values: list[str]) -> None:
            """Type a weekday's four times, from field to field with Tab, as a keyboard user does."""
            group = page.get_by_role("group", name=day)
            group.get_by_label("Åpner", exact=True).focus()
            for value in values:
                page.keyboard.press("Control+A")
                page.keyboard.type(value) if value else page.keyboard.press("Delete")
                page.keyboard.press("Tab")

        # Monday with a closed lunch hour, typed wrong first: the periods overlap.
        times("Mandag", ["09:00", "11:30", "11:00", "15:00"])
        times("Tirsdag", ["09:00", "11:30", "12:00", "15:00"])
        for day in ("Onsdag", "Torsdag", "Fredag"):  # closed
            times(day, ["", "", "", ""])
        with page.expect_navigation():
            page.get_by_role("button", name="Opprett kontorstedet").click()
        screenshot(page, "journey-setup-nb-2-errors")
        summary = page.locator(".error-summary")
        expect(summary).to_contain_text("Mandag: de to åpningsperiodene overlapper.")
        assert page.get_by_label("Gateadresse").input_value() == "Almerket 3, 5750 Odda"
        summary.get_by_role("link").first.click()
        assert page.evaluate("() => document.activeElement.name") == "h1_2_from"
        page.keyboard.press("Control+A")
        page.keyboard.type("12:00")
        with page.expect_navigation():
            page.get_by_role("button", name="Opprett kontorstedet").click()
        screenshot(page, "journey-setup-nb-3-created")
        expect(page.locator(".flash").first).to_contain_text("Kontorstedet er opprettet")

        page.get_by_role("link", name="Legg til et rom").click()
        page.get_by_label("Navn", exact=True).click()
        page.keyboard.type("Samtalerom 1")
        page.get_by_label("Deltakere rommet har plass til").fill("")
        page.get_by_label("Deltakere rommet har plass til").click()
        page.keyboard.type("2")
        page.get_by_label("Videoutstyr").focus()
        page.keyboard.press("Space")
        with page.expect_navigation():
            page.get_by_role("button", name="Legg til rommet").click()
        screenshot(page, "journey-setup-nb-4-room")
        expect(page.get_by_role("link", name="Samtalerom 1")).to_be_visible()

        with live.app_context():
            location = db.session.scalar(select(Location).where(Location.name == "Karrieresenter Odda"))
            lead = db.session.get(User, live.world.lead.id)
            instance = build_instance(lead.county, InstanceOptions(today=dt.date(2027, 1, 8)))
            placed = next(loc for loc in instance["locations"] if loc["id"] == f"L{location.id}")
            assert (location.address, location.step_free) == ("Almerket 3, 5750 Odda", True)
            assert placed["place"] == "4618"  # Ullensvang
            assert placed["opening"] == [["09:00", "11:30"], ["12:00", "15:00"]]
            assert {dt.date.fromisoformat(d).isoweekday() for d in placed["open_dates"]} == {1, 2}
            assert placed["rooms"] == [{"id": f"room{location.rooms[0].id}", "capacity": 2, "video": True}]
    finally:
        ctx.close()
