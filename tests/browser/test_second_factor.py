"""Two-step login in Chromium: a new lead sets it up (QR code page, axe-clean), keeps the recovery
codes, and logs in again with a code; screenshots test-artifacts/browser/second-factor-*.png."""
from __future__ import annotations

import re

import pyotp

from tests.browser.conftest import new_context, screenshot
from tests.browser.test_accessibility import _describe, axe_violations


def test_a_new_lead_sets_up_two_step_login_and_logs_in_with_a_code(browser, live):
    from guidance.extensions import db
    from guidance.models import Role
    from tests.app import factories as f

    with live.app_context():
        lead = f.user(Role.LEAD, name="Nora Ny")
        lead.totp_secret = lead.totp_enabled_at = None  # as created by an administrator
        db.session.commit()
        email = lead.email
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        page.goto(f"{live.url}/login")
        page.get_by_label("E-postadresse").fill(email)
        page.get_by_label("Passord").fill(f.PASSWORD)
        page.get_by_role("button", name="Logg inn").click()
        # Any page leads to the set-up first.
        page.goto(f"{live.url}/queue/")
        assert page.url.endswith("/account/second-factor/enrol")
        assert page.get_by_role("heading", level=1).inner_text() == "Sett opp innlogging i to trinn"
        assert page.locator("figure.qr svg").is_visible()
        screenshot(page, "second-factor-enrol-nb")
        violations = axe_violations(page, "second-factor-enrol-nb")
        assert not violations, _describe(violations)
        secret = page.locator("code.secret").inner_text().replace(" ", "")

        page.get_by_label("Kode").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
        page.get_by_role("button", name="Bekreft").click()
        page.locator(".error-summary").wait_for()   # visible once the form comes back with the message
        screenshot(page, "second-factor-enrol-error-nb")

        page.get_by_label("Kode").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Bekreft").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Gjenopprettingskodene dine"
        codes = [c.strip() for c in page.locator("ul.recovery-codes code").all_inner_texts()]
        assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
        screenshot(page, "second-factor-recovery-codes-nb")
        violations = axe_violations(page, "second-factor-recovery-codes-nb")
        assert not violations, _describe(violations)
        page.get_by_role("link", name="Jeg har tatt vare på kodene, fortsett").click()
        assert page.get_by_role("heading", level=1).inner_text().startswith("Karrieresenter")

        page.get_by_role("button", name="Logg ut", exact=True).click()
        page.get_by_label("E-postadresse").fill(email)
        page.get_by_label("Passord").fill(f.PASSWORD)
        page.get_by_role("button", name="Logg inn").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Skriv inn koden"
        screenshot(page, "second-factor-code-nb")
        violations = axe_violations(page, "second-factor-code-nb")
        assert not violations, _describe(violations)
        page.get_by_label("Kode fra appen, eller en gjenopprettingskode").fill(codes[0])
        page.get_by_role("button", name="Logg inn").click()
        from playwright.sync_api import expect

        # waits for the home page to load (is_visible() did not: CI once read the page before it had come)
        expect(page.get_by_role("button", name="Logg ut", exact=True)).to_be_visible()
    finally:
        ctx.close()
