"""A Vestland lead who chose no language lands on nynorsk pages, and can switch."""
from __future__ import annotations

from guidance.models import Role
from tests.browser.conftest import login, new_context, screenshot


def test_vestland_lead_without_a_choice_lands_on_the_home_page_in_nynorsk(browser, live):
    from tests.app import factories as f

    with live.app_context():
        lead = f.user(Role.LEAD, language=None, name="Solveig Nes")
        lead_email, lead_id = lead.email, lead.id
    ctx = new_context(browser, locale="nb-NO")  # the browser asks for bokmål; the county writes nynorsk
    page = ctx.new_page()
    try:
        login(page, live, type("Person", (), {"email": lead_email, "id": lead_id})())
        assert page.get_attribute("html", "lang") == "nn"
        assert page.get_by_role("heading", level=1).inner_text() == "Karrieresenter – Vestland"
        assert page.get_by_role("link", name="Sjå køen").is_visible()
        assert page.get_by_role("button", name="Norsk nynorsk").get_attribute("aria-current") == "true"
        screenshot(page, "nynorsk-lead-home")
        page.get_by_role("button", name="Norsk bokmål").click()
        assert page.get_attribute("html", "lang") == "nb"
        assert page.get_by_role("link", name="Se køen").is_visible()
    finally:
        ctx.close()
