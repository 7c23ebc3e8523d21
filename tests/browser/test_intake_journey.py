"""The intake journey in Norwegian, as a new referrer would try it (issue 6, "Done means"):
a referral with a PDF plan, a mistake with per-field messages, the correction, the list with
its deadline, and the lead's queue."""
from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

from babel.dates import format_date
from dateutil.relativedelta import relativedelta

from tests.browser.conftest import choose_language, login, new_context, screenshot
from guidance.planning.ids import local_today

PLAN = {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n% kartleggingsplan\n"}


@contextmanager
def new_referral_form(browser, live):
    """The referrer (bokmål) on an empty "New referral" form, in a browser context closed afterwards."""
    ctx = new_context(browser)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    try:
        # another journey may have saved English for this referrer: these read bokmål
        choose_language(page, live, "nb")
        login(page, live, live.world.referrer)
        page.goto(f"{live.url}/intake/new")
        yield page
    finally:
        ctx.close()


def test_referrer_sends_corrects_and_follows_a_referral_and_the_lead_sees_it_in_the_queue_nb(browser, live):
    settled = local_today() - dt.timedelta(days=10)
    ctx = new_context(browser)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    try:
        # another journey may have saved English for this referrer: this one reads bokmål
        choose_language(page, live, "nb")
        login(page, live, live.world.referrer)
        page.get_by_role("navigation").get_by_role("link", name="Ny henvisning").click()
        screenshot(page, "journey-intake-nb-1-form")
        assert page.get_by_role("heading", level=1).inner_text() == "Ny henvisning"

        # A mistake: no name and an impossible date.
        page.get_by_label("Deltakerens telefonnummer (valgfritt)").fill("+47 412 34 567")
        page.get_by_label("Bosettingsdato").fill("31.02.2027")
        page.locator("main").get_by_label("Språk", exact=True).select_option("uk")
        page.get_by_label("Merknader til karrieresenteret (valgfritt)").fill("Ønsker å jobbe i helse.")
        page.get_by_label("Vedlegg: notater og planer (valgfritt)").set_input_files([PLAN])
        page.get_by_role("button", name="Send henvisningen").click()
        screenshot(page, "journey-intake-nb-2-errors")
        assert page.locator(".error-summary").is_visible()
        assert page.get_by_text("Skriv deltakerens fulle navn.").first.is_visible()
        assert page.get_by_text("Skriv en gyldig dato, som 17.03.2027.").first.is_visible()
        assert page.get_by_label("Bosettingsdato").input_value() == "31.02.2027"
        assert page.get_by_label("Merknader til karrieresenteret (valgfritt)").input_value() == "Ønsker å jobbe i helse."
        # The file field cannot be refilled: a problem in the summary, by name, and at the field.
        asked = "Du må velge vedleggene på nytt (plan.pdf)"
        assert page.locator(".error-summary").get_by_role("link", name=re.compile(re.escape(asked))).is_visible()
        assert page.locator("#attachments-error").get_by_text(asked).is_visible()

        page.get_by_label("Deltakerens fulle navn").fill("Olena Kovalenko")
        page.get_by_label("Bosettingsdato").fill(settled.strftime("%d.%m.%Y"))
        page.get_by_role("button", name="Vis fristen").click()
        page.get_by_text(re.compile(r"Frist: ")).wait_for()  # shown in the page, without a reload
        page.get_by_label("Vedlegg: notater og planer (valgfritt)").set_input_files([PLAN])
        page.get_by_role("button", name="Send henvisningen").click()
        screenshot(page, "journey-intake-nb-3-sent")
        assert page.get_by_text(re.compile("ble sendt til karrieresenteret")).is_visible()
        reference = re.search(r"H-[0-9A-Z]{4}-[0-9A-Z]{2}", page.get_by_role("heading", level=1).inner_text()).group(0)
        assert page.get_by_role("link", name="plan.pdf").is_visible()

        page.get_by_role("link", name="Korriger henvisningen").click()
        page.get_by_label("Deltakerens telefonnummer (valgfritt)").fill("+47 987 65 432")
        page.get_by_role("button", name="Lagre korrigeringen").click()
        screenshot(page, "journey-intake-nb-4-corrected")
        assert page.get_by_text("Henvisningen ble korrigert.").is_visible()
        assert page.get_by_text("Korrigert av henviser").is_visible()

        page.get_by_role("navigation").get_by_role("link", name="Henvisninger").click()
        screenshot(page, "journey-intake-nb-5-list")
        row = page.get_by_role("row", name=re.compile(reference))
        assert row.get_by_role("cell", name="Olena Kovalenko").is_visible()
        deadline = settled + relativedelta(months=3)  # the Integration Act's three months, no decision date given
        assert format_date(deadline, "long", locale="nb") in row.inner_text()
    finally:
        ctx.close()

    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.lead)
        from playwright.sync_api import expect

        page.get_by_role("navigation").get_by_role("link", name="Kø").click()
        expect(page.get_by_role("link", name=reference, exact=True)).to_be_visible()   # waits for the page
        screenshot(page, "journey-intake-nb-6-queue")
        assert not page.get_by_text("Olena Kovalenko").count(), "the queue shows references, not names"
        page.get_by_role("link", name=reference, exact=True).click()
        expect(page.get_by_text("Korrigert av henviser")).to_be_visible()
        assert page.get_by_text(re.compile("Endret: Telefon")).is_visible()
    finally:
        ctx.close()


def test_choosing_ordinary_guidance_offers_individual_sessions_only_unless_already_chosen(browser, live):
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.referrer)
        page.goto(f"{live.url}/intake/new")
        group = page.get_by_label("Gruppeveiledning")
        assert group.is_checked()
        page.get_by_label("Ordinær").check()
        assert not group.is_checked() and page.get_by_label("Individuell veiledning").is_checked()
        page.get_by_label("Integreringsloven").check()
        assert group.is_checked()
        group.uncheck()  # the referrer's own choice is kept from now on
        page.get_by_role("radio", name="Midlertidig lov").check()
        assert not group.is_checked()
    finally:
        ctx.close()


def test_enter_in_a_field_sends_the_referral_as_the_send_button_does_nb(browser, live):
    """The walk: Enter pressed "Show the deadline" (the first button), reloaded the page at the top and
    dropped the chosen files."""
    with new_referral_form(browser, live) as page:
        page.get_by_label("Deltakerens fulle navn").fill("Enter Person")
        page.get_by_label("Bosettingsdato").fill((local_today() - dt.timedelta(days=10)).strftime("%d.%m.%Y"))
        page.locator("main").get_by_label("Språk", exact=True).select_option("uk")
        with page.expect_navigation():
            page.get_by_label("Deltakerens fulle navn").press("Enter")
        page.wait_for_url(re.compile(r".*/referrals/\d+"))
        assert "/referrals/" in page.url and "ble sendt til karrieresenteret" in page.content()


def test_a_file_over_the_limit_is_refused_by_the_browser_before_anything_typed_is_sent(browser, live):
    """Five 12 MB files went over the request limit: the 413 page came back and name and phone were gone."""
    with new_referral_form(browser, live) as page:
        page.get_by_label("Deltakerens fulle navn").fill("Olena Kovalenko")
        big = {"name": "stor-plan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024)}
        files = page.get_by_label("Vedlegg: notater og planer (valgfritt)")
        files.set_input_files([big])
        assert files.evaluate("input => input.validationMessage") == "stor-plan.pdf er større enn 10 MB."
        page.get_by_role("button", name="Send henvisningen").click()
        assert page.url == f"{live.url}/intake/new"  # not sent
        assert page.get_by_label("Deltakerens fulle navn").input_value() == "Olena Kovalenko"
        files.set_input_files([PLAN])
        assert files.evaluate("input => input.validationMessage") == ""


def test_show_the_deadline_keeps_the_chosen_files_and_asks_the_window_only_for_the_temporary_act(browser, live):
    """The walk: "Show the deadline" reloaded the page and the chosen files were gone (a browser never refills
    a file field); the temporary act's window stood under every legal basis."""
    with new_referral_form(browser, live) as page:
        window = page.get_by_label("Frist for veiledning etter midlertidig lov, i måneder")
        assert not window.is_visible()  # the Integration Act is chosen
        page.get_by_role("radio", name="Midlertidig lov").check()
        assert window.is_visible()
        page.get_by_label("Integreringsloven").check()
        assert not window.is_visible()

        page.get_by_label("Deltakerens fulle navn").fill("Mariia Shevchenko")
        page.locator("main").get_by_label("Språk", exact=True).select_option("uk")
        files = page.get_by_label("Vedlegg: notater og planer (valgfritt)")
        files.set_input_files([PLAN])
        page.get_by_label("Bosettingsdato").fill("31.02.2027")  # no such day
        page.get_by_role("button", name="Vis fristen").click()
        settlement = page.get_by_label("Bosettingsdato")
        page.get_by_text("Skriv en gyldig dato, som 17.03.2027.").wait_for()
        assert settlement.evaluate("input => document.activeElement === input")  # taken to what is wrong
        settled = local_today() - dt.timedelta(days=10)
        settlement.fill(settled.strftime("%d.%m.%Y"))
        page.get_by_role("button", name="Vis fristen").click()
        deadline = settled + relativedelta(months=3)
        page.get_by_text(f"Frist: {format_date(deadline, 'long', locale='nb')}").wait_for()
        assert page.url == f"{live.url}/intake/new"
        assert files.evaluate("input => input.files.length") == 1  # still chosen
        assert not page.get_by_text("Du må velge vedleggene på nytt").count()
        # the new radios still offer their basis's sessions and its fields
        page.get_by_role("radio", name="Midlertidig lov").check()
        assert page.get_by_label("Frist for veiledning etter midlertidig lov, i måneder").is_visible()
        page.get_by_label("Integreringsloven").check()

        page.get_by_role("button", name="Send henvisningen").click()
        page.wait_for_url(re.compile(r".*/referrals/\d+"))
        assert page.get_by_role("link", name="plan.pdf").is_visible()


def test_a_keyboard_user_who_used_the_skip_link_is_taken_to_the_problems(browser, live):
    """After "Skip to main content" the address ends in #main: the browser focused <main> on the returned page
    and ignored the summary's autofocus, so the problems were never announced."""
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        choose_language(page, live, "nb")
        login(page, live, live.world.referrer)
        page.goto(f"{live.url}/intake/new#main")
        page.get_by_role("button", name="Send henvisningen").click()
        page.locator(".error-summary").wait_for()
        page.wait_for_load_state("load")
        page.wait_for_function("() => document.activeElement.classList.contains('error-summary')", timeout=3000)
    finally:
        ctx.close()
