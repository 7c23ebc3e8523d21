"""Keyboard only (WCAG 2.1.1, 2.4.3, 2.4.7): on every page for every role, Tab reaches every
control in turn, never gets stuck, and always shows where focus is.

Pages come from the URL map (tests/browser/pages.py), so new forms such as the referral form
and the booking answer are covered as soon as they land. Error announcement is checked on the
login form in test_accessibility.py and on the feature forms in the journeys.
"""
from __future__ import annotations

import pytest

from tests.app.access.foundation import ROLES
from tests.browser.conftest import login, new_context, screenshot
from tests.browser.pages import pages_for, person_for

MAX_STOPS = 120  # long lists: the first stops show the pattern; no need to tab through 500 rows

MARK_CONTROLS = """() => {
    const selector = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"]), summary';
    const visible = (el) => {
        const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    };
    let n = 0;
    for (const el of document.querySelectorAll(selector)) {
        if (el.disabled || el.closest('[inert]')) continue;
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
        problems = []
        for endpoint, path in pages_for(live, role):
            response = page.request.get(live.url + path, max_redirects=0)
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            page.goto(live.url + path)
            total = page.evaluate(MARK_CONTROLS)
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
