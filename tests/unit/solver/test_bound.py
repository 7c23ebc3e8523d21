"""solver.bound: a provable upper bound on the required sessions any valid plan can schedule.

- Sound: never below what a valid plan (planner or baseline, refereed by the checker)
  schedules, on many small generated instances (hypothesis).
- Tight where the optimum is known: tiny instances built so that one resource binds; the
  planner's plan meets the bound there, which proves both the plan optimal and the bound exact.
"""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.baseline import baseline
from solver.bound import bound_report, max_disjoint, upper_bound
from solver.check import check_plan
from solver.formats import dump_plan
from solver.generate import SCENARIOS, generate
from solver.model import solve

from .conftest import make_instance, participant

small_instances = st.builds(
    generate,
    county=st.sampled_from(["03", "46", "18", "50", "56"]),
    participants=st.integers(min_value=1, max_value=30),
    seed=st.integers(min_value=0, max_value=10_000),
    scenario=st.sampled_from(SCENARIOS),
    weeks=st.integers(min_value=1, max_value=3),
)


def scheduled(instance: dict, plan: dict) -> int:
    result = check_plan(instance, plan)
    assert result.valid, [str(v) for v in result.violations[:5]]
    return result.metrics["scheduled"]


def solved(instance: dict, time_limit: float = 2.0) -> int:
    return scheduled(instance, dump_plan(solve(copy.deepcopy(instance), time_limit=time_limit, workers=1)))


# --------------------------------------------------------------------------- soundness


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(instance=small_instances)
def test_bound_is_never_below_a_baseline_plan(instance):
    report = bound_report(instance)
    assert report.bound <= report.after_groups <= report.feasible <= report.required
    assert scheduled(instance, baseline(copy.deepcopy(instance))) <= report.bound


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(instance=small_instances)
def test_bound_is_never_below_a_solver_plan(instance):
    assert solved(instance, time_limit=1.0) <= upper_bound(instance)


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(instance=st.builds(generate, county=st.sampled_from(["03", "46", "18", "55"]),
                          participants=st.integers(min_value=20, max_value=100),
                          seed=st.integers(min_value=0, max_value=10_000), scenario=st.just("settlement-wave"),
                          weeks=st.integers(min_value=1, max_value=4)))
def test_on_settlement_waves_where_capacity_binds_the_bound_stays_above_both_plans(instance):
    report = bound_report(instance)
    assert scheduled(instance, baseline(copy.deepcopy(instance))) <= report.bound
    assert solved(instance, time_limit=1.0) <= report.bound


# --------------------------------------------------------------------------- exact on tiny instances


def one_day(**kw) -> dict:
    """Counsellor C1 alone at L-bergen, one working day (Monday 2027-01-04)."""
    inst = make_instance(**kw)
    inst["horizon"] = {"start": "2027-01-04", "end": "2027-01-04"}
    return inst


def people(n: int, **kw) -> list[dict]:
    kw.setdefault("earliest", "2027-01-04")
    kw.setdefault("deadline", "2027-01-04")
    return [participant(f"P{i}", **kw) for i in range(1, n + 1)]


def assert_exact(inst: dict, expected: int) -> None:
    assert upper_bound(inst) == expected
    assert solved(inst) == expected  # a valid plan meets the bound: both are optimal


def test_counsellor_daily_maximum_binds():
    inst = one_day(participants=people(3))
    inst["counsellors"][0]["max_sessions_per_day"] = 2
    assert_exact(inst, 2)


def test_counsellor_hours_bind():
    inst = one_day(participants=people(4))
    inst["counsellors"][0]["weekly"] = {"1": [["08:00", "11:15"]]}  # two 90-minute sessions fit
    assert_exact(inst, 2)


def test_rooms_bind():
    inst = one_day(participants=people(4))
    inst["counsellors"].append(dict(copy.deepcopy(inst["counsellors"][0]), id="C2"))
    inst["locations"][0]["rooms"] = [{"id": "L-bergen-1", "capacity": 1, "video": True}]
    inst["locations"][0]["opening"] = [["08:00", "11:00"]]  # one room, two sessions
    assert_exact(inst, 2)


def test_interpreter_capacity_binds():
    inst = one_day(participants=people(3, language="ti", needs_interpreter=True))
    inst["interpreters"][0]["weekly"] = {"1": [["08:00", "09:30"]]}  # one booking
    assert_exact(inst, 1)


def test_group_minimum_size():
    inst = one_day(participants=people(2, needs=["group"]))
    assert bound_report(inst).excluded == {"group_min_size": 2}
    assert_exact(inst, 0)
    inst = one_day(participants=people(3, needs=["group"]))
    assert_exact(inst, 3)


def test_group_of_two_interpreted_languages_is_impossible():
    """One interpreted language per group (rule 5): two Tigrinya and one Arabic speaker cannot meet."""
    group = people(3, needs=["group"], needs_interpreter=True, language="ti")
    group[2]["language"] = "ar"
    assert_exact(one_day(participants=group), 0)
    group[2]["needs_interpreter"] = False  # now the third needs no interpreter
    assert_exact(one_day(participants=group), 3)


def test_each_interpreted_language_takes_a_session_of_its_own():
    """Four Tigrinya and four Arabic group members, one session a day: one language's four.

    Counted as fractions of a session (8 members = one full group) the bound would be 8.
    """
    group = people(4, needs=["group"], needs_interpreter=True, language="ti")
    group += [participant(f"A{i}", needs=["group"], earliest="2027-01-04", deadline="2027-01-04",
                          needs_interpreter=True, language="ar") for i in range(1, 5)]
    inst = one_day(participants=group)
    inst["counsellors"][0]["max_sessions_per_day"] = 1
    assert_exact(inst, 4)
    inst["counsellors"][0]["max_sessions_per_day"] = 2
    inst["interpreters"].append(dict(copy.deepcopy(inst["interpreters"][0]), id="I2"))
    assert_exact(inst, 8)


def test_a_member_alone_in_a_language_needs_a_whole_session():
    """Three Arabic members and one Tigrinya member whose counsellor cannot cover: the Tigrinya
    member cannot reach min_size alone, and the one session goes to the Arabic three."""
    group = people(3, needs=["group"], needs_interpreter=True, language="ar")
    group.append(participant("T1", needs=["group"], earliest="2027-01-04", deadline="2027-01-04",
                             needs_interpreter=True, language="ti"))
    inst = one_day(participants=group)
    inst["counsellors"][0]["max_sessions_per_day"] = 1
    assert_exact(inst, 3)


def test_group_seats_and_one_session():
    """Nine group needs, one session possible (max 8 members): eight."""
    inst = one_day(participants=people(9, needs=["group"]))
    inst["counsellors"][0]["max_sessions_per_day"] = 1
    assert_exact(inst, 8)


def test_travel_and_window_exclude_needs():
    far = participant("P1", place="5001")  # Trondheim: far beyond 150 minutes from Bergen
    late = participant("P2", earliest="2027-01-05", deadline="2027-01-04")
    multicultural = participant("P3")
    inst = one_day(participants=[far, late, multicultural])
    inst["counsellors"][0]["multicultural"] = False
    report = bound_report(inst)
    assert report.bound == 0
    assert report.excluded == {"no_counsellor": 1, "no_day_in_window": 1, "no_reachable_location": 1}


def test_max_disjoint_counts_grid_aligned_sessions():
    assert max_disjoint([(480, 960)], 90, 15) == 5
    assert max_disjoint([(485, 960)], 90, 15) == 5          # first start 08:15
    assert max_disjoint([(485, 665)], 90, 15) == 1          # 08:15-09:45, next would end 11:15
    assert max_disjoint([(480, 570), (570, 660)], 90, 15) == 2
    assert max_disjoint([], 90, 15) == 0
