"""The bridge: an instance built from the database passes the solver's schema; plans round-trip."""
import datetime as dt
import json

from solver.check import check_plan
from solver.formats import load_instance

from guidance.extensions import db
from guidance.models import Absence, PlanningRun, ReferralStatus
from guidance.planning import InstanceOptions, build_instance, data_fingerprint, plan_from_sessions, store_plan
from tests.app import factories as f
from tests.app.planning.helpers import TODAY, planning_world


def test_instance_built_from_the_database_passes_the_solver_schema(app):
    w = f.world()
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 2, 1), end_date=dt.date(2027, 2, 5)))
    w.other_referral.status = ReferralStatus.WITHDRAWN
    db.session.commit()

    data = build_instance(w.lead.county, InstanceOptions(today=TODAY))
    instance = load_instance(json.loads(json.dumps(data)))

    assert instance.horizon.start == dt.date(2027, 1, 11)
    assert [p.id for p in instance.participants] == [f"R{w.own_referral.id}"]
    participant = instance.participants[0]
    assert (participant.place, participant.language, participant.legal_basis) == ("4601", "ar", "integration_act")
    counsellor = instance.counsellors_by_id()[f"C{w.counsellor.counsellor.id}"]
    assert counsellor.absences == [(dt.date(2027, 2, 1), dt.date(2027, 2, 5))]
    interpreter = instance.interpreters[0]
    assert (interpreter.hourly_rate, interpreter.travel_rate, interpreter.languages) == (720.0, 360.0, {"ar": 2})
    assert dt.date(2027, 3, 25) in instance.calendar.holidays  # Maundy Thursday 2027
    assert "Amal" not in json.dumps(data)  # the instance file names no participant


def test_a_stored_plan_round_trips(app):
    from solver import solve

    w = planning_world()
    run = PlanningRun(county=w.lead.county)
    db.session.add(run)
    data = build_instance(w.lead.county, InstanceOptions(today=TODAY))
    plan = solve(data, time_limit=3, workers=1).model_dump(mode="json")
    assert plan["sessions"], "the two referrals can each get an individual session"

    store_plan(run, plan, data)
    db.session.commit()
    db.session.expire_all()

    back = plan_from_sessions(db.session.get(PlanningRun, run.id).sessions, unscheduled=plan["unscheduled"])
    key = lambda s: s["id"]
    assert sorted(back["sessions"], key=key) == sorted(plan["sessions"], key=key)
    assert check_plan(data, back).valid


def test_fingerprint_changes_when_a_referral_arrives(app):
    w = f.world()
    options = InstanceOptions(today=TODAY)
    before = data_fingerprint(build_instance(w.lead.county, options))
    assert data_fingerprint(build_instance(w.lead.county, options)) == before
    f.referral(municipality_number="4601", name="New Person")
    assert data_fingerprint(build_instance(w.lead.county, options)) != before


def test_a_participant_who_needs_step_free_access_is_planned_where_the_way_in_has_no_steps(app):
    """Bergen's centre has steps, Voss's (within the travel limit) has none: a Bergen participant
    who needs step-free access is booked in Voss, although Bergen is nearer."""
    from sqlalchemy import select

    from guidance.models import Location
    from tests.app.planning.helpers import solved_run

    f.centre(town="4621")
    w = planning_world()
    bergen, voss = (db.session.scalar(select(Location).where(Location.name == f"Karrieresenter {n}"))
                    for n in ("Bergen", "Voss"))
    voss.step_free = True
    w.own_referral.participant.needs_step_free = True
    w.own_referral.participant.needs_interpreter = False
    db.session.commit()

    data = build_instance(w.lead.county, InstanceOptions(today=TODAY))
    steps = {loc["name"]: loc["step_free"] for loc in data["locations"]}
    assert steps == {"Karrieresenter Bergen": False, "Karrieresenter Voss": True}
    (participant,) = [p for p in data["participants"] if p["id"] == f"R{w.own_referral.id}"]
    assert participant["needs_step_free"] is True

    run = solved_run(w.lead)
    placed = [s for s in run.sessions if any(sp.referral_id == w.own_referral.id for sp in s.participants)]
    assert placed and {(s.location_id, s.mode) for s in placed} == {(voss.id, "onsite")}
