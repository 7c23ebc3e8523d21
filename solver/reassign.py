"""Reassignment: who sits in which individual session, solved exactly as an assignment.

The construction, relocation and LNS place participants one at a time or a window at a time,
so two participants can each hold the slot the other should have: one travels past a centre
where the other's slot is, or sees a counsellor who leads the other's group. With every
individual session's time, counsellor, room and interpreter kept as they are, choosing who
sits in which one is a linear assignment problem: each participant of the pool takes exactly
one slot of their session type that they may use (dates, reach or video, multicultural
counsellor, language covered, no clash with their other sessions), and the cost of a pair is
what the objective charges for it (tier 3 travel or video, tier 5 continuity and preferred
counsellor; tiers 1, 2, 4 and 6 do not change). OR-Tools' min-cost assignment solves it to
optimality in well under a second at county scale, so the result is never worse than the
plan it started from, and usually better on travel and continuity together.

Frozen, kept-from-previous and re-staffed previous sessions stay as they are (tier 2).
"""

from __future__ import annotations

import time
from dataclasses import replace

from ortools.graph.python import linear_sum_assignment

from .construct import State
from .model_data import W_OTHER_COUNSELLOR, Prepared


def reassign(prep: Prepared, state: State, stop_at: float = float("inf")) -> int:
    """Reassign participants among the individual sessions of each type; returns how many
    participants changed session."""
    changed = 0
    for typ, st in sorted(prep.instance.session_types.items()):
        if st.is_group or time.monotonic() > stop_at:
            continue
        changed += _reassign_type(prep, state, typ, stop_at)
    return changed


def _reassign_type(prep: Prepared, state: State, typ: str, stop_at: float) -> int:
    keys = sorted(k for k, b in state.bookings.items()
                  if b.type == typ and len(b.participants) == 1 and not b.fixed and not b.prev_id
                  and b.anchor is None)
    if len(keys) < 2:
        return 0
    slots = [state.bookings[k] for k in keys]
    people = [b.participants[0] for b in slots]
    on_site: dict[tuple[str, int], list[int]] = {}   # (location, day) -> on-site slots
    video_slots: dict[int, list[int]] = {}           # day -> video slots
    for j, b in enumerate(slots):
        if b.mode == "video":
            video_slots.setdefault(b.day, []).append(j)
        else:
            on_site.setdefault((b.location, b.day), []).append(j)

    solver = linear_sum_assignment.SimpleLinearSumAssignment()
    for i, pid in enumerate(people):
        if i % 64 == 0 and time.monotonic() > stop_at:
            return 0
        p = prep.participants[pid]
        first, last = prep.day_range(p)
        others = _other_counsellors(state, pid, keys[i])
        reach = prep.reachable_locations(pid)
        for day in range(max(first, 0), min(last, len(prep.days) - 1) + 1):
            candidates = [j for loc in reach for j in on_site.get((loc, day), ())]
            if p.video_ok:
                candidates += video_slots.get(day, [])
            for j in candidates:
                if _allowed(prep, state, pid, slots[j], keys[i]):
                    solver.add_arc_with_cost(i, j, _cost(prep, pid, slots[j], others))
    if solver.solve() != solver.OPTIMAL:
        return 0  # the current assignment is always feasible; anything else leaves the plan as it is
    mates = [solver.right_mate(i) for i in range(len(people))]
    moves = [(i, j) for i, j in enumerate(mates) if j != i]
    if not moves:
        return 0
    removed = {j: state.remove(keys[j]) for _i, j in moves}
    for i, j in moves:
        state.add(replace(removed[j], participants=(people[i],)))
    return len(moves)


def _other_counsellors(state: State, pid: str, own_key: int) -> set[str]:
    """Counsellors the participant meets in their other sessions."""
    own = state.bookings[own_key].counsellor
    return {cid for cid, n in state.met.get(pid, {}).items() if n - (cid == own) > 0}


def _allowed(prep: Prepared, state: State, pid: str, b, own_key: int) -> bool:
    """Rules 2, 4 and 5 for the participant in this slot (the slot keeps every other rule).

    A slot with an interpreter takes only a participant who needs that language: an
    interpreter booked for nobody is a cost a lead would cancel."""
    p = prep.participants[pid]
    c = prep.counsellors[b.counsellor]
    if prep.needs_multicultural(pid) and not c.multicultural:
        return False
    if b.language is not None and not (p.needs_interpreter and p.language == b.language):
        return False
    if p.needs_interpreter and p.language not in c.languages and b.language != p.language:
        return False
    return not any(s < b.end and b.start < e and key != own_key
                   for s, e, key in state.part.get((pid, b.day), ()))


def _cost(prep: Prepared, pid: str, b, others: set[str]) -> int:
    """Tier 3 and tier 5 cost of the participant in this slot (the rest does not change)."""
    cost = prep.seat_cost(pid, b.location, b.mode, b.counsellor)
    if others and b.counsellor not in others:
        cost += W_OTHER_COUNSELLOR
    return cost
