"""The command line: solve writes a valid plan; bad input exits 2 with a clear message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import make_instance, participant

ROOT = Path(__file__).resolve().parents[3]


def run(*args):
    return subprocess.run([sys.executable, "-m", "solver", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_solve_writes_plan(tmp_path):
    src = tmp_path / "inst.json"
    src.write_text(json.dumps(make_instance([participant("P1")])))
    out = tmp_path / "plan.json"
    res = run("solve", src, "-o", out, "--time-limit", "2")
    assert res.returncode == 0, res.stderr
    plan = json.loads(out.read_text())
    assert plan["format"] == "guidance-plan/1" and len(plan["sessions"]) == 1
    assert "objective" in res.stderr


def test_unknown_version_exits_2(tmp_path):
    src = tmp_path / "inst.json"
    src.write_text(json.dumps(make_instance([participant("P1")], format="guidance-instance/2")))
    res = run("solve", src, "-o", tmp_path / "p.json")
    assert res.returncode == 2
    assert "unsupported format 'guidance-instance/2'" in res.stderr and "Traceback" not in res.stderr


def test_malformed_json_exits_2(tmp_path):
    src = tmp_path / "inst.json"
    src.write_text('{"format": "guidance-instance/1", ')
    res = run("solve", src)
    assert res.returncode == 2 and "malformed JSON" in res.stderr and "Traceback" not in res.stderr


def test_dangling_reference_exits_2_naming_the_field(tmp_path):
    src = tmp_path / "inst.json"
    src.write_text(json.dumps(make_instance([participant("P1", place="9999")])))
    res = run("solve", src)
    assert res.returncode == 2 and "participants[0].place" in res.stderr and "Traceback" not in res.stderr


def test_missing_file_exits_2(tmp_path):
    res = run("solve", tmp_path / "nope.json")
    assert res.returncode == 2 and "file not found" in res.stderr


def test_schema_prints_both_formats():
    res = run("schema")
    assert res.returncode == 0
    assert set(json.loads(res.stdout)) == {"guidance-instance/1", "guidance-plan/1"}
