"""Every unscheduled reason the planner emits names an obstacle a lead can remove (issue 5).

For each reason code in solver/model_reasons.py and solver/model.py: a tiny instance that
produces it for one need, then the same instance with the named obstacle removed (an
interpreter added, a counsellor day added, a closer location, another group member, ...)
where that need is placed. Every plan is refereed by the independent checker.
"""

from __future__ import annotations

import copy

import pytest

from solver.check import check_plan
from solver.model import solve

from .conftest import make_instance, participant

LIMIT = 2.0
NEED = ("P1", "individual")


def plan_for(inst: dict, time_limit: float = LIMIT):
    plan = solve(copy.deepcopy(inst), time_limit=time_limit, workers=1, seed=0)
    result = check_plan(inst, plan)
    assert result.valid, [str(v) for v in result.violations]
    return plan


def reason_of(plan, need=NEED) -> str | None:
    return next((u.reason for u in plan.unscheduled if (u.participant, u.type) == need), None)


def placed(plan, need=NEED) -> bool:
    return any(need[0] in s.participants and s.type == need[1] for s in plan.sessions)


def assert_actionable(broken: dict, fixed: dict, reason: str, need=NEED) -> None:
    """``broken`` leaves ``need`` unscheduled with ``reason``; ``fixed`` places it."""
    before = plan_for(broken)
    assert reason_of(before, need) == reason, [(u.participant, u.type, u.reason) for u in before.unscheduled]
    after = plan_for(fixed)
    assert placed(after, need), [(u.participant, u.type, u.reason, u.detail) for u in after.unscheduled]


def week(start: str = "08:00", end: str = "16:00", days: str = "12345") -> dict:
    return {d: [[start, end]] for d in days}


# --------------------------------------------------------------------------- analysis reasons


def test_deadline_before_earliest_fixed_by_a_later_deadline():
    broken = make_instance([participant("P1", earliest="2027-01-06", deadline="2027-01-05")])
    fixed = make_instance([participant("P1", earliest="2027-01-06", deadline="2027-01-07")])
    assert_actionable(broken, fixed, "deadline_before_earliest")


def test_no_working_day_before_deadline_fixed_by_a_later_deadline():
    # The window is a holiday; the deadline moves one working day later.
    holiday = {"workdays": [1, 2, 3, 4, 5], "holidays": ["2027-01-04"]}
    broken = make_instance([participant("P1", earliest="2027-01-04", deadline="2027-01-04")], calendar=holiday)
    fixed = make_instance([participant("P1", earliest="2027-01-04", deadline="2027-01-05")], calendar=holiday)
    assert_actionable(broken, fixed, "no_working_day_before_deadline")


def test_no_location_with_rooms_fixed_by_a_room():
    broken = make_instance([participant("P1")])
    broken["locations"][0]["rooms"] = []
    fixed = make_instance([participant("P1")])
    fixed["locations"][0]["rooms"] = [{"id": "L-bergen-1", "capacity": 1, "video": False}]
    assert_actionable(broken, fixed, "no_location_with_rooms")


def test_too_far_from_any_location_fixed_by_a_closer_location():
    broken = make_instance([participant("P1", place="5001")])  # Trondheim, ~7 h from Bergen
    fixed = copy.deepcopy(broken)
    fixed["locations"].append({"id": "L-trondheim", "name": "Trondheim", "place": "5001",
                               "opening": [["08:00", "16:00"]], "open_dates": None,
                               "rooms": [{"id": "L-trondheim-1", "capacity": 1, "video": False}]})
    fixed["counsellors"][0]["locations"].append("L-trondheim")
    assert_actionable(broken, fixed, "too_far_from_any_location")


def test_too_far_from_any_location_fixed_by_video():
    broken = make_instance([participant("P1", place="5001")])
    fixed = make_instance([participant("P1", place="5001", video_ok=True)])
    assert_actionable(broken, fixed, "too_far_from_any_location")


def test_no_step_free_location_fixed_by_step_free_access():
    broken = make_instance([participant("P1", needs_step_free=True)])
    fixed = copy.deepcopy(broken)
    fixed["locations"][0]["step_free"] = True
    assert_actionable(broken, fixed, "no_step_free_location")


def test_no_step_free_location_fixed_by_video():
    broken = make_instance([participant("P1", needs_step_free=True)])
    fixed = make_instance([participant("P1", needs_step_free=True, video_ok=True)])
    assert_actionable(broken, fixed, "no_step_free_location")


def test_step_free_participant_goes_to_the_step_free_location():
    # Bergen has steps, Voss (within reach) has none: the participant is planned at Voss even
    # though Bergen is nearer; the other participant stays in Bergen.
    inst = make_instance([participant("P1", needs_step_free=True), participant("P2")])
    voss = copy.deepcopy(inst["locations"][0])
    voss.update(id="L-voss", name="Voss", place="4621", step_free=True,
                rooms=[{"id": "L-voss-1", "capacity": 1, "video": False}])
    inst["locations"].append(voss)
    inst["counsellors"][0]["locations"].append("L-voss")
    plan = plan_for(inst)
    where = {s.participants[0]: s.location for s in plan.sessions}
    assert where == {"P1": "L-voss", "P2": "L-bergen"}


def test_no_qualified_counsellor_fixed_by_a_multicultural_counsellor():
    broken = make_instance([participant("P1", legal_basis="integration_act")])
    broken["counsellors"][0]["multicultural"] = False
    fixed = copy.deepcopy(broken)
    fixed["counsellors"].append(dict(copy.deepcopy(broken["counsellors"][0]), id="C2", multicultural=True))
    assert_actionable(broken, fixed, "no_qualified_counsellor")


def test_no_interpreter_for_language_fixed_by_an_interpreter():
    broken = make_instance([participant("P1", language="so", needs_interpreter=True)])
    fixed = copy.deepcopy(broken)
    fixed["interpreters"].append(dict(copy.deepcopy(broken["interpreters"][0]), id="I2", languages={"so": 2}))
    assert_actionable(broken, fixed, "no_interpreter_for_language")


def test_no_interpreter_for_language_group_phone_only_fixed_by_a_video_interpreter():
    """Phone interpreting is for individual sessions only (rule 7)."""
    members = [participant(f"P{i}", needs=["group"], language="ti", needs_interpreter=True) for i in (1, 2, 3)]
    broken = make_instance(members)
    broken["interpreters"][0]["modes"] = ["phone"]
    fixed = copy.deepcopy(broken)
    fixed["interpreters"][0]["modes"] = ["phone", "video"]
    fixed["locations"][0]["rooms"][1]["video"] = True
    assert_actionable(broken, fixed, "no_interpreter_for_language", need=("P1", "group"))


def test_no_interpreter_when_hours_never_meet_fixed_by_an_interpreter_day():
    """The interpreter works Tuesdays, the counsellor Mondays: add a Monday for the interpreter."""
    broken = make_instance([participant("P1", language="ti", needs_interpreter=True)])
    broken["counsellors"][0]["weekly"] = week(days="1")
    broken["interpreters"][0]["weekly"] = week(days="2")
    fixed = copy.deepcopy(broken)
    fixed["interpreters"][0]["weekly"] = week(days="12")
    assert_actionable(broken, fixed, "no_interpreter_for_language")


def test_no_interpreter_free_with_one_counsellor_fixed_by_longer_interpreter_hours():
    """Counsellors cover 08-10 and 10-12 between them; the interpreter 09-11 meets neither for
    90 minutes (the analysis sees the merged staff hours; the final reason tries it alone)."""
    broken = make_instance([participant("P1", language="ti", needs_interpreter=True)])
    broken["counsellors"][0]["weekly"] = week("08:00", "10:00")
    broken["counsellors"].append(dict(copy.deepcopy(broken["counsellors"][0]), id="C2",
                                      weekly=week("10:00", "12:00")))
    broken["interpreters"][0]["weekly"] = week("09:00", "11:00")
    fixed = copy.deepcopy(broken)
    fixed["interpreters"][0]["weekly"] = week("08:00", "11:00")
    assert_actionable(broken, fixed, "no_interpreter_for_language")


def test_no_counsellor_available_fixed_by_a_counsellor_day():
    """The only counsellor works Fridays; the participant's window is Monday-Tuesday."""
    broken = make_instance([participant("P1", earliest="2027-01-04", deadline="2027-01-05")])
    broken["counsellors"][0]["weekly"] = week(days="5")
    fixed = copy.deepcopy(broken)
    fixed["counsellors"][0]["weekly"] = week(days="15")
    assert_actionable(broken, fixed, "no_counsellor_available")


def test_no_counsellor_available_during_absence_fixed_by_another_counsellor():
    broken = make_instance([participant("P1")])
    broken["counsellors"][0]["absences"] = [["2027-01-04", "2027-01-08"]]
    fixed = copy.deepcopy(broken)
    fixed["counsellors"].append(dict(copy.deepcopy(broken["counsellors"][0]), id="C2", absences=[]))
    assert_actionable(broken, fixed, "no_counsellor_available")


def test_no_counsellor_available_when_hours_miss_opening_fixed_by_longer_hours():
    """The counsellor starts at 15:00 and the centre closes at 16:00: no 90 minutes fit; from 14:00 they do."""
    broken = make_instance([participant("P1")])
    broken["counsellors"][0]["weekly"] = week("15:00", "18:00")
    fixed = copy.deepcopy(broken)
    fixed["counsellors"][0]["weekly"] = week("14:00", "18:00")
    assert_actionable(broken, fixed, "no_counsellor_available")


# --------------------------------------------------------------------------- reasons after planning


def test_group_too_small_fixed_by_another_member():
    members = [participant(f"P{i}", needs=["group"]) for i in (1, 2)]
    broken = make_instance(members)
    fixed = make_instance(members + [participant("P3", needs=["group"])])
    assert_actionable(broken, fixed, "group_too_small", need=("P1", "group"))


def test_no_capacity_before_deadline_fixed_by_a_counsellor_day():
    """Three participants, Monday only, at most two sessions a day: add a second counsellor."""
    group = [participant(f"P{i}", earliest="2027-01-04", deadline="2027-01-04") for i in (1, 2, 3)]
    broken = make_instance(group)
    broken["counsellors"][0]["max_sessions_per_day"] = 2
    plan = plan_for(broken)
    (left,) = [u for u in plan.unscheduled]
    assert left.reason == "no_capacity_before_deadline"
    fixed = copy.deepcopy(broken)
    fixed["counsellors"].append(dict(copy.deepcopy(broken["counsellors"][0]), id="C2"))
    assert_actionable(broken, fixed, "no_capacity_before_deadline", need=(left.participant, left.type))


def test_no_capacity_before_deadline_fixed_by_more_sessions_per_day():
    group = [participant(f"P{i}", earliest="2027-01-04", deadline="2027-01-04") for i in (1, 2, 3)]
    broken = make_instance(group)
    broken["counsellors"][0]["max_sessions_per_day"] = 2
    (left,) = plan_for(broken).unscheduled
    fixed = copy.deepcopy(broken)
    fixed["counsellors"][0]["max_sessions_per_day"] = 3
    assert_actionable(broken, fixed, "no_capacity_before_deadline", need=(left.participant, left.type))


def test_time_limit_reached_fixed_by_a_longer_limit():
    inst = make_instance([participant("P1")])
    plan = solve(copy.deepcopy(inst), time_limit=1e-6, workers=1)
    assert check_plan(inst, plan).valid
    if reason_of(plan) != "time_limit_reached":
        pytest.skip("this machine finished construction within a microsecond")
    assert placed(plan_for(inst, time_limit=LIMIT))
