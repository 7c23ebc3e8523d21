"""The planner's configuration (solver.config): overrides change what the planner does, the
plan reports the configuration it was made with, and bad keys are rejected like bad input."""

from __future__ import annotations

import json

import pytest

from solver.config import SolverConfig, load_config
from solver.formats import FormatError
from solver.model import solve

from .conftest import make_instance, participant
from .test_model_cli import run

# Voss is about 85 minutes from the Bergen centre, which has a video room.
VOSS_VIDEO = make_instance([participant("P1", place="4621", video_ok=True)])


def test_a_dearer_video_weight_brings_the_participant_on_site_and_the_plan_says_so():
    default = solve(VOSS_VIDEO, time_limit=5, workers=1)
    dearer = solve(VOSS_VIDEO, time_limit=5, workers=1, config={"weights": {"video": 200_000}})
    assert [s.mode for s in default.sessions] == ["video"]    # 60 min of travel < 85
    assert [s.mode for s in dearer.sessions] == ["onsite"]    # 200 min of travel > 85
    assert default.stats.config == SolverConfig().model_dump(mode="json")
    assert dearer.stats.config["weights"]["video"] == 200_000
    assert dearer.stats.config["weights"]["travel_minute"] == SolverConfig().weights.travel_minute


def test_unknown_keys_and_bad_values_are_errors_with_their_path():
    with pytest.raises(FormatError) as caught:
        load_config({"weights": {"vidoe": 1}, "time": {"relocation": 2}, "search": {"movers": -1}})
    paths = [path for path, _message in caught.value.errors]
    assert paths == ["weights.vidoe", "time.relocation", "search.movers"]
    with pytest.raises(Exception):
        SolverConfig().weights.video = 1   # frozen: a plan's configuration cannot drift


def test_cli_config_overrides_reach_the_plan_and_bad_keys_exit_2(tmp_path):
    src = tmp_path / "inst.json"
    src.write_text(json.dumps(VOSS_VIDEO))
    good, bad, out = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "plan.json"
    good.write_text(json.dumps({"weights": {"video": 200_000}}))
    bad.write_text(json.dumps({"weights": {"vidoe": 1}}))
    res = run("solve", src, "-o", out, "--time-limit", "2", "--config", good)
    assert res.returncode == 0, res.stderr
    plan = json.loads(out.read_text())
    assert plan["stats"]["config"]["weights"]["video"] == 200_000
    assert [s["mode"] for s in plan["sessions"]] == ["onsite"]
    res = run("solve", src, "-o", out, "--time-limit", "2", "--config", bad)
    assert res.returncode == 2
    assert "weights.vidoe: Extra inputs are not permitted" in res.stderr and "Traceback" not in res.stderr
