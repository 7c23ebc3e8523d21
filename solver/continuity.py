"""Continuity repair: the same counsellor for a participant's sessions (PROBLEM.md objective 5).

``improve_continuity(instance, plan)`` is a local search run after the planner. It only ever
re-staffs or re-times sessions in ways that keep every hard rule (1-10), never drops a session
and never touches a session that a participant keeps unchanged from ``previous_plan`` nor one
starting before ``frozen_until`` (so frozen sessions stay exactly as they are and objective 2,
fewer changes, is not made worse; sessions already moved or re-staffed may change again).

Moves, tried per participant whose sessions have different counsellors:

a. re-staff the participant's individual session with the counsellor of their other session;
b. swap counsellors between that individual session and another individual session of the
   target counsellor on the same day, when no participant loses continuity and one gains;
c. move the individual session (same location, mode, room type) to another free slot where
   the target counsellor is free, keeping or re-booking an interpreter at no higher cost;
d. re-staff a whole group to the counsellor who has most of its members' other sessions,
   when that makes more members continuous than it breaks.

Participants with a ``preferred_counsellor`` and one counsellor only get their sessions
re-staffed to the preferred one when it is free (tie-breaker after continuity).

Every move is validated locally against the rules it can affect (indexes per counsellor,
room, interpreter and day). With ``verify=True`` (default) the result is checked with
:func:`solver.check.check_plan` at the end; if the repaired plan has more violations than the
input, the input plan is returned unchanged.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from . import calendar as cal
from .check import check_plan
from .formats import Instance, Plan, Session, load_instance, load_plan
from .objective import Weights, interpreter_tier4
from .rules import covered, may_counsel
from .travel import TravelTable

def improve_continuity(instance: Any, plan: Any, deadline_seconds: float | None = None,
                       verify: bool = True, weights: Weights | None = None) -> Any:
    """A plan with at least as good continuity; same type as ``plan`` (Plan model or dict).

    ``deadline_seconds`` bounds the search (the final verification is not counted);
    ``weights``: the objective's, for the interpreter cost a move may not raise (tier 4).
    """
    started = time.monotonic()
    inst = load_instance(instance)
    as_dict = isinstance(plan, dict)
    original = load_plan(plan)
    stop = started + deadline_seconds if deadline_seconds is not None else float("inf")
    repair = _Repair(inst, original.sessions, stop, weights or Weights())
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
    """Mutable plan state with indexes, rule checks and the moves."""

    def __init__(self, inst: Instance, sessions: list[Session], stop: float, weights: Weights):
        self.inst = inst
        self.weights = weights
        self.stop = stop
        self.sessions: list[Session] = list(sessions)
        self.locs = inst.locations_by_id()
        self.rooms = inst.rooms_by_id()
        self.cs = inst.counsellors_by_id()
        self.ints = inst.interpreters_by_id()
        self.ps = inst.participants_by_id()
        self.tt = TravelTable(inst)
        self.slot = inst.slot_minutes
        self.working = set(cal.working_days(inst))
        self._win: dict[tuple, list] = {}
        self.by_c: dict[tuple[str, date], set[int]] = defaultdict(set)
        self.by_r: dict[tuple[str, date], set[int]] = defaultdict(set)
        self.by_i: dict[tuple[str, date], set[int]] = defaultdict(set)
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
        op(self.by_r[(s.room, day)], idx)
        if s.interpreter is not None:
            op(self.by_i[(s.interpreter, day)], idx)
        for pid in s.participants:
            op(self.by_p[pid], idx)

    def _replace(self, idx: int, **update) -> None:
        self._set(idx, self.sessions[idx].model_copy(update=update))

    def _set(self, idx: int, session: Session) -> None:
        self._index(idx, add=False)
        self.sessions[idx] = session
        self._index(idx, add=True)

    # ------------------------------------------------------------------ availability

    def cwin(self, cid: str, day: date) -> list:
        key = ("c", cid, day)
        if key not in self._win:
            self._win[key] = cal.weekly_windows(self.cs[cid], day)
        return self._win[key]

    def iwin(self, iid: str, day: date) -> list:
        key = ("i", iid, day)
        if key not in self._win:
            self._win[key] = cal.weekly_windows(self.ints[iid], day)
        return self._win[key]

    def lwin(self, loc: str, day: date) -> list:
        key = ("l", loc, day)
        if key not in self._win:
            self._win[key] = cal.location_windows(self.locs[loc], day) if day in self.working else []
        return self._win[key]

    def loc_travel(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return self.tt.minutes(self.locs[a].place, self.locs[b].place)

    def _clash(self, others, smin: int, emin: int, loc: str, travels, self_travels: bool = True) -> bool:
        """Overlap with any of ``others``, or too little travel time to/from them."""
        for o in others:
            _, os_, oe = self.times[o]
            if os_ < emin and smin < oe:
                return True
            other = self.sessions[o]
            if not self_travels or not travels(other) or other.location == loc:
                continue
            need = self.loc_travel(other.location, loc)
            gap = smin - oe if oe <= smin else os_ - emin
            if gap < need:
                return True
        return False

    def counsellor_ok(self, cid: str, s: Session, day: date, smin: int, emin: int,
                      ignore: set[int]) -> bool:
        """Rules 3, 4 and 5 for counsellor ``cid`` taking session ``s`` at (day, smin..emin)."""
        c = self.cs.get(cid)
        if c is None or s.location not in c.locations:
            return False
        if not cal.contains(self.cwin(cid, day), smin, emin):
            return False
        others = [o for o in self.by_c[(cid, day)] if o not in ignore]
        if len(others) + 1 > c.max_sessions_per_day:
            return False
        for pid in s.participants:
            p = self.ps[pid]
            if not may_counsel(c, (p,)):
                return False
            if not covered(p, c, s.language, s.interpreter):
                return False
        return not self._clash(others, smin, emin, s.location, lambda o: True)

    def interpreter_ok(self, iid: str, s: Session, day: date, smin: int, emin: int,
                       ignore: set[int]) -> bool:
        """Rule 6 for interpreter ``iid`` in session ``s`` (language and mode as in ``s``)."""
        i = self.ints.get(iid)
        if i is None or s.language not in i.languages or s.interpreter_mode not in i.modes:
            return False
        if not cal.contains(self.iwin(iid, day), smin, emin):
            return False
        others = [o for o in self.by_i[(iid, day)] if o not in ignore]
        return not self._clash(others, smin, emin, s.location,
                               lambda o: o.interpreter_mode == "onsite",
                               self_travels=s.interpreter_mode == "onsite")

    def interpreter_cost(self, iid: str, s: Session) -> int:
        """The planner's tier-4 cost of this interpreter in this session (objective.interpreter_tier4)."""
        i = self.ints[iid]
        minutes = self.inst.session_types[s.type].minutes
        one_way = self.tt.minutes(i.place, self.locs[s.location].place) if s.interpreter_mode == "onsite" else 0
        return interpreter_tier4(self.weights, i, minutes, one_way, s.language)

    # ------------------------------------------------------------------ scoring

    def counsellors_of(self, pid: str, override: dict[int, str]) -> set[str]:
        return {override.get(i, self.sessions[i].counsellor) for i in self.by_p[pid]}

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
        b = (sum(v[0] for v in before.values()), sum(v[1] for v in before.values()))
        a = (sum(v[0] for v in after.values()), sum(v[1] for v in after.values()))
        return a > b

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
            movable = [i for i in sorted(self.by_p[pid], key=lambda i: self.times[i])
                       if i not in self.protected and not self._is_group(i)
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

    # f. move the participant to another group of the same type with their other counsellor
    def try_transfer(self, pid: str) -> bool:
        """Put ``pid`` into another group (not farther away, a free seat, qualified, covered,
        in the participant's dates, no overlap) whose counsellor then gives ``pid`` one counsellor
        for every session, possibly after re-staffing pid's individual session (rolled back if not)."""
        p = self.ps[pid]
        mine = sorted(self.by_p[pid], key=lambda i: self.times[i])
        groups = [i for i in mine if self._is_group(i)]
        if len(groups) != 1 or groups[0] in self.protected:
            return False
        g1 = groups[0]
        old = self.sessions[g1]
        typ = self.inst.session_types[old.type]
        if len(old.participants) - 1 < (typ.min_size or 1):
            return False
        rest = [i for i in mine if i != g1]
        rest_cs = {self.sessions[i].counsellor for i in rest}
        if not rest:
            return False
        old_travel = self.tt.minutes(p.place, self.locs[old.location].place)
        first = max(self.inst.horizon.start, p.earliest or self.inst.horizon.start)
        last = min(self.inst.horizon.end, p.deadline or self.inst.horizon.end)
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
            day, smin, emin = self.times[g2]
            if not first <= day <= last or len(new.participants) >= (typ.max_size or len(new.participants) + 1):
                continue
            if self.rooms[new.room][1].capacity < len(new.participants) + 1:
                continue
            if self.tt.minutes(p.place, self.locs[new.location].place) > old_travel:
                continue
            if not may_counsel(c, (p,)):
                continue
            if not covered(p, c, new.language, new.interpreter):
                continue
            if any(self.times[o][0] == day and self.times[o][1] < emin and smin < self.times[o][2]
                   for o in rest):
                continue
            journal = [(g1, old), (g2, new)]
            self._replace(g1, participants=[x for x in old.participants if x != pid])
            self._replace(g2, participants=list(new.participants) + [pid])
            if not direct:
                for i in rest:
                    if len(self.counsellors_of(pid, {})) == 1:
                        break
                    if i in self.protected or self._is_group(i):
                        continue
                    si = self.sessions[i]
                    di, si_s, si_e = self.times[i]
                    if self.counsellor_ok(new.counsellor, si, di, si_s, si_e, {i}):
                        journal.append((i, si))
                        self._replace(i, counsellor=new.counsellor)
            if len(self.counsellors_of(pid, {})) == 1:
                self.moves["transferred"] += 1
                self.moves["restaffed"] += len(journal) - 2
                return True
            for i, sess in reversed(journal):
                self._set(i, sess)
        return False

    # g. trade places with a member of a group of the participant's other counsellor
    def try_group_exchange(self, pid: str) -> bool:
        """When the groups of pid's other counsellor are full, pid trades places with one of
        their members at the same location (so nobody travels farther) who does not lose
        continuity by it: a member whose other sessions are with pid's group counsellor gains
        too; one with the group session only is indifferent."""
        mine = sorted(self.by_p[pid], key=lambda i: self.times[i])
        groups = [i for i in mine if self._is_group(i)]
        if len(groups) != 1 or groups[0] in self.protected:
            return False
        g1 = groups[0]
        rest_cs = {self.sessions[i].counsellor for i in mine if i != g1}
        if len(rest_cs) != 1:
            return False
        target = next(iter(rest_cs))
        old = self.sessions[g1]
        for g2 in self.group_index.get(old.type, []):
            new = self.sessions[g2]
            if g2 == g1 or g2 in self.protected or new.counsellor != target or new.location != old.location:
                continue
            if not self._may_join(pid, new, g2, {g1}):
                continue
            for other in sorted(new.participants):
                if not self._may_join(other, old, g1, {g2}):
                    continue
                journal = [(g1, old), (g2, new)]
                before = self.score([pid, other], {})
                self._replace(g1, participants=[other if x == pid else x for x in old.participants])
                self._replace(g2, participants=[pid if x == other else x for x in new.participants])
                after = self.score([pid, other], {})
                if after[pid][0] > before[pid][0] and after[other][0] >= before[other][0]:
                    self.moves["group_exchanged"] += 1
                    return True
                for i, sess in reversed(journal):
                    self._set(i, sess)
        return False

    def _may_join(self, pid: str, group: Session, idx: int, leaving: set[int]) -> bool:
        """Rules 2, 4, 5 for pid taking a seat in ``group`` (its time, counsellor, language)."""
        p = self.ps[pid]
        c = self.cs.get(group.counsellor)
        day, smin, emin = self.times[idx]
        if c is None or day not in self._days_of(p):
            return False
        if not may_counsel(c, (p,)):
            return False
        if not covered(p, c, group.language, group.interpreter):
            return False
        return self._participant_free(pid, day, smin, emin, leaving | {idx})

    # a. re-staff in place
    def try_restaff(self, idx: int, cid: str) -> bool:
        s = self.sessions[idx]
        day, smin, emin = self.times[idx]
        if not self.counsellor_ok(cid, s, day, smin, emin, {idx}):
            return False
        pref_only = len(self.counsellors_of(s.participants[0], {})) <= 1
        self._replace(idx, counsellor=cid)
        self.moves["preferred" if pref_only else "restaffed"] += 1
        return True

    # b. swap with another individual session of the target counsellor that day
    def try_swap(self, idx: int, cid: str) -> bool:
        s = self.sessions[idx]
        day, smin, emin = self.times[idx]
        mine = s.counsellor
        c = self.cs.get(cid)
        if c is None or s.location not in c.locations or not cal.contains(self.cwin(cid, day), smin, emin):
            return False
        for other in sorted(self.by_c[(cid, day)]):
            if other == idx or other in self.protected or self._is_group(other):
                continue
            if not self.gain({idx: cid, other: mine}, strict_each=True):
                continue
            o = self.sessions[other]
            od, os_, oe = self.times[other]
            if self.counsellor_ok(cid, s, day, smin, emin, {idx, other}) and \
                    self.counsellor_ok(mine, o, od, os_, oe, {idx, other}):
                self._replace(idx, counsellor=cid)
                self._replace(other, counsellor=mine)
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
        first = max(self.inst.horizon.start, p.earliest or self.inst.horizon.start)
        last = min(self.inst.horizon.end, p.deadline or self.inst.horizon.end)
        if last < first:
            return False
        frozen_until = self.inst.frozen_until
        days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
        days = [d for d in days if d in self.working]
        days.sort(key=lambda d: (abs((d - day0).days), d))
        need_video = s.mode == "video" or s.interpreter_mode == "video"
        rooms = [r for r in self.locs[s.location].rooms
                 if r.capacity >= len(s.participants) and (r.video or not need_video)]
        rooms.sort(key=lambda r: (r.id != s.room, r.capacity, r.id))
        if not rooms:
            return False
        for day in days:
            if self.out_of_time():
                return False
            if len([o for o in self.by_c[(cid, day)] if o != idx]) + 1 > c.max_sessions_per_day:
                continue
            windows = cal.intersect_windows(self.lwin(s.location, day), self.cwin(cid, day))
            if not windows:
                continue
            p_other = [o for o in self.by_p[p.id] if o != idx]
            for smin in cal.grid_starts(windows, duration, self.slot):
                emin = smin + duration
                if (day, smin) == (day0, smin0) and loc == s0.location:
                    continue
                if frozen_until is not None and cal.at_minute(day, smin) < frozen_until:
                    continue
                if any(self.times[o][0] == day and self.times[o][1] < emin and smin < self.times[o][2]
                       for o in p_other):
                    continue
                if not self.counsellor_ok(cid, s, day, smin, emin, {idx}):
                    continue
                room = next((r.id for r in rooms if not self._clash(
                    [o for o in self.by_r[(r.id, day)] if o != idx], smin, emin, s.location,
                    lambda o: False)), None)
                if room is None:
                    continue
                interp = s.interpreter
                if interp is not None:
                    interp = self._interpreter_for(s, day, smin, emin, idx, old_cost)
                    if interp is None:
                        continue
                start = cal.at_minute(day, smin)
                self._replace(idx, counsellor=cid, location=loc, room=room, start=start,
                              end=start + timedelta(minutes=duration), interpreter=interp)
                self.moves["moved"] += 1
                return True
        return False

    # e. exchange participants with an individual session of the target counsellor
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
        day_x, smin_x, emin_x = self.times[idx]
        for day in sorted(self._days_of(x)):
            for other in sorted(self.by_c[(cid, day)]):
                o = self.sessions[other]
                if (other == idx or other in self.protected or len(o.participants) != 1
                        or (o.type, o.mode, o.location, o.language) != (s.type, s.mode, s.location, s.language)):
                    continue
                y = self.ps[o.participants[0]]
                if day_x not in self._days_of(y) or not self.gain({idx: cid, other: s.counsellor}, strict_each=True):
                    continue
                _d, smin_o, emin_o = self.times[other]
                x_there = o.model_copy(update={"participants": [x.id]})
                y_here = s.model_copy(update={"participants": [y.id]})
                if not (self._participant_free(x.id, day, smin_o, emin_o, {idx, other})
                        and self._participant_free(y.id, day_x, smin_x, emin_x, {idx, other})
                        and self.counsellor_ok(cid, x_there, day, smin_o, emin_o, {other})
                        and self.counsellor_ok(s.counsellor, y_here, day_x, smin_x, emin_x, {idx})):
                    continue
                self._set(other, x_there)
                self._set(idx, y_here)
                self.moves["exchanged"] += 1
                return True
        return False

    def _days_of(self, p) -> set[date]:
        first = max(self.inst.horizon.start, p.earliest or self.inst.horizon.start)
        last = min(self.inst.horizon.end, p.deadline or self.inst.horizon.end)
        return {first + timedelta(days=k) for k in range((last - first).days + 1)} & self.working

    def _participant_free(self, pid: str, day: date, smin: int, emin: int, ignore: set[int]) -> bool:
        """Rule 2: none of the participant's other sessions overlaps (travel between a
        participant's own sessions is theirs to make, as in the checker)."""
        return not any(self.times[o][0] == day and self.times[o][1] < emin and smin < self.times[o][2]
                       for o in self.by_p[pid] if o not in ignore)

    def _interpreter_for(self, s: Session, day: date, smin: int, emin: int, idx: int,
                         old_cost) -> str | None:
        if s.interpreter in self.ints and self.interpreter_ok(s.interpreter, s, day, smin, emin, {idx}) \
                and (old_cost is None or self.interpreter_cost(s.interpreter, s) <= old_cost):
            return s.interpreter
        best = None
        for iid, i in self.ints.items():
            if s.language not in i.languages or s.interpreter_mode not in i.modes:
                continue
            cost = self.interpreter_cost(iid, s)
            if old_cost is not None and cost > old_cost:
                continue
            if (best is None or cost < best[0]) and self.interpreter_ok(iid, s, day, smin, emin, {idx}):
                best = (cost, iid)
        return best[1] if best else None

    # d. re-staff whole groups
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
            day, smin, emin = self.times[idx]
            for cid in sorted(counts, key=lambda c: (-counts[c], c)):
                if not self.gain({idx: cid}, strict_each=False):
                    continue
                if self.counsellor_ok(cid, s, day, smin, emin, {idx}):
                    self._replace(idx, counsellor=cid)
                    self.moves["groups_restaffed"] += 1
                    break

    # e. re-staff a group and its members' individual sessions together
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
                          if c.id != g.counsellor and g.location in c.locations
                          and cal.contains(self.cwin(c.id, day), smin, emin)]
            candidates.sort(key=lambda c: (-counts.get(c, 0), c))
            for cid in candidates[:8]:
                if self._compound(idx, cid, members):
                    break

    def _compound(self, idx: int, cid: str, members: list[str]) -> bool:
        g = self.sessions[idx]
        day, smin, emin = self.times[idx]
        if not self.counsellor_ok(cid, g, day, smin, emin, {idx}):
            return False
        touched = {pid for pid in members}
        journal: list[tuple[int, Session]] = [(idx, g)]
        before = self.score(touched, {})
        self._replace(idx, counsellor=cid)
        saved = dict(self.moves)
        for pid in members:
            for o in sorted(self.by_p[pid], key=lambda i: self.times[i]):
                if o == idx or o in self.protected or self._is_group(o) or self.sessions[o].counsellor == cid:
                    continue
                od, os_, oe = self.times[o]
                so = self.sessions[o]
                if self.counsellor_ok(cid, so, od, os_, oe, {o}):
                    journal.append((o, so))
                    self._replace(o, counsellor=cid)
        after = self.score(touched, {})
        b = (sum(v[0] for v in before.values()), sum(v[1] for v in before.values()))
        a = (sum(v[0] for v in after.values()), sum(v[1] for v in after.values()))
        if a > b:
            self.moves = saved
            self.moves["groups_restaffed"] += 1
            self.moves["restaffed"] += len(journal) - 1
            return True
        for i, old in reversed(journal):
            self._set(i, old)
        self.moves = saved
        return False
