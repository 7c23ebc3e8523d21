"""Filling (tier 1, solver/README.md "Pipeline" 6, *Filling*): open needs into the capacity the other
passes left, and counsellor slots freed by seating a small group's members in other groups.

1. *Direct*: each open individual need, most urgent first, at its first fit anywhere (the
   relocation, the search and the exchanges move sessions and free times the construction
   had no more when the need's turn came).
2. *Consolidation*: a group whose every member can take a free seat in another group of
   its type (each seat checked by ``rules.may_join``; the nearest, and never with a counsellor
   a member who meets others would see in addition) gives its slot up when an open individual
   need takes that slot (the group's counsellor, day and location). In a crunch a group of
   three holds a counsellor slot that the plan's other groups have seats for, while
   participants wait for an individual session with exactly that counsellor.
3. *One place a day*: a counsellor's day at two locations, where the drive between them
   leaves no time for another session, goes to the location with most sessions that day:
   the sessions elsewhere move there with the same counsellor (or to their cheapest first fit
   anywhere, when their members see no more counsellors), and open needs take the time the
   drive took. On a finished 18-crunch-2000 plan (after parts 1-2) 58 of the 60 unused slots of the
   multicultural counsellors were on such days.

A change is kept only when it places an open need and every session stays placed, so tier 1
falls with each (and tier 2 cannot change: only movable sessions are touched); the travel of
the moved members is left to the exchanges and the seat reassignment after it.
"""

from __future__ import annotations

import time
from dataclasses import replace

from .construct import Booking, Constructor, State
from .model_data import Prepared
from .rules import may_join, session_problems


def fill(prep: Prepared, state: State, tasks: list[tuple[str, str]], stop_at: float) -> dict:
    """Place open individual needs of ``tasks`` directly, by consolidating groups and by giving
    counsellors' days to one place, until done or ``stop_at``; returns counts (``placed``,
    ``groups_dissolved``, ``days_at_one_place``)."""
    builder = Constructor(prep, state)   # waits a few days for a counsellor the participant meets (tier 5)
    open_needs = sorted(((p, t) for p, t in tasks if (p, t) not in state.done
                         and not prep.instance.session_types[t].is_group), key=lambda n: prep.priority_key(n[0]))
    placed = _direct(builder, open_needs, stop_at)
    dissolved = 0
    groups = sorted((k for k, b in state.bookings.items() if b.movable and prep.instance.session_types[b.type].is_group),
                    key=lambda k: (len(state.bookings[k].participants), k))
    for key in groups:
        if not open_needs or time.monotonic() >= stop_at:
            break
        if key in state.bookings and _dissolve(prep, state, builder, key, open_needs):
            dissolved += 1
            placed += 1
    days = 0
    for cid, day in _travel_days(state):
        if not open_needs or time.monotonic() >= stop_at:
            break
        gained = _one_place(prep, state, builder, cid, day, open_needs)
        days += gained > 0
        placed += gained
    placed += _direct(builder, open_needs, stop_at)
    return {"placed": placed, "groups_dissolved": dissolved, "days_at_one_place": days}



def _direct(builder: Constructor, open_needs: list[tuple[str, str]], stop_at: float) -> int:
    placed = 0
    for need in list(open_needs):
        if time.monotonic() >= stop_at:
            break
        b = builder.place_individual(*need)
        if b is not None:
            builder.state.add(b)
            open_needs.remove(need)
            placed += 1
    return placed


def _travel_days(state: State) -> list[tuple[str, int]]:
    """Counsellor-days with sessions at two locations or more and room for another session."""
    return sorted((cid, day) for (cid, day), items in state.cons.items()
                  if len({loc for _s, _e, loc, _k in items}) > 1 and state.sessions_left(cid, day) > 0)


def _one_place(prep: Prepared, state: State, builder: Constructor, cid: str, day: int, open_needs: list) -> int:
    """Give a counsellor's day at two locations to one: the sessions at the other locations move
    to the one with most sessions that day (same counsellor), else to their first fit anywhere,
    and open needs take the time the travel took. Returns the needs placed; 0 leaves the state
    as it was. Nobody moved sees one more counsellor."""
    items = state.cons[(cid, day)]
    count: dict[str, int] = {}
    for _s, _e, loc, _k in items:
        count[loc] = count.get(loc, 0) + 1
    main = max(sorted(count), key=lambda loc: count[loc])
    movers = [k for _s, _e, loc, k in items if loc != main]
    if not all(state.bookings[k].movable for k in movers):
        return 0
    members = [m for k in movers for m in state.bookings[k].participants]
    seen = {m: len(state.met.get(m, ())) for m in members}
    undo: list[tuple[int | None, Booking, int]] = []
    for k in movers:
        old = state.remove(k)
        undo.append((None, old, k))
        # Least travel first: the session's first fit wherever it is cheapest (another day or
        # counsellor), if its members see no more counsellors; else this counsellor's main place.
        elsewhere = (builder.place_group(old.participants, old.type) if prep.instance.session_types[old.type].is_group
                     else builder.place_individual(old.participants[0], old.type))
        if elsewhere is not None and (elsewhere.day, elsewhere.counsellor) != (day, cid):
            new_key = state.add(elsewhere)
            if all(len(state.met.get(m, ())) <= seen[m] for m in old.participants):
                undo[-1] = (new_key, old, k)
                continue
            state.remove(new_key)
        new = None
        if old.mode == "video" or main in builder.group_locations(old.participants):
            new = builder.fit_with(old.participants, old.type, main, old.mode, day, day, cid)
        if new is None:
            _restore(state, undo)
            return 0
        undo[-1] = (state.add(new), old, k)
    placed = 0
    for need in _knowing_first(state, open_needs, cid):
        if state.sessions_left(cid, day) <= 0:
            break
        b = _fit_on_day(prep, builder, need, main, day, cid)
        if b is not None:
            state.add(b)
            open_needs.remove(need)
            placed += 1
    if not placed:
        _restore(state, undo)
    return placed


def _restore(state: State, undo: list[tuple[int | None, Booking, int]]) -> None:
    """Undo a tried change: each (key of the booking that replaced it or None, the booking taken
    out, its key), latest first."""
    for new_key, old, old_key in reversed(undo):
        if new_key is not None:
            state.remove(new_key)
        state.add(old, key=old_key)


def _knowing_first(state: State, open_needs: list[tuple[str, str]], cid: str) -> list[tuple[str, str]]:
    """Who takes a counsellor's freed time: first the participants who meet no other counsellor
    (continuity), each part most urgent first (the order of ``open_needs``)."""
    return sorted(open_needs, key=lambda n: not set(state.met.get(n[0], ())) <= {cid})


def _dissolve(prep: Prepared, state: State, builder: Constructor, key: int, open_needs: list) -> bool:
    """Seat the group's members in other groups and give its slot to an open need; False (and
    the state as before) when either is not possible."""
    group = state.bookings[key]
    seats = _seats(prep, state, key, group)
    if seats is None:
        return False
    undo: list[tuple[int | None, Booking, int]] = [(None, state.remove(key), key)]
    for target in sorted(set(seats.values())):
        old = state.remove(target)
        joined = tuple(m for m, t in seats.items() if t == target)
        new = replace(old, participants=old.participants + joined)
        if session_problems(prep, state, new):
            undo.append((None, old, target))
            _restore(state, undo)
            return False
        undo.append((state.add(new), old, target))
    for need in _knowing_first(state, open_needs, group.counsellor):
        b = _fit_on_day(prep, builder, need, group.location, group.day)
        if b is not None:
            state.add(b)
            open_needs.remove(need)
            return True
    _restore(state, undo)
    return False


def _seats(prep: Prepared, state: State, key: int, group: Booking) -> dict[str, int] | None:
    """A seat in another movable group of the same type for every member (member -> group
    key), or None: the nearest seat (``rules.may_join``) with a counsellor the member meets in
    their other sessions, any counsellor for a member who has none."""
    others = [(k, b) for k, b in state.bookings.items()
              if k != key and b.type == group.type and b.movable]
    taken: dict[int, int] = {}
    seats: dict[str, int] = {}
    for pid in group.participants:
        # counsellors the member meets in their other sessions
        others_met = {c for c, n in state.met.get(pid, {}).items() if n > (c == group.counsellor)}
        best = None
        for k, b in others:
            if not may_join(prep, state, b, pid, leaving=key, joining=taken.get(k, 0)):
                continue
            if others_met and b.counsellor not in others_met:
                continue   # the member would see one more counsellor (continuity is not traded away)
            rank = (prep.participant_travel(pid, b.location), k)
            if best is None or rank < best[0]:
                best = (rank, k)
        if best is None:
            return None
        seats[pid] = best[1]
        taken[best[1]] = taken.get(best[1], 0) + 1
    return seats


def _fit_on_day(prep: Prepared, builder: Constructor, need: tuple[str, str], loc: str, day: int,
                cid: str | None = None) -> Booking | None:
    """The need's first fit at a location on one day (with counsellor ``cid``, else any): on
    site where the participant reaches it, else by video where they may and a room has it."""
    pid, typ = need
    p = prep.participants[pid]
    first, last = prep.day_range(p)
    if not first <= day <= last:
        return None
    modes = ["onsite"] if loc in prep.reachable_locations(pid) else []
    if p.video_ok and any(r.video for r in prep.locations[loc].rooms):
        modes.append("video")
    for mode in modes:
        b = (builder.first_fit((pid,), typ, loc, mode, day, day) if cid is None
             else builder.fit_with((pid,), typ, loc, mode, day, day, cid))
        if b is not None:
            return b
    return None
