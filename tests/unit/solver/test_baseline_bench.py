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


def test_slot_use_counts_each_counsellors_working_days_times_their_daily_maximum():
    from solver.bench import quality_metrics

    from .conftest import make_instance

    inst = make_instance()   # 2027-01-04..08, C1 (multicultural) works every weekday, 4 a day
    inst["counsellors"][0]["absences"] = [["2027-01-08", "2027-01-08"]]          # 4 working days: 16 slots
    inst["counsellors"].append({**inst["counsellors"][0], "id": "C2", "multicultural": False, "absences": [],
                                "weekly": {"1": [["08:00", "16:00"]]}, "max_sessions_per_day": 2})  # 2 slots
    inst["calendar"]["holidays"] = ["2027-01-05"]                                 # C1: 3 days, 12 slots
    session = {"type": "individual", "participants": ["P1"], "location": "L-bergen", "room": "L-bergen-1",
               "start": "2027-01-04T08:00", "end": "2027-01-04T09:30"}
    plan = {"format": "guidance-plan/1", "instance": "tiny", "unscheduled": [], "sessions": [
        {**session, "id": f"S{n}", "counsellor": cid} for n, cid in enumerate(["C1", "C1", "C1", "C2"])]}

    q = quality_metrics(inst, plan)

    assert q["slot_use_mc"] == (0.25, 0.25, 0.25)     # C1: 3 of 12
    assert q["slot_use"] == (0.25 + 0.5) / 2           # C2: 1 of 2
    assert q["load_spread"] == 0   # C1 and C2 are not alike (training, hours): nothing to spread between them


def test_table_shows_slot_use_beside_the_gap():
    metrics = {"scheduled_ratio": 0.5, "complete_ratio": 0.5, "integration_act_complete_ratio": 0.5,
               "deadline_missed": 1, "interpreter_cost_nok": 1000.0, "participant_travel_minutes": 60,
               "video_sessions": 0, "changes": None, "scheduled": 10}
    quality = {"slot_use": 0.5, "slot_use_mc": (0.84, 0.61, 0.97), "load_spread": 7}
    rows = [("x", [Run("baseline", True, wall=1.0, peak_mb=30, valid=True, metrics=metrics,
                       quality={"slot_use": 0.25, "slot_use_mc": (0.42, 0.3, 0.5)}),
                   Run("solver", True, wall=1.0, peak_mb=30, valid=True, metrics=metrics, quality=quality)])]
    table = format_table(rows, 5, bounds={"x": {"bound": 20}})
    solver_line = next(line for line in table.splitlines() if line.split()[1:2] == ["solver"])
    assert "0.84 (0.61-0.97)" in solver_line and "50.00%" in solver_line
    assert "spread" in table.splitlines()[1] and " 7 " in solver_line
    ratio_line = next(line for line in table.splitlines() if "solver/base" in line)
    assert "2.00" in ratio_line   # slot use and mc mean, solver / baseline


def test_continuity_is_reported_but_not_judged_on_a_settlement_wave():
    from solver.bench import Bench, targets

    metrics = {"scheduled": 10, "participant_travel_minutes": 60}
    runs = [Run("baseline", True, wall=1.0, metrics=metrics, quality={"continuity2": 0.2}),
            Run("solver", True, wall=1.0, valid=True, metrics=metrics, quality={"continuity2": 0.64})]
    assert targets(Bench("46-settlement-wave-2000", "settlement-wave", runs))["continuity"] == ("0.6400", None)
    assert targets(Bench("46-normal-2000", "normal", runs))["continuity"] == ("0.6400", False)
