"""Before the next plan (issue 21, item 4) in Chromium: the lead sees the block on the home in
Norwegian, follows a link to the page that fixes the first item and the link to the whole list;
both pages pass axe."""
from __future__ import annotations

import re

from tests.browser.conftest import login, new_context, screenshot
from tests.browser.test_accessibility import _describe, axe_violations


def test_the_lead_sees_what_stops_the_next_plan_on_the_home_and_follows_its_links(browser, live):
    from playwright.sync_api import expect

    with live.app_context():
        from guidance.extensions import db
        from tests.app import factories as f

        f.referral(name="Kidane Haile", language="ti", municipality_number="4621")
        db.session.remove()
    context = new_context(browser)
    page = context.new_page()
    login(page, live, live.world.lead)
    page.goto(f"{live.url}/")
    block = page.locator("section.today-readiness")
    expect(block.get_by_role("heading", name=re.compile(r"^Før neste plan: \d+ tings? å rette$"))).to_be_visible()
    expect(block.get_by_role("link", name="Legg til en tolk for tigrinja")).to_be_visible()
    screenshot(page, "readiness-lead-home-nb")
    assert not (violations := axe_violations(page, "readiness-lead-home-nb")), _describe(violations)

    block.get_by_role("link", name="Legg til en tolk for tigrinja").click()
    expect(page).to_have_url(re.compile(r"/people/interpreters\?county=46$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.goto(f"{live.url}/")
    page.locator("section.today-readiness").get_by_role("link", name="Se alt som må rettes før planleggingen").click()
    expect(page).to_have_url(re.compile(r"/readiness/counties/\d+$"))
    expect(page.get_by_role("heading", level=1, name=re.compile("^Før neste plan"))).to_be_visible()
    expect(page.get_by_text("tigrinja venter", exact=False).first).to_be_visible()
    screenshot(page, "readiness-county-nb")
    assert not (violations := axe_violations(page, "readiness-county-nb")), _describe(violations)
    context.close()
