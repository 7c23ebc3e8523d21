"""CP-SAT large-neighbourhood search (solver/README.md "Pipeline" 6): re-plan one window
(location x a few days) at a time, everything outside it fixed.

A window's model holds the sessions booked there plus open tasks that could go there, each
with explicit candidate placements (day, start, counsellor, room class, interpreter) already
filtered against the state (travel rules 3 and 6 included; inside the window everything is
at one location, but for an interpreter's journey home, _resource_constraints). Rooms of equal capacity and video flag form a class: the model counts
sessions per class and time, and concrete rooms are assigned afterwards by interval
colouring. The search is reproducible unless the wall clock cuts it short (solver/README.md
"Determinism").
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from . import calendar as cal
from .construct import Booking, Constructor, State
from .model_groups import language_key, largest_room
from .model_data import Prepared
from .objective import (Tiers, booking_cost, change_cost, loses_interpreter, new_counsellor_cost, open_needs_cost,
                        video_equivalent_minutes)
from .rules import interpreter_place, journey_minutes, participant_place


@dataclass
class Unit:
    """Something to place: one participant's individual session, or a whole group."""

    typ: str
    members: tuple[str, ...]
    current: Booking | None = None
    candidates: list = field(default_factory=list)
    joiners: tuple[str, ...] = ()   # open participants who may join this group in the window
    outside: int | None = None      # state key of its booking at another location (a mover)


@dataclass(frozen=True)
class RoomClass:
    rooms: tuple[str, ...]
    capacity: int
    video: bool


def improve(prep: Prepared, state: State, run, objective, workers: int = 2, seed: int = 0) -> str:
    """Improve the state in place, window by window, until no window helps or the budget is
    spent; returns the status. ``run`` carries the clock, the open tasks and the groups;
    ``objective()`` is the current state's cost per tier (objective.plan_tiers): a window's
    result is kept only when it is lexicographically lower, whatever CP-SAT's weighted sum says."""
    search = _Search(prep, state, run, workers, seed, objective)
    status = search.run()
    run.search_stats = {"windows": search.windows_solved,
                        "deterministic_seconds": round(search.deterministic_spent, 2)}
    return status


class _Search:
    def __init__(self, prep, state, run, workers, seed, objective):
        self.prep, self.state, self.clock = prep, state, run
        self.workers, self.seed = max(1, workers), seed
        self.objective = objective
        self.limits = prep.config.search
        self.slot = prep.instance.slot_minutes
        self.builder = Constructor(prep, state)
        self.rng = random.Random(seed)
        self.deterministic_spent = 0.0
        self.deterministic_budget = prep.config.time.search_deterministic_per_second * run.time_limit
        self.window_times: list[float] = []
        self.windows_solved = 0
        self.staff: frozenset | None = None

    # -------------------------------------------------------------- outer loop
    def run(self) -> str:
        """Targeted windows for open tasks first, then routine windows until nothing improves,
        the deterministic work budget is spent, or the wall clock runs out; then, with a budget
        of their own, continuity windows (tier 5)."""
        current = self._search(self.objective())
        self.deterministic_budget = (max(self.deterministic_budget, self.deterministic_spent)
                                     + self.prep.config.time.continuity_deterministic_per_second * self.clock.time_limit)
        for loc, days, staff in self.continuity_windows():
            if self.out_of_budget():
                break
            current = self._try(loc, days, staff, current)
        return "OPTIMAL" if sum(current) <= self.clock.bound else "FEASIBLE"

    def _search(self, current: Tiers) -> Tiers:
        for loc, days in self.targeted_windows():
            if self.out_of_budget():
                return current
            current = self._try(loc, days, None, current)
        routine = self.routine_windows()
        idle, i = 0, 0
        while routine and idle < 2 * len(routine):  # a quiet pass of single days, then of pairs
            if self.out_of_budget():
                return current
            loc, days, staff = routine[i % len(routine)]
            days = self._paired(days, i // len(routine))
            i += 1
            value = self._try(loc, days, staff, current)
            idle = 0 if value < current else idle + 1
            current = value
        return current

    def _paired(self, days: tuple[int, ...], rounds: int) -> tuple[int, ...]:
        """Pass 0: the day alone; pass 1: with the next working day (a session can move one
        day on); later passes: with a random other day (seeded)."""
        count = len(self.prep.days)
        if rounds == 0 or count < 2:
            return days
        other = (days[0] + 1) % count if rounds == 1 else self.rng.randrange(count)
        return tuple(sorted(set(days) | {other}))

    def out_of_budget(self) -> bool:
        """Stop on the deterministic budget (reproducible) or, as a safety cap, the wall clock:
        a window is only started when a typical recent window still fits in the time left (CP-SAT's
        own wall limit inside a window is capped by the time left, so a window that turns out
        larger only overruns by its model building, which the later phases' own shares absorb)."""
        if self.deterministic_spent >= self.deterministic_budget:
            return True
        recent = self.window_times[-20:]
        typical = sum(recent) / len(recent) if recent else 0.0
        return self.clock.remaining() < self.reserve() + typical

    def reserve(self) -> float:
        """Seconds kept free at the end for writing the plan and explaining what is missing."""
        return 0.3 + 0.04 * self.clock.time_limit

    def _try(self, loc, days, staff, current: Tiers) -> Tiers:
        days = tuple(d for d in days if self.prep.loc_windows[loc][d])
        if not days:
            return current
        started = time.monotonic()
        value = self.solve_window(loc, days, staff, current)
        self.window_times.append(time.monotonic() - started)
        if value < current:
            self.clock.report(self.state)
            return value
        return current

    def targeted_windows(self) -> list[tuple[str, tuple[int, ...]]]:
        """For each open task: an allowed day at a reachable location plus a later day with
        slack, so sessions with later deadlines can move out of the way (tier 1)."""
        prep = self.prep
        out = []
        for unit in self.open_units(None, None, set())[:self.limits.targeted_units]:
            first, last = prep.common_days(unit.members)
            if first > last:
                continue
            locs = (self.builder.group_locations(unit.members) if len(unit.members) > 1
                    else [l for l, _m in self.builder.individual_options(unit.members[0])])
            for loc in dict.fromkeys(locs):
                early = self.rng.randint(first, last)
                later = [d for d in range(last + 1, len(prep.days)) if prep.loc_windows[loc][d]]
                slack = max(later, key=lambda d: (self._slack(loc, d), -d), default=None)
                out.append((loc, (early,) if slack is None else (early, slack)))
        # Two open needs often draw the same window; solved again on an unchanged plan it
        # gives the same answer, so each window is offered once. Smallest first: a window's
        # cost grows with the sessions in it (a two-day window at the biggest centre takes
        # seconds, at a small one a tenth of that), and a small one places an open need as
        # often, so in a short re-plan the big ones must not use up the time.
        windows = list(dict.fromkeys(out + self.joiner_windows()))
        return sorted(windows, key=lambda w: self._booked([c.id for c in prep.instance.counsellors
                                                           if w[0] in c.locations], w[1]))

    def joiner_windows(self) -> list[tuple[str, tuple[int, ...]]]:
        """For an open group need outside every group: a placed group it could join plus a
        day all of them share, so the group can move there (see offer_joiners)."""
        prep, state = self.prep, self.state
        in_groups = {(m, t) for t, ms in self.clock.group_units for m in ms}
        out = []
        for pid, typ in self.clock.tasks:
            if not prep.instance.session_types[typ].is_group or (pid, typ) in state.done or (pid, typ) in in_groups:
                continue
            reach = prep.reachable_locations(pid)
            groups = sorted((b for b in state.bookings.values() if b.type == typ and b.location in reach
                             and not b.fixed), key=lambda b: (prep.participant_travel(pid, b.location), b.day))
            for b in groups[:self.limits.joiner_windows]:
                lo, hi = prep.common_days(b.participants + (pid,))
                if lo <= hi:
                    out.append((b.location, tuple(sorted({b.day, self.rng.randint(lo, hi)}))))
        return out

    def continuity_windows(self) -> list[tuple[str, tuple[int, ...], frozenset]]:
        """For each participant who sees two counsellors: the location of one of their sessions
        where the other counsellor also works, on both sessions' days, with only those two
        counsellors' sessions re-planned, those with the fewest sessions first (more of them
        fit in the budget). The routine windows pair a day with the next or a random one, so
        they rarely hold both days of a participant's sessions."""
        prep = self.prep
        sessions: dict[str, list[Booking]] = {}
        for b in self.state.bookings.values():
            for pid in b.participants:
                sessions.setdefault(pid, []).append(b)
        out = []
        for pid in sorted(sessions):
            own = sessions[pid]
            for b in own:
                for other in own:
                    if other.counsellor != b.counsellor and b.location in prep.counsellors[other.counsellor].locations:
                        out.append((b.location, tuple(sorted({b.day, other.day})),
                                    frozenset((b.counsellor, other.counsellor))))
        return sorted(dict.fromkeys(out), key=lambda w: self._booked(w[2], w[1]))

    def _booked(self, counsellors, days) -> int:
        """Sessions booked for these counsellors on these days: what a window costs to solve."""
        cons = self.state.cons
        return sum(len(cons.get((c, d), [])) for c in counsellors for d in days)

    def _slack(self, loc: str, day: int) -> int:
        """Free counsellor session slots at a location on a day (a rough measure)."""
        total = 0
        for c in self.prep.instance.counsellors:
            if self.prep.works_there(c.id, loc, day) and self.prep.cons_windows[c.id][day]:
                total += self.state.sessions_left(c.id, day)
        return total

    def routine_windows(self) -> list[tuple[str, tuple[int, ...], frozenset | None]]:
        """(location, one day, a few counsellors) windows, busiest locations first."""
        prep = self.prep
        load: dict[str, int] = {}
        for b in self.state.bookings.values():
            load[b.location] = load.get(b.location, 0) + 1
        out = []
        for loc in sorted(prep.locations, key=lambda l: (-load.get(l, 0), l)):
            if not prep.locations[loc].rooms:
                continue
            staff = sorted(c.id for c in prep.instance.counsellors if loc in c.locations)
            size = self.limits.staff_per_window
            chunks = [frozenset(staff[k:k + size]) for k in range(0, len(staff), size)]
            if len(chunks) == 1:
                chunks = [None]
            out += [(loc, (d,), chunk) for d in range(len(prep.days)) if prep.loc_windows[loc][d]
                    for chunk in chunks   # not a day none of the chunk is there (`location_days`)
                    if any(prep.works_there(cid, loc, d) for cid in (chunk or staff))]
        return out

    # -------------------------------------------------------------- one window
    def solve_window(self, loc: str, days: tuple[int, ...], staff, before: Tiers) -> Tiers:
        """Re-plan one window (optionally only some counsellors' sessions); keeps the result
        only when the global objective improves."""
        state = self.state
        self.staff = staff
        freed = {k: b for k, b in state.bookings.items()
                 if b.location == loc and b.day in days and not b.fixed
                 and (staff is None or b.counsellor in staff)}
        units = [Unit(b.type, b.participants, b) for b in freed.values()]
        for key in freed:
            state.remove(key)
        units += self.open_units(loc, days, {m for u in units for m in u.members})
        movers = self.mover_units(loc, days, {m for u in units for m in u.members})
        units += movers
        self.offer_joiners(loc, days, units)
        if not units:
            self._restore(freed)
            return before
        chosen = self.optimise(loc, days, units)
        if chosen is None:
            self._restore(freed)
            return before
        placed = {(b.type, b.participants) for b in chosen}
        if any((u.typ, u.members) not in placed and any(b.type == u.typ and set(u.members) & set(b.participants)
                                                         for b in chosen) for u in movers):
            self._restore(freed)  # a mover placed in another shape would leave its old booking: rule 2
            return before
        left = {u.outside: state.remove(u.outside) for u in movers if (u.typ, u.members) in placed}
        added = [state.add(b) for b in chosen]
        after = self.objective()
        if after < before:
            return after
        for key in added:
            state.remove(key)
        self._restore(left)
        self._restore(freed)
        return before

    def mover_units(self, loc, days, busy_members) -> list[Unit]:
        """Sessions elsewhere whose participants would travel less here (tier 3): the model
        may move them into the window; not moving keeps them where they are. Groups move
        whole (every member must reach the window's location and share one of its days)."""
        prep, state = self.prep, self.state
        individual, groups = [], []
        for key, b in state.bookings.items():
            if b.fixed or b.location == loc or any(m in busy_members for m in b.participants):
                continue
            if not all(loc in prep.reachable_locations(m) for m in b.participants):
                continue
            if b.mode == "video":
                now = video_equivalent_minutes(prep) * len(b.participants)
            else:
                now = sum(prep.participant_travel(m, b.location) for m in b.participants)
            saving = now - sum(prep.participant_travel(m, loc) for m in b.participants)
            first, last = prep.common_days(b.participants)
            if saving > 0 and any(first <= d <= last for d in days):
                is_group = prep.instance.session_types[b.type].is_group
                (groups if is_group else individual).append((-saving, key, Unit(b.type, b.participants, outside=key)))
        individual.sort(key=lambda t: (t[0], t[1]))
        groups.sort(key=lambda t: (t[0], t[1]))
        return [u for _s, _k, u in individual[:self.limits.movers] + groups[:self.limits.group_movers]]

    def _restore(self, freed: dict) -> None:
        for b in freed.values():
            self.state.add(b)

    def open_units(self, loc, days, busy_members) -> list[Unit]:
        """Open tasks that could be placed in this window, most urgent first."""
        prep, state = self.prep, self.state
        out = []
        for pid, typ in self.clock.tasks:
            if (pid, typ) in state.done or pid in busy_members:
                continue
            if prep.instance.session_types[typ].is_group:
                continue
            first, last = prep.day_range(prep.participants[pid])
            if days is not None and not any(first <= d <= last for d in days):
                continue
            if loc is not None and loc not in {l for l, _m in self.builder.individual_options(pid)}:
                continue
            out.append(Unit(typ, (pid,)))
        for typ, members in dict.fromkeys(u for g in self.clock.group_units for u in self._with_smaller(*g)):
            if any((m, typ) in state.done or m in busy_members for m in members):
                continue
            if loc is None or all(loc in prep.reachable_locations(m) for m in members):
                out.append(Unit(typ, members))
        out.sort(key=lambda u: min(prep.priority_key(m) for m in u.members))
        return out[:self.limits.window_extra_units]

    def _with_smaller(self, typ: str, members: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        """A group unit, and for an unplaced one also the same group at its minimum size with
        the members whose dates run longest: the whole group only fits the days all members
        share, the smaller one also later days (rule 2 keeps both from being placed)."""
        out = [(typ, members)]
        min_size = self.prep.instance.session_types[typ].min_size or 1
        if len(members) > min_size and not any((m, typ) in self.state.done for m in members):
            latest = sorted(members, key=lambda m: (-self.prep.day_range(self.prep.participants[m])[1], m))
            out.append((typ, tuple(m for m in members if m in latest[:min_size])))
        return out

    def offer_joiners(self, loc, days, units: list[Unit]) -> None:
        """Open group needs of participants in no unit may join a group of the window
        (a placed group can move to a day and time that suits one more member)."""
        prep, state = self.prep, self.state
        in_units = {m for u in units for m in u.members}
        # A group moving in from elsewhere comes as it is: with a joiner it would no longer
        # match the booking it leaves behind.
        groups = [u for u in units if prep.instance.session_types[u.typ].is_group and u.outside is None]
        if not groups:
            return
        for u in groups:
            spec = prep.instance.session_types[u.typ]
            if len(u.members) >= min(spec.max_size or 10**6, largest_room(prep, loc)):
                continue
            keys = {language_key(prep, m, loc) for m in u.members} - {None}
            joiners = []
            for pid, typ in self.clock.tasks:
                if typ != u.typ or (pid, typ) in state.done or pid in in_units:
                    continue
                if loc not in prep.reachable_locations(pid):
                    continue
                key = language_key(prep, pid, loc)
                if key is not None and keys - {key}:
                    continue
                first, last = prep.day_range(prep.participants[pid])
                if any(first <= d <= last for d in days):
                    joiners.append(pid)
            u.joiners = tuple(sorted(joiners, key=prep.priority_key)[:self.limits.joiners])

    # -------------------------------------------------------------- candidates
    def room_classes(self, loc, days) -> list[RoomClass]:
        """Interchangeable rooms pooled; a room with a fixed booking in the window stands alone."""
        pools: dict[tuple, list[str]] = {}
        for r in self.prep.locations[loc].rooms:
            fixed = any(self.state.room.get((r.id, d)) for d in days)
            key = (r.capacity, r.video, r.id if fixed else "")
            pools.setdefault(key, []).append(r.id)
        return [RoomClass(tuple(rooms), cap, video) for (cap, video, _), rooms in sorted(pools.items())]

    def candidates(self, unit: Unit, loc, days, classes) -> list[tuple[int, Booking]]:
        """Explicit placements of a unit in the window, valid against everything fixed, each with
        its start's number on its free window's grid (see calendar.numbered_grid_starts), so that
        thinning the start times is a filter instead of a new search."""
        prep, state = self.prep, self.state
        spec = prep.instance.session_types[unit.typ]
        duration = spec.minutes
        size = len(unit.members)
        first, last = prep.common_days(unit.members)
        modes = []
        if all(loc in prep.reachable_locations(m) for m in unit.members):
            modes.append("onsite")
        if not spec.is_group and prep.participants[unit.members[0]].video_ok and any(c.video for c in classes):
            modes.append("video")
        fitting = [c for c in classes if c.capacity >= size]
        if not spec.is_group:  # individuals use the smallest rooms; big rooms stay for groups
            small = min((c.capacity for c in fitting), default=0)
            fitting = [c for c in fitting if c.capacity == small]
        out: list[tuple[int, Booking]] = []
        for day in days:
            if not first <= day <= last:
                continue
            for cid, language in self.builder.counsellor_order(unit.members, loc):
                if self.staff is not None and cid not in self.staff:
                    continue
                for mode in modes:
                    starts = cal.numbered_grid_starts(state.free_with(cid, unit.members, day, loc, mode), duration,
                                                      self.slot)
                    for start, k in starts:
                        out += [(k, b) for b in self._complete(unit, loc, mode, day, start, start + duration,
                                                               cid, language, fitting)]
        return out

    def _complete(self, unit, loc, mode, day, start, end, cid, language, classes) -> list[Booking]:
        state = self.state
        out = []
        for rc in classes:
            if mode == "video" and not rc.video:
                continue
            if len(rc.rooms) == 1 and not state.room_free(rc.rooms[0], day, start, end):
                continue
            base = Booking(unit.typ, unit.members, cid, loc, rc.rooms[0], day, start, end, mode)
            if language is None:
                out.append(base)
                continue
            found = 0
            for _cost, iid, imode in self.builder.interpreter_options(language, loc, end - start, len(unit.members)):
                if imode == "video" and not rc.video:
                    continue
                if state.interpreter_ok(iid, day, start, end, loc, imode):
                    out.append(Booking(unit.typ, unit.members, cid, loc, rc.rooms[0], day, start, end, mode,
                                       language, iid, imode))
                    found += 1
                    if found == 3:
                        break
        return out

    # -------------------------------------------------------------- the CP-SAT model
    def optimise(self, loc, days, units: list[Unit]) -> list[Booking] | None:
        """Solve the window model; returns the chosen bookings (rooms assigned) or None."""
        classes = self.room_classes(loc, days)
        class_of = {r: i for i, rc in enumerate(classes) for r in rc.rooms}
        numbered = [(self.candidates(u, loc, days, classes),
                     [self.candidates(Unit(u.typ, u.members + (joiner,)), loc, days, classes) for joiner in u.joiners])
                    for u in units]
        step = self.slot
        while True:
            every = step // self.slot
            for u, (own, joined) in zip(units, numbered):
                u.candidates = [b for k, b in own if k % every == 0]
                if u.current is not None and not any(self._same(u.current, b, class_of) for b in u.candidates):
                    u.candidates.append(u.current)
                for more in joined:  # the same group with one more member
                    u.candidates += [b for k, b in more if k % every == 0]
            total = sum(len(u.candidates) for u in units)
            if total <= self.limits.window_candidates or step >= 120:
                break
            step *= 2
        model = cp_model.CpModel()
        # Variables: one Boolean per candidate placement.
        x = [[model.NewBoolVar(f"x{i}_{j}") for j in range(len(u.candidates))] for i, u in enumerate(units)]
        placed = []
        for i, u in enumerate(units):
            # Rule 2: each need at most once.
            model.AddAtMostOne(x[i])
            placed.append(sum(x[i]))
        self._resource_constraints(model, units, x, class_of, classes)
        # Objective: named terms (tier 1 unplaced, tiers 2-6 per-candidate cost).
        unplaced_terms, placement_terms = [], []
        for i, u in enumerate(units):
            weight = self._unplaced_weight(u)
            unplaced_terms.append(weight * (1 - placed[i]))
            for j, b in enumerate(u.candidates):
                placement_terms.append(self._candidate_cost(u, b, class_of) * x[i][j])
        model.Minimize(sum(unplaced_terms) + sum(placement_terms))
        # Hint: the current plan of the window, so CP-SAT starts from it.
        for i, u in enumerate(units):
            for j, b in enumerate(u.candidates):
                model.AddHint(x[i][j], u.current is not None and self._same(u.current, b, class_of))
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = self.workers
        params.random_seed = self.seed
        params.max_deterministic_time = self.prep.config.time.window_deterministic_seconds
        params.max_time_in_seconds = max(0.05, min(max(1.0, 0.1 * self.clock.time_limit),
                                                    self.clock.remaining() - self.reserve()))
        if self.workers > 1:
            params.interleave_search = True
        status = solver.Solve(model)
        self.deterministic_spent += solver.deterministic_time
        self.windows_solved += 1
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        chosen = [(u, b) for i, u in enumerate(units) for j, b in enumerate(u.candidates)
                  if solver.BooleanValue(x[i][j])]
        return self._assign_rooms(chosen, classes, class_of)

    def _resource_constraints(self, model, units, x, class_of, classes) -> None:
        """Rules 2, 3, 6, 8 inside the window: counted at every candidate start time."""
        usage: dict[tuple, list] = {}   # (resource, day) -> [(start, end, var)]
        per_day: dict[tuple, list] = {}
        seen: dict[str, int] = {}
        for u in units:
            for m in {m for b in u.candidates for m in b.participants}:
                seen[m] = seen.get(m, 0) + 1
        shared = {m for m, n in seen.items() if n > 1}  # only they can overlap themselves
        places: dict[tuple, list] = {}  # (shared participant, day) -> [(on-site location or None, var)]
        journeys: dict[tuple, dict] = {}  # (interpreter, day) -> {(their place, start, end): [vars]}
        for i, u in enumerate(units):
            for j, b in enumerate(u.candidates):
                var = x[i][j]
                usage.setdefault(("c", b.counsellor, b.day), []).append((b.start, b.end, var))   # rule 3
                per_day.setdefault((b.counsellor, b.day), []).append(var)
                if any(m in shared for m in b.participants):
                    for m in b.participants:
                        usage.setdefault(("p", m, b.day), []).append((b.start, b.end, var))      # rule 2
                        places.setdefault((m, b.day), []).append(
                            (participant_place(self.prep, m, b.location, b.mode), var))
                if b.interpreter:
                    usage.setdefault(("i", b.interpreter, b.day), []).append((b.start, b.end, var))  # rule 6
                    where = interpreter_place(self.prep, b.interpreter, b.location, b.interpreter_mode)
                    journeys.setdefault((b.interpreter, b.day), {}).setdefault((where, b.start, b.end), []).append(var)
                usage.setdefault(("r", class_of[b.room], b.day), []).append((b.start, b.end, var))   # rule 8
        for (kind, res, _day), items in usage.items():
            cap = len(classes[res].rooms) if kind == "r" else 1
            for t in sorted({s for s, _e, _v in items}):
                active = [v for s, e, v in items if s <= t < e]
                if len(active) <= cap:
                    continue
                if cap == 1:
                    model.AddAtMostOne(active)
                else:
                    model.Add(sum(active) <= cap)
        # Rule 2's travel: a shared participant's candidates at two locations on one day are at most
        # one session that day (stricter than the journey between them, and rare: both of their
        # needs in one window).
        for items in places.values():
            if len({where for where, _v in items}) > 1:
                model.AddAtMostOne([v for _w, v in items])
        # Rule 6's journey (solver/README.md): the window is one location, but an interpreter there on site
        # and from home by video or phone needs the journey between the two. Candidates with one interpreter
        # and one interval are at most one already, so each pair of intervals too close is one constraint.
        for spots in journeys.values():
            if len({where for where, _s, _e in spots}) < 2:
                continue
            keys = sorted(spots)
            for n, (there, s1, e1) in enumerate(keys):
                for here, s2, e2 in keys[n + 1:]:
                    gap = journey_minutes(self.prep, there, here)
                    if there != here and s1 < e2 + gap and s2 < e1 + gap:
                        model.AddAtMostOne(spots[(there, s1, e1)] + spots[(here, s2, e2)])
        # Rule 2: a need is met at most once, even when two units offer it (overlapping groups).
        offers: dict[tuple, dict[int, list]] = {}
        for i, u in enumerate(units):
            for j, b in enumerate(u.candidates):
                for m in b.participants:
                    offers.setdefault((m, u.typ), {}).setdefault(i, []).append(x[i][j])
        for by_unit in offers.values():
            if len(by_unit) > 1:
                model.AddAtMostOne([v for vs in by_unit.values() for v in vs])
        for (cid, day), items in per_day.items():
            # Rule 3: at most max_sessions_per_day, counting fixed sessions outside the window.
            left = self.state.sessions_left(cid, day)
            if len(items) > left:
                model.Add(sum(items) <= left)

    def _unplaced_weight(self, u: Unit) -> int:
        if u.outside is not None:  # a mover that stays where it is costs what it costs there
            return booking_cost(self.prep, self.state.bookings[u.outside])
        return sum(open_needs_cost(self.prep, self.state, m, (u.typ,)) for m in u.members)

    def _candidate_cost(self, u: Unit, b: Booking, class_of) -> int:
        prep, state, current = self.prep, self.state, u.current
        cost = booking_cost(prep, b)
        for joiner in set(b.participants) - set(u.members):  # placing a joiner saves its penalty
            cost -= self._unplaced_weight(Unit(u.typ, (joiner,)))
        for m in b.participants:
            cost += new_counsellor_cost(prep, state.met.get(m, {}), b.counsellor)
        if current is not None:
            cost += change_cost(prep, current.prev_id and not self._same(current, b, class_of),
                                current.anchor and current.anchor != (b.day, b.start),
                                bool(current.anchor) and loses_interpreter(current.was_interpreter, b.interpreter))
        if u.outside is not None:  # moving a session here from another location
            there = state.bookings[u.outside]
            cost += change_cost(prep, there.prev_id, there.anchor)
        return cost

    @staticmethod
    def _same(a: Booking, b: Booking, class_of) -> bool:
        return (a.day, a.start, a.counsellor, class_of.get(a.room), a.mode, a.interpreter, a.interpreter_mode) == \
            (b.day, b.start, b.counsellor, class_of.get(b.room), b.mode, b.interpreter, b.interpreter_mode)

    def _assign_rooms(self, chosen, classes, class_of) -> list[Booking] | None:
        """Concrete rooms by interval colouring per class; a kept session keeps its room."""
        out = []
        busy: dict[tuple, list] = {}
        order = sorted(chosen, key=lambda ub: (ub[1].day, ub[1].start, ub[0].current is None))
        for u, b in order:
            rc = classes[class_of[b.room]]
            keep = b.room if (u.current is not None and self._same(u.current, b, class_of)) else None
            prefs = ([u.current.room] if keep else []) + list(rc.rooms)
            for room in prefs:
                items = busy.setdefault((room, b.day), [])
                if not any(s < b.end and b.start < e for s, e in items) and self.state.room_free(room, b.day, b.start, b.end):
                    items.append((b.start, b.end))
                    prev_id = u.current.prev_id if keep == room and u.current is not None else None
                    anchor = u.current.anchor if u.current is not None else None
                    was = u.current.was_interpreter if u.current is not None else None
                    out.append(replace(b, room=room, prev_id=prev_id, fixed=False, anchor=anchor, was_interpreter=was))
                    break
            else:
                return None  # cannot happen when counts hold; be safe and keep the old window
        return out

