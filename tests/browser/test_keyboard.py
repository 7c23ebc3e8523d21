"""Keyboard only (WCAG 2.1.1, 2.4.3, 2.4.7): on every page for every role, Tab reaches every
control in turn, never gets stuck, and always shows where focus is.

Pages come from the URL map (tests/browser/pages.py), so new forms such as the referral form
and the booking answer are covered as soon as they land. Error announcement is checked on the
login form in test_accessibility.py, on the referral form in the journeys, and here on the
interpreter's decline form and the counsellor's outcome form: reached by Tab alone, sent with
Enter or Space, the error summary focused and announced, linked to the field, and the field
described by its message.
"""
from __future__ import annotations

import pytest

from tests.app.access.foundation import ROLES
from tests.browser.conftest import login, new_context, past_session, screenshot
from tests.browser.pages import pages_walked_by, person_for

MAX_STOPS = 120  # long lists: the first stops show the pattern; no need to tab through 500 rows

MARK_CONTROLS = """(scope) => {
    const selector = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"]), summary';
    const root = (scope && document.querySelector(scope)) || document;
    for (const el of document.querySelectorAll('[data-kb]')) delete el.dataset.kb;
    const visible = (el) => {
        const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    };
    let n = 0;
    for (const el of root.querySelectorAll(selector)) {
        if (el.disabled || el.closest('[inert]')) continue;
        // taken out of the Tab order and hidden from assistive technology on purpose (the intake form's
        // Enter-sends button): not a control a keyboard user is meant to reach
        if (el.getAttribute('tabindex') === '-1' && el.getAttribute('aria-hidden') === 'true') continue;
        // a closed <details> shows only its summary (a Tab stop that opens it); the rest is not on the page yet
        const closed = el.closest('details:not([open])');
        if (closed && el !== closed.querySelector(':scope > summary')) continue;
        // the skip link is off-screen until focused: it counts
        if (!visible(el) && !el.classList.contains('skip-link')) continue;
        // radio groups take one Tab stop
        if (el.type === 'radio' && !el.checked && document.querySelector(`input[type=radio][name="${el.name}"]:checked`)) continue;
        if (el.type === 'radio' && !el.checked && el !== document.querySelector(`input[type=radio][name="${el.name}"]`)) continue;
        el.dataset.kb = String(n++);
    }
    return n;
}"""

FOCUS_STATE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    return {kb: el.dataset.kb ?? null, html: el.outerHTML.slice(0, 90), visible: el.matches(':focus-visible') && (outline || shadow)};
}"""


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_every_control_on_every_page_is_reachable_by_tab_with_visible_focus(browser, live, role):
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        person = person_for(live.world, role)
        if person is not None:
            login(page, live, person)
        problems, header_walked = [], False
        for endpoint, path in pages_walked_by(live, role):
            response = page.request.get(live.url + path, max_redirects=0)
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            page.goto(live.url + path)
            # The header and menu are one template for the role: walked on the first page; on the
            # others the walk starts where the skip link leads and counts the main content's controls.
            total = page.evaluate(MARK_CONTROLS, "#main" if header_walked else None)
            if header_walked:
                page.focus("#main")
            header_walked = True
            reached, invisible, last = set(), [], None
            # Date inputs take several Tab stops (day, month, year, picker) on the same element.
            for _ in range(min(total, MAX_STOPS) * 5 + 2):
                page.keyboard.press("Tab")
                state = page.evaluate(FOCUS_STATE)
                if state is None:
                    break  # focus left the document: the cycle is complete
                if state["kb"] is not None and state["kb"] == last:
                    continue  # inside a composite control; its first stop was checked
                if state["kb"] is not None and state["kb"] in reached:
                    break  # round again
                if state["kb"] is not None:
                    reached.add(state["kb"])
                last = state["kb"]
                if not state["visible"]:
                    invisible.append(state["html"])
                if len(reached) >= MAX_STOPS:
                    break
            missing = total - len(reached) if total <= MAX_STOPS else max(0, MAX_STOPS - len(reached))
            if invisible or missing > 0:
                screenshot(page, f"keyboard-{role}-{endpoint}")
                problems.append(f"{endpoint}: {missing} of {total} controls not reached by Tab; focus invisible on {invisible[:3]}")
        assert not problems, "\n".join(problems)
    finally:
        ctx.close()


# --- forms with errors, by keyboard alone (as the referral form in test_journeys.py) ----------

ACTIVE = """() => {
    const el = document.activeElement;
    return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'), value: el.getAttribute('value'),
            summary: el.classList.contains('error-summary'), text: (el.innerText || '').trim().slice(0, 60)};
}"""


def tab_cycle(page) -> tuple[int, set, list]:
    """Tab from the top of the page round to the end: (controls, those reached, invisible focus)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    total = page.evaluate(MARK_CONTROLS)
    reached, invisible, last = set(), [], None
    for _ in range(total * 5 + 2):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None or (state["kb"] is not None and state["kb"] in reached and state["kb"] != last):
            break
        if state["kb"] is not None and state["kb"] == last:
            continue
        if state["kb"] is not None:
            reached.add(state["kb"])
        last = state["kb"]
        if not state["visible"]:
            invisible.append(state["html"])
    return total, reached, invisible


def tab_to(page, matches, limit: int = 80) -> dict:
    """Press Tab (only) until the focused element satisfies `matches`; check its focus is visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if matches(page.evaluate(ACTIVE)):
            state = page.evaluate(FOCUS_STATE)
            assert state and state["visible"], f"focus not visible on {state}"
            return page.evaluate(ACTIVE)
    raise AssertionError("Tab never reached the control")


def assert_error_is_announced_and_linked(page, field_id: str, name: str) -> None:
    """The summary has focus and role=alert; its link leads to the field, which points at its message;
    axe-core and the ARIA reference check find nothing serious in the error state."""
    from tests.browser.test_accessibility import MARKUP_CHECK, _describe, axe_violations

    screenshot(page, name)
    violations = axe_violations(page, name)
    assert not violations, _describe(violations)
    assert not page.evaluate(MARKUP_CHECK)
    assert page.evaluate(ACTIVE)["summary"], f"the error summary is not focused: {page.evaluate(ACTIVE)}"
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert summary.locator(f"a[href='#{field_id}']").count() == 1
    field = page.locator(f"#{field_id}")
    described = (field.get_attribute("aria-describedby") or "").split()
    messages = [i for i in described if page.locator(f"#{i}.error-message").count()]
    assert messages and page.locator(f"#{messages[0]}").inner_text().strip(), f"#{field_id} describedby {described}"
    assert field.get_attribute("aria-invalid") == "true"
    page.keyboard.press("Tab")  # into the summary: its link
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == f"#{field_id}"
    page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE)["id"] == field_id, "the summary's link does not move focus to the field"


def test_interpreter_declines_without_a_reason_by_keyboard_and_the_error_is_announced_nb(browser, live):
    from tests.browser.test_journeys import _fresh_booking_request

    booking_id = _fresh_booking_request(live)
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.interpreter)
        page.goto(f"{live.url}/bookings/{booking_id}")
        total, reached, invisible = tab_cycle(page)
        assert len(reached) == total and not invisible, (total, len(reached), invisible)

        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        tab_to(page, lambda a: a["tag"] == "button" and a["value"] == "decline")
        with page.expect_navigation():
            page.keyboard.press("Space")  # declined without a reason
        assert_error_is_announced_and_linked(page, "reason", "keyboard-interpreter-decline-errors-nb")

        page.keyboard.type("Syk den dagen")
        tab_to(page, lambda a: a["tag"] == "button" and a["value"] == "decline")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        screenshot(page, "keyboard-interpreter-declined-nb")
        assert page.get_by_text("Takk: du har takket nei til forespørselen.").is_visible()
    finally:
        ctx.close()


def test_counsellor_records_an_outcome_by_keyboard_and_a_missing_one_is_announced_nb(browser, live):
    session_id, referral_id, _day = past_session(live, "Keyboard Participant", "so", days_ago=9, hour=13)
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.counsellor)
        page.goto(f"{live.url}/week/sessions/{session_id}")
        total, reached, invisible = tab_cycle(page)
        assert len(reached) == total and not invisible, (total, len(reached), invisible)

        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        save = lambda a: a["tag"] == "button" and a["text"] == "Lagre utfall"  # noqa: E731
        tab_to(page, save)
        with page.expect_navigation():
            page.keyboard.press("Enter")  # saved without choosing an outcome
        first_radio = f"outcome-{referral_id}-attended"
        assert_error_is_announced_and_linked(page, first_radio, "keyboard-counsellor-outcome-errors-nb")
        group = page.locator(f"fieldset:has(#{first_radio})")
        assert page.locator(f"#{group.get_attribute('aria-describedby')}").inner_text().strip()

        page.keyboard.press("Space")  # the focused radio: attended
        tab_to(page, save)
        with page.expect_navigation():
            page.keyboard.press("Space")
        screenshot(page, "keyboard-counsellor-outcome-saved-nb")
        assert page.get_by_text("Utfallene er lagret.").is_visible()
        assert page.locator(f"#{first_radio}").is_checked()
    finally:
        ctx.close()
