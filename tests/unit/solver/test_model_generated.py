"""End to end on generated county instances: every plan passes the independent checker and
every required session is either scheduled or explained."""

from __future__ import annotations

import pytest

from solver.check import check_plan
from solver.generate import generate
from solver.model import solve

KNOWN_REASONS = {"deadline_before_earliest", "no_working_day_before_deadline", "no_location_with_rooms",
                 "too_far_from_any_location", "no_qualified_counsellor", "no_interpreter_for_language",
                 "no_counsellor_available", "group_too_small", "no_capacity_before_deadline",
                 "time_limit_reached"}


@pytest.mark.parametrize("county,scenario", [("46", "normal"), ("18", "rare-language"),
                                             ("03", "crunch"), ("46", "sick-leave")])
def test_generated_instance_gives_valid_explained_plan(county, scenario):
    inst = generate(county=county, participants=40, seed=3, scenario=scenario, weeks=4)
    plan = solve(inst, time_limit=3)
    result = check_plan(inst, plan)
    assert result.valid, [str(v) for v in result.violations][:5]
    placed = {(p, s.type) for s in plan.sessions for p in s.participants}
    missing = {(u.participant, u.type) for u in plan.unscheduled}
    required = {(p["id"], t) for p in inst["participants"] for t in p["needs"]}
    assert placed | missing == required and not placed & missing
    assert {u.reason for u in plan.unscheduled} <= KNOWN_REASONS
    assert all(u.detail for u in plan.unscheduled)
    assert len(placed) >= 0.5 * len(required)
