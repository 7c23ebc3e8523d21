"""Whose is the gap to the bound? The engine, the exact whole-model solve and the LP bound on
small generated instances (issue 23, item 5; solver/README.md "Exact solve of small instances").

    .venv/bin/python tests/bench/exact_bench.py [--cases 46:settlement-wave:20,...] [--weeks 2]
        [--seed 1] [--engine-limit 30] [--exact-limit 120] [--workers 1] [--no-hint] [--engine-only] [--out DIR]

Per case (county:scenario:participants): generate the instance, plan it with the baseline and
with the engine (``solver.solve``), compute ``solver.bound``, then solve the whole model
exactly (``solver.exact``, started from the engine's plan unless ``--no-hint``). Every plan is
judged by the checker; "sched" is the checker's count of required needs scheduled, the count
the bound and the exact solve's objective are about. The engine optimises its tier 1 instead
(urgency-weighted, complete participants first), so a second exact solve maximises that
(``objective="tier1"``), and both tier-1 costs are printed (millions, lower is better). Prints
one table row per case. ``--engine-only`` skips the bound and both exact solves (their columns
print "-"), to compare engine versions against the exact figures in solver/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from solver.baseline import baseline  # noqa: E402
from solver.bound import bound_report  # noqa: E402
from solver.check import check_plan  # noqa: E402
from solver.exact import solve_exact  # noqa: E402
from solver.formats import dump_plan, load_instance  # noqa: E402
from solver.generate import generate  # noqa: E402
from solver.model import solve  # noqa: E402
from solver.model_data import prepare  # noqa: E402
from solver.objective import unplaced_cost  # noqa: E402

DEFAULT_CASES = ",".join(f"{c}:settlement-wave:{n}" for c in ("46", "18", "03", "50") for n in (20, 40)) + "," + \
    ",".join(f"{c}:crunch:{n}" for c in ("46", "18", "50") for n in (20, 40)) + ",46:normal:40"


def scheduled(instance: dict, plan) -> tuple[int, bool]:
    """(required needs scheduled, valid) by the checker."""
    result = check_plan(instance, plan)
    return result.metrics["scheduled"], result.valid


def tier_one(instance: dict, plan) -> float:
    """The engine's tier 1 of a plan (objective.plan_tiers' first term), in millions: each
    unscheduled need's unplaced_cost plus Weights.incomplete per participant left incomplete."""
    prep = prepare(load_instance(instance))
    data = dump_plan(plan) if not isinstance(plan, dict) else plan
    done = {(pid, s["type"]) for s in data["sessions"] for pid in s["participants"]}
    total = 0
    for p in prep.instance.participants:
        missing = [t for t in p.needs if (p.id, t) not in done]
        total += len(missing) * unplaced_cost(prep, p.id) + (prep.weights.incomplete if missing else 0)
    return total / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=DEFAULT_CASES)
    parser.add_argument("--weeks", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine-limit", type=float, default=30.0)
    parser.add_argument("--exact-limit", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-hint", action="store_true", help="exact solve without the engine's plan as a start")
    parser.add_argument("--engine-only", action="store_true", help="skip the bound and the exact solves")
    parser.add_argument("--out", help="keep instances and plans in this directory")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}, "
          f"{args.weeks} weeks, seed {args.seed}, engine {args.engine_limit:g} s, exact {args.exact_limit:g} s, "
          f"{args.workers} worker(s), exact {'without' if args.no_hint else 'from the engine'}'s plan")
    print("| instance | required | baseline | engine | exact (status) | CP-SAT bound | LP bound | exact s "
          "| engine tier 1 | exact tier 1 (status, sched) | valid |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        county, scenario, size = case.split(":")
        name = f"{county}-{scenario}-{size}-w{args.weeks}"
        instance = generate(county, int(size), seed=args.seed, scenario=scenario, weeks=args.weeks)
        base, base_ok = scheduled(instance, baseline(instance))
        plan = solve(instance, time_limit=args.engine_limit, workers=args.workers, seed=0)
        engine, engine_ok = scheduled(instance, plan)
        if args.engine_only:
            required = sum(len(p["needs"]) for p in instance["participants"])
            oks = (base_ok, engine_ok)
            print(f"| {name} | {required} | {base} | {engine} | - | - | - | - | {tier_one(instance, plan):,.0f} | - | "
                  f"{'yes' if all(oks) else f'NO {oks}'} |", flush=True)
            continue
        bound = bound_report(instance, time_limit=60.0).bound
        result = solve_exact(instance, time_limit=args.exact_limit, workers=args.workers,
                             hint=None if args.no_hint else plan)
        urgent = solve_exact(instance, time_limit=args.exact_limit, workers=args.workers, objective="tier1",
                             hint=None if args.no_hint else plan)
        if out:
            (out / f"{name}.json").write_text(json.dumps(instance), encoding="utf-8")
            (out / f"{name}.engine.json").write_text(json.dumps(dump_plan(plan)), encoding="utf-8")
            if result.plan is not None:
                (out / f"{name}.exact.json").write_text(json.dumps(dump_plan(result.plan)), encoding="utf-8")
        oks = (base_ok, engine_ok, result.valid, urgent.valid)
        valid = "yes" if all(oks) else f"NO {oks}"
        exact_one = f"{tier_one(instance, urgent.plan):,.0f} ({urgent.status}, {urgent.scheduled})" if urgent.plan else "-"
        print(f"| {name} | {result.required} | {base} | {engine} | {result.scheduled} ({result.status}) | "
              f"{result.best_bound:g} | {bound} | {result.wall_seconds:.0f} | {tier_one(instance, plan):,.0f} | "
              f"{exact_one} | {valid} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
