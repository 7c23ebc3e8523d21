"""Benchmark: the CP-SAT planner against the spreadsheet baseline on generated instances.

``python -m solver bench [--quick] [--time-limit S] [--counties 46,18,50]`` generates
instances (100 to 2,000 participants; normal, crunch, rare-language and a sick-leave
re-plan), runs the baseline and ``solver.model.solve`` on each, checks every plan with the
independent checker and prints one table with the solver/baseline ratio of each measure.

Every plan is made in a fresh subprocess that reports its own wall time and peak resident
memory (``ru_maxrss``), so one run's memory never hides in another's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from solver.check import check_plan
from solver.generate import SCENARIOS, generate

FULL_SIZES = (100, 500, 1000, 2000)
QUICK_CASES = tuple((size, scenario) for scenario in SCENARIOS for size in (100, 500))
QUICK_LIMIT = 6.0
ALGORITHMS = ("baseline", "solver")


@dataclass
class Run:
    """One algorithm on one instance: what the checker measured and what it cost."""

    algorithm: str
    ok: bool
    error: str = ""
    wall: float = 0.0
    peak_mb: float = 0.0
    valid: bool | None = None
    violations: int = 0
    metrics: dict = field(default_factory=dict)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns 0 when every plan made was valid, 1 otherwise, 2 on bad arguments."""
    args = _parser().parse_args(argv)
    if args.worker:
        return _worker(*args.worker)
    try:
        counties = [c.strip().zfill(2) for c in args.counties.split(",") if c.strip()]
        cases = _cases(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    limit = args.time_limit if args.time_limit is not None else (QUICK_LIMIT if args.quick else 60.0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="veiled-bench-") as tmp:
        for county in counties:
            for size, scenario in cases:
                rows.append(_bench_one(Path(tmp), county, size, scenario, args.seed, limit, args.workers))
                print(_progress_line(rows[-1]), file=sys.stderr, flush=True)
    print(format_table(rows, limit))
    if args.json:
        Path(args.json).write_text(json.dumps([_row_json(r) for r in rows], indent=1), encoding="utf-8")
    invalid = [r for row in rows for r in row[1] if r.ok and not r.valid]
    return 1 if invalid else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m solver bench",
                                     description="Benchmark the planner against the baseline.")
    parser.add_argument("--quick", action="store_true", help="100 and 500 participants, short limits (< 2 min)")
    parser.add_argument("--time-limit", type=float, default=None, help="solver seconds per instance")
    parser.add_argument("--counties", default="46", help="comma-separated county numbers (default 46)")
    parser.add_argument("--sizes", default=None, help="participant counts, e.g. 100,500")
    parser.add_argument("--scenarios", default=None, help=f"comma-separated, from {','.join(SCENARIOS)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--worker", nargs=5, metavar=("ALGO", "INSTANCE", "PLAN", "LIMIT", "WORKERS"),
                        help=argparse.SUPPRESS)
    return parser


def _cases(args) -> list[tuple[int, str]]:
    """(participants, scenario) pairs to run for each county."""
    if args.quick and not args.sizes and not args.scenarios:
        return list(QUICK_CASES)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(FULL_SIZES)
    scenarios = args.scenarios.split(",") if args.scenarios else list(SCENARIOS)
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return [(size, scenario) for scenario in scenarios for size in sizes]


# --------------------------------------------------------------------------- running


def _bench_one(tmp: Path, county: str, size: int, scenario: str, seed: int, limit: float, workers: int):
    name = f"{county}-{scenario}-{size}"
    instance = generate(county, size, seed=seed, scenario=scenario)
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(instance), encoding="utf-8")
    runs = [_run(algorithm, instance, path, tmp / f"{name}.{algorithm}.plan.json", limit, workers)
            for algorithm in ALGORITHMS]
    return name, runs


def _run(algorithm: str, instance: dict, path: Path, plan_path: Path, limit: float, workers: int) -> Run:
    """Make a plan in a subprocess, then check it here."""
    cmd = [sys.executable, "-m", "solver", "bench", "--worker", algorithm, str(path), str(plan_path),
           str(limit), str(workers)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit * 3 + 120)
    except subprocess.TimeoutExpired:
        return Run(algorithm, False, "timed out")
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines() or ["failed"]
        return Run(algorithm, False, lines[-1][:80])
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    result = check_plan(instance, json.loads(plan_path.read_text(encoding="utf-8")))
    return Run(algorithm, True, wall=info["wall"], peak_mb=info["maxrss_kb"] / 1024,
               valid=result.valid, violations=len(result.violations), metrics=result.metrics)


def _worker(algorithm: str, instance_path: str, plan_path: str, limit: str, workers: str) -> int:
    """In the subprocess: plan one instance, write the plan, print wall time and peak memory."""
    from solver.formats import dump_plan, load_instance

    instance = load_instance(Path(instance_path))
    started = time.monotonic()
    if algorithm == "baseline":
        from solver.baseline import baseline

        plan = baseline(instance)
    else:
        try:
            from solver.model import solve
        except ImportError as exc:
            print(f"solver unavailable: {exc}", file=sys.stderr)
            return 3
        plan = dump_plan(solve(instance, time_limit=float(limit), workers=int(workers), seed=0))
    wall = time.monotonic() - started
    Path(plan_path).write_text(json.dumps(plan), encoding="utf-8")
    print(json.dumps({"wall": round(wall, 3),
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    return 0


# --------------------------------------------------------------------------- reporting

COLUMNS = (  # header, metric key or callable, format
    ("sched", "scheduled_ratio", "{:.3f}"),
    ("complete", "complete_ratio", "{:.3f}"),
    ("IA compl", "integration_act_complete_ratio", "{:.3f}"),
    ("missed", "deadline_missed", "{:d}"),
    ("interp kNOK", lambda m: m["interpreter_cost_nok"] / 1000, "{:.1f}"),
    ("travel h", lambda m: m["participant_travel_minutes"] / 60, "{:.0f}"),
    ("video", "video_sessions", "{:d}"),
    ("changes", lambda m: None if m["changes"] is None else sum(v for k, v in m["changes"].items() if k != "kept"),
     "{:d}"),
)


def format_table(rows, limit: float) -> str:
    """One fixed-width table: a line per algorithm and a solver/baseline ratio line per instance."""
    head = ["instance", "algorithm"] + [c[0] for c in COLUMNS] + ["wall s", "peak MB", "valid"]
    lines = []
    for name, runs in rows:
        by = {r.algorithm: r for r in runs}
        for r in runs:
            lines.append([name, r.algorithm] + _cells(r))
        lines.append([name, "solver/base"] + _ratios(by.get("solver"), by.get("baseline")))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = lambda cells: "  ".join(str(c).rjust(w) if i > 1 else str(c).ljust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(cells, widths)))
    out = [f"solver time limit {limit:g} s; ratios are solver / baseline (n/a when a side is missing or 0)",
           fmt(head), fmt(["-" * w for w in widths])]
    previous = None
    for line in lines:
        if previous is not None and line[0] != previous:
            out.append("")
        out.append(fmt(line))
        previous = line[0]
    return "\n".join(out)


def _value(run: Run, key):
    if not run or not run.ok:
        return None
    return key(run.metrics) if callable(key) else run.metrics.get(key)


def _cells(run: Run) -> list[str]:
    if not run.ok:
        return ["-"] * len(COLUMNS) + ["-", "-", f"n/a: {run.error}"]
    cells = []
    for _, key, form in COLUMNS:
        v = _value(run, key)
        cells.append("-" if v is None else form.format(v))
    valid = "yes" if run.valid else f"NO ({run.violations})"
    return cells + [f"{run.wall:.1f}", f"{run.peak_mb:.0f}", valid]


def _ratios(solver: Run | None, base: Run | None) -> list[str]:
    def ratio(a, b):
        return "n/a" if a is None or b in (None, 0) else f"{a / b:.2f}"
    out = [ratio(_value(solver, key), _value(base, key)) for _, key, _ in COLUMNS]
    ok = solver is not None and base is not None and solver.ok and base.ok
    out.append(ratio(solver.wall, base.wall) if ok else "n/a")
    out.append(ratio(solver.peak_mb, base.peak_mb) if ok else "n/a")
    out.append("")
    return out


def _progress_line(row) -> str:
    name, runs = row
    parts = [f"{r.algorithm}: " + (f"sched {r.metrics['scheduled_ratio']:.3f} in {r.wall:.1f}s"
                                   if r.ok else f"n/a ({r.error})") for r in runs]
    return f"[bench] {name}: " + "; ".join(parts)


def _row_json(row) -> dict:
    name, runs = row
    return {"instance": name, "runs": [r.__dict__ for r in runs]}
