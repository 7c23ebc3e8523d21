"""Recommendation time (issue 23, item 3) against a full solve, on a generated county.

    .venv/bin/python tests/bench/recommend_bench.py [--participants 2000] [--time-limit 20]
        [--counties 46] [--scenario normal] [--seed 1] [--referrals 10] [--moves 10] [--commands 3]

Per county: generate the instance, solve it (the plan in force; the first-plan time is the
first ``on_progress`` report), make that plan the instance's ``previous_plan`` and add
``--referrals`` new referrals (copies of planned participants under new ids R1.., so their
needs are open). Then it times ``solver.recommend.recommend`` for each referral and for
``--moves`` sessions of the plan (move one session), and the whole command
``python -m solver recommend FILE --participant R..`` in a fresh process (``--commands``
times), and prints the medians, the maxima and their ratio to the solve's first-plan time
in this run. Every best option is merged into the previous plan and judged by the checker.
Targets: ``recommend()`` under 1 s, the command under 3 s (wall clock; the CPU seconds are
printed beside the medians, since on a loaded machine wall time is mostly waiting). Note the
machine load (printed).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from solver.check import check_plan  # noqa: E402
from solver.formats import dump_plan  # noqa: E402
from solver.generate import generate  # noqa: E402
from solver.model import solve  # noqa: E402
from solver.recommend import recommend  # noqa: E402

TARGET_CALL = 1.0
TARGET_COMMAND = 3.0


def merged(inst: dict, option: dict) -> dict:
    """The previous plan with the option's sessions replacing those of the same id or added,
    and every still open need reported unscheduled."""
    plan = copy.deepcopy(inst["previous_plan"])
    index = {s["id"]: i for i, s in enumerate(plan["sessions"])}
    for s in option["sessions"]:
        if s["id"] in index:
            plan["sessions"][index[s["id"]]] = s
        else:
            plan["sessions"].append(s)
    done = {(m, s["type"]) for s in plan["sessions"] for m in s["participants"]}
    plan["unscheduled"] = [{"participant": p["id"], "type": t, "reason": "not_planned"}
                           for p in inst["participants"] for t in p["needs"] if (p["id"], t) not in done]
    return plan


def timed(call):
    """(wall seconds, result); the CPU seconds of this process and its children are kept in CPU."""
    started, cpu = time.perf_counter(), _cpu()
    result = call()
    CPU.append(_cpu() - cpu)
    return time.perf_counter() - started, result


CPU: list[float] = []


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_county(county: str, args) -> dict:
    inst = generate(county=county, participants=args.participants, seed=args.seed, scenario=args.scenario)
    first: list[float] = []
    solve_s, plan = timed(lambda: solve(inst, time_limit=args.time_limit,
                                        on_progress=lambda info: first or first.append(info["elapsed_seconds"])))
    inst["previous_plan"] = dump_plan(plan)
    rnd = random.Random(args.seed)
    planned = sorted({m for s in plan.sessions for m in s.participants})
    by_id = {p["id"]: p for p in inst["participants"]}
    for i, pid in enumerate(rnd.sample(planned, args.referrals), 1):
        copy_ = copy.deepcopy(by_id[pid])
        copy_["id"] = f"R{i}"
        inst["participants"].append(copy_)
    referrals = [f"R{i}" for i in range(1, args.referrals + 1)]
    moves = [s.id for s in rnd.sample(plan.sessions, args.moves)]

    calls, move_calls, valid, with_options = [], [], 0, 0
    cpu = {}
    CPU.clear()
    for pid in referrals:
        seconds, answer = timed(lambda: recommend(inst, participant=pid, top=5))
        calls.append(seconds)
        with_options += bool(answer["options"])
        if answer["options"]:
            valid += check_plan(inst, merged(inst, answer["options"][0])).valid
    cpu["calls"] = statistics.median(CPU)
    CPU.clear()
    move_valid = move_options = 0
    for sid in moves:
        seconds, answer = timed(lambda: recommend(inst, session=sid, top=5))
        move_calls.append(seconds)
        move_options += bool(answer["options"])
        if answer["options"]:
            move_valid += check_plan(inst, merged(inst, answer["options"][0])).valid

    cpu["move_calls"] = statistics.median(CPU)
    CPU.clear()
    commands = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "instance.json"
        path.write_text(json.dumps(inst))
        for pid in referrals[:args.commands]:
            seconds, done = timed(lambda: subprocess.run(
                [sys.executable, "-m", "solver", "recommend", str(path), "--participant", pid],
                cwd=ROOT, capture_output=True, text=True))
            if done.returncode != 0:
                raise SystemExit(f"command failed for {pid}: {done.stderr}")
            commands.append(seconds)
    cpu["commands"] = statistics.median(CPU)
    return {"cpu": cpu,
        "county": county, "sessions": len(plan.sessions), "first_plan_s": first[0] if first else None,
        "solve_s": solve_s, "calls": calls, "move_calls": move_calls, "commands": commands,
        "valid": valid, "with_options": with_options,
        "move_options": move_options, "move_valid": move_valid,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--participants", type=int, default=2000)
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--counties", nargs="+", default=["46"])
    ap.add_argument("--scenario", default="normal")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--referrals", type=int, default=10)
    ap.add_argument("--moves", type=int, default=10)
    ap.add_argument("--commands", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    failed = False
    print("| county | participants | plan sessions | first plan s | solve s | recommend median s (CPU) | max s "
          "| ratio to first plan | move median s (CPU) | command median s (CPU) | max s | ratio | best options valid |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for county in args.counties:
        r = bench_county(county, args)
        call, move, command = (statistics.median(r[k]) for k in ("calls", "move_calls", "commands"))
        first = r["first_plan_s"] or float("nan")
        print(f"| {county} | {args.participants} | {r['sessions']} | {first:.2f} | {r['solve_s']:.1f} "
              f"| {call:.3f} ({r['cpu']['calls']:.3f}) | {max(r['calls']):.3f} | {call / first:.3f} "
              f"| {move:.3f} ({r['cpu']['move_calls']:.3f}) "
              f"| {command:.2f} ({r['cpu']['commands']:.2f}) | {max(r['commands']):.2f} | {command / first:.3f} "
              f"| {r['valid']}/{r['with_options']} referrals, {r['move_valid']}/{r['move_options']} moves "
              f"(of {len(r['calls'])} and {len(r['move_calls'])} asked; the others have no option) |",
              flush=True)
        failed |= max(call, move) >= TARGET_CALL or command >= TARGET_COMMAND
        failed |= r["valid"] < r["with_options"] or r["move_valid"] < r["move_options"]
    print(f"load average at end: {os.getloadavg()}")
    print("targets: recommend() median < 1 s, command median < 3 s, every best option valid:",
          "FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
