"""Relocation pass: move sessions to a location their participants reach with less travel.

Construction places each unit at the cheapest location *that still had room when its turn
came*, so the nearest locations fill up in priority order and later units, groups above all,
are pushed to farther centres; the LNS revisits only a few dozen windows at county scale.
For every session whose participants would travel less elsewhere (largest saving first)
this pass tries:

1. a direct move: the first feasible booking at each better location;
2. an ejection chain: on one day at a better location, take one session out, book the
   session there, and re-book the ejected one wherever it fits best (often a neighbouring
   centre its participant reaches almost as easily).

A change is kept only when the objective improves. Only sessions that are not frozen, not
kept from the previous plan and not moved already are touched, and every session stays
placed, so tiers 1 and 2 (coverage, stability) cannot get worse; the local delta below is
therefore the whole change in the objective: the sessions' own cost (travel, interpreter,
preference, date) and the continuity term of their participants.
"""

from __future__ import annotations

import time

from .construct import Booking, Constructor, State
from .model_data import W_OTHER_COUNSELLOR, Prepared

VIDEO_EQUIVALENT = 60   # travel minutes a video session counts as (W_VIDEO / W_TRAVEL_MIN)


def relocate(prep: Prepared, state: State, stop_at: float) -> dict:
    """Lower participant travel in place, until done or ``stop_at``; returns counts."""
    builder = Constructor(prep, state, continuity_days=0)
    counts = {"moved": 0, "ejected": 0}
    for _saving, key in _candidates(prep, state, builder):
        if time.monotonic() >= stop_at:
            break
        old = state.bookings.get(key)
        if old is None or not _movable(old):
            continue
        key = _move(prep, state, builder, key, old)
        if key is None:
            counts["moved"] += 1
        elif _eject_chain(prep, state, builder, key, old, stop_at):
            counts["ejected"] += 1
    return counts


def _movable(b: Booking) -> bool:
    return not b.fixed and not b.prev_id and not b.anchor


def _travel(prep: Prepared, members, loc: str, mode: str) -> int:
    if mode == "video":
        return VIDEO_EQUIVALENT * len(members)
    return sum(prep.participant_travel(m, loc) for m in members)


def _is_group(prep: Prepared, b: Booking) -> bool:
    return len(b.participants) > 1 or prep.instance.session_types[b.type].is_group


def _better_locations(prep: Prepared, builder: Constructor, b: Booking) -> list[str]:
    now = _travel(prep, b.participants, b.location, b.mode)
    locs = builder.group_locations(b.participants) if _is_group(prep, b) else prep.reachable_locations(b.participants[0])
    return [l for l in locs if l != b.location and _travel(prep, b.participants, l, "onsite") < now]


def _candidates(prep: Prepared, state: State, builder: Constructor) -> list[tuple[int, int]]:
    """Movable sessions with a possible travel saving, largest saving first."""
    out = []
    for key, b in state.bookings.items():
        if not _movable(b):
            continue
        better = _better_locations(prep, builder, b)
        if better:
            now = _travel(prep, b.participants, b.location, b.mode)
            out.append((_travel(prep, b.participants, better[0], "onsite") - now, key))
    out.sort()
    return out


def _day_range(prep: Prepared, b: Booking) -> tuple[int, int]:
    ranges = [prep.day_range(prep.participants[m]) for m in b.participants]
    return max(r[0] for r in ranges), min(r[1] for r in ranges)


def _counsellors(state: State, members) -> list[int]:
    return [len(state.met.get(m, ())) for m in members]


def _no_worse_continuity(state: State, members, before: list[int]) -> bool:
    """Continuity is a tier below travel in the objective, but the centre's promise to a
    participant (one counsellor through the process) is not traded for minutes of travel."""
    return all(now <= was for now, was in zip(_counsellors(state, members), before))


def _local_cost(prep: Prepared, state: State, bookings, members) -> int:
    """The objective terms that a change of ``bookings`` can move (see the module docstring)."""
    from .model import booking_cost  # one objective definition, in model.py

    cost = sum(booking_cost(prep, b) for b in bookings)
    return cost + W_OTHER_COUNSELLOR * sum(max(0, len(state.met.get(m, ())) - 1) for m in members)


def _move(prep: Prepared, state: State, builder: Constructor, key: int, old: Booking) -> int | None:
    """Book ``old`` at a better location if it fits; None when moved, else its (new) key."""
    first, last = _day_range(prep, old)
    before = _local_cost(prep, state, [old], old.participants)
    seen = _counsellors(state, old.participants)
    state.remove(key)
    for loc in _better_locations(prep, builder, old):
        b = builder.first_fit(old.participants, old.type, loc, "onsite", first, last)
        if b is None:
            continue
        new_key = state.add(b)
        if _local_cost(prep, state, [b], old.participants) < before and _no_worse_continuity(state, old.participants, seen):
            return None
        state.remove(new_key)
    return state.add(old)


def _eject_chain(prep: Prepared, state: State, builder: Constructor, key: int, old: Booking,
                 stop_at: float) -> bool:
    """Make room at a better location by re-booking one of its sessions elsewhere (waiting a
    few days for a counsellor its participant knows, as construction does)."""
    from .model import booking_cost

    patient = Constructor(prep, state)
    first, last = _day_range(prep, old)
    old_cost = booking_cost(prep, old)
    for loc in _better_locations(prep, builder, old):
        for day in range(first, last + 1):
            if time.monotonic() >= stop_at:
                return False
            if not prep.loc_windows[loc][day]:
                continue
            keys = {k for r in prep.locations[loc].rooms for _s, _e, k in state.room.get((r.id, day), ())}
            for k in sorted(keys):
                victim = state.bookings[k]
                if not _movable(victim) or set(victim.participants) & set(old.participants):
                    continue
                members = old.participants + victim.participants
                before = _local_cost(prep, state, [old, victim], members)
                seen = _counsellors(state, members)
                state.remove(k)
                state.remove(key)
                b = builder.first_fit(old.participants, old.type, loc, "onsite", day, day)
                if b is not None and booking_cost(prep, b) < old_cost:
                    new_key = state.add(b)
                    again = _rebook(prep, patient, victim)
                    if again is not None:
                        again_key = state.add(again)
                        if (_local_cost(prep, state, [b, again], members) < before
                                and _no_worse_continuity(state, old.participants, seen)):
                            return True
                        state.remove(again_key)
                    state.remove(new_key)
                key = state.add(old)
                state.add(victim)
    return False


def _rebook(prep: Prepared, builder: Constructor, b: Booking) -> Booking | None:
    if _is_group(prep, b):
        return builder.place_group(b.participants, b.type)
    return builder.place_individual(b.participants[0], b.type)
