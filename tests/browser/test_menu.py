"""The lead's main menu in Chromium: eleven entries, and "My week" for a lead who counsels, on one line at
1280 px in bokmål, nynorsk and English (a second line pushed the page down on every screen, and the English
menu already wrapped by four pixels)."""
from __future__ import annotations

from tests.browser.conftest import login, new_context, screenshot

def _menu_lines(page) -> tuple[int, list[str]]:
    """How many lines the main menu's entries take, and the entries."""
    return page.evaluate("""() => { const items = [...document.querySelectorAll('.main-nav li')];
        return [new Set(items.map(li => Math.round(li.getBoundingClientRect().top))).size,
                items.map(li => li.innerText)]; }""")


def _lead_who_counsels(live):
    """The other county's lead, with an active counsellor profile (no locations: only the menu matters)."""
    from guidance.extensions import db
    from guidance.models import CounsellorProfile, User

    with live.app_context():
        lead = db.session.get(User, live.world.other_county_lead.id)
        if lead.counsellor is None:
            db.session.add(CounsellorProfile(user=lead, multicultural=True, languages=["nb"], active=True))
            db.session.commit()
        db.session.remove()


def test_the_leads_menu_fits_one_line_at_1280_px_in_every_language(browser, live):
    _lead_who_counsels(live)
    for lead, counsels in ((live.world.lead, False), (live.world.other_county_lead, True)):
        ctx = new_context(browser)
        page = ctx.new_page()
        try:
            login(page, live, lead)
            # The switcher in the page's header, as a lead changes language; bokmål last: the choice is kept
            # as the user's own, and the shared live world's lead reads bokmål in the other tests.
            for language in ("nn", "en", "nb"):
                page.goto(f"{live.url}/")
                page.click(f"form.language-switcher button[value={language}]")
                page.wait_for_load_state()
                lines, entries = _menu_lines(page)
                assert len(entries) == (12 if counsels else 11), entries
                assert lines == 1, (language, counsels, entries)
                assert {"nb": "Tolkebestillinger", "nn": "Tolkebestillingar", "en": "Interpreting"}[language] in entries
                if counsels:
                    screenshot(page, f"menu-counselling-lead-{language}")
        finally:
            ctx.close()


def test_the_referrers_page_is_reached_from_the_set_up_and_marked_there(browser, live):
    from playwright.sync_api import expect

    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.lead)
        page.goto(f"{live.url}/setup/")
        page.get_by_role("link", name="Henvisere: kommunenes rådgivere som henviser deltakere").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Henvisere")
        expect(page.locator(".main-nav a[aria-current=page]")).to_have_text("Oppsett")
    finally:
        ctx.close()
