"""Reviewing a finished run: figures, sessions by week/location/counsellor, changes, unscheduled."""
from guidance.models import RunStatus
from tests.app import factories as f
from tests.app.planning.helpers import planning_world, solved_run

EN = {"Accept-Language": "en"}


def test_a_finished_run_shows_its_figures_sessions_and_what_could_not_be_planned(client):
    w = planning_world()
    run = solved_run(w.lead)
    assert run.status is RunStatus.SUCCEEDED, run.message
    f.login(client, w.lead, language="en")

    page = client.get(f"/planning/runs/{run.id}", headers=EN).get_data(as_text=True)
    assert "Coverage" in page and "Checked against every rule" in page

    sessions = client.get(f"/planning/runs/{run.id}/sessions", headers=EN).get_data(as_text=True)
    assert w.own_referral.reference in sessions and "Amal" not in sessions
    counsellor_filter = client.get(f"/planning/runs/{run.id}/sessions?counsellor={w.counsellor.counsellor.id}",
                                   headers=EN).get_data(as_text=True)
    assert w.own_referral.reference in counsellor_filter

    unscheduled = client.get(f"/planning/runs/{run.id}/unscheduled", headers=EN).get_data(as_text=True)
    # Two referrals cannot make a group of three; Tigrinya has no interpreter in this county.
    assert "Too few participants can meet" in unscheduled
    assert "Book an interpreter for Tigrinya" in unscheduled

    changes = client.get(f"/planning/runs/{run.id}/changes", headers=EN).get_data(as_text=True)
    assert "New" in changes and w.own_referral.reference in changes


def test_review_pages_of_an_unfinished_run_answer_not_found(client):
    from guidance.extensions import db
    from guidance.models import PlanningRun

    w = planning_world()
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.RUNNING, progress={})
    db.session.add(run)
    db.session.commit()
    f.login(client, w.lead)
    assert client.get(f"/planning/runs/{run.id}/sessions").status_code == 404
