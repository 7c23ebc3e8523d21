"""Exact CP-SAT model of the whole planning problem, for small instances (issue 23, item 5).

``solve_exact(instance)`` puts every hard rule of PROBLEM.md into one CP-SAT model and
maximises the required (participant, type) needs scheduled (``objective="count"``: what
``solver.bound`` bounds) or the engine's tier 1 (``"tier1"``: ``objective.unplaced_cost`` per
need placed plus ``Weights.incomplete`` per participant complete). Tiers 2-6 are not optimised.

Each counsellor-day has ``max_sessions_per_day`` *slots* (rule 3), ordered by start. An active
slot has a grid start inside counsellor hours and opening hours (rule 1), a type, a location,
a room class, a mode, at most one interpreted language with exactly one interpreter and mode
(rules 5-7), and members: on days in earliest..deadline (2), act participants only with a
multicultural counsellor (4), covered by the counsellor or the slot's language (5), on site
within their travel limit, else video (7, 9). A counsellor's slots, and two on-site bookings of
one interpreter, are apart by the travel between their locations (3, 6), and so are a
participant's at two locations (2, solver/README.md); a participant's and an interpreter's
sessions of a day do not overlap (2, 6). Rooms are pooled per (location,
capacity, video): a cumulative of the class's rooms per day, named after solving by interval
colouring, which is exact for intervals (8). Frozen sessions of ``previous_plan`` the checker
finds valid on their own are fixed slots, their rooms a class of their own (10).

Nothing is restricted (every grid start, room, interpreter and mode), so OPTIMAL is the
optimum of the whole problem for the objective chosen and ``best_bound`` an upper bound of it.
Every plan is checked with ``solver.check``. Sized for tens of participants and a few weeks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from . import calendar as cal
from .check import check_plan
from .formats import FormatError, Plan, Session, Stats, Unscheduled, dump_plan, load_instance, load_plan
from .model_data import Prepared, prepare
from .model_reasons import final_reason, static_reason
from .objective import unplaced_cost
from .rules import may_counsel, journey_minutes

STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE",
          cp_model.MODEL_INVALID: "MODEL_INVALID", cp_model.UNKNOWN: "UNKNOWN"}


@dataclass
class ExactResult:
    """What the exact solve found: the plan (None without a solution), CP-SAT's status, the
    needs scheduled, the objective and CP-SAT's bound on it, and the checker's verdict."""

    plan: Plan | None
    status: str
    required: int
    scheduled: int | None
    objective: int | None
    best_bound: float
    valid: bool | None
    violations: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    size: tuple[int, int] = (0, 0)       # (variables, constraints)


class _Slot:
    """One slot of a counsellor-day: its variables; the dicts map a choice to its literal."""

    def __init__(self, cid: str, day: int, frozen: Session | None, act, start, dur, end):
        self.cid, self.day, self.frozen, self.act, self.start, self.dur, self.end = cid, day, frozen, act, start, dur, end
        self.video = None
        self.loc, self.typ, self.cls, self.lang, self.interp, self.x = {}, {}, {}, {}, {}, {}  # x: (pid, type)


def solve_exact(instance: Any, time_limit: float = 120.0, workers: int = 1, objective: str = "count",
                hint: Any = None, log: bool = False) -> ExactResult:
    """Solve the whole model; ``hint``: a plan (e.g. the engine's) CP-SAT starts from."""
    started = time.monotonic()
    inst = load_instance(instance)
    model = _Exact(prepare(inst), objective)
    if hint is not None:
        model.add_hint(load_plan(hint))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.log_search_progress = log
    solver.parameters.linearization_level = 2   # the full LP: proofs in seconds (solver/README.md)
    status = solver.solve(model.m)
    proto = model.m.proto
    size = (len(proto.variables), len(proto.constraints))
    required = sum(len(p.needs) for p in inst.participants)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(None, STATUS[status], required, None, None, solver.best_objective_bound, None,
                           wall_seconds=round(time.monotonic() - started, 2), size=size)
    plan = model.plan(solver, STATUS[status], time.monotonic() - started)
    verdict = check_plan(inst, plan)
    return ExactResult(plan, STATUS[status], required, plan.stats.sessions_scheduled, round(solver.objective_value),
                       solver.best_objective_bound, verdict.valid, [str(v) for v in verdict.violations],
                       round(time.monotonic() - started, 2), size)


class _Exact:
    """The CP-SAT model of one instance and the plan read back from a solution."""

    def __init__(self, prep: Prepared, objective: str):
        if objective not in ("count", "tier1"):
            raise ValueError(f"unknown objective {objective!r} (count or tier1)")
        self.prep, self.m = prep, cp_model.CpModel()
        inst = prep.instance
        self.types = inst.session_types
        self.frozen = self._frozen()
        frozen_rooms = {s.room for s in self.frozen}
        self.classes: dict[tuple, list[str]] = defaultdict(list)   # (loc, capacity, video, own room) -> rooms
        self.class_of: dict[str, tuple] = {}
        for loc in inst.locations:
            for r in loc.rooms:
                key = (loc.id, r.capacity, r.video, r.id if r.id in frozen_rooms else None)
                self.classes[key].append(r.id)
                self.class_of[r.id] = key
        self._travel: dict = {}
        self._order: dict = {}
        self.slots: list[_Slot] = []
        for c in inst.counsellors:
            for d in range(len(prep.days)):
                fixed = [s for s in self.frozen if s.counsellor == c.id and s.start.date() == prep.days[d]]
                mine = [self._slot(c, d, s) for s in fixed]
                mine += [self._slot(c, d, None) for _ in range(c.max_sessions_per_day - len(fixed))]
                mine = [s for s in mine if s is not None]
                self._counsellor_day(mine)
                self.slots += mine
        self._resources()
        self._objective(objective)

    # ------------------------------------------------------------------ rule 10

    def _frozen(self) -> list[Session]:
        """Frozen previous sessions the checker finds valid on their own (those must stay)."""
        inst = self.prep.instance
        if inst.previous_plan is None or inst.frozen_until is None:
            return []
        out = []
        for s in inst.previous_plan.sessions:
            if s.start < inst.frozen_until and self.prep.day_index.get(s.start.date()) is not None:
                alone = Plan(instance=inst.name, sessions=[s])
                if not any(v.session == s.id for v in check_plan(inst, alone).violations):
                    out.append(s)
        return out

    # ------------------------------------------------------------------ one slot

    def _slot(self, c, d: int, frozen: Session | None) -> _Slot | None:
        prep, m, inst = self.prep, self.m, self.prep.instance
        grid = inst.slot_minutes
        types = {t: spec for t, spec in self.types.items() if frozen is None or t == frozen.type}
        locs = {}
        for a in c.locations:
            if frozen is not None and a != frozen.location or not prep.locations[a].rooms:
                continue
            win = prep.counsellor_at(c.id, a, d)
            starts = {t: cal.grid_starts(win, spec.minutes, grid) for t, spec in types.items()}
            if any(starts.values()):
                locs[a] = starts
        if not locs:
            return None
        values = sorted({v for st in locs.values() for vs in st.values() for v in vs})
        minutes = sorted({spec.minutes for spec in types.values()})
        start = m.new_int_var_from_domain(Domain.from_values(values), "")
        dur = m.new_int_var_from_domain(Domain.from_values(minutes), "")
        end = m.new_int_var(values[0] + minutes[0], values[-1] + minutes[-1], "")
        m.add(end == start + dur)
        s = _Slot(c.id, d, frozen, m.new_bool_var(""), start, dur, end)
        s.loc = {a: m.new_bool_var("") for a in locs}
        s.typ = {t: m.new_bool_var("") for t in types}
        m.add(sum(s.loc.values()) == s.act)
        m.add(sum(s.typ.values()) == s.act)
        for t, spec in types.items():
            m.add(dur == spec.minutes).only_enforce_if(s.typ[t])
            for a, st in locs.items():
                self._starts(s, st[t], [s.loc[a], s.typ[t]])
        # Rule 8: a room class at one of the slot's locations; rule 7: video needs a video room.
        s.cls = {k: m.new_bool_var("") for k in self.classes if k[0] in locs
                 and (frozen is None or k == self.class_of[frozen.room])}
        m.add(sum(s.cls.values()) == s.act)
        for k, v in s.cls.items():
            m.add_implication(v, s.loc[k[0]])
        video_rooms = [v for k, v in s.cls.items() if k[2]]
        groups = [t for t, spec in types.items() if spec.is_group]
        s.video = m.new_bool_var("")
        if not video_rooms or len(groups) == len(types):
            m.add(s.video == 0)
        else:
            m.add_bool_or(video_rooms).only_enforce_if(s.video)
        for t in groups:
            m.add_implication(s.video, s.typ[t].Not())
        self._members(s, c, locs, bool(video_rooms))
        self._interpreters(s, video_rooms, groups)
        if frozen is not None:
            self._fix(s, frozen)
        return s

    def _starts(self, s: _Slot, starts: list[int], when: list) -> None:
        """Rules 1, 3, 6: the start is one of ``starts`` when every literal of ``when`` holds."""
        if starts:
            self.m.add_linear_expression_in_domain(s.start, Domain.from_values(starts)).only_enforce_if(when)
        else:
            self.m.add_bool_or([v.Not() for v in when])

    def _members(self, s: _Slot, c, locs: dict, video_rooms: bool) -> None:
        """Who may sit in the slot (rules 2, 4, 5, 9) and how many (rule 8)."""
        prep, m = self.prep, self.m
        frozen = s.frozen
        wanted: dict[tuple, str | None] = {}
        for p in prep.instance.participants:
            first, last = prep.day_range(p, new=frozen is None)
            if not first <= s.day <= last or not may_counsel(c, (p,)) or frozen and p.id not in frozen.participants:
                continue
            near = [a for a in locs if prep.may_attend(p.id, a)]
            for t in p.needs:
                video = video_rooms and p.video_ok and not self.types[t].is_group
                if t in s.typ and (near or video):
                    wanted[(p.id, t)] = prep.language_to_interpret(p.id, c.id)
        languages = {lang for lang in wanted.values() if lang and any(
            prep.interp_windows[i][s.day] for i in prep.interpreters_by_language.get(lang, ()))}
        s.lang = {lang: m.new_bool_var("") for lang in sorted(languages)}
        m.add(sum(s.lang.values()) <= s.act)
        for (pid, t), lang in wanted.items():
            if lang and lang not in s.lang:
                continue
            p = prep.participants[pid]
            x = s.x[(pid, t)] = m.new_bool_var("")
            m.add_implication(x, s.typ[t])
            if lang:
                m.add_implication(x, s.lang[lang])
            if not p.video_ok:
                m.add_implication(x, s.video.Not())
            minutes = self.types[t].minutes
            blocked = [[b - minutes + 1, e - 1] for b, e in cal.busy_windows(p, prep.days[s.day])]
            if blocked:   # rule 2: never over a time the participant cannot come (solver/README.md "busy")
                m.add_linear_expression_in_domain(
                    s.start, Domain.from_intervals(blocked).complement()).only_enforce_if(x)
            video = [] if self.types[t].is_group or not p.video_ok else [s.video]
            for a in locs:
                if not prep.may_attend(pid, a):
                    m.add_bool_or([x.Not(), s.loc[a].Not()] + video)
        size = sum(s.x.values())
        for t, spec in self.types.items():   # linear, not enforced: the LP sees them (a tighter bound)
            if t not in s.typ:
                continue
            mine = sum(v for k, v in s.x.items() if k[1] == t)
            if not any(k[1] == t for k in s.x):
                m.add(s.typ[t] == 0)
            elif spec.is_group:
                m.add(mine >= (spec.min_size or 1) * s.typ[t])
                m.add(mine <= (spec.max_size or len(s.x)) * s.typ[t])
            else:
                m.add(mine == s.typ[t])
        for k, v in s.cls.items():
            if k[1] < len(s.x):
                m.add(size <= k[1]).only_enforce_if(v)

    def _interpreters(self, s: _Slot, video_rooms: list, groups: list[str]) -> None:
        """Exactly one interpreter when the slot has a language (rules 5, 6, 7)."""
        prep, m = self.prep, self.m
        ids = sorted({i for lang in s.lang for i in prep.interpreters_by_language.get(lang, ())})
        for iid in ids:
            it = prep.interpreters[iid]
            if not prep.interp_windows[iid][s.day] or (s.frozen and iid != s.frozen.interpreter):
                continue
            for mode in it.modes:
                if (mode == "phone" and len(groups) == len(s.typ) or mode == "video" and not video_rooms
                        or s.frozen and mode != s.frozen.interpreter_mode):
                    continue
                v = s.interp[(iid, mode)] = m.new_bool_var("")
                m.add_bool_or([s.lang[lang] for lang in it.languages if lang in s.lang]).only_enforce_if(v)
                if mode == "phone":
                    for t in groups:
                        m.add_implication(v, s.typ[t].Not())
                if mode == "video":
                    m.add_bool_or(video_rooms).only_enforce_if(v)
                for t, lit in s.typ.items():
                    starts = cal.grid_starts(prep.interp_windows[iid][s.day], self.types[t].minutes,
                                             prep.instance.slot_minutes)
                    self._starts(s, starts, [v, lit])
        m.add(sum(s.interp.values()) == sum(s.lang.values()))

    def _fix(self, s: _Slot, f: Session) -> None:
        """Rule 10: the frozen session exactly as it was."""
        m = self.m
        m.add(s.act == 1)
        m.add(s.start == cal.minute_of_day(f.start))
        m.add(s.video == (f.mode == "video"))
        for pid in f.participants:
            m.add(s.x[(pid, f.type)] == 1) if (pid, f.type) in s.x else m.add_bool_or([])
        if f.language is None:
            m.add(sum(s.lang.values()) == 0)
        else:
            m.add(s.lang[f.language] == 1) if f.language in s.lang else m.add_bool_or([])

    # ------------------------------------------------------------------ between slots

    def _counsellor_day(self, mine: list[_Slot]) -> None:
        """Rule 3: a counsellor's slots of one day apart by travel; free slots in start order."""
        for i, a in enumerate(mine):
            for b in mine[i + 1:]:
                if a.frozen is None and b.frozen is None:
                    self.m.add_implication(b.act, a.act)
                    self._apart(a, b, [b.act], ordered=True)
                else:
                    self._apart(a, b, [a.act, b.act])

    def _apart(self, a: _Slot, b: _Slot, when: list, ordered: bool = False) -> None:
        """When ``when`` holds, one slot ends the travel between their locations before the other starts."""
        key = (id(a), id(b))
        if key not in self._travel:
            pairs = [(la, lb, self.prep.travel.minutes(self.prep.locations[la].place, self.prep.locations[lb].place))
                     for la in a.loc for lb in b.loc]
            pairs = [p for p in pairs if p[2] > 0]
            gap = self.m.new_int_var(0, max((p[2] for p in pairs), default=0), "") if pairs else 0
            for la, lb, t in pairs:
                self.m.add(gap >= t).only_enforce_if([a.loc[la], b.loc[lb]])
            self._travel[key] = gap
        gap = self._travel[key]
        if ordered:
            self.m.add(b.start >= a.end + gap).only_enforce_if(when)
            return
        if key not in self._order:
            self._order[key] = self.m.new_bool_var("")
        self._either_way(a, b, gap, when, self._order[key])

    def _either_way(self, a: _Slot, b: _Slot, gap, when: list, first) -> None:
        """When ``when`` holds, ``first`` says which slot comes first, the other ``gap`` after its end."""
        self.m.add(b.start >= a.end + gap).only_enforce_if(when + [first])
        self.m.add(a.start >= b.end + gap).only_enforce_if(when + [first.Not()])

    def _journey(self, a: _Slot, b: _Slot, home: str, when: list) -> None:
        """When ``when`` holds, one slot ends the participant's journey before the other starts: between
        the two locations when both are on site, from home to the other's location when one is by
        video (taken from home), none when both are."""
        place = {loc: self.prep.locations[loc].place for loc in set(a.loc) | set(b.loc)}
        prep = self.prep  # the journey is the rule's own (rules.journey_minutes)
        needs = [(journey_minutes(prep, place[la], place[lb]), [a.loc[la], b.loc[lb], a.video.Not(), b.video.Not()])
                 for la in a.loc for lb in b.loc]
        needs += [(journey_minutes(prep, home, place[lb]), [a.video, b.loc[lb], b.video.Not()]) for lb in b.loc]
        needs += [(journey_minutes(prep, place[la], home), [a.loc[la], a.video.Not(), b.video]) for la in a.loc]
        self._apart_by(a, b, needs, when)

    def _apart_by(self, a: _Slot, b: _Slot, needs: list, when: list) -> None:
        """When ``when`` holds, one slot starts at least the largest of ``needs`` (minutes, the literals
        under which they apply) after the other ends."""
        needs = [(t, lits) for t, lits in needs if t > 0]
        if not needs:
            return
        gap = self.m.new_int_var(0, max(t for t, _lits in needs), "")
        for t, lits in needs:
            self.m.add(gap >= t).only_enforce_if(lits)
        self._either_way(a, b, gap, when, self.m.new_bool_var(""))

    def _home_journey(self, a: _Slot, b: _Slot, home: str, when: list) -> None:
        """When ``when`` holds (an interpreter on site in ``a``, from home in ``b``), one slot ends the
        journey between ``a``'s location and home before the other starts (rules.interpreter_place)."""
        needs = [(journey_minutes(self.prep, self.prep.locations[la].place, home), [lit]) for la, lit in a.loc.items()]
        self._apart_by(a, b, needs, when)

    def _resources(self) -> None:
        """Rooms (8), participants (2) and interpreters (6) across slots, per day."""
        m = self.m
        rooms, people, interp = defaultdict(list), defaultdict(list), defaultdict(list)
        onsite: dict[tuple, list] = defaultdict(list)
        remote: dict[tuple, list] = defaultdict(list)
        seats: dict[tuple, list] = defaultdict(list)
        for s in self.slots:
            def interval(lit, s=s):
                return m.new_optional_interval_var(s.start, s.dur, s.end, lit, "")
            for k, v in s.cls.items():
                rooms[(k, s.day)].append(interval(v))
            for (pid, _t), v in s.x.items():
                people[(pid, s.day)].append(interval(v))
                seats[(pid, s.day)].append((s, v))
            for (iid, mode), v in s.interp.items():
                interp[(iid, s.day)].append(interval(v))
                (onsite if mode == "onsite" else remote)[(iid, s.day)].append((s, v))
        for (k, _d), items in rooms.items():
            if len(self.classes[k]) == 1:
                m.add_no_overlap(items)
            else:
                m.add_cumulative(items, [1] * len(items), len(self.classes[k]))
        for items in list(people.values()) + list(interp.values()):
            if len(items) > 1:
                m.add_no_overlap(items)
        for (pid, _d), items in seats.items():    # a participant's journey between two sessions (2)
            home = self.prep.participants[pid].place
            for i, (a, va) in enumerate(items):
                for b, vb in items[i + 1:]:
                    if a is not b:
                        self._journey(a, b, home, [va, vb])
        for items in onsite.values():   # on-site interpreting at two locations: travel between
            for i, (a, va) in enumerate(items):
                for b, vb in items[i + 1:]:
                    if a.cid != b.cid and any(la != lb for la in a.loc for lb in b.loc):
                        self._apart(a, b, [va, vb])
        for key, items in onsite.items():  # remote interpreting is from home: the journey to an on-site booking
            home = self.prep.interpreters[key[0]].place
            for a, va in items:
                for b, vb in remote.get(key, []):
                    if a is not b:
                        self._home_journey(a, b, home, [va, vb])

    def _objective(self, objective: str) -> None:
        prep, m = self.prep, self.m
        by_need = defaultdict(list)
        for s in self.slots:
            for key, v in s.x.items():
                by_need[key].append(v)
        for vs in by_need.values():
            m.add_at_most_one(vs)
        if objective == "count":
            m.maximize(sum(v for vs in by_need.values() for v in vs))
            return
        terms = []
        for p in prep.instance.participants:
            placed = [sum(by_need.get((p.id, t), [])) for t in p.needs]
            terms += [unplaced_cost(prep, p.id) * x for x in placed]
            if p.needs:
                complete = m.new_bool_var("")
                for x in placed:
                    m.add(x >= 1).only_enforce_if(complete)
                terms.append(prep.weights.incomplete * complete)
        m.maximize(sum(terms))

    # ------------------------------------------------------------------ hint and plan

    def add_hint(self, plan: Plan) -> None:
        """Start CP-SAT from a plan: its sessions in the free slots of their counsellor-day, by start."""
        fixed = {(f.counsellor, f.room, f.start) for f in self.frozen}
        by_day, taken = defaultdict(list), defaultdict(int)
        for ses in sorted(plan.sessions, key=lambda x: x.start):
            if ses.start.date() in self.prep.day_index and (ses.counsellor, ses.room, ses.start) not in fixed:
                by_day[(ses.counsellor, self.prep.day_index[ses.start.date()])].append(ses)
        for s in (s for s in self.slots if s.frozen is None):
            mine = by_day[(s.cid, s.day)]
            ses = mine[taken[(s.cid, s.day)]] if taken[(s.cid, s.day)] < len(mine) else None
            taken[(s.cid, s.day)] += 1
            on = set()
            if ses is not None and ses.location in s.loc and ses.type in s.typ:
                self.m.add_hint(s.start, cal.minute_of_day(ses.start))
                self.m.add_hint(s.dur, self.types[ses.type].minutes)
                on = {s.act, s.loc[ses.location], s.typ[ses.type], s.cls.get(self.class_of[ses.room]),
                      s.lang.get(ses.language), s.interp.get((ses.interpreter, ses.interpreter_mode)),
                      s.video if ses.mode == "video" else None, *(s.x.get((p, ses.type)) for p in ses.participants)}
            for v in [s.act, s.video, *s.loc.values(), *s.typ.values(), *s.cls.values(), *s.lang.values(),
                      *s.interp.values(), *s.x.values()]:
                self.m.add_hint(v, v in on)

    def plan(self, solver: cp_model.CpSolver, status: str, seconds: float) -> Plan:
        """The solution as a plan file: rooms by interval colouring, reasons for what is left."""
        prep = self.prep
        val = solver.boolean_value
        rows, done = [], set()
        for s in self.slots:
            if not val(s.act):
                continue
            typ = next(t for t, v in s.typ.items() if val(v))
            members = sorted((pid for (pid, t), v in s.x.items() if val(v)), key=lambda p: (len(p), p))
            done |= {(pid, typ) for pid in members}
            lang = next((lang for lang, v in s.lang.items() if val(v)), None)
            iid, imode = next((k for k, v in s.interp.items() if val(v)), (None, None))
            if lang and s.frozen is None and lang not in {prep.language_to_interpret(pid, s.cid) for pid in members}:
                lang = iid = imode = None      # an interpreter nobody needs: dropping them keeps every rule
            rows.append((s, typ, members, lang, iid, imode, solver.value(s.start), solver.value(s.end)))
        rooms, by_class = {}, defaultdict(list)
        for row in rows:
            by_class[(next(k for k, v in row[0].cls.items() if val(v)), row[0].day)].append(row)
        for (k, _d), items in by_class.items():   # interval colouring: first room free, by start
            free_at = dict.fromkeys(self.classes[k], -1)
            for row in sorted(items, key=lambda r: r[6]):
                room = next(r for r in self.classes[k] if free_at[r] <= row[6])
                free_at[room], rooms[id(row)] = row[7], room
        used = {f.id for f in self.frozen}
        fresh = (f"E{k}" for k in count(1) if f"E{k}" not in used)
        sessions = []
        for row in sorted(rows, key=lambda r: (r[0].day, r[6], r[0].cid)):
            s, typ, members, lang, iid, imode, start, end = row
            day = prep.days[s.day]
            sessions.append(Session(
                id=s.frozen.id if s.frozen else next(fresh), type=typ, participants=members, counsellor=s.cid,
                location=next(a for a, v in s.loc.items() if val(v)), room=rooms[id(row)],
                start=cal.at_minute(day, start), end=cal.at_minute(day, end),
                mode="video" if val(s.video) else "onsite", language=lang, interpreter=iid, interpreter_mode=imode))
        unscheduled = []
        for p in prep.instance.participants:
            for t in p.needs:
                if (p.id, t) not in done:
                    reason, detail = static_reason(prep, p.id, t) or final_reason(prep, p.id, t, False)
                    unscheduled.append(Unscheduled(participant=p.id, type=t, reason=reason, detail=detail))
        stats = Stats(status=status, objective=round(solver.objective_value), best_bound=solver.best_objective_bound,
                      wall_seconds=round(seconds, 3), sessions_scheduled=len(done), solver="exact")
        return Plan(instance=prep.instance.name, sessions=sessions, unscheduled=unscheduled, stats=stats)


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m solver exact INSTANCE [--time-limit S] [--out PLAN.json] ...``."""
    parser = argparse.ArgumentParser(prog="python -m solver exact",
                                     description="Exact CP-SAT solve of the whole model (small instances).")
    parser.add_argument("instance", help="guidance-instance/1 JSON file")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds (default 120)")
    parser.add_argument("--workers", type=int, default=1, help="CP-SAT workers (default 1)")
    parser.add_argument("--objective", choices=("count", "tier1"), default="count",
                        help="needs scheduled (default; what solver.bound bounds) or the engine's tier 1")
    parser.add_argument("--hint", help="a plan to start from (e.g. the engine's)")
    parser.add_argument("--out", help="write the plan here")
    parser.add_argument("--log", action="store_true", help="CP-SAT's search log on stdout")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        result = solve_exact(Path(args.instance), args.time_limit, args.workers, args.objective,
                             Path(args.hint) if args.hint else None, args.log)
    except FormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out and result.plan is not None:
        Path(args.out).write_text(json.dumps(dump_plan(result.plan), indent=1, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
    print(json.dumps({k: v for k, v in result.__dict__.items() if k != "plan"}, indent=1))
    for v in result.violations:
        print(v, file=sys.stderr)
    return 0 if result.valid is not False else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
