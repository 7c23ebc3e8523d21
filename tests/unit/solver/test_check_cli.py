"""``python -m solver check``: exit 0 valid, 1 violations, 2 bad input, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from solver.check import main

from .test_check import tiny, valid_plan, with_unscheduled


def run(*args):
    return subprocess.run([sys.executable, "-m", "solver", "check", *map(str, args)],
                          capture_output=True, text=True)


@pytest.fixture
def files(tmp_path):
    inst, plan = tmp_path / "inst.json", tmp_path / "plan.json"
    inst.write_text(json.dumps(tiny()))
    plan.write_text(json.dumps(with_unscheduled(valid_plan(), ("P4", "group"))))
    return inst, plan


def test_valid_plan_exits_0_with_metrics(files):
    proc = run(*files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["scheduled"] == 9


def test_violation_exits_1_and_names_the_rule(files):
    inst, plan = files
    data = json.loads(plan.read_text())
    data["sessions"][0]["start"] = "2027-01-04T09:05"
    plan.write_text(json.dumps(data))
    proc = run(inst, plan)
    assert proc.returncode == 1
    assert "rule 1 [session S1]" in proc.stdout


@pytest.mark.parametrize("content", ["{not json", '{"format": "guidance-plan/7"}', "[]",
                                     '{"format": "guidance-plan/1", "sessions": [{"id": "S1"}]}'])
def test_malformed_plan_exits_2_without_traceback(files, content):
    inst, plan = files
    plan.write_text(content)
    proc = run(inst, plan)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "error" in proc.stderr


def test_missing_file_and_bad_instance_exit_2(files, tmp_path):
    inst, plan = files
    assert run(tmp_path / "nope.json", plan).returncode == 2
    bad = tmp_path / "bad.json"
    data = tiny()
    data["counsellors"][0]["locations"] = ["L-nowhere"]
    bad.write_text(json.dumps(data))
    proc = run(bad, plan)
    assert proc.returncode == 2 and "L-nowhere" in proc.stderr


def test_main_directly(files, capsys):
    assert main([str(p) for p in files]) == 0
    assert main(["only-one-argument"]) == 2


def test_json_output_lists_violations_with_rule_numbers(files):
    inst, plan = files
    data = json.loads(plan.read_text())
    data["sessions"][0]["room"] = "B-2"  # S4 is in B-2 at the same time
    plan.write_text(json.dumps(data))
    proc = run(inst, plan, "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["valid"] is False and {v["rule"] for v in report["violations"]} == {8}
