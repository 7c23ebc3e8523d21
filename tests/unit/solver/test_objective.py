"""The objective's named terms (solver/objective.py, ``stats.terms``) and ``python -m solver explain``."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from solver import check, objective
from solver.check import check_plan
from solver.formats import dump_plan, load_instance
from solver.generate import generate
from solver.model import solve
from solver.model_data import prepare
from solver.objective import difference, interpreter_cost_nok, terms

from .conftest import make_instance, participant


@pytest.fixture(scope="module")
def generated():
    """A small sick-leave county instance (it has a previous plan) and a short solve."""
    inst = generate(county="46", participants=40, seed=5, scenario="sick-leave", weeks=4)
    plan = dump_plan(solve(inst, time_limit=3, workers=1))
    return inst, plan


def _placed_needs(inst: dict, plan: dict) -> set[tuple[str, str]]:
    needs = {(p["id"], t) for p in inst["participants"] for t in p["needs"]}
    return {(pid, s["type"]) for s in plan["sessions"] for pid in s["participants"]} & needs


def test_every_plan_carries_its_terms_and_they_agree_with_the_checker(generated):
    inst, plan = generated
    written = plan["stats"]["terms"]
    assert written == terms(inst, plan)
    # Counted here from the plan file, independently of both modules.
    placed = _placed_needs(inst, plan)
    assert written["sessions_placed"] == len(placed)
    assert written["sessions_needed"] == sum(len(p["needs"]) for p in inst["participants"])
    for typ in inst["session_types"]:
        assert written["sessions_placed_by_type"].get(typ, 0) == sum(t == typ for _, t in placed)
    complete = [p for p in inst["participants"] if p["needs"] and all((p["id"], t) in placed for t in p["needs"])]
    assert written["participants_complete"] == len(complete)
    assert written["video_sessions"] == sum(s["mode"] == "video" for s in plan["sessions"])
    assert written["interpreter_bookings"] == sum(s["interpreter"] is not None for s in plan["sessions"])
    metrics = check_plan(inst, plan).metrics
    assert metrics["violations"] == 0
    assert written["sessions_placed"] == metrics["scheduled"]
    assert written["participants_complete"] == metrics["complete"]
    assert written["participant_travel_minutes"] == metrics["participant_travel_minutes"]
    assert written["interpreter_cost_nok"] == pytest.approx(metrics["interpreter_cost_nok"], abs=0.01)
    assert written["deadline_misses"] == metrics["deadline_missed"]
    # The sick-leave instance has a previous plan: every previous session is accounted for once.
    changes = written["changes"]
    assert sum(changes.values()) == len(inst["previous_plan"]["sessions"])
    assert changes["kept"] > 0


def test_explain_difference_of_a_plan_with_one_session_removed():
    inst = make_instance([participant("P1", place="4621"),
                          participant("P2", language="ti", needs_interpreter=True),
                          participant("P3")])
    plan = dump_plan(solve(inst, time_limit=2, workers=1))
    assert len(plan["sessions"]) == 3
    gone = next(s for s in plan["sessions"] if s["participants"] == ["P2"])
    assert gone["interpreter"] == "I1" and gone["interpreter_mode"] == "onsite"
    fewer = copy.deepcopy(plan)
    fewer["sessions"] = [s for s in fewer["sessions"] if s["id"] != gone["id"]]
    fewer["unscheduled"].append({"participant": "P2", "type": "individual", "reason": "no_capacity_before_deadline"})
    delta = difference(terms(inst, plan), terms(inst, fewer))
    assert delta["sessions_placed"] == -1
    assert delta["sessions_placed_by_type"] == {"group": 0, "individual": -1} or \
        delta["sessions_placed_by_type"] == {"individual": -1}
    assert delta["participants_complete"] == -1
    assert delta["onsite_sessions"] == -1
    assert delta["interpreter_bookings"] == -1
    # 90 minutes at 720 NOK an hour, interpreter in Bergen itself: no travel.
    assert delta["interpreter_cost_nok"] == -1080.0
    assert delta["participant_travel_minutes"] == 0  # P2 lives in Bergen
    assert delta["deadline_misses"] == 1


def test_cost_formula_has_one_home():
    # 90 minutes billed at least 120 at 600 NOK/h, plus 45 minutes each way at 300 NOK/h.
    assert interpreter_cost_nok(90, 600, 120, 300, 45) == pytest.approx(1200 + 450)
    assert check.booking_cost(90, 600, 120, 300, 45) == interpreter_cost_nok(90, 600, 120, 300, 45)
    # The planner weighs the same cost in whole NOK, rounded up.
    inst = make_instance([participant("P1")])
    inst["interpreters"][0].update(hourly_rate=601, min_billed_minutes=120, travel_rate=300, place="4621")
    prep = prepare(load_instance(inst))
    one_way = prep.travel.minutes("4621", "4601")
    exact = 120 * 601 / 60 + 2 * one_way * 300 / 60
    assert prep.interpreter_cost("I1", 90, "onsite", "L-bergen") == -(-exact // 1)
    assert prep.interpreter_cost("I1", 90, "video", "L-bergen") == 1202
    assert objective.interpreter_cost_whole_nok(60, 600) == 600  # no krone of float noise


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "solver", "explain", *map(str, args)],
                          capture_output=True, text=True)


def test_explain_command_prints_a_table_and_json(tmp_path, generated):
    inst, plan = generated
    fewer = copy.deepcopy(plan)
    fewer["sessions"] = fewer["sessions"][1:]
    paths = [tmp_path / "i.json", tmp_path / "a.json", tmp_path / "b.json"]
    for path, data in zip(paths, (inst, plan, fewer)):
        path.write_text(json.dumps(data))
    text = _cli(*paths[:2])
    assert text.returncode == 0, text.stderr
    assert "sessions_placed" in text.stdout and "interpreter_cost_nok" in text.stdout
    both = _cli(paths[0], paths[1], "--against", paths[2], "--json")
    assert both.returncode == 0, both.stderr
    out = json.loads(both.stdout)
    removed = len(plan["sessions"][0]["participants"])
    assert out["difference"]["onsite_sessions"] + out["difference"]["video_sessions"] == -1
    assert out["plan"]["sessions_placed"] - out["against"]["sessions_placed"] == removed
    assert out["difference"]["sessions_placed"] == -removed


def test_explain_bad_input_exits_2(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{")
    proc = _cli(bad, bad)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("step_nok, chosen", [(None, "I-D"), (0, "I-D"), (250, "I-B")])
def test_the_county_decides_what_a_better_register_category_is_worth(step_nok, chosen):
    """A category-B interpreter costs 150 NOK more for the session than a category-D one (two
    steps). The planner's default (50 NOK a step) and 0 book the cheaper D; a county that pays up
    to 250 NOK a step (the web app's default) gets the better qualified B."""
    def interpreter(iid, category, rate):
        return {"id": iid, "name": iid, "languages": {"ar": category}, "modes": ["onsite"], "place": "4601",
                "weekly": {d: [["08:00", "16:00"]] for d in "12345"}, "absences": [],
                "hourly_rate": rate, "min_billed_minutes": 60, "travel_rate": 0}
    inst = make_instance(participants=[participant("P1", language="ar", needs_interpreter=True)],
                         interpreters=[interpreter("I-B", 2, 900), interpreter("I-D", 4, 800)])
    if step_nok is not None:
        inst["category_step_nok"] = step_nok
    plan = solve(inst, time_limit=5, workers=1)
    assert [s.interpreter for s in plan.sessions] == [chosen]
    assert check_plan(load_instance(inst), plan).valid
