"""The objective: one home for what "better" means (PROBLEM.md "What better means").

The planner's side: the tier weights (:class:`Weights`), the cost of one session
(:func:`booking_cost`), of needs left open (:func:`open_needs_cost`), the delta of a move
(:func:`change_cost`, :func:`continuity_cost`, :func:`local_tiers`, ...), the working plan's
tiers (:func:`plan_tiers`) and a bound. Every pass prices a move with these and none reads a
weight itself, so a new term is one edit in this module.

The plan file's side: its named terms (``stats.terms``, :func:`terms`; the table in
solver/README.md "Named terms"), counted on the plan file itself, so any two plans can be
compared term by term (``python -m solver explain``).

Pure: knows nothing of Flask or a database; accepts models (``formats``) or their JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, NonNegativeInt

from .formats import FormatError, Instance, Plan, load_file, load_instance, load_plan
from .travel import TravelTable

if TYPE_CHECKING:  # type hints only: the planner's modules import this one
    from .construct import Booking, State
    from .model_data import Prepared

TERMS_VERSION = 1


# ------------------------------------------------------------------ the planner's objective


class Weights(BaseModel):
    """Objective weights (minimisation), per named term, by tier (PROBLEM.md "What better
    means"). They add terms up within a tier and make the weighted sum that guides the
    searches; between tiers every kept change is compared tier by tier (``plan_tiers``,
    ``local_tiers``), so no weight trades a higher tier for a lower one (solver/README.md
    "Objective")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unplaced: NonNegativeInt = 200_000_000         # tier 1: per required session not scheduled
    incomplete: NonNegativeInt = 100_000_000       # tier 1: extra when a participant's set is not complete
    urgency: NonNegativeInt = 50_000_000           # tier 1: up to this extra for urgent integration-act sessions
    change: NonNegativeInt = 5_000_000             # tier 2: per moved, re-staffed or dropped previous session
    moved_again: NonNegativeInt = 2_500_000        # tier 2: a re-staffed previous session also loses its time
    new_interpreter: NonNegativeInt = 1_000_000    # tier 2: ... or its booked interpreter (cancelled, another asked)
    travel_minute: NonNegativeInt = 1_000          # tier 3: per minute of participant travel (one way)
    video: NonNegativeInt = 60_000                 # tier 3: video instead of on-site (= 60 min of travel)
    overdue_day: NonNegativeInt = 30_000           # tier 3: per working day an overdue participant waits (= 30 min of travel)
    interpreter_nok: NonNegativeInt = 2            # tier 4: per NOK of interpreter cost
    register_step: NonNegativeInt = 100            # tier 4: per register category step above 1
    other_counsellor: NonNegativeInt = 100         # tier 5: participant sees more than one counsellor
    not_preferred: NonNegativeInt = 100            # tier 5: preferred counsellor not honoured
    day: NonNegativeInt = 1                        # tier 6: per working day after the first
    start_minute: NonNegativeInt = 0               # tier 6: per minute of start time (earlier in the day; off)


def urgency(prep: Prepared, pid: str) -> int:
    """Tier-1 priority weight: overdue participants weigh most, the longest overdue most of
    all (above ``urgency``, up to twice it); then integration-act participants with near
    deadlines (up to ``urgency``)."""
    w = prep.weights.urgency
    p = prep.participants[pid]
    horizon = prep.instance.horizon
    span = max(1, (horizon.end - horizon.start).days)
    if p.overdue_since is not None:
        overdue_days = max(0, (horizon.start - p.overdue_since).days)
        return int(w * (1.1 + 0.9 * min(1.0, overdue_days / (span + 1))))
    if p.legal_basis != "integration_act":
        return 0
    if p.deadline is None:
        return w // 10
    days_left = max(0, (p.deadline - horizon.start).days)
    return int(w * max(0.1, 1.0 - days_left / (span + 1)))


def travel_cost(prep: Prepared, pid: str, loc_id: str, mode: str) -> int:
    """Tier 3 part of a seat: travel, or video instead of on-site (a lower bound of seat_cost)."""
    w = prep.weights
    return w.video if mode == "video" else w.travel_minute * prep.participant_travel(pid, loc_id)


def video_equivalent_minutes(prep: Prepared) -> int:
    """Minutes of travel a video session counts as (tier 3)."""
    return prep.weights.video // prep.weights.travel_minute


def seat_cost(prep: Prepared, pid: str, loc_id: str, mode: str, cid: str) -> int:
    """What one participant adds to a session's cost (tiers 3 and 5): travel, or video
    instead of on-site, and a preferred counsellor not honoured."""
    return travel_cost(prep, pid, loc_id, mode) + preference_cost(prep, pid, cid)


def preference_cost(prep: Prepared, pid: str, cid: str) -> int:
    """Tier 5 part of a seat: the participant's preferred counsellor not honoured."""
    pref = prep.participants[pid].preferred_counsellor
    return prep.weights.not_preferred if pref is not None and pref != cid else 0


Tiers = tuple[int, int, int, int, int, int]
ZERO: Tiers = (0, 0, 0, 0, 0, 0)


def booking_tiers(prep: Prepared, b: Booking) -> Tiers:
    """The cost of one session per tier: travel, video and an overdue participant's wait (3),
    interpreter (4), preferred counsellor (5), date (6); tiers 1 and 2 are costs of the plan, not
    of a session. The wait sits below the published plan's stability (tier 2): a re-plan does not
    move booked sessions to see an overdue participant sooner, but a new session goes to the
    earliest day that costs less than 30 minutes more travel a day."""
    travel = sum(travel_cost(prep, pid, b.location, b.mode) + overdue_wait_cost(prep, pid, b.day)
                 for pid in b.participants)
    preference = sum(preference_cost(prep, pid, b.counsellor) for pid in b.participants)
    interpreter = 0
    if b.interpreter:
        interpreter = interpreter_booking_cost(prep, b.interpreter, b.end - b.start, b.interpreter_mode,
                                               b.location, b.language)
    return (0, 0, travel, interpreter, preference, date_cost(prep, b.day, b.start))


def booking_cost(prep: Prepared, b: Booking) -> int:
    """Weighted cost of one session (tiers 3-6): the guide of the searches."""
    return sum(booking_tiers(prep, b))


def local_tiers(prep: Prepared, state: State, bookings, people) -> Tiers:
    """What a move can change, per tier: the sessions it touches and the tier-5 continuity of
    ``people`` in ``state``. A pass keeps a move only when ``local_tiers`` after it is
    lexicographically below ``local_tiers`` before it (tuples compare so), so no kept move
    trades a higher tier for a lower one, whatever the weights."""
    extra = sum(max(0, len(state.met.get(pid, ())) - 1) for pid in people)
    return add(*(booking_tiers(prep, b) for b in bookings), in_tier(5, continuity_cost(prep, extra)))


def in_tier(tier: int, amount: int) -> Tiers:
    """``amount`` in tier ``tier`` (1-6), nothing elsewhere."""
    return ZERO[:tier - 1] + (amount,) + ZERO[tier:]


def add(*vectors: Tiers) -> Tiers:
    return tuple(map(sum, zip(ZERO, *vectors)))


def interpreter_booking_cost(prep: Prepared, iid: str, minutes: int, mode: str, loc_id: str, language: str) -> int:
    """Tier 4 cost of booking this interpreter: the price in whole NOK and the register category."""
    w = prep.weights
    cost = w.interpreter_nok * prep.interpreter_cost(iid, minutes, mode, loc_id)
    return cost + w.register_step * (prep.interpreters[iid].languages[language] - 1)


def overdue_wait_cost(prep: Prepared, pid: str, day: int) -> int:
    """Tier 3: an overdue participant (``overdue_since``) is seen as soon as can be; per working day."""
    return prep.weights.overdue_day * day if prep.participants[pid].overdue_since is not None else 0


def unplaced_cost(prep: Prepared, pid: str) -> int:
    """Tier 1 cost of one required session not scheduled."""
    return prep.weights.unplaced + urgency(prep, pid)


def open_needs_cost(prep: Prepared, state: State, pid: str, types) -> int:
    """Tier 1 cost of leaving these needs of ``pid`` open in the working plan (what placing
    them saves): each need's own price, plus the incomplete-set price when they are all the
    participant still has open."""
    last = all(t in types or (pid, t) in state.done for t in prep.participants[pid].needs)
    return len(types) * unplaced_cost(prep, pid) + (prep.weights.incomplete if last else 0)


def change_cost(prep: Prepared, changed: bool, retimed: bool, new_interpreter: bool = False) -> int:
    """Tier 2 cost of touching a previous plan's session: ``changed`` (moved, re-staffed or
    dropped), ``retimed`` (a re-staffed session that also loses its time) and
    ``new_interpreter`` (one that loses the interpreter it had booked)."""
    w = prep.weights
    return ((w.change if changed else 0) + (w.moved_again if retimed else 0)
            + (w.new_interpreter if new_interpreter else 0))


def loses_interpreter(was_interpreter: str | None, interpreter: str | None) -> bool:
    """Does a re-staffed previous session lose the interpreter it had booked (``was_interpreter``)?
    The booking is cancelled (billed when late) and another interpreter asked, who may decline."""
    return was_interpreter is not None and interpreter != was_interpreter


def continuity_cost(prep: Prepared, extra_counsellors: int) -> int:
    """Tier 5 cost of participants seeing ``extra_counsellors`` more counsellors (beyond one each)."""
    return prep.weights.other_counsellor * extra_counsellors


def new_counsellor_cost(prep: Prepared, met, cid: str) -> int:
    """Tier 5 cost of a session with ``cid`` for a participant who has met the counsellors
    ``met``: one counsellor more, unless ``cid`` is one of them or they have met nobody."""
    return continuity_cost(prep, 1) if met and cid not in met else 0


def participant_tier5(prep: Prepared, pid: str, counsellors) -> int:
    """Tier 5 cost of one participant whose sessions are with ``counsellors`` (one entry a
    session): the counsellors beyond the first, and each session without their preferred one."""
    pref = prep.participants[pid].preferred_counsellor
    missed = sum(c != pref for c in counsellors) if pref is not None else 0
    return continuity_cost(prep, len(set(counsellors)) - 1) + prep.weights.not_preferred * missed


def tier5_one_session_bound(prep: Prepared) -> int:
    """The most a participant's tier 5 can fall when one of their sessions changes counsellor:
    one counsellor fewer and the preferred one honoured."""
    return prep.weights.other_counsellor + prep.weights.not_preferred


def date_cost(prep: Prepared, day: int, start: int = 0) -> int:
    """Tier 6 cost of a session on working day ``day`` (index) at minute ``start``."""
    return day * prep.weights.day + start * prep.weights.start_minute


def plan_tiers(prep: Prepared, state: State, previous: dict) -> Tiers:
    """The working plan's cost per tier (lower is better, compared lexicographically);
    ``previous``: the previous plan's session ids (the change count refers to them)."""
    w = prep.weights
    missing: dict[str, int] = {}
    unplaced = 0
    for p in prep.instance.participants:
        for typ in p.needs:
            if (p.id, typ) not in state.done:
                unplaced += unplaced_cost(prep, p.id)
                missing[p.id] = missing.get(p.id, 0) + 1
    kept = {b.prev_id for b in state.bookings.values() if b.prev_id}
    changes = w.change * sum(1 for sid in previous if sid not in kept)
    changes += sum(change_cost(prep, False, b.anchor != (b.day, b.start), loses_interpreter(b.was_interpreter, b.interpreter))
                   for b in state.bookings.values() if b.anchor)
    continuity = continuity_cost(prep, sum(max(0, len(met) - 1) for met in state.met.values()))
    return add((unplaced + w.incomplete * len(missing), changes, 0, 0, continuity, 0),
               *(booking_tiers(prep, b) for b in state.bookings.values()))


def plan_objective(prep: Prepared, state: State, previous: dict) -> int:
    """The working plan's weighted objective: the sum of its tiers (reported as ``objective``)."""
    return sum(plan_tiers(prep, state, previous))


def lower_bound(prep: Prepared, tasks, impossible) -> int:
    """A valid lower bound: impossible sessions are always unplaced, and every other session
    costs at least its participant's cheapest travel (or video) or, unplaced, more."""
    memo = prep.memo.setdefault("bound", {})
    key = (len(tasks), len(impossible))
    if key not in memo:
        incomplete = {pid for pid, _t in impossible}
        bound = sum(unplaced_cost(prep, pid) for pid, _t in impossible) + prep.weights.incomplete * len(incomplete)
        for pid, typ in tasks:
            bound += _cheapest_travel(prep, pid, typ)
        memo[key] = bound
    return memo[key]


def _cheapest_travel(prep: Prepared, pid: str, typ: str) -> int:
    reach = prep.reachable_locations(pid)
    costs = [prep.weights.travel_minute * prep.participant_travel(pid, reach[0])] if reach else []
    if not prep.instance.session_types[typ].is_group and prep.participants[pid].video_ok:
        costs.append(prep.weights.video)
    return min(costs, default=0)


# ------------------------------------------------------------------ named terms of a plan file


def interpreter_cost_nok(minutes: int, hourly_rate: float, min_billed_minutes: int = 0,
                         travel_rate: float = 0.0, travel_one_way_minutes: int = 0) -> float:
    """Interpreter cost in NOK of one booking (PROBLEM.md "better" 4), exact (not rounded).

    Billed minutes are ``max(minutes, min_billed_minutes)`` at ``hourly_rate`` per hour; an
    on-site interpreter's travel there and back (``2 x travel_one_way_minutes``) is paid at
    ``travel_rate`` per hour (pass 0 minutes for video or phone). The one formula: the checker
    reports it (summed, then rounded to øre), the planner weighs it in whole NOK rounded up
    (:func:`interpreter_cost_whole_nok`).
    """
    billed = max(minutes, min_billed_minutes)
    return billed * hourly_rate / 60 + 2 * travel_one_way_minutes * travel_rate / 60


def interpreter_cost_whole_nok(minutes: int, hourly_rate: float, min_billed_minutes: int = 0,
                               travel_rate: float = 0.0, travel_one_way_minutes: int = 0) -> int:
    """:func:`interpreter_cost_nok` rounded up to whole NOK (the planner's integer objective).

    Rounded to 6 decimals first, so float noise (500.0000000001) does not add a krone.
    """
    exact = interpreter_cost_nok(minutes, hourly_rate, min_billed_minutes, travel_rate, travel_one_way_minutes)
    return int(math.ceil(round(exact, 6)))


def terms(instance: Instance | dict, plan: Plan | dict) -> dict[str, Any]:
    """The named terms of ``plan`` for ``instance`` (see the module doc)."""
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    return _Terms(inst).of(plan)


def difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``after - before`` for every numeric term (nested dicts term by term; a missing
    number counts 0). Terms that are not numbers (where, version) are left out."""
    out: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            if key.endswith("_where"):
                continue
            out[key] = difference(a or {}, b or {})
        elif _number(a) or _number(b):
            delta = (b or 0) - (a or 0)
            out[key] = round(delta, 2) if isinstance(delta, float) else delta
    return out


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Terms:
    def __init__(self, inst: Instance):
        self.inst = inst
        self.locations = {loc.id: loc for loc in inst.locations}
        self.participants = {p.id: p for p in inst.participants}
        self.interpreters = {i.id: i for i in inst.interpreters}
        self.travel = TravelTable(inst).minutes

    def booking_cost(self, s) -> float:
        it = self.interpreters.get(s.interpreter or "")
        if it is None or s.location not in self.locations:
            return 0.0
        one_way = 0
        if s.interpreter_mode == "onsite":
            one_way = self.travel(it.place, self.locations[s.location].place)
        minutes = int((s.end - s.start).total_seconds() // 60)
        return interpreter_cost_nok(minutes, it.hourly_rate, it.min_billed_minutes, it.travel_rate, one_way)

    def of(self, plan: Plan) -> dict[str, Any]:
        inst = self.inst
        done: dict[str, set[str]] = defaultdict(set)
        counsellors_of: dict[str, set[str]] = defaultdict(set)
        sessions_of: Counter = Counter()
        travel = 0
        for s in plan.sessions:
            for pid in s.participants:
                done[pid].add(s.type)
                counsellors_of[pid].add(s.counsellor)
                sessions_of[pid] += 1
                p = self.participants.get(pid)
                if s.mode == "onsite" and p is not None and s.location in self.locations:
                    travel += self.travel(p.place, self.locations[s.location].place)
        needed_by_type: Counter = Counter()
        placed_by_type: Counter = Counter()
        for p in inst.participants:
            for typ in p.needs:
                needed_by_type[typ] += 1
                placed_by_type[typ] += typ in done[p.id]
        with_needs = [p for p in inst.participants if p.needs]
        complete = {p.id for p in with_needs if set(p.needs) <= done[p.id]}
        overdue = [p for p in with_needs if p.overdue_since is not None]
        with_deadline = [p for p in with_needs if p.deadline is not None and p.deadline <= inst.horizon.end]
        several = [pid for pid, n in sessions_of.items() if n >= 2]
        preferred = [p for p in inst.participants if p.preferred_counsellor and done[p.id]]
        bookings = [s for s in plan.sessions if s.interpreter in self.interpreters]
        spread, by_location, where = self.load_spread(plan)
        out: dict[str, Any] = {
            "version": TERMS_VERSION,
            "sessions_needed": sum(needed_by_type.values()),
            "sessions_placed": sum(placed_by_type.values()),
            "sessions_needed_by_type": dict(sorted(needed_by_type.items())),
            "sessions_placed_by_type": {t: placed_by_type[t] for t in sorted(needed_by_type)},
            "participants": len(with_needs),
            "participants_complete": len(complete),
            "overdue_participants": len(overdue),
            "overdue_placed": sum(p.id in complete for p in overdue),
            "deadline_participants": len(with_deadline),
            "deadline_misses": sum(p.id not in complete for p in with_deadline),
            "participant_travel_minutes": travel,
            "onsite_sessions": sum(s.mode == "onsite" for s in plan.sessions),
            "video_sessions": sum(s.mode == "video" for s in plan.sessions),
            "interpreter_bookings": len(bookings),
            "interpreter_cost_nok": round(sum(self.booking_cost(s) for s in bookings), 2),
            "participants_several_sessions": len(several),
            "participants_one_counsellor": sum(len(counsellors_of[pid]) == 1 for pid in several),
            "preferred_asked": len(preferred),
            "preferred_honoured": sum(counsellors_of[p.id] == {p.preferred_counsellor} for p in preferred),
            "load_spread": spread,
            "load_spread_by_location": by_location,
            "load_spread_where": where,
        }
        if inst.previous_plan is not None:
            out["changes"], out["interpreters_replaced"] = self.changes(plan)
        return out

    def changes(self, plan: Plan) -> tuple[dict[str, int], int]:
        """Each previous session as kept, moved, re-staffed or dropped; and how many that are still
        held lost the interpreter they had booked."""
        holding: dict[tuple[str, str], int] = {}
        for i, s in enumerate(plan.sessions):
            for pid in s.participants:
                holding.setdefault((pid, s.type), i)
        out = Counter(kept=0, moved=0, restaffed=0, dropped=0)
        replaced = 0
        for old in self.inst.previous_plan.sessions:
            hits = Counter(holding[(pid, old.type)] for pid in old.participants if (pid, old.type) in holding)
            if not hits:
                out["dropped"] += 1
                continue
            best = max(hits.values())
            new = plan.sessions[min(i for i, n in hits.items() if n == best)]
            replaced += loses_interpreter(old.interpreter, new.interpreter)
            if (new.start, new.location, new.room, new.mode) != (old.start, old.location, old.room, old.mode):
                out["moved"] += 1
            elif (new.counsellor, new.interpreter, new.interpreter_mode) != \
                    (old.counsellor, old.interpreter, old.interpreter_mode):
                out["restaffed"] += 1
            else:
                out["kept"] += 1
        return dict(out), replaced

    def load_spread(self, plan: Plan) -> tuple[int, dict[str, int], dict[str, Any] | None]:
        """Largest (most - fewest) sessions per week among counsellors with alike hours and
        qualification (multicultural or not) at a location."""
        inst = self.inst
        holidays = set(inst.calendar.holidays)
        workdays = set(inst.calendar.workdays)
        weeks: dict[tuple[int, int], list[date]] = defaultdict(list)
        day = inst.horizon.start
        while day <= inst.horizon.end:
            if day.isoweekday() in workdays and day not in holidays:
                weeks[tuple(day.isocalendar())[:2]].append(day)
            day = date.fromordinal(day.toordinal() + 1)
        load: Counter = Counter()
        for s in plan.sessions:
            load[(s.counsellor, tuple(s.start.date().isocalendar())[:2])] += 1
        spread, by_location, where = 0, {}, None
        for loc in inst.locations:
            worst = 0
            for week, days in sorted(weeks.items()):
                alike: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
                for c in inst.counsellors:
                    if loc.id not in c.locations:
                        continue
                    minutes = available_minutes(c, days)
                    if minutes > 0:
                        alike[(minutes, c.multicultural)].append((load[(c.id, week)], c.id))
                for group in alike.values():
                    if len(group) < 2:
                        continue
                    group.sort()
                    gap = group[-1][0] - group[0][0]
                    worst = max(worst, gap)
                    if gap > spread:
                        spread = gap
                        where = {"location": loc.id, "week": f"{week[0]}-W{week[1]:02d}",
                                 "most": group[-1][1], "most_sessions": group[-1][0],
                                 "fewest": group[0][1], "fewest_sessions": group[0][0]}
            by_location[loc.id] = worst
        return spread, by_location, where


def available_minutes(counsellor, days: list[date]) -> int:
    """A counsellor's weekly hours over ``days`` (working days), absent days left out: what
    "alike hours" compares for the load spread."""
    total = 0
    for day in days:
        if any(first <= day <= last for first, last in counsellor.absences):
            continue
        for start, end in counsellor.weekly.get(str(day.isoweekday()), []):
            total += _minutes(end) - _minutes(start)
    return total


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


# --------------------------------------------------------------------------- explain


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m solver explain INSTANCE PLAN [--against OTHER_PLAN] [--json]``.

    Prints the plan's named terms (counted from the files, not taken from ``stats``) and,
    with ``--against``, the other plan's terms and the difference (other - plan). Exit 0, or
    2 on bad input.
    """
    parser = argparse.ArgumentParser(prog="python -m solver explain",
                                     description="The objective's named terms of a plan, and the difference "
                                                 "to another plan of the same instance.")
    parser.add_argument("instance", help="guidance-instance/1 JSON file")
    parser.add_argument("plan", help="guidance-plan/1 JSON file")
    parser.add_argument("--against", metavar="OTHER_PLAN", help="a second plan to compare with")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    try:
        instance = load_file(load_instance, args.instance)
        first = terms(instance, load_file(load_plan, args.plan))
        other = terms(instance, load_file(load_plan, args.against)) if args.against else None
    except FormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        out: dict[str, Any] = {"plan": first}
        if other is not None:
            out["against"] = other
            out["difference"] = difference(first, other)
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    print(table(first, other))
    return 0


def table(first: dict[str, Any], other: dict[str, Any] | None = None) -> str:
    """A plain-text table: term, plan[, other plan, difference]."""
    rows = [("term", "plan") + (("against", "difference") if other is not None else ())]
    delta = difference(first, other) if other is not None else {}
    for name, a, b, d in _flat(first, other or {}, delta):
        rows.append((name, _show(a)) + ((_show(b), _show(d, signed=True)) if other is not None else ()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _flat(first: dict, other: dict, delta: dict, prefix: str = ""):
    for key in list(first) + [k for k in other if k not in first]:
        if key == "version":
            continue
        a, b = first.get(key), other.get(key)
        if key.endswith("_where"):
            yield prefix + key, _where(a), _where(b) if other else None, None
        elif isinstance(a, dict) or isinstance(b, dict):
            yield from _flat(a or {}, b or {}, delta.get(key, {}), prefix + key + ".")
        else:
            yield prefix + key, a, b, delta.get(key)


def _where(w: dict | None) -> str:
    if not w:
        return "-"
    return f"{w['location']} {w['week']}: {w['most']} {w['most_sessions']}, {w['fewest']} {w['fewest_sessions']}"


def _show(value: Any, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:+.2f}" if signed else f"{value:.2f}"
    return f"{value:+d}" if signed else str(value)

