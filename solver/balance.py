"""Counsellors' load (tier 6, ``solver.objective`` term ``load_spread``): a last pass that
hands sessions from the busiest counsellor to the least busy one with alike hours and
qualification (``objective.load_spread``) at the same location and week: at the session's own
time, else at the colleague's first free time that week there. A participant's sessions with
the busy counsellor go together (a group with its members' individual sessions), so nobody
sees one more counsellor.

Only a re-staffing that keeps every rule (``rules.session_problems``: hours, travel, day
limit, multicultural, language cover, with room, interpreter and time unchanged) and costs no
participant continuity (nobody sees more counsellors, a preferred counsellor stays) is made,
so tiers 1-5 and the dates are unchanged. Frozen sessions, sessions kept from the previous
plan and previous sessions that kept their time with a colleague are never touched.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace

from .construct import Constructor, State, booking_from_session, session_from_booking
from .formats import Plan
from .model_data import Prepared
from .objective import available_minutes, booking_tiers
from .rules import session_problems


def balance_load(prep: Prepared, plan: Plan, stop_at: float) -> tuple[Plan, int]:
    """The plan with load spread reduced; returns (plan, sessions handed over)."""
    inst = prep.instance
    state = State(prep)
    index_of: dict[int, int] = {}
    for i, s in enumerate(plan.sessions):
        b = booking_from_session(prep, s)
        if b is None:
            return plan, 0
        index_of[state.add(b)] = i
    previous = inst.previous_plan.sessions if inst.previous_plan else []
    previous_ids = {s.id for s in previous}
    kept_time = {(pid, s.type, s.start, s.location, s.mode) for s in previous for pid in s.participants}

    def movable(key: int) -> bool:
        s = plan.sessions[index_of[key]]
        if s.id in previous_ids or (inst.frozen_until is not None and s.start < inst.frozen_until):
            return False
        return not any((pid, s.type, s.start, s.location, s.mode) in kept_time for pid in s.participants)

    weeks: dict[tuple[int, int], list[int]] = defaultdict(list)
    for d, day in enumerate(prep.days):
        weeks[tuple(day.isocalendar())[:2]].append(d)
    week_of = {d: w for w, ds in weeks.items() for d in ds}
    minutes = {(c.id, w): available_minutes(c, [prep.days[d] for d in ds])
               for c in inst.counsellors for w, ds in weeks.items()}
    sessions = list(plan.sessions)
    handed = 0

    def load(cid: str, week) -> int:
        return sum(len(state.cons.get((cid, d), [])) for d in weeks[week])

    keys_of: dict[str, set[int]] = defaultdict(set)
    for key, b in state.bookings.items():
        for pid in b.participants:
            keys_of[pid].add(key)

    def bundle(k: int, busy: str, loc: str, week) -> list[int] | None:
        """The busy counsellor's sessions that must change together so nobody sees one more
        counsellor: those sharing a participant with this one, transitively (a group and its
        members' individual sessions). None when one of them may not move."""
        seen, todo = {k}, [k]
        while todo:
            b = state.bookings[todo.pop()]
            for pid in b.participants:
                if prep.participants[pid].preferred_counsellor == busy:
                    return None
                for other in keys_of[pid]:
                    if other not in seen and state.bookings[other].counsellor == busy:
                        seen.add(other)
                        todo.append(other)
            if len(seen) > prep.config.search.balance_bundle:
                return None
        for key in seen:
            b = state.bookings[key]
            if not movable(key) or b.location != loc or week_of[b.day] != week:
                return None
        return sorted(seen, key=lambda key: (state.bookings[key].day, state.bookings[key].start))

    def keeps_continuity(keys: list[int], busy: str, free: str) -> bool:
        for pid in {pid for key in keys for pid in state.bookings[key].participants}:
            met = set(state.met.get(pid, {}))
            if len((met - {busy}) | {free}) > len(met):
                return False
        return True

    def move(keys: list[int], free: str, week) -> bool:
        olds = {key: state.remove(key) for key in keys}
        news: dict[int, object] = {}
        for key in keys:
            b = olds[key]
            new = replace(b, counsellor=free)
            if session_problems(prep, state, new):
                # Not free at that time: the colleague's first free time that week at the same
                # place, with no dearer interpreter (tier 4) and no other travel (tier 3).
                new = Constructor(prep, state).fit_with(b.participants, b.type, b.location, b.mode,
                                                        weeks[week][0], weeks[week][-1], free)
                if (new is None or new.mode != b.mode or session_problems(prep, state, new)
                        or booking_tiers(prep, new)[:5] > booking_tiers(prep, b)[:5]):
                    for done in news:
                        state.remove(done)
                    for back, old in olds.items():
                        state.add(old, key=back)
                    return False
            state.add(new, key=key)
            news[key] = new
        for key, new in news.items():
            i = index_of[key]
            sessions[i] = session_from_booking(prep, new, sessions[i].id)
        return True

    def hand_one(loc: str, week, busy: str, free: str) -> int:
        """Sessions handed from busy to free (0: none could go)."""
        gap = load(busy, week) - load(free, week)
        keys = sorted((k for d in weeks[week] for *_t, where, k in state.cons.get((busy, d), [])
                       if where == loc and movable(k)),
                      key=lambda k: (state.bookings[k].day, state.bookings[k].start))
        tried: set[int] = set()
        for k in keys:
            if k in tried:
                continue
            group = bundle(k, busy, loc, week)
            if group is None:
                continue
            tried.update(group)
            # Handing m sessions narrows the gap only while m < gap.
            if len(group) >= gap or not keeps_continuity(group, busy, free):
                continue
            if move(group, free, week):
                return len(group)
        return 0

    for loc in inst.locations:
        staff = [c.id for c in inst.counsellors if loc.id in c.locations]
        for week in sorted(weeks):
            alike: dict[tuple, list[str]] = defaultdict(list)
            for cid in staff:
                if minutes[(cid, week)] > 0:
                    alike[(minutes[(cid, week)], prep.counsellors[cid].multicultural)].append(cid)
            for group in alike.values():
                while len(group) > 1 and time.monotonic() < stop_at:
                    ranked = sorted(group, key=lambda c: (load(c, week), c))
                    done = False
                    # Busiest first, handing to the least busy colleague that can take one.
                    for busy in reversed(ranked):
                        for free in ranked:
                            if load(busy, week) - load(free, week) <= 1:
                                break
                            moved = hand_one(loc.id, week, busy, free)
                            if moved:
                                handed += moved
                                done = True
                                break
                        if done:
                            break
                    if not done:
                        break
    if not handed:
        return plan, 0
    return plan.model_copy(update={"sessions": sessions}), handed
