"""Continuity repair (tier 5, solver/README.md "Pipeline" 8): a local search on the finished
plan for participants whose sessions have different counsellors, or not their preferred one.

Every move keeps every hard rule (checked by ``rules.session_problems`` on the planner's
``State``, which mirrors the plan), never drops a session and never touches a protected one:
kept unchanged from ``previous_plan``, kept at its time with another counsellor, or starting
before ``frozen_until``. The moves, tried per participant for each target counsellor (their
other sessions' counsellor, the preferred one first):

a. re-staff the individual session with the target counsellor;
b. swap counsellors with another individual session of the target that day;
c. move it to a free slot of the target (same location, or one no farther), keeping or
   re-booking an interpreter at no higher tier-4 cost;
d. exchange participants with an individual session of the target (same type, mode,
   location and language) when the target is fully booked;
e. transfer the participant to another group of the target with a free seat;
f. trade group seats with a member of such a group who does not lose continuity by it;
g. re-staff a whole group, alone or with its members' individual sessions.

A move is kept when it raises (participants with one counsellor, then participants with
only their preferred one) among those it touches. With
``verify=True`` (default) the result is checked with :func:`solver.check.check_plan`; if it
has more violations than the input, the input plan is returned unchanged.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from . import calendar as cal
from .check import check_plan
from .construct import State, booking_from_session
from .formats import Session, load_instance, load_plan
from .model_data import Prepared, prepare
from .objective import interpreter_booking_cost
from .rules import covered, may_counsel, session_problems

def improve_continuity(instance: Any, plan: Any, deadline_seconds: float | None = None,
                       verify: bool = True, prep: Prepared | None = None) -> Any:
    """A plan with at least as good continuity; same type as ``plan`` (Plan model or dict).

    ``deadline_seconds`` bounds the search (the final verification is not counted); ``prep``:
    the planner's view of the same instance (its configuration prices interpreters, tier 4).
    """
    started = time.monotonic()
    inst = load_instance(instance)
    as_dict = isinstance(plan, dict)
    original = load_plan(plan)
    stop = started + deadline_seconds if deadline_seconds is not None else float("inf")
    repair = _Repair(prep or prepare(inst), original.sessions, stop)
    moves = repair.run()
    if not any(moves.values()):
        return plan
    new_stats = original.stats.model_copy(deep=True)
    setattr(new_stats, "continuity_pass", dict(moves, seconds=round(time.monotonic() - started, 3)))
    repaired = original.model_copy(update={"sessions": repair.sessions, "stats": new_stats})
    if verify:
        after = check_plan(inst, repaired)
        if not after.valid and len(after.violations) > len(check_plan(inst, original).violations):
            return plan
    return repaired.model_dump(mode="json") if as_dict else repaired


def _key(s: Session) -> tuple:
    """What decides whether a participant's need counts as kept from the previous plan."""
    return (s.type, s.start, s.location, s.room, s.mode, s.counsellor, s.interpreter, s.interpreter_mode)


def _time_key(s: Session) -> tuple:
    """A previous session's appointment as the participant sees it: type, time, place, mode."""
    return (s.type, s.start, s.location, s.mode)


class _Repair:
    """The plan's sessions, mirrored in the planner's ``State`` (key = the session's index), so
    every move is checked by the planner's rule check (``rules.session_problems``)."""

    def __init__(self, prep: Prepared, sessions: list[Session], stop: float):
        self.prep = prep
        self.inst = inst = prep.instance
        self.stop = stop
        self.sessions: list[Session] = list(sessions)
        self.state = State(prep, next_key=len(self.sessions))
        self.locs, self.cs, self.ints, self.ps = prep.locations, prep.counsellors, prep.interpreters, prep.participants
        self.tt = prep.travel
        self.slot = inst.slot_minutes
        self.working = set(prep.days)
        self.by_c: dict[tuple[str, date], set[int]] = defaultdict(set)
        self.by_p: dict[str, set[int]] = defaultdict(set)
        self.times: dict[int, tuple[date, int, int]] = {}
        # A session is protected when one of its participants' needs is "kept" from previous_plan
        # (same time, place, room, mode, counsellor, interpreter: changing it would add a change,
        # objective 2; frozen sessions are kept ones), or when it starts before frozen_until.
        # A previous session that kept its time with another counsellor (colleague first, after
        # an absence) is protected too: the participant keeps the appointment (objective 2 ranks
        # above continuity; the planner's weight moved_again).
        previous = inst.previous_plan.sessions if inst.previous_plan else []
        kept = {(pid, _key(s)) for s in previous for pid in s.participants}
        kept_time = {(pid, _time_key(s)) for s in previous for pid in s.participants}
        self.protected = set()
        for idx, s in enumerate(self.sessions):
            if any((pid, _key(s)) in kept or (pid, _time_key(s)) in kept_time for pid in s.participants):
                self.protected.add(idx)
            if inst.frozen_until is not None and s.start < inst.frozen_until:
                self.protected.add(idx)
            if s.type not in inst.session_types or s.location not in self.locs:
                self.protected.add(idx)
            if any(pid not in self.ps for pid in s.participants):
                self.protected.add(idx)
            self._index(idx, add=True)
        self.group_index: dict[str, list[int]] = defaultdict(list)
        for idx, sess in enumerate(self.sessions):
            if sess.type in inst.session_types and inst.session_types[sess.type].is_group:
                self.group_index[sess.type].append(idx)
        self.moves = {"transferred": 0, "restaffed": 0, "swapped": 0, "moved": 0, "groups_restaffed": 0, "preferred": 0,
                      "exchanged": 0, "group_exchanged": 0}

    # ------------------------------------------------------------------ indexes

    def _index(self, idx: int, add: bool) -> None:
        s = self.sessions[idx]
        day = s.start.date()
        if add:
            self.times[idx] = (day, cal.minute_of_day(s.start),
                               cal.minute_of_day(s.start) + int((s.end - s.start).total_seconds() // 60))
        op = set.add if add else set.discard
        op(self.by_c[(s.counsellor, day)], idx)
        for pid in s.participants:
            op(self.by_p[pid], idx)
        b = booking_from_session(self.prep, s) if add else None
        if b is not None:
            self.state.add(b, key=idx)
        elif not add and idx in self.state.bookings:
            self.state.remove(idx)

    def _set(self, idx: int, session: Session) -> None:
        self._index(idx, add=False)
        self.sessions[idx] = session
        self._index(idx, add=True)

    # ------------------------------------------------------------------ rules

    def fits(self, changes: dict[int, Session]) -> bool:
        """Whether the sessions ``changes`` (index -> new session) keep every rule together,
        checked by the planner's rule check against the rest of the plan."""
        state = self.state
        old = {i: state.remove(i) for i in changes if i in state.bookings}
        added = []
        ok = True
        for s in changes.values():
            b = booking_from_session(self.prep, s)
            if b is None or session_problems(self.prep, state, b):
                ok = False
                break
            added.append(state.add(b))
        for key in added:
            state.remove(key)
        for i, b in old.items():
            state.add(b, key=i)
        return ok

    def _day(self, day: date) -> int:
        return self.prep.day_index[day]

    def interpreter_cost(self, iid: str, s: Session) -> int:
        """The planner's tier-4 cost of this interpreter in this session."""
        minutes = self.inst.session_types[s.type].minutes
        return interpreter_booking_cost(self.prep, iid, minutes, s.interpreter_mode, s.location, s.language)

    # ------------------------------------------------------------------ scoring

    def counsellors_of(self, pid: str, override: dict[int, str]) -> set[str]:
        return {override.get(i, self.sessions[i].counsellor) for i in self.by_p[pid]}

    def _sessions_of(self, pid: str) -> list[int]:
        """The participant's sessions in time order."""
        return sorted(self.by_p[pid], key=lambda i: self.times[i])

    def score(self, pids, override: dict[int, str]) -> dict[str, tuple[int, int]]:
        """Per participant: (continuous, preferred honoured) under a counsellor override."""
        out = {}
        for pid in pids:
            who = self.counsellors_of(pid, override)
            cont = int(len(self.by_p[pid]) >= 2 and len(who) == 1)
            pref = self.ps[pid].preferred_counsellor
            out[pid] = (cont, int(pref is not None and who == {pref}))
        return out

    def gain(self, override: dict[int, str], strict_each: bool) -> bool:
        """True when the override improves (continuity, preference) and, if ``strict_each``,
        no participant loses continuity."""
        pids = {pid for idx in override for pid in self.sessions[idx].participants}
        before, after = self.score(pids, {}), self.score(pids, override)
        if strict_each and any(after[p][0] < before[p][0] for p in pids):
            return False
        return _total(after) > _total(before)

    # ------------------------------------------------------------------ the search

    def out_of_time(self) -> bool:
        return time.monotonic() > self.stop

    def run(self) -> dict[str, int]:
        for _ in range(3):
            before = dict(self.moves)
            for pid in list(self.by_p):
                if self.out_of_time():
                    return self.moves
                self.fix_participant(pid)
            self.pass_groups()
            self.pass_groups_compound()
            if self.moves == before:
                break
        return self.moves

    def targets(self, pid: str) -> list[str]:
        """Counsellors worth moving pid's sessions to: others of pid's sessions, then preferred."""
        idxs = self.by_p[pid]
        counts: dict[str, int] = defaultdict(int)
        for i in idxs:
            counts[self.sessions[i].counsellor] += 1
        out = sorted(counts, key=lambda c: (-any(self.sessions[i].counsellor == c and i in self.protected
                                                  for i in idxs),
                                             -any(self._is_group(i) and self.sessions[i].counsellor == c
                                                  for i in idxs),
                                             -counts[c], c))
        pref = self.ps[pid].preferred_counsellor
        if pref is not None and pref not in out:
            out.append(pref)
        elif pref is not None:
            out.remove(pref)
            out.insert(0, pref)
        return out

    def _is_group(self, idx: int) -> bool:
        return self.inst.session_types[self.sessions[idx].type].is_group

    def fix_participant(self, pid: str) -> None:
        who = self.counsellors_of(pid, {})
        pref = self.ps[pid].preferred_counsellor
        if len(who) <= 1 and (pref is None or who == {pref} or not who):
            return
        for target in self.targets(pid):
            if self.out_of_time():
                return
            movable = [i for i in self._sessions_of(pid) if i not in self.protected and not self._is_group(i)
                       and self.sessions[i].counsellor != target]
            if not movable:
                continue
            override = {i: target for i in movable}
            if not self.gain(override, strict_each=True):
                continue
            if all(self.try_restaff(i, target) or self.try_swap(i, target) or self.try_move(i, target)
                   or self.try_exchange(i, target) for i in movable):
                return
        if len(self.counsellors_of(pid, {})) > 1:
            self.try_transfer(pid) or self.try_group_exchange(pid)

    # e. move the participant to another group of the same type with their other counsellor
    def try_transfer(self, pid: str) -> bool:
        """Put ``pid`` into another group (not farther away, a free seat, qualified, covered,
        in the participant's dates, no overlap) whose counsellor then gives ``pid`` one counsellor
        for every session, possibly after re-staffing pid's individual session (rolled back if not)."""
        p = self.ps[pid]
        mine = self._sessions_of(pid)
        g1 = self._only_group(mine)
        if g1 is None:
            return False
        old = self.sessions[g1]
        typ = self.inst.session_types[old.type]
        if len(old.participants) - 1 < (typ.min_size or 1):
            return False
        rest = [i for i in mine if i != g1]
        rest_cs = {self.sessions[i].counsellor for i in rest}
        if not rest:
            return False
        old_travel = self.tt.minutes(p.place, self.locs[old.location].place)
        first, last = self._dates(p)
        for g2 in self.group_index.get(old.type, []):
            if g2 == g1 or g2 in self.protected:
                continue
            new = self.sessions[g2]
            c = self.cs.get(new.counsellor)
            if c is None:
                continue
            direct = rest_cs == {new.counsellor}
            if not direct and not (len(rest_cs) == 1 and any(i not in self.protected and not self._is_group(i)
                                                             for i in rest)):
                continue
            if not first <= self.times[g2][0] <= last or len(new.participants) >= (typ.max_size or 10**6):
                continue   # cheap filters first; the rule check below decides
            if self.tt.minutes(p.place, self.locs[new.location].place) > old_travel:
                continue
            left = old.model_copy(update={"participants": [x for x in old.participants if x != pid]})
            joined = new.model_copy(update={"participants": list(new.participants) + [pid]})
            if not (may_counsel(c, (p,)) and covered(p, c, new.language, new.interpreter)
                    and self.fits({g1: left, g2: joined})):
                continue
            journal = [(g1, old), (g2, new)]
            self._set(g1, left)
            self._set(g2, joined)
            if not direct:
                for i in rest:
                    if len(self.counsellors_of(pid, {})) == 1:
                        break
                    if i in self.protected or self._is_group(i):
                        continue
                    si = self.sessions[i]
                    if self._restaff(i, new.counsellor):
                        journal.append((i, si))
            if len(self.counsellors_of(pid, {})) == 1:
                self.moves["transferred"] += 1
                self.moves["restaffed"] += len(journal) - 2
                return True
            for i, sess in reversed(journal):
                self._set(i, sess)
        return False

    # f. trade places with a member of a group of the participant's other counsellor
    def try_group_exchange(self, pid: str) -> bool:
        """When the groups of pid's other counsellor are full, pid trades places with one of
        their members at the same location (so nobody travels farther) who does not lose
        continuity by it: a member whose other sessions are with pid's group counsellor gains
        too; one with the group session only is indifferent."""
        mine = self._sessions_of(pid)
        g1 = self._only_group(mine)
        if g1 is None:
            return False
        rest_cs = {self.sessions[i].counsellor for i in mine if i != g1}
        if len(rest_cs) != 1:
            return False
        target = next(iter(rest_cs))
        old = self.sessions[g1]
        for g2 in self.group_index.get(old.type, []):
            new = self.sessions[g2]
            if g2 == g1 or g2 in self.protected or new.counsellor != target or new.location != old.location:
                continue
            if not self._may_join(pid, new, g2):
                continue
            for other in sorted(new.participants):
                here = old.model_copy(update={"participants": [other if x == pid else x for x in old.participants]})
                there = new.model_copy(update={"participants": [pid if x == other else x for x in new.participants]})
                if not self._may_join(other, old, g1) or not self.fits({g1: here, g2: there}):
                    continue
                journal = [(g1, old), (g2, new)]
                before = self.score([pid, other], {})
                self._set(g1, here)
                self._set(g2, there)
                after = self.score([pid, other], {})
                if after[pid][0] > before[pid][0] and after[other][0] >= before[other][0]:
                    self.moves["group_exchanged"] += 1
                    return True
                for i, sess in reversed(journal):
                    self._set(i, sess)
        return False

    def _only_group(self, mine: list[int]) -> int | None:
        """The participant's one group session among ``mine``, if it exists and may move."""
        groups = [i for i in mine if self._is_group(i)]
        return groups[0] if len(groups) == 1 and groups[0] not in self.protected else None

    def _may_join(self, pid: str, group: Session, idx: int) -> bool:
        """Cheap filters for pid taking a seat in ``group``: dates, rules 4 and 5 (``fits`` decides)."""
        p = self.ps[pid]
        c = self.cs.get(group.counsellor)
        return (c is not None and self.times[idx][0] in self._days_of(p) and may_counsel(c, (p,))
                and covered(p, c, group.language, group.interpreter))

    # a. re-staff in place
    def try_restaff(self, idx: int, cid: str) -> bool:
        pref_only = len(self.counsellors_of(self.sessions[idx].participants[0], {})) <= 1
        if not self._restaff(idx, cid):
            return False
        self.moves["preferred" if pref_only else "restaffed"] += 1
        return True

    def _restaff(self, idx: int, cid: str) -> bool:
        """Session ``idx`` with counsellor ``cid``, if every rule holds."""
        new = self.sessions[idx].model_copy(update={"counsellor": cid})
        if not self.fits({idx: new}):
            return False
        self._set(idx, new)
        return True

    # b. swap with another individual session of the target counsellor that day
    def try_swap(self, idx: int, cid: str) -> bool:
        s = self.sessions[idx]
        day, smin, emin = self.times[idx]
        mine = s.counsellor
        c = self.cs.get(cid)
        if c is None or not self.prep.works_there(cid, s.location, self._day(day)) \
                or not cal.contains(self.prep.cons_windows[cid][self._day(day)], smin, emin):
            return False
        for other in sorted(self.by_c[(cid, day)]):
            if other == idx or other in self.protected or self._is_group(other):
                continue
            if not self.gain({idx: cid, other: mine}, strict_each=True):
                continue
            changes = {idx: s.model_copy(update={"counsellor": cid}),
                       other: self.sessions[other].model_copy(update={"counsellor": mine})}
            if self.fits(changes):
                for i, new in changes.items():
                    self._set(i, new)
                self.moves["swapped"] += 1
                return True
        return False

    # c. move to another slot (same location and mode) where the target counsellor is free
    def try_move(self, idx: int, cid: str) -> bool:
        """Same location first; then another location of ``cid`` that is no farther for the
        participant (any location with a video room for a video session)."""
        s = self.sessions[idx]
        c = self.cs.get(cid)
        if c is None or len(s.participants) != 1:
            return False
        p = self.ps[s.participants[0]]
        here = self.tt.minutes(p.place, self.locs[s.location].place)
        old_cost = self.interpreter_cost(s.interpreter, s) if s.interpreter in self.ints else None
        locations = [s.location] if s.location in c.locations else []
        locations += sorted((loc for loc in c.locations if loc != s.location and loc in self.locs
                             and (s.mode == "video" or self.tt.minutes(p.place, self.locs[loc].place) <= here)),
                            key=lambda loc: (self.tt.minutes(p.place, self.locs[loc].place), loc))
        return any(self._move_at(idx, cid, loc, old_cost) for loc in locations)

    def _move_at(self, idx: int, cid: str, loc: str, old_cost) -> bool:
        s0 = self.sessions[idx]
        s = s0 if loc == s0.location else s0.model_copy(update={"location": loc})
        c = self.cs[cid]
        p = self.ps[s.participants[0]]
        day0, smin0, emin0 = self.times[idx]
        duration = emin0 - smin0
        frozen_until = self.inst.frozen_until
        days = sorted(self._days_of(p), key=lambda d: (abs((d - day0).days), d))
        if not days:
            return False
        need_video = s.mode == "video" or s.interpreter_mode == "video"
        rooms = [r for r in self.locs[s.location].rooms
                 if r.capacity >= len(s.participants) and (r.video or not need_video)]
        rooms.sort(key=lambda r: (r.id != s.room, r.capacity, r.id))
        if not rooms or not (may_counsel(c, (p,)) and covered(p, c, s.language, s.interpreter)):
            return False
        own = self.state.remove(idx)   # its old time, room and interpreter are free to take
        try:
            for day in days:
                if self.out_of_time():
                    return False
                if len([o for o in self.by_c[(cid, day)] if o != idx]) + 1 > c.max_sessions_per_day:
                    continue
                d = self._day(day)
                p_other = [o for o in self.by_p[p.id] if o != idx]
                # Opening hours, the counsellor's hours and other sessions with travel (rule 3).
                for smin in cal.grid_starts(self.state.counsellor_free(cid, d, loc), duration, self.slot):
                    emin = smin + duration
                    if (day, smin) == (day0, smin0) and loc == s0.location:
                        continue
                    if frozen_until is not None and cal.at_minute(day, smin) < frozen_until:
                        continue
                    if any(self.times[o][0] == day and self.times[o][1] < emin and smin < self.times[o][2]
                           for o in p_other):
                        continue
                    room = next((r.id for r in rooms if self.state.room_free(r.id, d, smin, emin)), None)
                    if room is None:
                        continue
                    interp = s.interpreter
                    if interp is not None:
                        interp = self._interpreter_for(s, d, smin, emin, old_cost)
                        if interp is None:
                            continue
                    start = cal.at_minute(day, smin)
                    new = s.model_copy(update={"counsellor": cid, "room": room, "start": start, "interpreter": interp,
                                               "end": start + timedelta(minutes=duration)})
                    if self.fits({idx: new}):
                        self._set(idx, new)
                        self.moves["moved"] += 1
                        return True
        finally:
            if idx not in self.state.bookings:
                self.state.add(own, key=idx)
        return False

    # d. exchange participants with an individual session of the target counsellor
    def try_exchange(self, idx: int, cid: str) -> bool:
        """Swap the participants of two individual sessions of the same type, mode, location and
        interpreted language, one of them with ``cid``: when every counsellor is fully booked
        (a crunch) no slot is free to restaff or move into, but two participants can trade
        places when that gains continuity and neither loses it. Times, rooms, counsellors and
        interpreters stay where they are, so only the participants' own rules are re-checked."""
        s = self.sessions[idx]
        if len(s.participants) != 1 or cid not in self.cs or s.location not in self.cs[cid].locations:
            return False
        x = self.ps[s.participants[0]]
        day_x = self.times[idx][0]
        for day in sorted(self._days_of(x)):
            for other in sorted(self.by_c[(cid, day)]):
                o = self.sessions[other]
                if (other == idx or other in self.protected or len(o.participants) != 1
                        or (o.type, o.mode, o.location, o.language) != (s.type, s.mode, s.location, s.language)):
                    continue
                y = self.ps[o.participants[0]]
                if day_x not in self._days_of(y) or not self.gain({idx: cid, other: s.counsellor}, strict_each=True):
                    continue
                x_there = o.model_copy(update={"participants": [x.id]})
                y_here = s.model_copy(update={"participants": [y.id]})
                if not self.fits({other: x_there, idx: y_here}):
                    continue
                self._set(other, x_there)
                self._set(idx, y_here)
                self.moves["exchanged"] += 1
                return True
        return False

    def _dates(self, p) -> tuple[date, date]:
        """The participant's first and last possible date within the horizon."""
        horizon = self.inst.horizon
        first = max(horizon.start, p.earliest or horizon.start, self.inst.new_sessions_from or horizon.start)
        return first, min(horizon.end, p.deadline or horizon.end)

    def _days_of(self, p) -> set[date]:
        """The participant's possible working days."""
        first, last = self._dates(p)
        return {first + timedelta(days=k) for k in range((last - first).days + 1)} & self.working

    def _interpreter_for(self, s: Session, d: int, smin: int, emin: int, old_cost) -> str | None:
        """Its own interpreter if free then and no dearer, else the cheapest free one no dearer
        (the session itself is out of the state)."""
        def free(iid: str) -> bool:
            return self.state.interpreter_ok(iid, d, smin, emin, s.location, s.interpreter_mode)

        if s.interpreter in self.ints and s.language in self.ints[s.interpreter].languages \
                and s.interpreter_mode in self.ints[s.interpreter].modes and free(s.interpreter) \
                and (old_cost is None or self.interpreter_cost(s.interpreter, s) <= old_cost):
            return s.interpreter
        best = None
        for iid, i in self.ints.items():
            if s.language not in i.languages or s.interpreter_mode not in i.modes:
                continue
            cost = self.interpreter_cost(iid, s)
            if old_cost is not None and cost > old_cost:
                continue
            if (best is None or cost < best[0]) and free(iid):
                best = (cost, iid)
        return best[1] if best else None

    # g. re-staff whole groups
    def pass_groups(self) -> None:
        for idx in range(len(self.sessions)):
            if self.out_of_time():
                return
            if idx in self.protected or not self._is_group(idx):
                continue
            s = self.sessions[idx]
            counts: dict[str, int] = defaultdict(int)
            for pid in s.participants:
                for o in self.by_p[pid]:
                    if o != idx and self.sessions[o].counsellor != s.counsellor:
                        counts[self.sessions[o].counsellor] += 1
            for cid in sorted(counts, key=lambda c: (-counts[c], c)):
                if self.gain({idx: cid}, strict_each=False) and self._restaff(idx, cid):
                    self.moves["groups_restaffed"] += 1
                    break

    # g. re-staff a group and its members' individual sessions together
    def pass_groups_compound(self) -> None:
        """For each group, try a counsellor C at its location: the group goes to C, then each
        member's individual sessions go to C where C is free (re-staff or swap); kept only when
        continuity (then preference) improves overall, else rolled back."""
        for idx in range(len(self.sessions)):
            if self.out_of_time():
                return
            if idx in self.protected or not self._is_group(idx):
                continue
            g = self.sessions[idx]
            members = list(g.participants)
            if all(len(self.counsellors_of(pid, {})) <= 1 for pid in members):
                continue
            counts: dict[str, int] = defaultdict(int)
            for pid in members:
                for o in self.by_p[pid]:
                    counts[self.sessions[o].counsellor] += 1
            day, smin, emin = self.times[idx]
            candidates = [c.id for c in self.inst.counsellors
                          if c.id != g.counsellor and self.prep.works_there(c.id, g.location, self._day(day))
                          and cal.contains(self.prep.cons_windows[c.id][self._day(day)], smin, emin)]
            candidates.sort(key=lambda c: (-counts.get(c, 0), c))
            for cid in candidates[:8]:
                if self._compound(idx, cid, members):
                    break

    def _compound(self, idx: int, cid: str, members: list[str]) -> bool:
        g = self.sessions[idx]
        touched = {pid for pid in members}
        before = self.score(touched, {})
        if not self._restaff(idx, cid):
            return False
        journal: list[tuple[int, Session]] = [(idx, g)]
        saved = dict(self.moves)
        for pid in members:
            for o in self._sessions_of(pid):
                if o == idx or o in self.protected or self._is_group(o) or self.sessions[o].counsellor == cid:
                    continue
                so = self.sessions[o]
                if self._restaff(o, cid):
                    journal.append((o, so))
        if _total(self.score(touched, {})) > _total(before):
            self.moves = saved
            self.moves["groups_restaffed"] += 1
            self.moves["restaffed"] += len(journal) - 1
            return True
        for i, old in reversed(journal):
            self._set(i, old)
        self.moves = saved
        return False


def _total(scores: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(participants continuous, participants with their preferred counsellor only) of a score."""
    return sum(v[0] for v in scores.values()), sum(v[1] for v in scores.values())
