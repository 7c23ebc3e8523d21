"""Fair load (tier 6): counsellors with alike hours and qualification at one location share the
week's sessions; a hand-over never costs a participant continuity or an appointment."""

from __future__ import annotations

import copy

from solver.balance import balance_load
from solver.check import check_plan
from solver.formats import dump_plan, load_instance, load_plan
from solver.model import solve
from solver.model_data import prepare
from solver.objective import terms

from .conftest import make_instance, participant

DAYS = ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07"]


def two_alike_counsellors(participants):
    inst = make_instance(participants)
    inst["counsellors"].append({**copy.deepcopy(inst["counsellors"][0]), "id": "C2", "name": "Per"})
    return inst


def piled_on_c1(inst) -> dict:
    """A valid plan that gives every session to C1 (two a day), C2 none."""
    sessions = []
    for n, p in enumerate(inst["participants"]):
        day, start = DAYS[n // 2], ("08:00", "09:30")[n % 2]
        end = {"08:00": "09:30", "09:30": "11:00"}[start]
        sessions.append({"id": f"S{n + 1}", "type": "individual", "participants": [p["id"]], "counsellor": "C1",
                         "location": "L-bergen", "room": "L-bergen-1", "start": f"{day}T{start}",
                         "end": f"{day}T{end}", "mode": "onsite", "language": None, "interpreter": None,
                         "interpreter_mode": None})
    return {"format": "guidance-plan/1", "instance": "tiny", "sessions": sessions, "unscheduled": []}


def test_one_counsellor_with_every_session_and_an_idle_colleague_get_an_even_share():
    inst = two_alike_counsellors([participant(f"P{i}") for i in range(1, 9)])
    plan = piled_on_c1(inst)
    assert terms(inst, plan)["load_spread"] == 8
    balanced, handed = balance_load(prepare(load_instance(inst)), load_plan(plan), stop_at=float("inf"))
    out = dump_plan(balanced)
    assert check_plan(inst, out).valid
    assert handed == 4 and terms(inst, out)["load_spread"] == 0
    # The colleague was free: every participant keeps the time, only the counsellor changes.
    assert [(s["start"], s["participants"]) for s in out["sessions"]] == \
        [(s["start"], s["participants"]) for s in plan["sessions"]]


def test_a_hand_over_never_costs_continuity_or_a_preferred_counsellor():
    people = [participant(f"P{i}", preferred_counsellor="C1" if i <= 2 else None) for i in range(1, 9)]
    people[2]["needs"] = ["individual", "follow_up"]  # P3 sees C1 twice
    inst = two_alike_counsellors(people)
    inst["session_types"]["follow_up"] = {"minutes": 90}
    plan = piled_on_c1(inst)
    plan["sessions"].append({**plan["sessions"][2], "id": "S-fu", "type": "follow_up",
                             "start": "2027-01-08T08:00", "end": "2027-01-08T09:30"})
    before = terms(inst, plan)
    balanced, handed = balance_load(prepare(load_instance(inst)), load_plan(plan), stop_at=float("inf"))
    out = dump_plan(balanced)
    after = terms(inst, out)
    assert check_plan(inst, out).valid and handed > 0
    assert after["participants_one_counsellor"] == before["participants_one_counsellor"]
    assert after["preferred_honoured"] == before["preferred_honoured"] == 2
    staff_of = {}
    for s in out["sessions"]:
        for pid in s["participants"]:
            staff_of.setdefault(pid, set()).add(s["counsellor"])
    assert staff_of["P1"] == staff_of["P2"] == {"C1"} and len(staff_of["P3"]) == 1
    assert after["load_spread"] <= 1


def test_the_planner_spreads_a_week_between_counsellors_with_alike_hours():
    inst = two_alike_counsellors([participant(f"P{i}") for i in range(1, 17)])
    plan = solve(inst, time_limit=3, workers=1)
    t = plan.stats.terms
    assert t["sessions_placed"] == 16
    assert t["load_spread"] <= 2
    counts = {}
    for s in plan.sessions:
        counts[s.counsellor] = counts.get(s.counsellor, 0) + 1
    assert set(counts) == {"C1", "C2"} and abs(counts["C1"] - counts["C2"]) <= 2


def test_frozen_and_previous_sessions_stay_with_their_counsellor():
    inst = two_alike_counsellors([participant(f"P{i}") for i in range(1, 9)])
    prev = piled_on_c1(inst)
    inst["previous_plan"] = prev
    balanced, handed = balance_load(prepare(load_instance(inst)), load_plan(copy.deepcopy(prev)),
                                    stop_at=float("inf"))
    assert handed == 0 and all(s.counsellor == "C1" for s in balanced.sessions)
