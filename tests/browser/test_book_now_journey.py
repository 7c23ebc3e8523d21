"""Book one referral now (issue 24 item 3), in Norwegian: the lead opens the queue, finds a time for
a new referral, books the first option and sees it booked (screenshots in test-artifacts/browser/)."""
from __future__ import annotations

import datetime as dt
import re

from tests.browser.conftest import login, new_context, screenshot
from tests.browser.test_accessibility import MARKUP_CHECK, axe_violations


def _published_plan_and_newcomer(live):
    """A published plan (one session of the world's counsellor) and a referral that just arrived."""
    from guidance.extensions import db
    from guidance.models import Referral, User
    from guidance.planning.ids import local_today
    from tests.app import factories as f

    with live.app_context():
        counsellor = db.session.get(User, live.world.counsellor.id)
        other = db.session.get(Referral, live.world.other_referral.id)
        day = f.future_weekday(weeks=2)
        f.published_session(counsellor, other, start=f.oslo(day.year, day.month, day.day, 9))
        newcomer = f.referral(municipality_number="4601", name="Rania Saleh",
                              settlement=local_today() - dt.timedelta(days=3))
        result = newcomer.id, newcomer.reference
        db.session.remove()
    return result


def test_lead_finds_a_time_for_a_new_referral_and_books_it_nb(browser, live):
    from playwright.sync_api import expect

    referral_id, reference = _published_plan_and_newcomer(live)
    ctx = new_context(browser)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        login(page, live, live.world.lead)
        page.get_by_role("navigation").get_by_role("link", name="Kø").click()
        screenshot(page, "journey-book-now-nb-1-queue")
        with page.expect_navigation():
            page.get_by_role("link", name=f"Finn tid for {reference}").click()
        assert page.url.endswith(f"/referrals/{referral_id}/times")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Finn tid for {reference}")
        expect(page.get_by_role("heading", name="Individuell veiledning")).to_be_visible()
        first = page.locator("#option-individual-1")
        when = first.inner_text()
        assert re.match(r"(mandag|tirsdag|onsdag|torsdag|fredag) \d{1,2}\. \w+ 20\d\d, \d\d:\d\d–\d\d:\d\d$", when), when
        option = page.locator("li.option").first
        expect(option).to_contain_text("Karriereveileder")
        expect(option).to_contain_text("Karrieresenter Bergen")
        screenshot(page, "journey-book-now-nb-2-options")
        violations = axe_violations(page, "journey-book-now-nb-2-options")
        assert not violations, violations
        assert not page.evaluate(MARKUP_CHECK)
        with page.expect_navigation():
            option.get_by_role("button", name="Book denne tiden").click()
        screenshot(page, "journey-book-now-nb-3-booked")
        day_and_time = re.sub(r" 20\d\d,", "", when).split("–")[0]
        expect(page.locator(".flash-success").first).to_contain_text(f"Booket: individuell veiledning {day_and_time}")
        expect(page.get_by_text("En tolkebestilling er sendt.")).to_be_visible()
        expect(page.locator("#need-individual + p .tag-booked")).to_have_text("Booket")
    finally:
        ctx.close()
        _leave_the_published_plan_as_it_was(live, referral_id)


def _leave_the_published_plan_as_it_was(live, referral_id: int) -> None:
    """Journeys share this server: the sessions made here would sit in the plan others publish over."""
    from sqlalchemy import select

    from guidance.extensions import db
    from guidance.models import Session, SessionParticipant, SessionStatus

    with live.app_context():
        mine = select(SessionParticipant.session_id).where(
            SessionParticipant.referral_id.in_([referral_id, live.world.other_referral.id]))
        for session in db.session.scalars(select(Session).where(Session.id.in_(mine))):
            session.status = SessionStatus.CANCELLED
        db.session.commit()
        db.session.remove()
