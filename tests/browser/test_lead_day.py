"""The lead's working day in Chromium, in Norwegian: move a published session (a refusal that names the
broken rule, then a move the counsellor sees in the week), and publish through the confirmation page
with the minimum notice respected. Screenshots: test-artifacts/browser/lead-day-*.png."""
from __future__ import annotations

import datetime as dt

from tests.browser.conftest import login, new_context, screenshot


def _published_pair(live):
    """Two published sessions on one Wednesday in Rom 1: ours at 09:00, a colleague's at 13:00 (a Wednesday:
    the access expectations' url_values book the world's counsellor on Tuesdays ahead, one at 10:00 two weeks
    ahead, which the move to 11:00 ran into whenever no earlier test had cancelled it)."""
    from guidance.extensions import db
    from guidance.models import Role, User
    from guidance.planning.ids import local_today
    from tests.app import factories as f

    with live.app_context():
        counsellor = db.session.get(User, live.world.counsellor.id)
        colleague = f.user(Role.COUNSELLOR, name="Kari Nordmann")
        colleague.counsellor.locations = list(counsellor.counsellor.locations)
        settled = local_today() - dt.timedelta(days=20)
        ours = f.referral(name="Move Participant", settlement=settled, language="en")
        theirs = f.referral(name="Other Participant", settlement=settled, language="en")
        day = f.future_weekday(weeks=2, weekday=3)
        session = f.published_session(counsellor, ours, start=f.oslo(day.year, day.month, day.day, 9))
        f.published_session(colleague, theirs, start=f.oslo(day.year, day.month, day.day, 13))
        session_id = session.id
        db.session.remove()
    return session_id, day


def test_lead_moves_a_published_session_and_the_counsellors_week_changes_nb(browser, live):
    from playwright.sync_api import expect

    session_id, day = _published_pair(live)
    year, week, _weekday = day.isocalendar()
    ctx = new_context(browser)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        login(page, live, live.world.lead)
        page.goto(f"{live.url}/planning/sessions/{session_id}/edit")
        expect(page.get_by_role("heading", name="Flytt en booket time")).to_be_visible()
        screenshot(page, "lead-day-nb-1-move-form")

        # 13:30 in Rom 1 collides with the colleague's session: the room rule, in words, on the room field.
        page.get_by_label("Starttid").fill("13:30")
        with page.expect_navigation():
            page.get_by_role("button", name="Flytt timen").click()
        room_error = page.locator("#room_id-error")
        expect(room_error).to_contain_text("Rom 1 er opptatt 13:00–14:30 av en annen time.")
        expect(page.locator(".error-summary")).to_be_visible()
        screenshot(page, "lead-day-nb-2-move-refused")

        page.get_by_label("Starttid").fill("11:00")
        with page.expect_navigation():
            page.get_by_role("button", name="Flytt timen").click()
        expect(page.get_by_text("Timen er flyttet til").first).to_contain_text(", 11:00, ")   # where it went, in words
        screenshot(page, "lead-day-nb-3-moved")
    finally:
        ctx.close()

    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        login(page, live, live.world.counsellor)
        page.goto(f"{live.url}/week/{year}/{week}")
        rows = page.locator("tr", has_text="Move Participant")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("11:00–12:30")
        screenshot(page, "lead-day-nb-4-counsellor-week")
    finally:
        ctx.close()


def test_lead_publishes_through_the_confirmation_with_the_notice_respected_nb(browser, live):
    from playwright.sync_api import expect

    from guidance.extensions import db
    from guidance.models import User
    from guidance.planning.ids import local_today
    from guidance.rules.notice import first_day_after_notice
    from tests.app import factories as f
    from tests.app.planning.helpers import draft_run, draft_session

    with live.app_context():
        lead = db.session.get(User, live.world.lead.id)
        counsellor = db.session.get(User, live.world.counsellor.id)
        referral = f.referral(name="Notice Participant", settlement=local_today() - dt.timedelta(days=20), language="en")
        run = draft_run(lead, today=local_today())
        soon = first_day_after_notice(local_today(), 1)  # the next working day: inside the 3-day notice
        session = draft_session(run, counsellor, [referral], start=f.oslo(soon.year, soon.month, soon.day, 14))
        _report_the_rest_unscheduled(run, session)
        run_id, session_id = run.id, session.id
        later = f.future_weekday(weeks=3, weekday=4)
        db.session.remove()

    ctx = new_context(browser)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        login(page, live, live.world.lead)
        page.goto(f"{live.url}/planning/runs/{run_id}")
        with page.expect_navigation():
            page.get_by_role("link", name="Se over og publiser").click()
        expect(page.get_by_role("heading", name=f"Publiser planforslag {run_id}")).to_be_visible()
        expect(page.locator("#too-soon")).to_contain_text("1 ny eller endret time begynner innenfor minste varsel")
        expect(page.get_by_role("button", name="Publiser denne planen")).to_have_count(0)
        screenshot(page, "lead-day-nb-5-publish-notice")

        with page.expect_navigation():
            page.locator(f"a[href='/planning/sessions/{session_id}/edit']").click()
        page.get_by_label("Dato").fill(later.isoformat())
        # after lunch: journeys sharing this server book their first options in the morning
        page.get_by_label("Starttid").fill("13:00")
        with page.expect_navigation():
            page.get_by_role("button", name="Lagre endringen").click()

        page.goto(f"{live.url}/planning/runs/{run_id}/publish")
        expect(page.locator("[data-field=sessions]")).to_have_text("1")
        expect(page.locator("[data-field=first_new]")).to_contain_text(f"{later.day}.")
        expect(page.locator("#too-soon")).to_have_count(0)
        for name in ("confirm_stale", "confirm_newer"):  # other journeys may have changed the data meanwhile
            box = page.locator(f"input[name={name}]")
            if box.count():
                box.check()
        screenshot(page, "lead-day-nb-6-publish-confirmation")
        with page.expect_navigation():
            page.get_by_role("button", name="Publiser denne planen").click()
        expect(page.get_by_text("Planen er publisert.").first).to_be_visible()
        screenshot(page, "lead-day-nb-7-published")
    finally:
        ctx.close()


def _report_the_rest_unscheduled(run, session):
    """A draft whose plan adds up as a solver's would: every other need is reported unscheduled."""
    import json

    from guidance.extensions import db
    from guidance.planning import ids

    ours = {(ids.participant_id(sp.referral_id), session.type) for sp in session.participants}
    instance = json.loads(run.instance_json)
    plan = json.loads(run.plan_json)
    plan["unscheduled"] = [{"participant": p["id"], "type": need, "reason": "time_limit_reached"}
                           for p in instance["participants"] for need in p["needs"] if (p["id"], need) not in ours]
    run.plan_json = json.dumps(plan)
    db.session.commit()
