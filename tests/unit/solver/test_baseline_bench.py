"""The bench command runs both the baseline and the planner and prints one table."""

from __future__ import annotations

from solver.bench import Run, format_table, main


def test_bench_runs_a_tiny_case(capsys):
    code = main(["--sizes", "20", "--scenarios", "normal", "--time-limit", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = [line for line in out.splitlines() if line.startswith("46-normal-20")]
    assert [line.split()[1] for line in lines] == ["baseline", "solver", "solver/base"]
    assert lines[0].split()[-1] == "yes"


def test_bench_rejects_unknown_scenarios():
    assert main(["--scenarios", "sunny"]) == 2


def test_table_reports_a_missing_solver_as_not_available():
    metrics = {"scheduled_ratio": 0.5, "complete_ratio": 0.5, "integration_act_complete_ratio": 0.5,
               "deadline_missed": 1, "interpreter_cost_nok": 1000.0, "participant_travel_minutes": 60,
               "video_sessions": 0, "changes": None}
    rows = [("x", [Run("baseline", True, wall=1.0, peak_mb=30, valid=True, metrics=metrics),
                   Run("solver", False, "solver unavailable")])]
    table = format_table(rows, 5)
    assert "n/a: solver unavailable" in table and "0.500" in table
