"""The counsellor page in Chromium: the days at a location are asked for the locations ticked, and the ones
ticked reach the counsellor's record."""
from __future__ import annotations

from tests.browser.conftest import login, new_context


def test_the_days_at_a_location_show_for_the_ticked_locations_and_are_saved(browser, live):
    from playwright.sync_api import expect

    from guidance.extensions import db
    from guidance.models import CounsellorProfile, User

    with live.app_context():
        profile = db.session.get(User, live.world.counsellor.id).counsellor
        location_id, profile_id = profile.locations[0].id, profile.id
        db.session.remove()
    context = new_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        login(page, live, live.world.lead)
        page.goto(f"{live.url}/people/counsellors/{profile_id}")
        days = page.locator(f"#location-days-{location_id}")
        location = page.locator(f"#location_ids input[value='{location_id}']")
        expect(days).to_be_visible()
        location.uncheck()
        expect(days).to_be_hidden()   # days are asked only for the locations ticked
        location.check()
        expect(days).to_be_visible()
        for day in ("Mandag", "Onsdag", "Torsdag", "Fredag"):
            days.get_by_label(day, exact=True).uncheck()
        page.get_by_role("button", name="Lagre karriereveilederen").click()
        expect(page.locator(".flash-success")).to_be_visible()
        with live.app_context():
            assert db.session.get(CounsellorProfile, profile_id).location_days == {str(location_id): [2]}
            db.session.remove()
    finally:
        context.close()
        with live.app_context():   # the other browser tests plan this counsellor on any day
            db.session.get(CounsellorProfile, profile_id).location_days = {}
            db.session.commit()
            db.session.remove()
