"""Relocation pass (tier 3, solver/README.md "Pipeline" 5): move sessions to a location their
participants reach with less travel.

For every session whose participants would travel less elsewhere (largest saving first):
1. a direct move: the first feasible booking at each better location;
2. an ejection chain: on one day at a better location, take one session out, book the
   session there, and re-book the ejected one wherever it fits best;
3. for a group member: a free seat in a group of the same type at a nearer location.

Only movable sessions are touched (not frozen, kept from the previous plan or moved already)
and every session stays placed, so tiers 1 and 2 cannot change and ``objective.local_tiers``
of the touched sessions is the whole change; a move is kept only when it falls and no
participant it touches (moved or ejected) sees one more counsellor.
"""

from __future__ import annotations

import time
from dataclasses import replace

from .construct import Booking, Constructor, State
from .model_data import Prepared
from .objective import booking_tiers, local_tiers, video_equivalent_minutes
from .rules import may_join


def relocate(prep: Prepared, state: State, stop_at: float) -> dict:
    """Lower participant travel in place, until done or ``stop_at``; returns counts."""
    builder = Constructor(prep, state, continuity_days=0)
    counts = {"moved": 0, "ejected": 0}
    for _saving, key in _candidates(prep, state, builder):
        if time.monotonic() >= stop_at:
            break
        old = state.bookings.get(key)
        if old is None or not old.movable:
            continue
        key = _move(prep, state, builder, key, old)
        if key is None:
            counts["moved"] += 1
        elif _eject_chain(prep, state, builder, key, old, stop_at):
            counts["ejected"] += 1
    counts["members_moved"] = _move_members(prep, state, stop_at)
    return counts



def _travel(prep: Prepared, members, loc: str, mode: str) -> int:
    if mode == "video":
        return video_equivalent_minutes(prep) * len(members)
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
        if not b.movable:
            continue
        better = _better_locations(prep, builder, b)
        if better:
            now = _travel(prep, b.participants, b.location, b.mode)
            out.append((_travel(prep, b.participants, better[0], "onsite") - now, key))
    out.sort()
    return out


def _counsellors(state: State, members) -> list[int]:
    return [len(state.met.get(m, ())) for m in members]


def _no_worse_continuity(state: State, members, before: list[int]) -> bool:
    """Continuity is a tier below travel in the objective, but the centre's promise to a
    participant (one counsellor through the process) is not traded for minutes of travel."""
    return all(now <= was for now, was in zip(_counsellors(state, members), before))


def _move(prep: Prepared, state: State, builder: Constructor, key: int, old: Booking) -> int | None:
    """Book ``old`` at a better location if it fits; None when moved, else its (new) key."""
    first, last = prep.common_days(old.participants)
    before = local_tiers(prep, state, [old], old.participants)
    seen = _counsellors(state, old.participants)
    state.remove(key)
    for loc in _better_locations(prep, builder, old):
        b = builder.first_fit(old.participants, old.type, loc, "onsite", first, last)
        if b is None:
            continue
        new_key = state.add(b)
        if local_tiers(prep, state, [b], old.participants) < before and _no_worse_continuity(state, old.participants, seen):
            return None
        state.remove(new_key)
    return state.add(old)


def _eject_chain(prep: Prepared, state: State, builder: Constructor, key: int, old: Booking,
                 stop_at: float) -> bool:
    """Make room at a better location by re-booking one of its sessions elsewhere (waiting a
    few days for a counsellor its participant knows, as construction does)."""

    patient = Constructor(prep, state)
    first, last = prep.common_days(old.participants)
    old_cost = booking_tiers(prep, old)
    for loc in _better_locations(prep, builder, old):
        for day in range(first, last + 1):
            if time.monotonic() >= stop_at:
                return False
            if not prep.loc_windows[loc][day]:
                continue
            keys = {k for r in prep.locations[loc].rooms for _s, _e, k in state.room.get((r.id, day), ())}
            for k in sorted(keys):
                victim = state.bookings[k]
                if not victim.movable or set(victim.participants) & set(old.participants):
                    continue
                members = old.participants + victim.participants
                before = local_tiers(prep, state, [old, victim], members)
                seen = _counsellors(state, members)
                state.remove(k)
                state.remove(key)
                b = builder.first_fit(old.participants, old.type, loc, "onsite", day, day)
                if b is not None and booking_tiers(prep, b) < old_cost:
                    new_key = state.add(b)
                    # The chain is kept only if the victim's new booking costs less than what
                    # the move saved (continuity can only add to it), so dearer places are not searched.
                    below = sum(before) - sum(local_tiers(prep, state, [b], members))   # weighted: a search bound
                    again = _rebook(prep, patient, victim, below) if below > 0 else None
                    if again is not None:
                        again_key = state.add(again)
                        if (local_tiers(prep, state, [b, again], members) < before
                                and _no_worse_continuity(state, members, seen)):
                            return True
                        state.remove(again_key)
                    state.remove(new_key)
                key = state.add(old)
                state.add(victim)
    return False


def _rebook(prep: Prepared, builder: Constructor, b: Booking, below: int | None = None) -> Booking | None:
    if _is_group(prep, b):
        return builder.place_group(b.participants, b.type, below)
    return builder.place_individual(b.participants[0], b.type, below)


def _move_members(prep: Prepared, state: State, stop_at: float) -> int:
    """Group members take a free seat in a nearer group of the same type (rules 2, 4, 5, 8
    and 9 re-checked for the member; the group they leave keeps its minimum size)."""
    groups = [k for k, b in state.bookings.items() if b.movable and prep.instance.session_types[b.type].is_group]
    moved = 0
    for k1 in groups:
        for pid in list(state.bookings[k1].participants) if k1 in state.bookings else ():
            if time.monotonic() >= stop_at:
                return moved
            g1 = state.bookings.get(k1)
            spec = prep.instance.session_types[g1.type]
            if len(g1.participants) <= (spec.min_size or 1):
                break
            here = prep.participant_travel(pid, g1.location)
            options = sorted((prep.participant_travel(pid, b.location), k) for k, b in state.bookings.items()
                             if b.type == g1.type and b.location != g1.location and b.movable
                             and prep.participant_travel(pid, b.location) < here)
            for _t, k2 in options:
                g2 = state.bookings[k2]
                if not may_join(prep, state, g2, pid, leaving=k1):
                    continue
                members = (pid,) + tuple(m for m in g2.participants)
                before = local_tiers(prep, state, [g1, g2], members)
                seen = _counsellors(state, (pid,))
                state.remove(k1)
                state.remove(k2)
                n1 = replace(g1, participants=tuple(m for m in g1.participants if m != pid))
                n2 = replace(g2, participants=g2.participants + (pid,))
                a1, a2 = state.add(n1), state.add(n2)
                if local_tiers(prep, state, [n1, n2], members) < before and _no_worse_continuity(state, (pid,), seen):
                    moved += 1
                    k1 = a1
                    break
                state.remove(a1)
                state.remove(a2)
                k1 = state.add(g1)
                state.add(g2)
    return moved

