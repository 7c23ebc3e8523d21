"""The lead's run pages: start, refusal messages, progress JSON, cancel, downloads."""
import pytest
import json
import datetime as dt

from guidance.extensions import db
from guidance.models import PlanningRun, RunStatus
from tests.app import factories as f
from tests.app.planning.helpers import planning_world

pytestmark = pytest.mark.one_database  # pages over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def test_a_time_budget_outside_the_limits_is_refused_with_the_field_named(client):
    w = planning_world()
    f.login(client, w.lead)
    response = client.post("/planning/runs", data={"time_limit": "5"}, headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#time_limit"' in page and 'value="5"' in page
    # the search time waits behind "More settings", opened here so the message and the field show
    assert '<details class="advanced" open>' in page
    assert db.session.query(PlanningRun).count() == 0


def test_starting_a_run_queues_it_and_shows_progress_that_refreshes(client):
    w = planning_world()
    f.login(client, w.lead)
    response = client.post("/planning/runs", data={"time_limit": "60"})
    run = db.session.query(PlanningRun).one()
    assert response.status_code == 302 and response.headers["Location"] == f"/planning/runs/{run.id}"
    assert run.status is RunStatus.QUEUED and json.loads(run.instance_json)["format"] == "guidance-instance/1"

    page = client.get(f"/planning/runs/{run.id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "js/run-progress.js" in page
    progress = client.get(f"/planning/runs/{run.id}/progress").get_json()
    assert progress["status"] == "queued" and progress["active"] is True
    assert client.get(f"/planning/runs/{run.id}/instance.json").get_json()["format"] == "guidance-instance/1"


def test_the_search_time_is_in_plain_words_behind_more_settings(client):
    """A walkthrough: "Time budget (seconds)" meant nothing to a lead. It says what a longer search
    gives, folded under a closed <details> (most leads never change it), and the run page's own
    figures say time so far and time allowed."""
    w = planning_world()
    f.login(client, w.lead, language="en")
    page = client.get("/planning/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    folded = page[page.index('<details class="advanced">'):page.index("</details>", page.index('<details class="advanced">'))]
    assert "<summary>More settings: search time</summary>" in folded and 'name="time_limit"' in folded
    assert "A longer search can book a few more sessions" in folded
    assert "Time budget" not in page
    client.post("/planning/runs", data={"time_limit": "60"})
    run = db.session.query(PlanningRun).one()
    page = client.get(f"/planning/runs/{run.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<dt>Time so far (seconds)</dt>" in page and "<dt>Time allowed (seconds)</dt>" in page
    assert "Search time" not in page and "Elapsed" not in page


def test_a_second_start_while_one_is_queued_is_refused_clearly(client):
    w = planning_world()
    f.login(client, w.lead, language="en")
    client.post("/planning/runs", data={"time_limit": "60"})
    response = client.post("/planning/runs", data={"time_limit": "60"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "already in progress" in response.get_data(as_text=True)
    assert db.session.query(PlanningRun).count() == 1


def test_cancelling_a_queued_run_ends_it_at_once(client):
    w = planning_world()
    f.login(client, w.lead)
    client.post("/planning/runs", data={"time_limit": "60"})
    run = db.session.query(PlanningRun).one()
    client.post(f"/planning/runs/{run.id}/cancel")
    db.session.expire_all()
    assert db.session.get(PlanningRun, run.id).status is RunStatus.CANCELLED
    assert client.get(f"/planning/runs/{run.id}/progress").get_json()["active"] is False


def test_a_lead_of_another_county_cannot_see_or_cancel_the_run(client):
    w = planning_world()
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.QUEUED, progress={})
    db.session.add(run)
    db.session.commit()
    f.login(client, w.other_county_lead)
    assert client.get(f"/planning/runs/{run.id}").status_code == 404
    assert client.post(f"/planning/runs/{run.id}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.get(PlanningRun, run.id).status is RunStatus.QUEUED


def test_the_interpreter_bookings_figure_is_singular_for_one(client, travel_to):
    """"650 kr for 1 tolkebestillinger": the count is a plural form of its own."""
    import re

    from tests.app.planning.helpers import planning_world, solved_run

    travel_to(f.oslo(2027, 1, 11, 8))
    w = planning_world()
    run = solved_run(w.lead, today=dt.date(2027, 1, 11))
    f.login(client, w.lead)
    page = client.get(f"/planning/runs/{run.id}").get_data(as_text=True)
    found = re.findall(r"for (\d+) tolkebestilling(er)?\b", page)
    assert found, page[page.index("figures-heading"):][:2000]
    assert all((count == "1") == (plural == "") for count, plural in found), found
    assert ("1", "") in found   # the world's one interpreted referral


def test_the_lead_holds_new_sessions_back_to_a_later_day(client, travel_to):
    """A settlement wave was booked into the last weeks of December, whose interpreter budget was spent, and a new
    run could only come out the same. The run form takes the day new sessions may start from: never before the
    county's notice allows, and nothing new is booked before it."""
    from sqlalchemy import select

    from guidance.models import Session
    from guidance.planning import ids
    from guidance.planning.runner import execute_run

    travel_to(f.oslo(2027, 1, 11, 8))   # Monday; the notice allows new sessions from Thursday 14 January
    w = planning_world()
    due = f.referral(name="Rami Saleh", deadline=dt.date(2027, 1, 20))   # keepable from the 14th, not from 1 February
    db.session.commit()
    f.login(client, w.lead)
    assert 'name="new_from"' in client.get("/planning/").get_data(as_text=True)
    too_soon = client.post("/planning/runs", data={"time_limit": "60", "new_from": "2027-01-12"})
    assert too_soon.status_code == 400
    assert "Velg en dag fra 14. januar 2027, den første fylkets varsel tillater" in too_soon.get_data(as_text=True)
    assert db.session.scalar(select(PlanningRun)) is None

    response = client.post("/planning/runs", data={"time_limit": "60", "new_from": "2027-02-01"})
    assert response.status_code == 302
    run = db.session.scalar(select(PlanningRun))
    assert json.loads(run.instance_json)["new_sessions_from"] == "2027-02-01"
    from guidance.services import planning as planning_service

    assert not planning_service.is_stale(run)   # the later day is the run's own, not a change of data since
    run.time_limit_seconds = 3
    db.session.commit()
    execute_run(run.id)
    db.session.expire_all()
    starts = [ids.to_local(s.start).date() for s in db.session.scalars(select(Session).where(Session.run_id == run.id))]
    assert starts and min(starts) >= dt.date(2027, 2, 1), starts
    # The deadline the lead's date makes the plan miss is said on the run and publish pages, not hidden among
    # "overdue participants fully planned".
    for url in (f"/planning/runs/{run.id}", f"/planning/runs/{run.id}/publish"):
        page = client.get(url).get_data(as_text=True)
        assert "1 deltaker med frist før 1. februar 2027 får første time etter fristen" in page, url
    assert due.deadline == dt.date(2027, 1, 20)
