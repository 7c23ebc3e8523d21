"""The web app's call: solver.recommend.recommend on exactly the instance the bridge builds, whose
previous_plan is the published plan; a new referral gets options that keep the plan valid."""
import pytest
import copy
import json

from solver.check import check_plan
from solver.recommend import recommend

from guidance.planning import InstanceOptions, build_instance, ids
from guidance.services import planning as planning_service
from tests.app import factories as f
from tests.app.planning.helpers import TODAY, planning_world, solved_run

pytestmark = pytest.mark.one_database  # the solver decides these; the PostgreSQL pass keeps publishing, runs in the queue and the bridge's queries (test_publish, test_safe_publish, test_jobs, test_bridge)


def test_a_new_referral_gets_options_against_the_published_plan(app):
    w = planning_world()
    first = solved_run(w.lead, time_limit=3)
    planning_service.publish_run(w.lead, first)
    newcomer = f.referral(municipality_number="4601", name="Rania Saleh")

    data = build_instance(w.lead.county, InstanceOptions(today=TODAY))
    assert data["previous_plan"] and data["previous_plan"]["sessions"]
    pid = ids.participant_id(newcomer.id)
    answer = recommend(data, participant=pid, top=5)

    assert answer["format"] == "guidance-recommendation/1" and answer["participant"] == pid
    assert answer["options"], answer
    assert json.loads(json.dumps(answer)) == answer   # plain JSON for the web page
    for option in answer["options"]:
        assert all(s["participants"] == [pid] or pid in s["participants"] for s in option["sessions"])
        plan = copy.deepcopy(data["previous_plan"])
        plan["sessions"] += [s for s in option["sessions"] if s["id"] not in {x["id"] for x in plan["sessions"]}]
        plan["sessions"] = [next((o for o in option["sessions"] if o["id"] == s["id"]), s) for s in plan["sessions"]]
        scheduled = {(m, s["type"]) for s in plan["sessions"] for m in s["participants"]}
        plan["unscheduled"] = [{"participant": p["id"], "type": t, "reason": "not_planned"}
                               for p in data["participants"] for t in p["needs"] if (p["id"], t) not in scheduled]
        result = check_plan(data, plan)
        assert result.valid, [str(v) for v in result.violations]


def test_a_passed_deadline_becomes_overdue_since(app):
    w = planning_world()
    late = f.referral(municipality_number="4601", name="Omar Khalil", deadline=TODAY.replace(day=4))
    data = build_instance(w.lead.county, InstanceOptions(today=TODAY))
    p = next(p for p in data["participants"] if p["id"] == ids.participant_id(late.id))
    assert (p["deadline"], p["overdue_since"]) == (None, "2027-01-04")
    others = [p for p in data["participants"] if p["id"] != ids.participant_id(late.id)]
    assert others and all(p["overdue_since"] is None for p in others)


def test_a_deadline_inside_the_notice_is_counted_as_overdue_from_that_deadline(app):
    """A repair plan said "160 of 160 deadlines kept" while its changes page showed one moved past its deadline:
    a deadline the notice no longer let any new session meet was dropped, and counted nowhere."""
    import datetime as dt

    w = planning_world()
    soon = f.referral(municipality_number="4601", name="Soon Deadline", deadline=dt.date(2027, 1, 12))
    data = build_instance(w.lead.county, InstanceOptions(today=TODAY, earliest_new=dt.date(2027, 1, 14)))
    p = next(p for p in data["participants"] if p["id"] == ids.participant_id(soon.id))
    assert (p["deadline"], p["overdue_since"]) == (None, "2027-01-12")
    own = next(p for p in data["participants"] if p["id"] == ids.participant_id(w.own_referral.id))
    assert own["overdue_since"] is None and own["deadline"] is not None
