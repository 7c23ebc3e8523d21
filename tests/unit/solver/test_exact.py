"""solver.exact: the whole planning problem in one CP-SAT model, for small instances.

- Known optima by hand: tiny instances where one rule decides how many needs fit; the exact
  solve must find that many, prove it (OPTIMAL, CP-SAT's bound equal), and its plan must pass
  the independent checker.
- On a generated instance: checker-valid, at least the engine's count, at most solver.bound.
"""

from __future__ import annotations

import copy
import json

import pytest

from solver.bound import upper_bound
from solver.check import check_plan
from solver.exact import main, solve_exact
from solver.formats import dump_plan
from solver.generate import generate
from solver.model import solve

from .conftest import BERGEN_VOSS, centre, counsellor, make_instance, participant

ONE_DAY = {"start": "2027-01-04", "end": "2027-01-04"}


def exact(inst: dict, **kw):
    """The exact result, after the checker has accepted its plan."""
    result = solve_exact(copy.deepcopy(inst), time_limit=20, **kw)
    assert result.plan is not None, result.status
    verdict = check_plan(inst, result.plan)
    assert verdict.valid, [str(v) for v in verdict.violations]
    assert result.valid and verdict.metrics["scheduled"] == result.scheduled
    return result


def assert_proven(result, expected: int) -> None:
    assert (result.status, result.scheduled, result.best_bound) == ("OPTIMAL", expected, expected)


def test_two_needs_and_one_counsellor_slot_give_one(tmp_path):
    inst = make_instance([participant("P1"), participant("P2")], horizon=ONE_DAY)
    inst["counsellors"][0]["max_sessions_per_day"] = 1
    assert_proven(exact(inst), 1)
    # The command writes the same kind of plan and says so.
    (tmp_path / "i.json").write_text(json.dumps(inst))
    assert main([str(tmp_path / "i.json"), "--time-limit", "10", "--out", str(tmp_path / "p.json")]) == 0
    plan = json.loads((tmp_path / "p.json").read_text())
    assert check_plan(inst, plan).valid and len(plan["sessions"]) == 1 and len(plan["unscheduled"]) == 1


@pytest.mark.parametrize("cannot_come_until, expected", [("14:30", 1), ("14:45", 0)])
def test_a_participant_is_not_placed_in_a_time_they_cannot_come(cannot_come_until, expected):
    # The centre is open 08:00-16:00 (a 90-minute session); the participant cannot come before
    # 14:30 (one time left) or 14:45 (none).
    inst = make_instance([participant("P1")], horizon=ONE_DAY)
    inst["participants"][0]["busy"] = [["2027-01-04T08:00", f"2027-01-04T{cannot_come_until}"]]
    assert_proven(exact(inst), expected)


@pytest.mark.parametrize("until, expected", [("12:00", 1), ("13:00", 2)])
def test_counsellor_travel_between_locations_limits_the_day(until, expected):
    # Bergen to Voss is 86 minutes; each participant may travel 30, so each needs their own
    # town. 90 + 86 + 90 minutes fit in 08:00-13:00, not in 08:00-12:00 (rule 3).
    inst = make_instance([participant("P1", place="4601"), participant("P2", place="4621")], horizon=ONE_DAY,
                         places=BERGEN_VOSS, max_participant_travel_minutes=30,
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=[counsellor("C1", ["L-bergen", "L-voss"])], interpreters=[])
    inst["counsellors"][0]["weekly"] = {"1": [["08:00", until]]}
    assert_proven(exact(inst), expected)


@pytest.mark.parametrize("until, expected", [("12:00", 1), ("13:00", 2)])
def test_interpreter_travel_between_on_site_bookings(until, expected):
    # One counsellor in each town; the one Tigrinya interpreter works on site only (rule 6).
    people = [participant("P1", place="4601", language="ti", needs_interpreter=True),
              participant("P2", place="4621", language="ti", needs_interpreter=True)]
    inst = make_instance(people, horizon=ONE_DAY, places=BERGEN_VOSS, max_participant_travel_minutes=30,
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=[counsellor("C1", ["L-bergen"]), counsellor("C2", ["L-voss"])])
    inst["interpreters"][0].update(modes=["onsite"], weekly={"1": [["08:00", until]]})
    assert_proven(exact(inst), expected)


def test_one_room_holds_one_session_at_a_time():
    inst = make_instance([participant("P1"), participant("P2")], horizon=ONE_DAY,
                         counsellors=[counsellor("C1", ["L-bergen"]), counsellor("C2", ["L-bergen"])])
    inst["locations"][0]["rooms"] = [{"id": "L-bergen-1", "capacity": 1, "video": False}]
    for c in inst["counsellors"]:
        c["weekly"] = {"1": [["08:00", "10:00"]]}
    assert_proven(exact(inst), 1)


@pytest.mark.parametrize("members, expected", [(2, 0), (3, 3)])
def test_group_needs_its_minimum_size(members, expected):
    people = [participant(f"P{k}", needs=["group"]) for k in range(1, members + 1)]
    assert_proven(exact(make_instance(people, horizon=ONE_DAY)), expected)


@pytest.mark.parametrize("fourth, expected", [(None, 0), ("nb", 3)])
def test_a_group_carries_one_interpreted_language(fourth, expected):
    # Two Tigrinya and one Arabic speaker who need an interpreter cannot share a group (rule 5:
    # one interpreted language); a Norwegian speaker makes a group of three with the Tigrinya pair.
    people = [participant("P1", needs=["group"], language="ti", needs_interpreter=True),
              participant("P2", needs=["group"], language="ti", needs_interpreter=True),
              participant("P3", needs=["group"], language="ar", needs_interpreter=True)]
    if fourth:
        people.append(participant("P4", needs=["group"], language=fourth))
    result = exact(make_instance(people, horizon=ONE_DAY))
    assert_proven(result, expected)
    for s in result.plan.sessions:
        assert s.language == "ti" and s.interpreter == "I1"


def test_frozen_session_of_the_previous_plan_is_kept_exactly():
    inst = make_instance([participant("P1"), participant("P2")], horizon=ONE_DAY,
                         frozen_until="2027-01-04T23:00")
    inst["counsellors"][0]["max_sessions_per_day"] = 2
    inst["previous_plan"] = {
        "format": "guidance-plan/1", "instance": "tiny", "unscheduled": [{"participant": "P2", "type": "individual",
                                                                          "reason": "no_capacity_before_deadline"}],
        "sessions": [{"id": "S7", "type": "individual", "participants": ["P1"], "counsellor": "C1",
                      "location": "L-bergen", "room": "L-bergen-1", "start": "2027-01-04T14:15",
                      "end": "2027-01-04T15:45", "mode": "onsite", "language": None, "interpreter": None,
                      "interpreter_mode": None}]}
    result = exact(inst)   # the checker's rule 10 holds
    assert_proven(result, 2)
    kept = [s for s in dump_plan(result.plan)["sessions"] if s["id"] == "S7"]
    assert kept == inst["previous_plan"]["sessions"]


def test_generated_crunch_between_engine_and_bound():
    inst = generate("46", 20, seed=1, scenario="crunch", weeks=2)
    engine = check_plan(inst, solve(copy.deepcopy(inst), time_limit=3, workers=1)).metrics["scheduled"]
    result = exact(inst, workers=1)
    assert engine <= result.scheduled <= result.best_bound <= upper_bound(inst)
