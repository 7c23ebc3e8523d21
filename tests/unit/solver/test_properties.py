"""Properties over small generated instances, judged by the independent checker.

- Every plan the planner (and the baseline) emits passes the checker.
- On tiny instances solved to proven optimality, removing a counsellor never raises coverage.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from solver.baseline import baseline
from solver.check import check_plan
from solver.formats import dump_plan
from solver.generate import SCENARIOS, generate

from solver import model

small_instances = st.builds(
    generate,
    county=st.sampled_from(["03", "46", "56"]),
    participants=st.integers(min_value=1, max_value=25),
    seed=st.integers(min_value=0, max_value=10_000),
    scenario=st.sampled_from(SCENARIOS),
    weeks=st.integers(min_value=1, max_value=4),
)
FAST = settings(max_examples=12, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_valid(instance, plan):
    result = check_plan(instance, plan)
    assert result.valid, [str(v) for v in result.violations[:10]]
    return result


@FAST
@given(instance=small_instances)
def test_every_solver_plan_passes_the_checker(instance):
    plan = model.solve(copy.deepcopy(instance), time_limit=1.0, workers=1, seed=0)
    assert_valid(instance, dump_plan(plan))


@FAST
@given(instance=small_instances)
def test_every_baseline_plan_passes_the_checker(instance):
    assert_valid(instance, baseline(copy.deepcopy(instance)))


def test_removing_a_counsellor_never_raises_optimal_coverage():
    """Only examples the planner solves to proven optimality count; skipped when there are none."""
    judged = []

    @settings(max_examples=8, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(seed=st.integers(0, 10_000), participants=st.integers(2, 6), drop=st.integers(0, 10))
    def check(seed, participants, drop):
        full = generate("03", participants, seed=seed, weeks=1)
        fewer = copy.deepcopy(full)
        removed = fewer["counsellors"].pop(drop % len(fewer["counsellors"]))["id"]
        for p in fewer["participants"]:
            if p["preferred_counsellor"] == removed:
                p["preferred_counsellor"] = None
        plans = [model.solve(copy.deepcopy(i), time_limit=2.0, workers=1, seed=0) for i in (full, fewer)]
        assume(all(p.stats.status == "OPTIMAL" for p in plans))
        before = assert_valid(full, dump_plan(plans[0])).metrics
        after = assert_valid(fewer, dump_plan(plans[1])).metrics
        assert after["scheduled"] <= before["scheduled"]
        assert plans[1].stats.objective >= plans[0].stats.objective
        judged.append(seed)

    try:
        check()
    except Unsatisfiable:
        pass
    if not judged:
        pytest.skip("the planner proved optimality on none of the tiny instances")
