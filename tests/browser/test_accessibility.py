"""WCAG 2.1 AA: axe-core on every page for every role in every language (nb, nn, en), the keyboard-only
login form, and text zoom to 200 % without loss of content."""
from __future__ import annotations

import os

import pytest

from guidance.models import Role
from tests.app.access.foundation import ANON, ROLES
from tests.browser.conftest import choose_language, login, new_context, save_json, screenshot
from tests.browser.pages import LOCALES, pages_walked_by, person_for

# axe-core's own WCAG tags; best-practice rules run too, and all count at these impacts.
BLOCKING = {"serious", "critical"}
AXE_OPTIONS = {"resultTypes": ["violations"]}


# Colour contrast is half of axe-core's time on a page and is decided by the styles, which the
# written forms share: the walk in the second form leaves it out (the first checks it on every page).


def axe_violations(page, name: str | None = None, options: dict = AXE_OPTIONS) -> list[dict]:
    """axe-core's serious and critical violations on the page; with `name`, its whole result is kept
    as test-artifacts/browser/<name>.axe.json (beside the screenshot <name>.png)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options=options)
    if name is not None:
        save_json(name, {"url": page.url, **result.response}, suffix=".axe.json")
    return [v for v in result.response["violations"] if v.get("impact") in BLOCKING]


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = "; ".join(", ".join(n["target"]) for n in v["nodes"][:5])
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return "\n    ".join(lines)


MARKUP_CHECK = """() => {
    const problems = [];
    for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
        for (const el of document.querySelectorAll(`[${attr}]`)) {
            for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) problems.push(`${attr}="${id}" on <${el.tagName.toLowerCase()} name=${el.getAttribute('name')}> names no element`);
            }
        }
    }
    for (const label of document.querySelectorAll('label[for]')) {
        if (!document.getElementById(label.htmlFor)) problems.push(`label for="${label.htmlFor}" names no element`);
    }
    for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) {
            if (a.value === 'None') problems.push(`${a.name}="None" on <${el.tagName.toLowerCase()}>`);
        }
    }
    return problems;
}"""


def _is_html(page, url: str) -> bool:
    # Ask first with the context's cookies: downloads (.ics, .csv, attachments) are not pages.
    response = page.request.get(url, max_redirects=0)
    return response.headers.get("content-type", "").startswith("text/html")


# A full-page picture of every page walked took a quarter of the walk's time: taken for a page that fails,
# and for every page with BROWSER_SCREENSHOTS=all (to look the pages over).
PICTURE_EVERY_PAGE = os.environ.get("BROWSER_SCREENSHOTS") == "all"

# Every page is walked in the two written Norwegian forms (bokmål, the default; nynorsk, Vestland's form).
# English pages share their markup; the error pages (below) and the lead's home (test_today.py) are checked in
# English too. Walking every page a third time cost about a minute of the CI run's 15.
WALKED_LANGUAGES = ("nb", "nn")


# Every role's pages in bokmål; in nynorsk the lead's, the most pages and templates of any role (the others share
# their markup with bokmål, and their nynorsk strings are checked by the catalogue tests): the CI run must stay
# under 15 minutes on a slower machine.
WALKS = [(role, "nb") for role in ROLES] + [(Role.LEAD, "nn")]


@pytest.mark.parametrize(("role", "language"), WALKS, ids=[f"{role}-{language}" for role, language in WALKS])
def test_every_page_has_no_serious_accessibility_violations(browser, live, role, language):
    ctx = new_context(browser, locale=LOCALES[language])
    page = ctx.new_page()
    try:
        choose_language(page, live, language)
        person = person_for(live.world, role)
        if person is not None:
            login(page, live, person)
        visited, failures = [], []
        pages = pages_walked_by(live, role)
        assert pages, f"no page answers {role} with 200"
        for endpoint, path in pages:
            url = live.url + path
            if not _is_html(page, url):
                continue
            response = page.goto(url)
            assert response is not None and response.status == 200, f"{endpoint} answered {response and response.status}"
            assert page.get_attribute("html", "lang") == language, f"{endpoint} is not in {language}"
            name = f"a11y-{role}-{language}-{endpoint}"
            if PICTURE_EVERY_PAGE and language == "nb":  # once: the nynorsk page has the same layout
                screenshot(page, name)
            # axe-core runs on the first walk; the second form's page has the same markup (its language is
            # checked above, its references below): axe again there cost half a minute of the CI run.
            violations = axe_violations(page, name) if language == WALKED_LANGUAGES[0] else []
            if violations:
                failures.append(f"{endpoint} ({path}):\n    {_describe(violations)}")
            # references axe lets pass: every id named by ARIA or a label exists; no Python None leaks
            markup = page.evaluate(MARKUP_CHECK)
            if markup:
                failures.append(f"{endpoint} ({path}): " + "; ".join(sorted(set(markup))[:5]))
            if (violations or markup) and not PICTURE_EVERY_PAGE:
                screenshot(page, name)   # the page that failed, beside its axe result
            visited.append(endpoint)
        assert visited, f"no HTML page visited for {role}"
        assert not failures, f"{role}/{language}: accessibility problems\n" + "\n".join(failures)
    finally:
        ctx.close()


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_error_pages_have_no_serious_accessibility_violations(browser, live, language):
    ctx = new_context(browser, locale=LOCALES[language])
    page = ctx.new_page()
    try:
        choose_language(page, live, language)
        login(page, live, live.world.referrer)
        failures = []
        for status, path in ((404, "/no-such-page"), (403, "/admin/users")):
            response = page.goto(live.url + path)
            assert response.status == status
            screenshot(page, f"a11y-error-{status}-{language}")
            violations = axe_violations(page, f"a11y-error-{status}-{language}")
            if violations:
                failures.append(f"{status}: {_describe(violations)}")
        assert not failures, "\n".join(failures)
    finally:
        ctx.close()


def _focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(), name: el.getAttribute('name'), id: el.id,
                type: el.getAttribute('type'), text: (el.textContent || '').trim(),
                focusVisible: el.matches(':focus-visible'),
                outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
                shadow: style.boxShadow !== 'none',
            };
        }"""
    )


def tab_through(page, limit: int = 60) -> list[dict]:
    """Press Tab from the top of the page until focus comes back round; return what got focus."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = _focused(page)
        if info["tag"] == "body" or (seen and info == seen[0]):
            break
        seen.append(info)
    return seen


def test_login_form_works_by_keyboard_alone_with_visible_focus_and_announced_errors(page, live):
    page.goto(f"{live.url}/login")
    stops = tab_through(page)
    names = [s["name"] for s in stops]
    assert "email" in names and "password" in names
    assert any(s["tag"] == "button" and s["type"] == "submit" and s["name"] is None for s in stops)
    invisible = [s for s in stops if not (s["focusVisible"] and (s["outline"] or s["shadow"]))]
    assert not invisible, f"focus not visible on {invisible}"
    # The skip link comes first and leads to the main content.
    assert stops[0]["tag"] == "a" and "main" in page.evaluate("() => document.querySelector('.skip-link').hash")

    # Submit the empty form with the keyboard only.
    page.focus("input[name=email]")
    with page.expect_navigation():  # the form is sent: wait for the answer, not the old page
        page.keyboard.press("Enter")
    screenshot(page, "keyboard-login-errors-nb")
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')"), "error summary not focused"
    email = page.locator("input[name=email]")
    assert email.get_attribute("aria-invalid") == "true"
    described = email.get_attribute("aria-describedby")
    assert described and page.locator(f"#{described}").inner_text().strip()
    # The summary's link moves focus to the field it names.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert _focused(page)["name"] == "email"


ZOOM_CHECK = """() => {
    const doc = document.documentElement;
    const width = doc.clientWidth;
    const clipped = [];
    for (const el of document.querySelectorAll('main h1, main a, main button, main input, main select, main textarea, main th, main td, header a, header button')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;  // hidden by design (e.g. the skip link)
        if (el.closest('.table-scroll')) continue;  // data tables may scroll on their own (1.4.10 exception)
        if (el.classList.contains('skip-link')) continue;  // off-screen until focused
        if (r.left < -1 || r.right > width + 1) clipped.push(el.outerHTML.slice(0, 80));
    }
    return {overflow: doc.scrollWidth - width, clipped};
}"""


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_text_zoom_200_percent_loses_no_content(browser, live, role):
    """WCAG 1.4.4: text at 200 % on a 1280 px window, and 1.4.10 reflow (a 320 px wide window); and large text
    on a phone (200 % at 375 px, beyond the criteria: long Norwegian words, e-mail addresses and date fields
    pushed pages sideways)."""
    ctx = new_context(browser, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    try:
        person = person_for(live.world, role)
        if person is not None:
            login(page, live, person)
        problems = []
        for endpoint, path in pages_walked_by(live, role):
            if not _is_html(page, live.url + path):
                continue
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(live.url + path)
            # One load per page: the same page is laid out again at each size (it is rendered on the server).
            for width, text_zoom in ((1280, "200%"), (320, "100%"), (375, "200%")):
                page.set_viewport_size({"width": width, "height": 900})
                page.evaluate("(size) => { document.documentElement.style.fontSize = size; }", text_zoom)
                result = page.evaluate(ZOOM_CHECK)
                if result["overflow"] > 1 or result["clipped"]:
                    screenshot(page, f"zoom-{role}-{endpoint}-{width}")
                    problems.append(f"{endpoint} at {width}px/{text_zoom}: overflow {result['overflow']}px, clipped {result['clipped'][:3]}")
        assert not problems, "\n".join(problems)
    finally:
        ctx.close()
