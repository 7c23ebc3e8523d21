"""A lead signs in in Chromium through the county's identity provider (a real OpenID Connect
provider, oidc-provider on node, started here) and lands on the lead's home page.

The app runs on its own port with the provider configured (the shared `live` app has none).
"""
from __future__ import annotations

import json
import threading

import pytest

from tests.browser.conftest import _require_browser, new_context, screenshot
from tests.oidc import free_port, running_provider

ROLE_MAP = {"vlfk-karrieresenter-ledere": {"role": "lead", "county": "46"}}
USERS = {"lea": {"email": "lea.leder@vlfk.example.no", "name": "Lea Leder",
                 "groups": ["vlfk-alle-ansatte", "vlfk-karrieresenter-ledere"]}}


@pytest.fixture(scope="module")
def signed_in_app(tmp_path_factory):
    """(app URL, app) with the provider 'county' configured, served in a thread."""
    _require_browser()
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from guidance import create_app
    from guidance.oidc import providers_from_env
    from guidance.services.reference_data import load_reference_data

    base = tmp_path_factory.mktemp("oidc-live")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running_provider(base, url, users=USERS) as provider:
        app = create_app({
            "SECRET_KEY": "browser-oidc-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'live.sqlite3'}",
            "UPLOAD_FOLDER": str(base / "uploads"), "QUEUE_PATH": str(base / "queue.sqlite3"),
            "RATELIMIT_STORAGE_URI": "memory://", "BASE_URL": url,
            "OIDC_PROVIDERS": providers_from_env(provider.env(ROLE_MAP=json.dumps(ROLE_MAP))),
        })
        with app.app_context():
            upgrade()
            load_reference_data()
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield url, app, provider
        finally:
            server.shutdown()
            thread.join(timeout=10)


def test_a_lead_signs_in_through_the_provider_and_lands_on_the_lead_home(signed_in_app, browser):
    from playwright.sync_api import expect

    from tests.browser.test_accessibility import axe_violations

    url, app, provider = signed_in_app
    # The worker's one Playwright (tests/browser/conftest.py): a second one in the process is refused.
    if True:
        context = new_context(browser)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{url}/login")
        assert axe_violations(page, "oidc-login-page") == []
        screenshot(page, "oidc-1-login-page")
        page.get_by_role("button", name="Logg inn med Vestland fylkeskommune").click()

        # the provider's own login page
        page.wait_for_url(f"{provider.issuer}/**")
        screenshot(page, "oidc-2-provider-login")
        page.fill("input[name=login]", "lea")
        page.fill("input[name=password]", "any password")
        page.click("button[type=submit]")

        page.wait_for_url(f"{url}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Karrieresenter – Vestland")
        # a new account has no language of its own: Vestland writes nynorsk
        expect(page.locator("html")).to_have_attribute("lang", "nn")
        expect(page.locator(".who")).to_have_text("Lea Leder")
        # a provider's user has no password here to change
        expect(page.get_by_role("link", name="Endre passord")).to_have_count(0)
        screenshot(page, "oidc-3-lead-home")

        # signing out ends the provider's session too (it asks first), and comes back to the login page
        page.get_by_role("button", name="Logg ut", exact=True).click()
        page.wait_for_url(f"{provider.issuer}/**")
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_url(f"{url}/login**")
        expect(page.locator(".flash")).to_contain_text("logget ut")
        context.close()
