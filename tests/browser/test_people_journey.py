"""A lead types in a counsellor with weekly hours, in a browser without JavaScript (issue 21)."""
from __future__ import annotations

import datetime as dt

from tests.browser.conftest import login, new_context, screenshot


def test_lead_types_in_a_counsellor_with_weekly_hours_without_javascript(browser, live):
    from playwright.sync_api import expect
    from sqlalchemy import select

    from guidance.extensions import db
    from guidance.models import CounsellorProfile, County, User
    from guidance.planning.instance import InstanceOptions, build_instance

    ctx = new_context(browser, java_script_enabled=False)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live, live.world.lead)
        page.get_by_role("navigation").get_by_role("link", name="Karriereveiledere").click()
        page.get_by_role("link", name="Ny karriereveileder").click()
        page.get_by_label("Fullt navn").fill("Ingrid Haugland")
        page.get_by_label("E-postadresse").fill("ingrid.haugland@karriere.example.no")
        page.get_by_label("Har fullført kurset i flerkulturell veiledning").check()
        page.get_by_label("Kurset fullført (valgfritt)").fill("2025-06-12")
        languages = page.get_by_role("group", name="Språk veilederen holder veiledning på")
        expect(languages.get_by_label("Norsk bokmål")).to_be_checked()  # a new counsellor speaks Norwegian
        # Amharic: no other journey's participant speaks it, so this counsellor (Monday and Wednesday)
        # is never the one who makes their interpreter unneeded.
        languages.get_by_label("Amharisk").check()
        others = page.get_by_role("group", name="Andre språk karriereveilederen holder veiledning på (valgfritt)")
        others.get_by_label("Språk 1").select_option("is")
        page.get_by_role("group", name="Kontorsteder veilederen jobber fra").get_by_role("checkbox").first.check()
        # The week starts as most colleagues work (Monday to Friday, 08:00-15:30); this one works Monday and
        # Wednesday: the other days are emptied.
        expect(page.get_by_role("group", name="Tirsdag").get_by_label("Fra")).to_have_value("08:00")
        for day_off in ("Tirsdag", "Torsdag", "Fredag"):
            page.get_by_role("group", name=day_off).get_by_label("Fra").fill("")
            page.get_by_role("group", name=day_off).get_by_label("Til").fill("")
        monday = page.get_by_role("group", name="Mandag")
        monday.get_by_label("Fra").fill("08:00")
        monday.get_by_label("Til").fill("15:30")
        # A slip of the hand: Wednesday ends before it starts.
        wednesday = page.get_by_role("group", name="Onsdag")
        wednesday.get_by_label("Fra").fill("12:00")
        wednesday.get_by_label("Til").fill("09:00")
        page.get_by_label("Høyst så mange veiledninger per dag").fill("3")
        with page.expect_navigation():
            page.get_by_role("button", name="Lagre karriereveilederen").click()
        screenshot(page, "journey-people-nb-1-error")
        summary = page.locator(".error-summary")
        expect(summary).to_contain_text("Onsdag må slutte etter at den begynner.")   # the day named
        # The typed data is kept; the summary links to the field.
        expect(page.get_by_role("group", name="Mandag").get_by_label("Til")).to_have_value("15:30")
        summary.get_by_role("link", name="Onsdag må slutte etter at den begynner.").click()
        wednesday = page.get_by_role("group", name="Onsdag")
        wednesday.get_by_label("Fra").fill("09:00")
        wednesday.get_by_label("Til").fill("12:00")
        with page.expect_navigation():
            page.get_by_role("button", name="Lagre karriereveilederen").click()
        screenshot(page, "journey-people-nb-2-saved")
        expect(page.locator(".flash-success")).to_contain_text("Karriereveilederen er lagret.")
        expect(page.get_by_role("heading", level=1)).to_have_text("Ingrid Haugland")
    finally:
        ctx.close()

    with live.app_context():
        user = db.session.scalar(select(User).where(User.email == "ingrid.haugland@karriere.example.no"))
        profile = db.session.scalar(select(CounsellorProfile).where(CounsellorProfile.user_id == user.id))
        assert profile.weekly == {"1": [["08:00", "15:30"]], "3": [["09:00", "12:00"]]}
        assert profile.languages == ["nb", "am", "is"] and profile.max_sessions_per_day == 3
        assert profile.multicultural and profile.multicultural_completed_on == dt.date(2025, 6, 12)
        county = db.session.scalar(select(County).where(County.id == user.county_id))
        instance = build_instance(county, InstanceOptions(today=dt.date(2026, 12, 3)))
        [entry] = [c for c in instance["counsellors"] if c["id"] == f"C{profile.id}"]
        assert entry["weekly"] == {"1": [["08:00", "15:30"]], "3": [["09:00", "12:00"]]}
        assert len(entry["locations"]) == 1
        db.session.remove()
