"""Command line: python -m solver solve | recommend | schema | check | explain | generate | bench | exact.

Bad input gives a clear message with field paths and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from .formats import FormatError, dump_plan, json_schemas, load_instance

EXIT_BAD_INPUT = 2
DELEGATED = {"check": "solver.check", "generate": "solver.generate", "bench": "solver.bench",
             "explain": "solver.objective", "exact": "solver.exact"}


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        return _delegate(argv[0], argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "schema":
        print(json.dumps(json_schemas(), indent=2))
        return 0
    if args.command == "solve":
        if args.time_limit <= 0 or args.workers < 1:
            parser.error("--time-limit must be positive and --workers at least 1")  # exits 2
        return _solve(args)
    if args.command == "recommend":
        if args.participant is None and args.session is None:
            parser.error("recommend needs --participant ID or --session ID")  # exits 2
        if args.top < 1:
            parser.error("--top must be at least 1")
        return _recommend(args)
    parser.print_help(sys.stderr)
    return EXIT_BAD_INPUT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m solver", description="Veiled planning solver.")
    sub = parser.add_subparsers(dest="command")
    solve = sub.add_parser("solve", help="plan an instance (guidance-instance/1 -> guidance-plan/1)")
    solve.add_argument("instance", help="instance JSON file")
    solve.add_argument("-o", "--output", help="plan JSON file (default: stdout)")
    solve.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    solve.add_argument("--workers", type=int, default=2, help="CP-SAT workers (default 2)")
    solve.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    solve.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    solve.add_argument("--config", help="JSON file of solver.config.SolverConfig overrides, e.g. "
                                        "{\"weights\": {\"video\": 1000}} (reported in stats.config)")
    rec = sub.add_parser("recommend", help="best places for one participant's open needs, or to move one "
                                           "session, in the instance's previous plan (guidance-recommendation/1)")
    rec.add_argument("instance", help="instance JSON file; its previous_plan is the plan in force")
    rec.add_argument("--participant", help="participant id: place their open needs")
    rec.add_argument("--session", help="session id of the previous plan: move it (same id and participants)")
    rec.add_argument("--type", dest="session_type", help="only this session type of the participant's needs")
    rec.add_argument("--top", type=int, default=5, help="at most this many options (default 5)")
    rec.add_argument("--not-before", help="only options on or after this date (YYYY-MM-DD)")
    rec.add_argument("--between", help="only options inside these daily hours, e.g. 12:00-16:00")
    rec.add_argument("--weekdays", help="only options on these ISO weekdays, e.g. 1,2 (Monday and Tuesday)")
    sub.add_parser("schema", help="print the JSON Schemas of both formats")
    for name in DELEGATED:
        sub.add_parser(name, help=f"see python -m solver {name} --help", add_help=False)
    return parser


def _solve(args) -> int:
    from .config import load_config
    from .model import solve

    instance = _read(load_instance, args.instance)
    config = _read(load_config, args.config) if instance is not None else None
    if config is None:
        return EXIT_BAD_INPUT

    def progress(info: dict) -> None:
        if not args.quiet:
            print(f"[{info['elapsed_seconds']:7.2f}s] objective {info['objective']} "
                  f"bound {info['best_bound']} sessions placed {info['sessions_placed']}",
                  file=sys.stderr, flush=True)

    plan = solve(instance, time_limit=args.time_limit, workers=args.workers, seed=args.seed,
                 on_progress=progress, config=config)
    text = json.dumps(dump_plan(plan), indent=2, ensure_ascii=False)
    if args.output:
        try:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    else:
        print(text)
    s = plan.stats
    print(f"{s.status}: {len(plan.sessions)} sessions, {len(plan.unscheduled)} unscheduled, "
          f"objective {s.objective}, {s.wall_seconds:.1f}s", file=sys.stderr)
    return 0


def _recommend(args) -> int:
    from .recommend import recommend

    instance = _read(load_instance, args.instance)
    if instance is None:
        return EXIT_BAD_INPUT
    try:
        between = tuple(args.between.split("-", 1)) if args.between else None
        try:
            weekdays = [int(d) for d in args.weekdays.split(",")] if args.weekdays else None
        except ValueError:
            raise ValueError(f"--weekdays must be ISO weekdays like 1,2, not {args.weekdays!r}") from None
        answer = recommend(instance, participant=args.participant, session=args.session, top=args.top,
                           session_type=args.session_type, not_before=args.not_before, between=between,
                           weekdays=weekdays)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 0


def _read(loader, source: str | None):
    """``loader(Path(source))`` (``loader(None)`` without a source), or None after printing
    the format errors."""
    try:
        return loader(Path(source) if source else None)
    except FormatError as exc:
        print(f"error: {source} is not a valid input:", file=sys.stderr)
        for path, message in exc.errors:
            print(f"  {path}: {message}" if path else f"  {message}", file=sys.stderr)
        return None


def _delegate(name: str, argv: list[str]) -> int:
    return int(importlib.import_module(DELEGATED[name]).main(argv) or 0)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # output piped into head & co.
        sys.exit(0)
