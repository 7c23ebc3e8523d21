"""Recommendation: the best places for one participant's open needs, or for one session to
move, in the plan in force (the instance's ``previous_plan``), moving nothing else.

``recommend(instance, participant="P17")`` or ``recommend(instance, session="S1")`` returns a
``guidance-recommendation/1`` dict (PROBLEM.md additions). Each option's ``sessions`` are
plan-format sessions: new ones (ids ``new-1``, ...), a group of the previous plan the
participant joins, or the moved session under its old id with the same participants.
Replacing or adding them in the previous plan keeps every hard rule.

The previous plan is booked as it stands into the planner's own ``State`` (no rule is
re-checked for it, nothing is re-planned), so every option is searched against what is
really booked, with the constructor's free-window search, and ranked by the planner's
objective (``solver.objective``: ``booking_cost``, ``open_needs_cost``, ``change_cost``,
``continuity_cost``): ``terms["objective"]`` is exactly the change of ``objective.plan_objective``.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .config import SolverConfig, load_config
from .construct import Booking, Constructor, State, booking_from_session, session_from_booking
from .formats import check_clock, clock_minutes, clock_text, format_time, load_instance
from .model_data import prepare
from .objective import (booking_cost, change_cost, continuity_cost, loses_interpreter, open_needs_cost, seat_cost,
                        travel_cost)
from .rules import session_problems
from .model_reasons import final_reason, static_reason

FORMAT = "guidance-recommendation/1"


def recommend(instance: Any, participant: str | None = None, session: str | None = None,
              top: int = 5, session_type: str | None = None, config: Any = None,
              not_before: str | None = None, between: tuple[str, str] | None = None,
              weekdays: list[int] | None = None) -> dict:
    """The ``top`` best options for ``participant``'s open needs (only ``session_type`` when
    given), or for moving ``session`` of the previous plan, best first by the objective.

    ``instance`` is a dict, JSON text, path or ``Instance`` (FormatError on bad input);
    ``config`` the planner's (solver.config; its weights rank, its ``recommend`` limits search).
    ``not_before`` (ISO date) and ``between`` (("HH:MM", "HH:MM"), local time) keep only
    options on or after that day that start and end inside those hours, and ``weekdays`` (ISO
    weekdays, 1 Monday) only on those days: what the participant said they can come to (a language
    course in the mornings, a job on Mondays and Tuesdays).
    Raises ValueError for an unknown participant, session or type, or a malformed wish. When
    nothing fits, ``options`` is empty and ``reason``/``detail`` say why (the plan's unscheduled
    codes, plus ``already_scheduled``, ``session_frozen`` and ``not_as_wished``: options exist,
    none at the time asked for).
    """
    if participant is None and session is None:
        raise ValueError("give a participant or a session to recommend for")
    if not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be a positive whole number, not {top!r}")
    inst = load_instance(instance)
    advisor = _Advisor(inst, load_config(config), _Wish.parse(not_before, between, weekdays))
    if session is not None:
        return advisor.move(session, participant, top)
    return advisor.place(participant, top, session_type)


@dataclass(frozen=True)
class _Wish:
    """When the participant can come: not before a date, inside daily hours (minutes after midnight)."""

    not_before: date | None = None
    start: int = 0
    end: int = 24 * 60
    weekdays: frozenset[int] | None = None   # ISO weekdays; None: any

    @classmethod
    def parse(cls, not_before: str | None, between: tuple[str, str] | None,
              weekdays: list[int] | None = None) -> "_Wish":
        day = None
        if not_before:
            try:
                day = date.fromisoformat(str(not_before))
            except ValueError:
                raise ValueError(f"not_before must be a date like 2027-01-11, not {not_before!r}") from None
        days = None
        if weekdays:
            if not all(isinstance(d, int) and 1 <= d <= 7 for d in weekdays):
                raise ValueError(f"weekdays must be ISO weekdays 1 (Monday) to 7, not {weekdays!r}")
            days = frozenset(weekdays)
        if not between:
            return cls(day, weekdays=days)
        try:
            start, end = (clock_minutes(check_clock(t)) for t in between)
        except (TypeError, ValueError):
            raise ValueError(f"between must be two times like ('12:00', '16:00'), not {between!r}") from None
        if start >= end:
            raise ValueError(f"between must start before it ends, not {between!r}")
        return cls(day, start, end, days)

    @property
    def any(self) -> bool:
        return self.not_before is not None or (self.start, self.end) != (0, 24 * 60) or self.weekdays is not None

    def first_day(self, prep) -> int:
        return 0 if self.not_before is None else bisect.bisect_left(prep.days, self.not_before)

    def allows(self, prep, b: Booking) -> bool:
        return (b.day >= self.first_day(prep) and self.start <= b.start and b.end <= self.end
                and (self.weekdays is None or prep.days[b.day].isoweekday() in self.weekdays))

    def detail(self) -> str:
        parts = []
        if self.not_before is not None:
            parts.append(f"on or after {self.not_before.isoformat()}")
        if (self.start, self.end) != (0, 24 * 60):
            parts.append(f"between {clock_text(self.start)} and {clock_text(self.end)}")
        if self.weekdays is not None:
            parts.append("on ISO weekdays " + ", ".join(str(d) for d in sorted(self.weekdays)))
        return "there are free times, but none " + " and ".join(parts)


class _Advisor:
    """The previous plan booked into a planner state, with the indexes the search needs."""

    def __init__(self, inst, config: SolverConfig, wish: "_Wish | None" = None):
        self.inst = inst
        self.wish = wish or _Wish()
        self.config = config
        self.prep = prep = prepare(inst, config)
        self.limits = config.recommend
        self.state = State(prep)
        self.keys: dict[str, int] = {}            # previous session id -> state key
        self.sessions: dict[str, Any] = {}        # previous session id -> formats.Session
        previous = inst.previous_plan.sessions if inst.previous_plan else []
        for s in previous:
            self.sessions[s.id] = s
            b = booking_from_session(prep, s)
            if b is None:
                continue   # its day or room is gone: it holds nothing in this instance
            b.participants = tuple(m for m in b.participants if m in prep.participants)
            if not b.participants:
                continue
            b.fixed = self._frozen(s)
            self.keys[s.id] = self.state.add(b)
        self.builder = Constructor(prep, self.state)
        self.taken_ids = set(self.sessions)
        self.ids = {key: sid for sid, key in self.keys.items()}   # state key -> previous session id

    def _frozen(self, s) -> bool:
        return bool(self.inst.frozen_until and s.start < self.inst.frozen_until)

    # ------------------------------------------------------------------ participant
    def place(self, pid: str | None, top: int, session_type: str | None) -> dict:
        prep, state = self.prep, self.state
        if pid not in prep.participants:
            raise ValueError(f"unknown participant {pid!r}: not in the instance")
        p = prep.participants[pid]
        if session_type is not None:
            if session_type not in self.inst.session_types:
                raise ValueError(f"unknown session type {session_type!r}: the instance has "
                                 f"{', '.join(sorted(self.inst.session_types))}")
            if session_type not in p.needs:
                raise ValueError(f"participant {pid} does not need a {session_type!r} session")
        out = {"format": FORMAT, "instance": self.inst.name, "participant": pid}
        if session_type is not None:
            out["type"] = session_type
        wanted = [t for t in p.needs if session_type in (None, t)]
        needs = [t for t in wanted if (pid, t) not in state.done]
        if not needs:
            key = state.done[(pid, wanted[0])] if wanted else None
            sid = self.ids.get(key)
            return {**out, "options": [], "reason": "already_scheduled",
                    "detail": f"every session asked for is already in the plan ({sid})" if sid
                    else "the participant needs no session"}
        pools, unplaced = {}, []
        for typ in needs:
            reason = static_reason(prep, pid, typ)
            pool = [] if reason else self._need_candidates(pid, typ, top * self.limits.pool_factor)
            if pool:
                pools[typ] = pool
            else:
                unplaced.append(self._reason(pid, typ, reason))
        options = self._combine(pid, needs, pools, top)
        if not options and len(pools) > 1:
            # No two candidates of different needs fit together (rare: each was found against
            # the plan alone): offer each need on its own, still ranked by the objective.
            alone = [o for typ in pools for o in self._combine(pid, needs, {typ: pools[typ]}, top)]
            options = sorted(alone, key=lambda o: o["terms"]["objective"])[:top]
        out["options"] = [self._option(opt) for opt in options]
        if unplaced:
            out["unplaced"] = unplaced
        if not out["options"]:
            first = unplaced[0] if unplaced else {"reason": "no_capacity_before_deadline",
                                                  "detail": "no combination of the open needs fits"}
            out["reason"], out["detail"] = first["reason"], first["detail"]
            self._unless_wished(out, lambda advisor: advisor.place(pid, 1, session_type))
        return out

    def _unless_wished(self, out: dict, again) -> None:
        """Nothing at the time asked for: say so when the same search without the wish finds
        something (the participant's hours, not the plan, are what leaves nothing)."""
        if self.wish.any and (again(_Advisor(self.inst, self.config))).get("options"):
            out["reason"], out["detail"] = "not_as_wished", self.wish.detail()

    def _reason(self, pid: str, typ: str, reason) -> dict:
        if reason is None:
            if self.inst.session_types[typ].is_group:
                first, last = self.prep.day_range(self.prep.participants[pid])
                reach = set(self.prep.reachable_locations(pid))
                if any(b.type == typ and not b.fixed and first <= b.day <= last and b.location in reach
                       for b in self.state.bookings.values()):
                    # Not the rooms' or counsellors' time: a single booking joins groups, it
                    # does not start one (the next plan forms groups).
                    reason = ("no_group_seat", "every group session this participant could reach on a day "
                              "they can come is full, clashes or lacks their language")
                else:
                    reason = ("group_too_small", "no group session in the plan is at a location this "
                              "participant can reach on a day they can come")
            else:
                reason = final_reason(self.prep, pid, typ, False)
        return {"type": typ, "reason": reason[0], "detail": reason[1]}

    def _need_candidates(self, pid: str, typ: str, pool: int) -> list[tuple[int, Booking, int | None]]:
        """(cost, booking, key of the joined previous session or None), cheapest first."""
        spec = self.inst.session_types[typ]
        found = []
        if spec.is_group:
            found += self._joins(pid, typ)
        if not spec.is_group or (spec.min_size or 1) <= 1:
            found += [(booking_cost(self.prep, b), b, None) for b in self._fresh((pid,), typ, pool)]
        found.sort(key=_order)
        return found

    def _joins(self, pid: str, typ: str) -> list[tuple[int, Booking, int]]:
        """Group sessions of the plan with a free seat this participant may take (every rule
        re-checked with the planner's session_problems); frozen ones are kept exactly."""
        prep, state = self.prep, self.state
        spec = self.inst.session_types[typ]
        first, last = prep.day_range(prep.participants[pid])
        reach = set(prep.reachable_locations(pid))
        out = []
        for key, b in list(state.bookings.items()):
            if (b.type != typ or b.fixed or not first <= b.day <= last or b.location not in reach
                    or len(b.participants) >= (spec.max_size or len(b.participants) + 1)
                    or not self.wish.allows(prep, b)):
                continue
            state.remove(key)
            bigger = replace(b, participants=b.participants + (pid,))
            ok = not session_problems(prep, state, bigger)
            state.add(b, key)
            if ok:
                out.append((seat_cost(prep, pid, b.location, b.mode, b.counsellor), bigger, key))
        return out

    def _fresh(self, members: tuple[str, ...], typ: str, pool: int, exclude: Booking | None = None) -> list[Booking]:
        """New bookings for these members: per location and mode (least travel first) and
        per qualified counsellor, the first free time on each of the earliest ``candidate_days``
        days that have one; the search stops at a location whose travel alone costs more
        than ``pool`` candidates already found, or once ``scan_limit`` x ``pool`` are found."""
        prep, builder = self.prep, self.builder
        group = self.inst.session_types[typ].is_group
        first, last = prep.common_days(members)
        if group:
            options = [(loc, "onsite") for loc in builder.group_locations(members)]
        else:
            options = builder.individual_options(members[0])
        travel = {o: sum(travel_cost(prep, m, o[0], o[1]) for m in members) for o in options}
        options.sort(key=lambda o: (travel[o], o))
        found: list[Booking] = []
        costs: list[int] = []
        for loc, mode in options:
            if sum(c <= travel[(loc, mode)] for c in costs) >= pool or len(costs) >= self.limits.scan_limit * pool:
                break   # (options of equal travel, e.g. video everywhere, never pass the first test)
            for cid, language in builder.counsellor_order(members, loc):
                for b, later in self._first_times(members, typ, loc, mode, first, last, cid, language, exclude):
                    found.append(b)
                    costs.append(booking_cost(prep, b))
                    if later is not None:   # beside the day's first time, not counted against the search's limits
                        found.append(later)
        return found

    def _first_times(self, members, typ, loc, mode, first, last, cid, language, exclude
                     ) -> list[tuple[Booking, Booking | None]]:
        """The first free time with one counsellor on each of the first ``candidate_days`` days
        that have one (the constructor's window search: counsellor, participants, travel
        between locations, interpreters of the language, rooms) and, where that time means a member
        leaves home before ``early_departure_minute``, the day's first time that does not."""
        out = []
        wish, prep, early = self.wish, self.prep, self.limits.early_departure_minute

        def too_early(found: Booking) -> bool:
            return _early(_sets_off(prep, [(m, found) for m in members]), early)

        def skip(found: Booking) -> bool:
            return _same_place(found, exclude) or not wish.allows(prep, found)

        def first_time(day: int, test) -> Booking | None:
            return self.builder.scan(members, typ, loc, mode, day, day, [(cid, language)], skip=test,
                                     keep_interpreter=exclude.interpreter if exclude is not None else None)

        for day in range(max(first, wish.first_day(prep), 0), min(last, len(prep.days) - 1) + 1):
            b = first_time(day, skip)
            if b is None:
                continue
            later = first_time(day, lambda found: skip(found) or too_early(found)) if too_early(b) else None
            out.append((b, later))
            if len(out) >= self.limits.candidate_days:
                break
        return out

    def _combine(self, pid: str, needs: list[str], pools: dict, top: int) -> list[dict]:
        """Options placing every placeable need together (no clash among them), ranked by the
        objective's change, then the most diverse ``top`` of them."""
        types = [t for t in needs if t in pools]
        if not types:
            return []
        width = self.limits.combo_list if len(types) > 1 else len(pools[types[0]])
        lists = [pools[t][:width] for t in types]
        placing_saves = open_needs_cost(self.prep, self.state, pid, types)
        ranked = []
        for combo in itertools.product(*lists):
            bookings = [b for _c, b, _k in combo]
            if len({b.type for b in bookings}) != len(bookings):
                continue
            cost = sum(c for c, _b, _k in combo) - placing_saves
            cost += continuity_cost(self.prep, self._extra_counsellors(pid, {b.counsellor for b in bookings}))
            ranked.append((cost, combo))
        ranked.sort(key=lambda item: (item[0], [_order(c) for c in item[1]]))
        feasible = (self._as_option(cost, combo, pid) for cost, combo in ranked if self._fits_together(combo))
        return _diverse(feasible, top, self.limits.diversity_lookahead, self.limits.early_departure_minute)

    def _extra_counsellors(self, pid: str, new: set[str]) -> int:
        """Change of the continuity term (counsellors beyond the first) for one participant."""
        before = set(self.state.met.get(pid, ()))
        after = before | new
        return max(len(after) - 1, 0) - max(len(before) - 1, 0)

    def _fits_together(self, combo) -> bool:
        """Each booking of a combination keeps every rule with the others booked (they were
        each found against the plan alone)."""
        if len(combo) == 1:
            return True
        state, added, ok = self.state, [], True
        for _cost, b, key in combo:
            old = state.remove(key) if key is not None else None
            if session_problems(self.prep, state, b):
                ok = False
            added.append((state.add(b), old, key))
            if not ok:
                break
        for new_key, old, key in reversed(added):
            state.remove(new_key)
            if old is not None:
                state.add(old, key)
        return ok

    def _as_option(self, cost: int, combo, pid: str) -> dict:
        prep = self.prep
        bookings = [b for _c, b, _k in combo]
        ids, sessions, travel, video, interp, pref = [], [], 0, 0, 0, 0
        for _c, b, key in combo:
            sid = self.ids[key] if key is not None else self._new_id(ids)
            ids.append(sid)
            sessions.append(self._session(sid, b))
            travel += _travel(prep, pid, b)
            if b.mode == "video":
                video += 1
            if key is None:
                interp += _interpreter_nok(prep, b)
            pref += _not_preferred(prep, pid, b)
        terms = {
            "objective": cost,
            "sessions_placed": len(combo),
            "participants_complete": 1 if self._complete_after(pid, bookings) else 0,
            "changes": 0,
            "participant_travel_minutes": travel,
            "video_sessions": video,
            "interpreter_cost_nok": interp,
            "other_counsellors": self._extra_counsellors(pid, {b.counsellor for b in bookings}),
            "same_counsellor": len(set(self.state.met.get(pid, ())) | {b.counsellor for b in bookings}) == 1,
            "preferred_counsellor_missed": pref,
            "date": min(prep.days[b.day] for b in bookings).isoformat(),
        }
        return {"bookings": bookings, "sessions": sessions, "terms": terms,
                "sets_off": _sets_off(prep, [(pid, b) for b in bookings])}

    def _complete_after(self, pid: str, bookings) -> bool:
        placed = {b.type for b in bookings}
        return all(t in placed or (pid, t) in self.state.done for t in self.prep.participants[pid].needs)

    # ------------------------------------------------------------------ session
    def move(self, sid: str, pid: str | None, top: int) -> dict:
        prep, state = self.prep, self.state
        if self.inst.previous_plan is None:
            raise ValueError(f"unknown session {sid!r}: the instance has no previous plan")
        if sid not in self.sessions:
            raise ValueError(f"unknown session {sid!r}: not in the instance's previous plan")
        out = {"format": FORMAT, "instance": self.inst.name, "session": sid}
        if sid not in self.keys:
            s = self.sessions[sid]
            raise ValueError(f"session {sid!r} cannot be moved: its day, room, type or participants "
                             f"({', '.join(s.participants)}) are no longer in the instance")
        if pid is not None and pid not in self.sessions[sid].participants:
            raise ValueError(f"participant {pid!r} is not in session {sid!r}")
        old = state.remove(self.keys[sid])
        try:
            if old.fixed and not session_problems(prep, state, old):
                return {**out, "options": [], "reason": "session_frozen",
                        "detail": f"the session starts before {format_time(self.inst.frozen_until)}, "
                                  "when the plan is frozen, and still keeps every rule"}
            found = self._same_time(old) + self._fresh(old.participants, old.type, top * self.limits.pool_factor, exclude=old)
            ranked = sorted(((self._move_cost(old, b), b) for b in found), key=lambda item: _order(item))
            options = _diverse((self._moved_option(sid, old, b, cost) for cost, b in ranked), top,
                               self.limits.diversity_lookahead, self.limits.early_departure_minute)
        finally:
            state.add(old, self.keys[sid])
        out["options"] = [self._option(opt) for opt in options]
        if not out["options"]:
            reason = final_reason(prep, old.participants[0], old.type, True)
            if self.inst.session_types[old.type].is_group:
                reason = ("no_capacity_before_deadline",
                          "no other time, place or counsellor is free for all its participants together")
            out["reason"], out["detail"] = reason
            self._unless_wished(out, lambda advisor: advisor.move(sid, pid, 1))
        return out

    def _same_time(self, old: Booking) -> list[Booking]:
        """The session at its own time and place with another counsellor, room or interpreter
        (as the planner re-staffs a previous session), so the participants keep their appointment."""
        return [b for b in self.builder.at_time_of(old.participants, old)
                if not _same_place(b, old) and self.wish.allows(self.prep, b)]

    def _move_cost(self, old: Booking, new: Booking) -> int:
        # Another time: the participants lose their appointment, not only its staff.
        retimed = (new.day, new.start) != (old.day, old.start)
        lost = loses_interpreter(old.interpreter, new.interpreter)
        return (booking_cost(self.prep, new) - booking_cost(self.prep, old) + change_cost(self.prep, True, retimed, lost)
                + continuity_cost(self.prep, self._continuity_change(old, new)))

    def _continuity_change(self, old: Booking, new: Booking) -> int:
        """Change of the continuity term over the session's participants (old one taken out)."""
        change = 0
        for m in old.participants:
            rest = set(self.state.met.get(m, ()))
            change += max(len(rest | {new.counsellor}) - 1, 0) - max(len(rest | {old.counsellor}) - 1, 0)
        return change

    def _moved_option(self, sid: str, old: Booking, new: Booking, cost: int) -> dict:
        prep = self.prep
        new = replace(new, prev_id=None, anchor=(old.day, old.start), was_interpreter=old.interpreter)
        terms = {
            "objective": cost,
            "sessions_placed": 0,
            "participants_complete": 0,
            "changes": 1,
            "time_changed": (new.day, new.start) != (old.day, old.start),
            "interpreter_changed": loses_interpreter(old.interpreter, new.interpreter),
            "participant_travel_minutes": sum(_travel(prep, m, new) - _travel(prep, m, old) for m in old.participants),
            "video_sessions": (new.mode == "video") - (old.mode == "video"),
            "interpreter_cost_nok": _interpreter_nok(prep, new) - _interpreter_nok(prep, old),
            "other_counsellors": self._continuity_change(old, new),
            "same_counsellor": all(set(self.state.met.get(m, ())) <= {new.counsellor} for m in old.participants),
            "preferred_counsellor_missed": sum(_not_preferred(prep, m, new) - _not_preferred(prep, m, old)
                                               for m in old.participants),
            "date": prep.days[new.day].isoformat(),
        }
        return {"bookings": [new], "sessions": [self._session(sid, new)], "terms": terms,
                "sets_off": _sets_off(prep, [(m, new) for m in old.participants])}

    # ------------------------------------------------------------------ output
    def _new_id(self, used: list[str]) -> str:
        n = 1
        while f"new-{n}" in self.taken_ids or f"new-{n}" in used:
            n += 1
        return f"new-{n}"

    def _session(self, sid: str, b: Booking) -> dict:
        return session_from_booking(self.prep, b, sid).model_dump(mode="json")

    @staticmethod
    def _option(option: dict) -> dict:
        return {"sessions": option["sessions"], "terms": option["terms"]}


# ---------------------------------------------------------------------- helpers


def _order(candidate) -> tuple:
    """Deterministic order of equal-cost candidates: cost, day, start, counsellor, room."""
    b = candidate[1]
    return (candidate[0], b.day, b.start, b.counsellor, b.location, b.room, b.interpreter or "")


def _same_place(b: Booking, other: Booking | None) -> bool:
    """True when a candidate is the session it should replace, unchanged."""
    return other is not None and (b.day, b.start, b.counsellor, b.location, b.room, b.mode, b.interpreter,
                                  b.interpreter_mode) == (other.day, other.start, other.counsellor,
                                                          other.location, other.room, other.mode,
                                                          other.interpreter, other.interpreter_mode)


def _travel(prep, pid: str, b: Booking) -> int:
    return prep.participant_travel(pid, b.location) if b.mode == "onsite" else 0


def _sets_off(prep, seats) -> int | None:
    """The earliest minute of the day a participant leaves home for one of these (participant, session)
    seats on site; None when nobody travels."""
    times = [b.start - minutes for pid, b in seats if (minutes := _travel(prep, pid, b)) > 0]
    return min(times) if times else None


def _early(sets_off: int | None, early: int) -> bool:
    """Does someone leave home before minute ``early`` of the day (``_sets_off``; None: nobody travels)?"""
    return sets_off is not None and sets_off < early


def _interpreter_nok(prep, b: Booking) -> int:
    if b.interpreter is None:
        return 0
    return prep.interpreter_cost(b.interpreter, b.end - b.start, b.interpreter_mode, b.location)


def _not_preferred(prep, pid: str, b: Booking) -> int:
    pref = prep.participants[pid].preferred_counsellor
    return int(pref is not None and pref != b.counsellor)


# Diversity, in passes over the ranked options: first an option none of whose sessions shares
# its day or its counsellor with a session of the same type in an option already taken; then
# one whose sessions are all at other times or with other counsellors than those taken; then
# any that differs in a time or counsellor at all (never two options that differ only by room
# or interpreter); then any.
def _signature(option: dict) -> list[tuple]:
    return [(b.type, b.day, b.start, b.counsellor, b.location) for b in option["bookings"]]


def _apart(sig, taken) -> bool:
    return all(t[0] != s[0] or (t[1] != s[1] and t[3] != s[3]) for s in sig for other in taken for t in other)


def _all_new(sig, taken) -> bool:
    return all(s not in other for s in sig for other in taken)


_PASSES = (_apart, _all_new, lambda sig, taken: all(sorted(sig) != sorted(t) for t in taken),
           lambda sig, taken: True)


def _nearest(pool: list[dict]) -> int | None:
    """The best-ranked option with the shortest journey for the participants (ties: the better rank)."""
    if not pool:
        return None
    return min(range(len(pool)), key=lambda i: (pool[i]["terms"]["participant_travel_minutes"], i))


def _not_early(pool: list[dict], early: int) -> int | None:
    """When the best option has someone leave home before minute ``early`` of the day: the best-ranked one
    where nobody does (the lead weighs an 08:00 session 86 minutes away against a later one)."""
    if not pool or not _early(pool[0]["sets_off"], early):
        return None
    return next((i for i, option in enumerate(pool) if not _early(option["sets_off"], early)), None)


def _diverse(ranked, top: int, lookahead: int, early: int = 0) -> list[dict]:
    """The ``top`` options to show, best first by cost: the best one, the best of those with the
    shortest journey for the participants (an overdue participant's earliest time may be a long way
    off, and the lead chooses between sooner and nearer) and, when the best means leaving home before
    ``early``, the best that does not; then the best ones that differ most from those already taken
    (see _PASSES)."""
    pool = list(itertools.islice(ranked, lookahead))  # ranked options looked at
    chosen: list[int] = []
    taken: list[tuple] = []
    for index in dict.fromkeys(i for i in (0 if pool else None, _nearest(pool), _not_early(pool, early))
                               if i is not None):
        if len(chosen) < top:
            chosen.append(index)
            taken.append(_signature(pool[index]))
    for accept in _PASSES:
        for index, option in enumerate(pool):
            if len(chosen) >= top:
                break
            if index in chosen:
                continue
            sig = _signature(option)
            if accept(sig, taken):
                chosen.append(index)
                taken.append(sig)
    return [pool[i] for i in sorted(chosen)]


__all__ = ["FORMAT", "recommend"]
