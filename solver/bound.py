"""A provable upper bound on the required sessions any valid plan can schedule.

``upper_bound(instance)`` returns an integer that no plan keeping hard rules 1-9 of
PROBLEM.md can beat (rule 10 only removes plans, so ignoring it keeps the bound valid):
the minimum of (1) the needs that have an option at all (a day, location and coverage a
valid session could use), (2) those left after dropping options where fewer than
``min_size`` candidates could share a group session, repeated until stable, and (3) the
floored optima of two capacity LPs (group members as fractions of a session, and group
sessions per interpreted language). The reasoning and its proofs, step by step, are in
tests/bench/README.md ("Upper bound"). Everything is re-derived from the formats (like
solver.check), not from the planner's model.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from solver import calendar as cal
from solver.formats import Instance, load_instance
from solver.travel import TravelTable

ACT_BASES = ("integration_act", "temporary_act")
LP_EPS = 1e-3
PER_OPTION_LIMIT = 30_000  # group options up to which the session LP gets a row per option  # LP optima are floored after adding this (GLOP is accurate far below it)


@dataclass
class BoundReport:
    """The bound and how it was reached."""

    required: int                  # required (participant, type) needs
    feasible: int                  # needs with at least one option (step 1)
    after_groups: int              # still possible after the group-size fixpoint (step 2)
    lp_value: float | None         # LP optimum (step 3), None when not solved
    lp_status: str
    bound: int                     # min(after_groups, floor(lp_value + eps))
    excluded: dict[str, int] = field(default_factory=dict)  # why needs were dropped
    seconds: float = 0.0
    lp_size: tuple[int, int] = (0, 0)  # (variables, constraints)
    lp_values: dict[str, float | None] = field(default_factory=dict)  # each relaxation's optimum

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def upper_bound(instance: Any, time_limit: float = 60.0) -> int:
    """The largest number of required sessions any valid plan could schedule (an upper bound)."""
    return bound_report(instance, time_limit=time_limit).bound


def bound_report(instance: Any, time_limit: float = 60.0, use_lp: bool = True) -> BoundReport:
    """Compute the bound; ``time_limit`` caps the LP (without an optimal LP, step 2's count is used)."""
    started = time.monotonic()
    inst = load_instance(instance)
    data = _Data(inst)
    options, excluded = data.need_options()
    required = sum(len(p.needs) for p in inst.participants)
    feasible = len(options)
    options, dropped = data.group_fixpoint(options)
    if dropped:
        excluded["group_min_size"] = dropped
    after = len(options)
    lp_value, status, size, values = None, "NOT_RUN", (0, 0), {}
    bound = after
    if use_lp and options:
        # Two relaxations, each valid on its own (step 3): group members as fractions of a
        # session, and group sessions as variables per interpreted language. The second is
        # tighter where languages split groups (settlement waves) but drops the counsellor's
        # language for groups, so neither dominates: the smaller optimum is the bound.
        for name, sessions in (("members", False), ("sessions", True)):
            left = max(1.0, time_limit - (time.monotonic() - started))
            value, state, shape = data.capacity_lp(options, left, group_sessions=sessions)
            values[name] = value
            size = (size[0] + shape[0], size[1] + shape[1])
            if value is not None and (lp_value is None or value < lp_value):
                lp_value, status = value, state
            elif lp_value is None and status != "OPTIMAL":
                status = state
        if lp_value is not None:
            bound = min(bound, math.floor(lp_value + LP_EPS))
    return BoundReport(required, feasible, after, lp_value, status, bound, dict(sorted(excluded.items())),
                       round(time.monotonic() - started, 3), size, values)


# --------------------------------------------------------------------------- helpers


def max_disjoint(windows: cal.Windows, duration: int, slot: int) -> int:
    """Most pairwise disjoint grid-aligned intervals of ``duration`` minutes inside ``windows``.

    Earliest-start greedy is optimal for equal lengths (exchange argument); merged windows
    may only over-count, never under-count, which keeps the bound valid.
    """
    count = 0
    for a, b in cal.merge_windows(windows):
        start = -(-a // slot) * slot
        while start + duration <= b:
            count += 1
            start = -(-(start + duration) // slot) * slot
    return count


class _Data:
    """Indexed facts of one instance, read straight from the formats."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.days = cal.working_days(inst)
        self.slot = inst.slot_minutes
        self.travel = TravelTable(inst)
        self.types = inst.session_types
        self.min_minutes = min(t.minutes for t in self.types.values())
        self.locations = [loc for loc in inst.locations if loc.rooms]
        self.loc_win = {loc.id: [cal.location_windows(loc, d) for d in self.days] for loc in self.locations}
        self.c_win = {c.id: [cal.weekly_windows(c, d) for d in self.days] for c in inst.counsellors}
        self.i_win = {i.id: [cal.weekly_windows(i, d) for d in self.days] for i in inst.interpreters}
        self.counsellors = inst.counsellors_by_id()
        self.interpreters = inst.interpreters_by_id()
        self.by_language: dict[str, list[str]] = defaultdict(list)
        for it in inst.interpreters:
            for lang in it.languages:
                self.by_language[lang].append(it.id)
        self._cl_win: dict = {}
        self._qualified: dict = {}
        self._interp: dict = {}

    # -- windows

    def cl_windows(self, cid: str, lid: str, day: int) -> cal.Windows:
        """Counsellor hours inside the location's opening on a day."""
        key = (cid, lid, day)
        if key not in self._cl_win:
            self._cl_win[key] = cal.intersect_windows(self.c_win[cid][day], self.loc_win[lid][day])
        return self._cl_win[key]

    def qualified(self, lid: str, day: int, mc: bool, minutes: int) -> tuple[str, ...]:
        """Counsellors who may hold a session of ``minutes`` at a location on a day (rules 1, 3, 4)."""
        key = (lid, day, mc, minutes)
        if key not in self._qualified:
            self._qualified[key] = tuple(
                c.id for c in self.inst.counsellors
                if lid in c.locations and (c.multicultural or not mc) and c.max_sessions_per_day >= 1
                and cal.grid_starts(self.cl_windows(c.id, lid, day), minutes, self.slot))
        return self._qualified[key]

    def usable_interpreters(self, lid: str, day: int, lang: str, group: bool, min_size: int,
                            staff: tuple[str, ...], minutes: int) -> tuple[str, ...]:
        """Interpreters with the language, a mode the session can use (rule 7) and hours that
        meet a qualified counsellor's on a grid start that day (rules 3, 6)."""
        key = (lid, day, lang, group, staff, minutes)
        if key in self._interp:
            return self._interp[key]
        loc = next(loc for loc in self.locations if loc.id == lid)
        video_room = any(r.video and r.capacity >= min_size for r in loc.rooms)
        out = []
        for iid in self.by_language.get(lang, ()):
            it = self.interpreters[iid]
            modes = set(it.modes)
            if not ("onsite" in modes or ("video" in modes and video_room) or ("phone" in modes and not group)):
                continue
            windows = self.i_win[iid][day]
            if not windows:
                continue
            if any(cal.grid_starts(cal.intersect_windows(self.cl_windows(cid, lid, day), windows),
                                   minutes, self.slot) for cid in staff):
                out.append(iid)
        self._interp[key] = tuple(out)
        return self._interp[key]

    def day_range(self, p) -> tuple[int, int]:
        lo = p.earliest or self.inst.horizon.start
        hi = p.deadline or self.inst.horizon.end
        idx = [i for i, d in enumerate(self.days) if lo <= d <= hi]
        return (idx[0], idx[-1]) if idx else (1, 0)

    # -- step 1

    def need_options(self):
        """(pid, type) -> list of options (day, location, kind, key) and counts of dropped needs.

        kind "self": covered without an interpreter; key = (mc, language a counsellor must speak).
        kind "interp": key = (mc, language) and the interpreter node (day, loc, language, group, mc).
        """
        inst = self.inst
        limit = inst.max_participant_travel_minutes
        out: dict[tuple[str, str], list[tuple]] = {}
        excluded: dict[str, int] = defaultdict(int)
        for p in inst.participants:
            mc = p.legal_basis in ACT_BASES
            first, last = self.day_range(p)
            for typ in p.needs:
                spec = self.types[typ]
                group = spec.is_group
                min_size = (spec.min_size or 1) if group else 1
                minutes = spec.minutes
                if first > last:
                    excluded["no_day_in_window"] += 1
                    continue
                locs = []
                for loc in self.locations:
                    onsite = self.travel.minutes(p.place, loc.place) <= limit and (loc.step_free or not p.needs_step_free)
                    video = (not group and p.video_ok and any(r.video for r in loc.rooms))
                    if not (onsite or video):
                        continue
                    if not any(r.capacity >= min_size for r in loc.rooms):
                        continue
                    locs.append(loc.id)
                if not locs:
                    excluded["no_reachable_location"] += 1
                    continue
                opts: list[tuple] = []
                stage = "no_counsellor"
                for d in range(first, last + 1):
                    for lid in locs:
                        if not self.loc_win[lid][d]:
                            continue
                        staff = self.qualified(lid, d, mc, minutes)
                        if not staff:
                            continue
                        stage = "no_coverage" if stage == "no_counsellor" else stage
                        if not p.needs_interpreter:
                            opts.append((d, lid, "self", (mc, None)))
                            continue
                        lang = p.language
                        if any(lang in self.counsellors[c].languages for c in staff):
                            opts.append((d, lid, "self", (mc, lang)))
                        if self.usable_interpreters(lid, d, lang, group, min_size, staff, minutes):
                            opts.append((d, lid, "interp", (mc, lang)))
                if not opts:
                    excluded[stage] += 1
                    continue
                out[(p.id, typ)] = opts
        return out, excluded

    # -- step 2

    def group_fixpoint(self, options: dict) -> tuple[dict, int]:
        """Drop group options that can never gather ``min_size`` members at one (day, location).

        A group session carries at most one interpreted language (rule 5), so members are
        counted per (day, location, interpreted language): a member who needs no interpreter,
        or whom a counsellor qualified there could cover in their own language, fits any
        session ("any"); a member who needs an interpreter fits only sessions interpreted in
        their language. Repeated until nothing changes.
        """
        options = dict(options)
        dropped = 0
        for typ, spec in self.types.items():
            if not spec.is_group or (spec.min_size or 1) <= 1:
                continue
            low = spec.min_size
            slots: dict[tuple, dict] = {}
            for key, opts in options.items():
                if key[1] != typ:
                    continue
                mine: dict[tuple, object] = {}
                for d, lid, kind, (_mc, lang) in opts:
                    fits = "any" if kind == "self" else lang
                    mine[(d, lid)] = "any" if mine.get((d, lid)) == "any" else fits
                slots[key] = mine
            while True:
                any_count: dict[tuple, int] = defaultdict(int)
                lang_count: dict[tuple, int] = defaultdict(int)
                for mine in slots.values():
                    for place, fits in mine.items():
                        if fits == "any":
                            any_count[place] += 1
                        else:
                            lang_count[place + (fits,)] += 1
                best: dict[tuple, int] = defaultdict(int)   # most members any one session there could hold
                for place_lang, n in lang_count.items():
                    best[place_lang[:2]] = max(best[place_lang[:2]], n)

                def enough(place, fits) -> bool:
                    extra = best[place] if fits == "any" else lang_count[place + (fits,)]
                    return any_count[place] + extra >= low

                changed = False
                for key in list(slots):
                    mine = slots[key]
                    alive = {pl: f for pl, f in mine.items() if enough(pl, f)}
                    if len(alive) == len(mine):
                        continue
                    changed = True
                    if not alive:
                        del slots[key]
                        del options[key]
                        dropped += 1
                    else:
                        slots[key] = alive
                        options[key] = [o for o in options[key] if (o[0], o[1]) in alive]
                if not changed:
                    break
        return options, dropped

    # -- step 3

    def capacity_lp(self, options: dict, time_limit: float, group_sessions: bool = True):
        """Solve the capacity relaxation; (value, status, (variables, constraints)).

        ``group_sessions``: group members fill session variables (``_group_sessions``) instead
        of each counting 1/g of a session where its own option is.
        """
        from ortools.linear_solver import pywraplp

        solver = pywraplp.Solver.CreateSolver("GLOP")
        if solver is None:
            return None, "NO_LP_SOLVER", (0, 0)
        solver.SetTimeLimit(int(max(1.0, time_limit) * 1000))
        loc_by_id = {loc.id: loc for loc in self.locations}

        # Interchangeable needs share variables: same type and same options.
        classes: dict[tuple, int] = defaultdict(int)
        for (pid, typ), opts in options.items():
            classes[(typ, tuple(sorted(opts)))] += 1

        weights: dict[tuple[str, str], float] = {}

        def weight(typ: str, lid: str) -> float:
            """Sessions per member: 1 for individual types, 1/(largest group that fits) for groups."""
            key = (typ, lid)
            if key not in weights:
                spec = self.types[typ]
                biggest = max(r.capacity for r in loc_by_id[lid].rooms)
                weights[key] = 1.0 / max(1, min(spec.max_size or biggest, biggest)) if spec.is_group else 1.0
            return weights[key]

        c_demand: dict[tuple, list] = defaultdict(list)     # (d, lid, mc, lang) -> [(w, var)]
        i_demand: dict[tuple, list] = defaultdict(list)     # (d, lid, lang, group, mc, minutes)
        room_all: dict[tuple, list] = defaultdict(list)     # (d, lid) -> [(w, var)]
        room_group: dict[tuple, list] = defaultdict(list)   # (d, lid, typ)
        members: dict[tuple, list] = defaultdict(list)      # group (d, lid, typ) -> [(kind, mc, lang, mult, x)]
        objective = solver.Objective()
        n_vars = 0
        for (typ, opts), mult in classes.items():
            group = self.types[typ].is_group
            row = solver.Constraint(0, mult)
            for d, lid, kind, (mc, lang) in opts:
                x = solver.NumVar(0, mult, "")
                n_vars += 1
                row.SetCoefficient(x, 1)
                objective.SetCoefficient(x, 1)
                if group and group_sessions:   # members fill sessions (below); sessions use resources
                    members[(d, lid, typ)].append((kind, mc, lang, mult, x))
                    continue
                w = weight(typ, lid)
                room_all[(d, lid)].append((w, x))
                if group:
                    room_group[(d, lid, typ)].append((w, x))
                if kind == "self":
                    c_demand[(d, lid, mc, lang)].append((w, x))
                else:
                    c_demand[(d, lid, mc, None)].append((w, x))
                    i_demand[(d, lid, lang, group, mc, typ)].append((w, x))
        objective.SetMaximization()
        per_option = sum(len(mine) for mine in members.values()) <= PER_OPTION_LIMIT
        n_vars += self._group_sessions(solver, members, weight, lambda t: self.types[t].min_size or 1, per_option,
                                      c_demand, i_demand, room_all, room_group)

        # Counsellors: demand nodes drawn from qualified counsellors' daily capacity.
        c_use: dict[tuple, list] = defaultdict(list)   # (cid, d) -> vars
        minutes_of = {t: s.minutes for t, s in self.types.items()}
        for (d, lid, mc, lang), items in c_demand.items():
            staff = set()
            for minutes in set(minutes_of.values()):
                staff.update(self.qualified(lid, d, mc, minutes))
            if lang is not None:
                staff = {c for c in staff if lang in self.counsellors[c].languages}
            row = solver.Constraint(-solver.infinity(), 0)
            for w, x in items:
                row.SetCoefficient(x, w)
            for cid in sorted(staff):
                y = solver.NumVar(0, solver.infinity(), "")
                n_vars += 1
                row.SetCoefficient(y, -1)
                c_use[(cid, d)].append(y)
        for (cid, d), ys in c_use.items():
            c = self.counsellors[cid]
            windows = cal.merge_windows(w for lid in c.locations if lid in self.loc_win
                                        for w in self.cl_windows(cid, lid, d))
            cap = min(c.max_sessions_per_day, max_disjoint(windows, self.min_minutes, self.slot))
            row = solver.Constraint(-solver.infinity(), cap)
            for y in ys:
                row.SetCoefficient(y, 1)

        # Interpreters: interpreted sessions per node drawn from interpreters' daily capacity.
        i_use: dict[tuple, list] = defaultdict(list)
        for (d, lid, lang, group, mc, typ), items in i_demand.items():
            spec = self.types[typ]
            staff = self.qualified(lid, d, mc, spec.minutes)
            usable = self.usable_interpreters(lid, d, lang, group, (spec.min_size or 1) if group else 1,
                                              staff, spec.minutes)
            row = solver.Constraint(-solver.infinity(), 0)
            for w, x in items:
                row.SetCoefficient(x, w)
            for iid in usable:
                y = solver.NumVar(0, solver.infinity(), "")
                n_vars += 1
                row.SetCoefficient(y, -1)
                i_use[(iid, d)].append(y)
        for (iid, d), ys in i_use.items():
            cap = max_disjoint(self.i_win[iid][d], self.min_minutes, self.slot)
            row = solver.Constraint(-solver.infinity(), cap)
            for y in ys:
                row.SetCoefficient(y, 1)

        # Rooms: sessions per (day, location), group sessions in rooms that hold min_size.
        def room_cap(lid: str, d: int, min_capacity: int) -> int:
            return sum(max_disjoint(self.loc_win[lid][d], self.min_minutes, self.slot)
                       for r in loc_by_id[lid].rooms if r.capacity >= min_capacity)

        for (d, lid), items in room_all.items():
            row = solver.Constraint(-solver.infinity(), room_cap(lid, d, 1))
            for w, x in items:
                row.SetCoefficient(x, w)
        for (d, lid, typ), items in room_group.items():
            row = solver.Constraint(-solver.infinity(), room_cap(lid, d, self.types[typ].min_size or 1))
            for w, x in items:
                row.SetCoefficient(x, w)

        status = solver.Solve()
        names = {pywraplp.Solver.OPTIMAL: "OPTIMAL", pywraplp.Solver.FEASIBLE: "FEASIBLE",
                 pywraplp.Solver.INFEASIBLE: "INFEASIBLE", pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
                 pywraplp.Solver.ABNORMAL: "ABNORMAL", pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED"}
        size = (n_vars, solver.NumConstraints())
        if status != pywraplp.Solver.OPTIMAL:
            return None, names.get(status, str(status)), size
        return objective.Value(), "OPTIMAL", size

    @staticmethod
    def _group_sessions(solver, members: dict, weight, low_of, per_option: bool,
                        c_demand, i_demand, room_all, room_group) -> int:
        """Group sessions as variables of their own (solver/README.md, "Settlement waves").

        Per (day, location, group type), s[σ, m] ≥ 0 counts the sessions interpreted in σ (None:
        in none) whose counsellor is multicultural (m) or not (only where some member is not
        an act participant); each takes one counsellor, one room and, when interpreted, one
        interpreter of σ. Members ("interp" options in σ sit only in σ sessions, "self" options
        in any; act participants only where m, rule 4) fill them:

        - in total at most g = min(max_size, largest room) a session, and act participants at
          most g a multicultural session;
        - members of σ at most min(g, n_σ) a σ session, n_σ = the needs with a σ option there:
          five members of a language take a whole session, not 5/g of one;
        - a σ session holds at least min_size members of σ or "self";
        - with ``per_option`` (small instances: a row per option), an option is used only as far
          as sessions it fits are held: x <= min(mult, g) x those sessions (interchangeable
          needs share one variable of bound mult), so members spread thinly over many days
          still take whole sessions.

        Returns the number of variables added.
        """
        added = 0
        for (d, lid, typ), mine in members.items():
            g, low = round(1 / weight(typ, lid)), low_of(typ)
            n_lang: dict = defaultdict(int)
            for kind, _mc, lang, mult, _x in mine:
                if kind == "interp":
                    n_lang[lang] += mult
            flags = (True, False) if any(not mc for _k, mc, _l, _n, _x in mine) else (True,)
            sigmas = [None] + sorted(n_lang)
            s = {(sigma, flag): solver.NumVar(0, solver.infinity(), "") for sigma in sigmas for flag in flags}
            selfish = solver.NumVar(0, solver.infinity(), "")   # members with a "self" option here
            added += len(s) + 1

            def at_most(cap: int, sessions) -> Any:
                row = solver.Constraint(-solver.infinity(), 0)
                for var in sessions:
                    row.SetCoefficient(var, -cap)
                return row

            total = at_most(g, s.values())
            act = at_most(g, [v for (_sigma, flag), v in s.items() if flag])
            per_lang = {sigma: at_most(min(g, n_lang[sigma]), [v for (sg, _f), v in s.items() if sg == sigma])
                        for sigma in n_lang}
            self_row = solver.Constraint(0, 0)
            self_row.SetCoefficient(selfish, -1)
            least = {}
            for sigma in sigmas:
                row = solver.Constraint(0, solver.infinity())
                row.SetCoefficient(selfish, 1)
                for flag in flags:
                    row.SetCoefficient(s[(sigma, flag)], -low)
                least[sigma] = row
            held = {}   # member is an act participant? -> the sessions a "self" option fits
            if per_option:
                for act_member in (True, False):
                    held[act_member] = solver.NumVar(0, solver.infinity(), "")
                    row = solver.Constraint(0, 0)
                    row.SetCoefficient(held[act_member], -1)
                    for (_sigma, flag), var in s.items():
                        if flag or not act_member:
                            row.SetCoefficient(var, 1)
                added += 2
            for kind, mc, lang, mult, x in mine:
                if per_option:
                    vub = solver.Constraint(-solver.infinity(), 0)
                    vub.SetCoefficient(x, 1)
                    if kind == "self":
                        vub.SetCoefficient(held[mc], -min(mult, g))
                    else:
                        for (sigma, flag), var in s.items():
                            if sigma == lang and (flag or not mc):
                                vub.SetCoefficient(var, -min(mult, g))
                total.SetCoefficient(x, 1)
                if mc:
                    act.SetCoefficient(x, 1)
                if kind == "interp":
                    per_lang[lang].SetCoefficient(x, 1)
                    least[lang].SetCoefficient(x, 1)
                else:
                    self_row.SetCoefficient(x, 1)
            for (sigma, flag), var in s.items():
                room_all[(d, lid)].append((1.0, var))
                room_group[(d, lid, typ)].append((1.0, var))
                c_demand[(d, lid, flag, None)].append((1.0, var))
                if sigma is not None:
                    i_demand[(d, lid, sigma, True, flag, typ)].append((1.0, var))
        return added


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - convenience for humans
    """``python -m solver.bound INSTANCE.json``: print the bound report as JSON."""
    import json
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m solver.bound INSTANCE.json", file=sys.stderr)
        return 2
    print(json.dumps(bound_report(args[0]).as_dict(), indent=1))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
