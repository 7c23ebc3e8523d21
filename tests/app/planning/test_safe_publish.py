"""Safe publishing: a confirmation page that says what will happen, a minimum notice before the first
new session, a warning when a newer plan was published, and interpreter answers due before the session."""
import datetime as dt
import json

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import PlanningRun, RunStatus, Session
from guidance.planning import ids
from guidance.services import bookings
from guidance.services import planning as planning_service
from tests.app import factories as f
from tests.app.planning.helpers import TODAY, draft_run, draft_session, planning_world, solved_run

EN = {"Accept-Language": "en"}


@pytest.fixture
def friday(travel_to):
    """Friday 8 January 2027 at noon: with 3 working days' notice, new sessions from Wednesday 13."""
    travel_to(f.oslo(2027, 1, 8, 12))


def _facts(page: str) -> dict[str, str]:
    import re

    return {m[1]: m[2].strip() for m in re.finditer(r'data-field="(\w+)">([^<]*)<', page)}


def test_the_confirmation_page_says_what_publishing_will_do_and_publishing_then_books(client, friday):
    w = planning_world()
    run = solved_run(w.lead)
    sessions = db.session.scalars(select(Session).where(Session.run_id == run.id)).all()
    interpreted = [s for s in sessions if s.interpreter_id]
    first = min(s.start for s in sessions)
    f.login(client, w.lead, language="en")

    run_page = client.get(f"/planning/runs/{run.id}", headers=EN).get_data(as_text=True)
    assert f'href="/planning/runs/{run.id}/publish"' in run_page and "Review and publish" in run_page
    page = client.get(f"/planning/runs/{run.id}/publish", headers=EN).get_data(as_text=True)

    facts = _facts(page)
    assert facts["sessions"] == str(len(sessions)) and facts["new_or_changed"] == str(len(sessions))
    assert facts["interpreter_requests"] == str(len(interpreted)) == "1"
    assert facts["emails"] == "1"
    # No mail server here: the request will wait in the outbox, and the page says so before publishing.
    assert 'data-field="emails">1 <strong class="tag tag-orange">not sent: no mail server is set up</strong>' in page
    local_first = ids.to_local(first)
    assert f"{local_first.day} {local_first:%B} 2027" in facts["first_new"] and f"{local_first:%H:%M}" in facts["first_new"]
    assert "3 working days: new sessions from Wednesday 13 January 2027" in page
    assert db.session.get(PlanningRun, run.id).published_at is None  # looking changes nothing

    response = client.post(f"/planning/runs/{run.id}/publish", headers=EN)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PlanningRun, run.id).published_at is not None
    assert "the interpreter has not got this. Call them" in client.get(response.location, headers=EN).get_data(as_text=True)


def test_the_planner_places_new_sessions_only_after_the_notice(app, friday):
    w = planning_world()
    run = solved_run(w.lead)
    starts = [ids.to_local(s.start).date() for s in run.sessions]
    assert starts and min(starts) >= dt.date(2027, 1, 13)


def test_a_session_inside_the_notice_is_listed_and_publishing_is_refused_until_it_moves(client, friday):
    w = planning_world()
    run = draft_run(w.lead)
    session = draft_session(run, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 12, 10))
    f.login(client, w.lead, language="en")

    page = client.get(f"/planning/runs/{run.id}/publish", headers=EN).get_data(as_text=True)
    assert "1 new or changed session starts inside the minimum notice" in page
    assert w.own_referral.reference in page and f"/planning/sessions/{session.id}/edit" in page
    assert "Publish this plan" not in page

    refused = client.post(f"/planning/runs/{run.id}/publish", headers=EN)
    assert refused.status_code == 400
    assert "inside the minimum notice of 3 working days" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PlanningRun, run.id).published_at is None
    assert db.session.get(Session, session.id).status.value == "planned"

    session = db.session.get(Session, session.id)
    session.start, session.end = f.oslo(2027, 1, 13, 10), f.oslo(2027, 1, 13, 11, 30)
    db.session.commit()
    assert client.post(f"/planning/runs/{run.id}/publish", headers=EN, data={"confirm_stale": "y"}).status_code == 302


def test_a_plan_published_after_the_run_started_must_be_replaced_explicitly(client, friday, travel_to):
    w = planning_world()
    older = draft_run(w.lead)
    draft_session(older, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 14, 10))
    travel_to(f.oslo(2027, 1, 8, 12, 30))  # another lead starts and publishes a run meanwhile
    newer = draft_run(w.lead)
    draft_session(newer, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 15, 10))
    planning_service.publish_run(w.lead, newer, confirm_stale=True)
    f.login(client, w.lead, language="en")

    page = client.get(f"/planning/runs/{older.id}/publish", headers=EN).get_data(as_text=True)
    assert f"Another plan (run {newer.id}) was published" in page and 'name="confirm_newer"' in page

    refused = client.post(f"/planning/runs/{older.id}/publish", headers=EN, data={"confirm_stale": "y"})
    assert refused.status_code == 400
    assert "Another plan was published after this run started" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PlanningRun, older.id).published_at is None

    confirmed = client.post(f"/planning/runs/{older.id}/publish", headers=EN,
                            data={"confirm_stale": "y", "confirm_newer": "y"})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(PlanningRun, older.id).published_at is not None


@pytest.mark.parametrize("hours_ahead, answer_hours, expected_hours", [
    (24 * 7, 48, 56),   # far ahead: the county's answer time, two working days: Wednesday 16:00
    (30, 48, 6),        # the day before the session comes first
    (10, 48, 5),        # closer than a day: half the time left, still before the session
])
def test_the_interpreter_must_answer_before_the_session(app, travel_to, hours_ahead, answer_hours, expected_hours):
    now = f.oslo(2027, 1, 11, 8)
    travel_to(now)
    w = f.world()
    w.lead.county.booking_answer_hours = answer_hours
    db.session.commit()
    session = f.published_session(w.counsellor, w.own_referral, start=now + dt.timedelta(hours=hours_ahead),
                                  interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    assert booking.answer_deadline == now + dt.timedelta(hours=expected_hours)
    assert booking.answer_deadline < session.start


def test_the_notice_counts_working_days_and_skips_holidays():
    from guidance.rules.notice import first_day_after_notice

    assert first_day_after_notice(dt.date(2027, 1, 8), 3) == dt.date(2027, 1, 13)  # Friday -> Wednesday
    assert first_day_after_notice(dt.date(2027, 3, 23), 3) == dt.date(2027, 3, 31)  # Wed 24, Easter, Tue 30, Wed 31
    assert first_day_after_notice(TODAY, 0) == dt.date(2027, 1, 9)
    # A county's closure days are not working days either: from Monday 28 December 2026 the notice had run out on
    # New Year's Eve, a day the centres are closed, and the pages said new times "from Thursday 31 December".
    assert first_day_after_notice(dt.date(2026, 12, 28), 3) == dt.date(2026, 12, 31)
    assert first_day_after_notice(dt.date(2026, 12, 28), 3, ["2026-12-24", "2026-12-31"]) == dt.date(2027, 1, 4)


def test_the_publish_page_names_the_first_day_after_the_notice_and_the_countys_closure_days(client, travel_to):
    from guidance.models import County

    travel_to(f.oslo(2026, 12, 28, 9))
    w = planning_world()
    county = db.session.get(County, w.lead.county_id)
    county.closure_days = ["2026-12-24", "2026-12-31"]
    db.session.commit()
    run = solved_run(w.lead, today=dt.date(2026, 12, 28))
    assert json.loads(run.instance_json)["new_sessions_from"] == "2027-01-04"
    f.login(client, w.lead)
    page = client.get(f"/planning/runs/{run.id}/publish").get_data(as_text=True)
    assert "mandag 4. januar 2027" in page and "torsdag 31. desember" not in page


def test_participants_with_a_published_session_inside_the_notice_get_their_other_sessions_after_it(app, friday):
    """A group published for Tuesday 12 January (inside the notice) stays as it is, and its members' individual
    sessions come from Wednesday 13: before, they could land inside the notice and publishing was refused."""
    w = planning_world()
    members = [w.own_referral, f.referral(name="Rami Saleh"), f.referral(name="Lina Nasser")]
    group = f.published_session(w.counsellor, members, start=f.oslo(2027, 1, 12, 10), minutes=90, type="group",
                                interpreter=w.interpreter, room_name="Grupperom")
    run = solved_run(w.lead)

    by_uid = {s.uid: s for s in run.sessions}
    assert by_uid[group.uid].start == group.start  # the published group is kept as it is
    individual = [s for s in run.sessions if s.type == "individual"]
    assert {sp.referral_id for s in individual for sp in s.participants} == {r.id for r in members}
    assert min(ids.to_local(s.start).date() for s in individual) >= dt.date(2027, 1, 13)
    preview = planning_service.publish_preview(run)
    assert preview.too_soon == []
    planning_service.publish_run(w.lead, run)  # not refused
