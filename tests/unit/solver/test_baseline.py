"""The spreadsheet baseline: valid plans on every scenario, honest reasons for the rest."""

from __future__ import annotations

import copy

import pytest

from solver.baseline import baseline
from solver.check import check_plan
from solver.generate import SCENARIOS, generate

from .test_check import person, tiny


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_baseline_plans_are_valid_on_every_scenario(scenario):
    inst = generate("46", 150, seed=5, scenario=scenario)
    result = check_plan(inst, baseline(inst))
    assert result.valid, [str(v) for v in result.violations[:10]]
    assert result.metrics["scheduled_ratio"] > 0.6


@pytest.mark.parametrize("county", ["03", "56"])
def test_baseline_plans_are_valid_in_other_counties(county):
    inst = generate(county, 120, seed=2, scenario="crunch")
    result = check_plan(inst, baseline(inst))
    assert result.valid, [str(v) for v in result.violations[:10]]


def test_baseline_places_everything_on_a_tiny_instance():
    inst = tiny()
    plan = baseline(inst)
    result = check_plan(inst, plan)
    assert result.valid, [str(v) for v in result.violations]
    reasons = {(u["participant"], u["type"]): u["reason"] for u in plan["unscheduled"]}
    # P1-P4 need a group: P1 (ti) and P4 (ar) need different interpreters, P2 and P3 none.
    assert result.metrics["scheduled"] + len(reasons) == result.metrics["required"]
    assert ("P6", "individual") not in reasons  # too far for on site, but video_ok
    assert all(r for r in reasons.values())


def test_baseline_reports_reasons_a_lead_can_act_on():
    inst = tiny()
    inst["participants"] = [
        person("P1", needs=["individual"], language="ln", needs_interpreter=True),
        person("P2", needs=["individual"], place="5001"),
        person("P3", needs=["individual"], deadline="2027-01-02", earliest="2027-01-04"),
        person("P4", needs=["group"]),
    ]
    inst["counsellors"] = [c for c in inst["counsellors"] if c["id"] != "C3"]
    reasons = {(u["participant"], u["type"]): u["reason"] for u in baseline(inst)["unscheduled"]}
    assert reasons == {("P1", "individual"): "no_interpreter_for_language",
                       ("P2", "individual"): "too_far_from_any_location",
                       ("P3", "individual"): "deadline_before_earliest",
                       ("P4", "group"): "group_too_small"}
    inst["participants"] = [person("P5", needs=["individual"])]
    for c in inst["counsellors"]:
        c["multicultural"] = False
    reasons = {(u["participant"], u["type"]): u["reason"] for u in baseline(inst)["unscheduled"]}
    assert reasons == {("P5", "individual"): "no_qualified_counsellor"}


def test_baseline_keeps_frozen_sessions_and_moves_the_sick_counsellors():
    inst = generate("46", 150, seed=4, scenario="sick-leave")
    result = check_plan(inst, baseline(inst))
    assert result.valid, [str(v) for v in result.violations[:10]]
    changes = result.metrics["changes"]
    assert changes["kept"] > 0.8 * sum(changes.values())


def test_baseline_is_deterministic():
    inst = generate("46", 100, seed=9)
    a, b = baseline(copy.deepcopy(inst)), baseline(copy.deepcopy(inst))
    a["stats"].pop("wall_seconds"), b["stats"].pop("wall_seconds")
    assert a == b
