"""Notice choices and the county's text-message reminders in Chromium: axe-clean in nb, nn and en,
usable by keyboard, readable at 320 px (screenshots test-artifacts/browser/notices-*.png)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import choose_language, login, new_context, screenshot
from tests.browser.test_accessibility import _describe, axe_violations


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_the_referrer_chooses_a_daily_summary_by_keyboard(browser, live, language):
    from playwright.sync_api import expect

    context = new_context(browser)
    page = context.new_page()
    try:
        choose_language(page, live, language)
        login(page, live, live.world.referrer)
        page.goto(f"{live.url}/account/notices")
        screenshot(page, f"notices-settings-{language}")
        assert not (violations := axe_violations(page, f"notices-settings-{language}")), _describe(violations)
        radios = page.locator('input[name="referral_sessions"]')
        expect(radios).to_have_count(3)
        radios.nth(1).focus()
        page.keyboard.press("Space")
        page.locator('button[type="submit"]').last.focus()
        with page.expect_navigation():  # the form is sent: wait for the answer, not the old page
            page.keyboard.press("Enter")
        expect(page.locator('input[name="referral_sessions"][value="digest"]')).to_be_checked()
        page.set_viewport_size({"width": 320, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_the_lead_sees_the_text_message_page_without_a_gateway(browser, live):
    context = new_context(browser)
    page = context.new_page()
    try:
        login(page, live, live.world.lead)
        page.goto(f"{live.url}/setup/counties/{live.world.lead.county_id}/text-messages")
        assert page.get_by_role("status").is_visible()
        screenshot(page, "notices-text-messages-nb")
        assert not (violations := axe_violations(page, "notices-text-messages-nb")), _describe(violations)
        page.set_viewport_size({"width": 320, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
