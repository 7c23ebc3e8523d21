"""Journeys end to end in Chromium, in Norwegian (and one in English), with a screenshot of
every page on the way (test-artifacts/browser/journey-*.png).

Journeys of features not yet on main are listed at the bottom of this module.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import choose_language, login, new_context, past_session, screenshot
from tests.queue_consumer import running_consumer
from guidance.planning.ids import local_today


def _needs(live, endpoint: str) -> None:
    assert endpoint in live.app.view_functions, f"the journey needs {endpoint}"


@pytest.fixture(scope="module")
def queue_consumer(live):
    """A real Huey consumer process on the live app's queue and database (as in production)."""
    _needs(live, "planning.start")
    config = live.app.config
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": config["SECRET_KEY"],
           "QUEUE_PATH": config["QUEUE_PATH"], "PYTHONPATH": str(root)}
    env.pop("REDIS_URL", None)
    env.pop("QUEUE_NAME", None)
    with running_consumer(env, Path(config["QUEUE_PATH"]).with_suffix(".log")) as process:
        yield process


def test_lead_starts_a_planning_run_and_sees_it_finish_nb(browser, live, queue_consumer):
    from playwright.sync_api import expect

    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.lead)
        page.get_by_role("navigation").get_by_role("link", name="Planlegging").click()
        screenshot(page, "journey-planning-nb-1-index")
        page.get_by_text("Flere innstillinger: planleggingstid").click()  # the search time waits behind a <details>
        page.locator("input[name=time_limit]").fill("10")
        with page.expect_navigation():  # the run's own page, after the form is sent
            page.get_by_role("button", name="Start planleggingen").click()
        screenshot(page, "journey-planning-nb-2-run")
        assert re.search(r"/runs/\d+$", page.url), page.url
        # The page follows the run by itself (script) and by refresh without it; wait for the end.
        expect(page.locator("[data-field=status_label]")).to_have_text("Ferdig", timeout=120_000)
        screenshot(page, "journey-planning-nb-3-finished")
        assert int(page.locator("[data-field=sessions_placed]").inner_text()) > 0
        page.reload()
        with page.expect_navigation():  # the confirmation page
            page.get_by_role("link", name="Se over og publiser").click()
        for name in ("confirm_stale", "confirm_newer"):
            box = page.locator(f"input[name={name}]")
            if box.count():
                box.check()  # other journeys changed the data or published since the run began
        with page.expect_navigation():
            page.get_by_role("button", name="Publiser denne planen").click()
        screenshot(page, "journey-planning-nb-4-published")
        assert page.get_by_text("Planen er publisert.").first.is_visible()
    finally:
        ctx.close()


def test_referrer_submits_a_referral_by_keyboard_and_sees_it_nb(browser, live):
    _needs(live, "intake.new")
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        choose_language(page, live, "nb")  # another journey may have saved English for this referrer
        login(page, live, live.world.referrer)
        page.get_by_role("navigation").get_by_role("link", name="Ny henvisning").click()
        screenshot(page, "journey-referral-nb-1-form")
        # Sent without a name, from the keyboard: the error summary takes focus and is announced,
        # and the field says what is wrong through aria-describedby.
        page.locator("button[value=send]").focus()
        with page.expect_navigation():  # the form is sent: wait for the answer, not the old page
            page.keyboard.press("Enter")
        screenshot(page, "journey-referral-nb-2-errors")
        assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
        assert page.locator(".error-summary").get_attribute("role") == "alert"
        name = page.get_by_label("Deltakerens fulle navn")
        assert name.get_attribute("aria-invalid") == "true"
        described = name.get_attribute("aria-describedby").split()
        assert any(page.locator(f"#{i}.error-message").count() for i in described)
        # The summary links to the field.
        page.locator(".error-summary a[href='#name']").click()
        assert page.evaluate("() => document.activeElement.name") == "name"

        page.keyboard.type("Hodan Warsame")
        page.get_by_label("Deltakerens telefonnummer (valgfritt)").fill("+47 912 34 567")
        page.locator("main").get_by_label("Språk", exact=True).select_option("so")
        settled = (local_today() - dt.timedelta(days=14)).isoformat()
        page.get_by_label("Bosettingsdato").fill(settled)
        page.get_by_label("Merknader til karrieresenteret (valgfritt)").fill("Ønsker time etter klokka ti.")
        with page.expect_navigation():
            page.get_by_role("button", name="Send henvisningen").click()
        screenshot(page, "journey-referral-nb-3-sent")
        flash = page.locator(".flash").first.inner_text()
        assert "ble sendt til karrieresenteret" in flash
        reference = re.search(r"H-[A-Z0-9-]+", flash).group(0)
        assert reference in page.get_by_role("heading", level=1).inner_text()
        assert page.get_by_text("Hodan Warsame").first.is_visible()
        page.get_by_role("navigation").get_by_role("link", name="Henvisninger").click()
        screenshot(page, "journey-referral-nb-4-list")
        assert page.get_by_role("link", name=reference, exact=True).is_visible()
    finally:
        ctx.close()


def test_admin_creates_a_user_who_can_then_log_in_nb(browser, live):
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.admin)
        screenshot(page, "journey-admin-nb-1-home")
        page.get_by_role("link", name="Brukere", exact=True).click()
        screenshot(page, "journey-admin-nb-2-users")
        page.get_by_role("link", name=re.compile("Ny bruker")).click()
        # A mistake first: the form keeps the input and says what is wrong, in Norwegian.
        page.get_by_label("Fullt navn").fill("Kari Veileder")
        page.get_by_label("E-postadresse").fill("ikke-en-adresse")
        page.get_by_role("button", name="Opprett bruker").click()
        screenshot(page, "journey-admin-nb-3-errors")
        assert page.locator(".error-summary").is_visible()
        assert page.get_by_label("Fullt navn").input_value() == "Kari Veileder"
        page.get_by_label("E-postadresse").fill("kari.veileder@example.no")
        page.get_by_label("Rolle").select_option("counsellor")
        page.get_by_label("Fylke").select_option(label="Vestland")
        page.get_by_label("Første passord").fill("et langt og trygt passord")
        page.get_by_role("button", name="Opprett bruker").click()
        screenshot(page, "journey-admin-nb-4-created")
        assert page.get_by_text("Brukeren er opprettet.").is_visible()
        assert page.get_by_role("cell", name="Kari Veileder", exact=True).is_visible()
        page.get_by_role("button", name="Logg ut", exact=True).click()

        page.fill("input[name=email]", "kari.veileder@example.no")
        page.fill("input[name=password]", "et langt og trygt passord")
        page.get_by_role("button", name="Logg inn").click()
        screenshot(page, "journey-admin-nb-5-new-user-home")
        assert page.get_by_role("button", name="Logg ut", exact=True).is_visible()
    finally:
        ctx.close()


def test_referrer_switches_to_english_and_reads_own_referral_en(browser, live):
    ctx = new_context(browser)  # the browser asks for Norwegian
    page = ctx.new_page()
    try:
        login(page, live, live.world.referrer)
        assert page.get_attribute("html", "lang") == "nb"
        page.get_by_role("button", name="English").click()
        assert page.get_attribute("html", "lang") == "en"
        screenshot(page, "journey-referrer-en-1-home")
        page.get_by_role("link", name="Referrals").first.click()
        screenshot(page, "journey-referrer-en-2-referrals")
        assert page.get_by_role("cell", name="Amal Haddad", exact=True).is_visible()
        assert not page.get_by_text("Yonas Tesfay").count(), "another municipality's participant is shown"
        page.get_by_role("row", name=re.compile("Amal Haddad")).get_by_role("link").click()
        screenshot(page, "journey-referrer-en-3-referral")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Referral")
        # The choice sticks: the next page is English too, and the switcher offers Norwegian back.
        page.get_by_role("link", name="Back to the referrals").click()
        assert page.get_attribute("html", "lang") == "en"
        assert page.get_by_role("button", name="Norsk bokmål").is_visible()
    finally:
        ctx.close()


def test_counsellor_opens_the_week_and_records_an_outcome_nb(browser, live):
    _needs(live, "counsellor.outcomes")
    session_id, referral_id, day = past_session(live, "Dawit Gebremedhin", "ti", days_ago=7, hour=10)
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.counsellor)
        page.get_by_role("navigation").get_by_role("link", name="Min uke").click()
        screenshot(page, "journey-counsellor-nb-1-this-week")
        year, week, _ = day.isocalendar()
        page.goto(f"{live.url}/week/{year}/{week}")
        screenshot(page, "journey-counsellor-nb-2-past-week")
        page.locator(f"a[href='/week/sessions/{session_id}']").first.click()
        screenshot(page, "journey-counsellor-nb-3-session")
        page.locator(f"input[name='outcome-{referral_id}'][value='attended']").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Lagre utfall").click()
        screenshot(page, "journey-counsellor-nb-4-saved")
        assert page.get_by_text("Utfallene er lagret.").is_visible()
        assert page.locator(f"input[name='outcome-{referral_id}'][value='attended']").is_checked()
    finally:
        ctx.close()


def test_interpreter_accepts_a_booking_nb(browser, live):
    _needs(live, "interpreter.answer")
    booking_id = _fresh_booking_request(live)
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.interpreter)
        page.get_by_role("navigation").get_by_role("link", name="Mine oppdrag").click()
        screenshot(page, "journey-interpreter-nb-1-bookings")
        page.locator(f"a[href='/bookings/{booking_id}']").first.click()
        screenshot(page, "journey-interpreter-nb-2-request")
        with page.expect_navigation():
            page.get_by_role("button", name="Takk ja").click()
        screenshot(page, "journey-interpreter-nb-3-accepted")
        assert page.get_by_text("Akseptert").first.is_visible()
        assert not page.get_by_role("button", name="Takk ja", exact=True).count()
        # Accepted: no longer among the requests to tick (other requests may still be waiting).
        assert not page.locator(f"input[name='booking'][value='{booking_id}']").count()
    finally:
        ctx.close()




def _fresh_booking_request(live) -> int:
    """A request of this journey's own: the publish journey may have replaced the world's."""
    from guidance.extensions import db
    from guidance.models import User
    from guidance.services import bookings
    from tests.app import factories as f

    with live.app_context():
        counsellor = db.session.get(User, live.world.counsellor.id)
        interpreter = db.session.get(User, live.world.interpreter.id)
        day = f.future_weekday(weeks=5, weekday=3)
        referral = f.referral(name="Journey Participant")
        session = f.published_session(counsellor, referral, start=f.oslo(day.year, day.month, day.day, 13),
                                      interpreter=interpreter)
        booking = bookings.new_booking(session)
        db.session.commit()
        booking_id = booking.id
        db.session.remove()
    return booking_id
