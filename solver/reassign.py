"""Reassignment (tiers 3 and 5, solver/README.md "Pipeline" 7): who sits in which session,
solved exactly as an assignment, type by type.

With every session's time, counsellor, room and interpreter kept, choosing who sits in which
seat of one session type is a linear assignment: each participant of the pool takes one seat
of that type they may use, at what the objective charges for it (travel or video, continuity,
preferred counsellor). A group's seats are its members' places; a seat of an interpreted
group held by a participant who needs its interpreter stays with such participants. The
types are solved in turn (continuity couples a member's group seat and individual session)
until neither gains. Frozen, kept-from-previous and re-staffed previous sessions stay.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ortools.graph.python import linear_sum_assignment

from .construct import Booking, State
from .model_data import Prepared
from .objective import Tiers, add, in_tier, new_counsellor_cost, preference_cost, travel_cost
from .rules import covered, may_counsel, participant_busy, participant_place


def reassign(prep: Prepared, state: State, stop_at: float = float("inf")) -> int:
    """Reassign participants among the seats of each session type, round by round while a
    round still lowers the cost; returns how many seats changed participant."""
    changed = 0
    types = sorted(prep.instance.session_types)
    idle = 0   # types in a row whose assignment was already optimal
    for step in range(prep.config.search.reassign_rounds * len(types)):
        if time.monotonic() > stop_at or idle >= len(types):
            break
        moved = _reassign_type(prep, state, types[step % len(types)], stop_at)
        changed += moved
        idle = 0 if moved else idle + 1
    return changed


def _reassign_type(prep: Prepared, state: State, typ: str, stop_at: float) -> int:
    keys = sorted(k for k, b in state.bookings.items() if b.type == typ and b.movable)
    seats = [(k, pos) for k in keys for pos in range(len(state.bookings[k].participants))]
    if len(seats) < 2:
        return 0
    bookings = {k: state.bookings[k] for k in keys}
    people = [bookings[k].participants[pos] for k, pos in seats]
    interpreted_seat = [_needs_interpreter_of(prep, bookings[k], people[j]) for j, (k, _pos) in enumerate(seats)]
    # Sessions, not seats, are what a participant may or may not take: each is checked and
    # priced once per participant, then its seats get the arcs (a group has up to eight).
    seats_of: dict[int, list[int]] = {}
    for j, (k, _pos) in enumerate(seats):
        seats_of.setdefault(k, []).append(j)
    all_interpreted = {k: all(interpreted_seat[j] for j in js) for k, js in seats_of.items()}
    on_site: dict[tuple[str, int], list[int]] = {}   # (location, day) -> on-site sessions
    video_sessions: dict[int, list[int]] = {}        # day -> video sessions
    for k in keys:
        b = bookings[k]
        if b.mode == "video":
            video_sessions.setdefault(b.day, []).append(k)
        else:
            on_site.setdefault((b.location, b.day), []).append(k)

    solver = linear_sum_assignment.SimpleLinearSumAssignment()
    current = 0
    others_of: list[set[str]] = []
    # Costs are scaled so that staying in one's own seat wins every exact tie: among the
    # optimal assignments the one with the fewest moves is taken, never a neutral reshuffle.
    scale = len(people) + 1
    for i, pid in enumerate(people):
        if i % 64 == 0 and time.monotonic() > stop_at:
            return 0
        p = prep.participants[pid]
        first, last = prep.day_range(p)
        own_key = seats[i][0]
        others = _other_counsellors(state, pid, own_key)
        others_of.append(others)
        reach = prep.reachable_locations(pid)
        language = p.language if p.needs_interpreter else None
        for day in range(max(first, 0), min(last, len(prep.days) - 1) + 1):
            candidates = [k for loc in reach for k in on_site.get((loc, day), ())]
            if p.video_ok:
                candidates += video_sessions.get(day, [])
            for k in candidates:
                b = bookings[k]
                # _needs_interpreter_of, inlined: this loop runs a million times at county scale
                interpreted = (language is not None and b.language == language
                               and language not in prep.counsellors[b.counsellor].languages)
                if (not interpreted and all_interpreted[k]) or not _allowed(prep, state, pid, b, own_key):
                    continue
                cost = _cost(prep, pid, b, others) * scale
                for j in seats_of[k]:
                    if j != i and (interpreted or not interpreted_seat[j]):
                        solver.add_arc_with_cost(i, j, cost)
        own = _cost(prep, pid, bookings[own_key], others) * scale - 1   # the seat held now is always allowed
        solver.add_arc_with_cost(i, i, own)
        current += own
    if solver.solve() != solver.OPTIMAL or solver.optimal_cost() >= current:
        return 0  # the current assignment is always feasible; no gain leaves the plan as it is
    mates = [solver.right_mate(i) for i in range(len(people))]
    moves = [(i, j) for i, j in enumerate(mates) if j != i]
    # The assignment minimises the weighted sum; it is kept only if it is lower tier by tier
    # (travel first, then continuity), so no seat change trades travel for continuity.
    before = add(*(_tiers(prep, people[i], bookings[seats[i][0]], others_of[i]) for i, _j in moves))
    after = add(*(_tiers(prep, people[i], bookings[seats[j][0]], others_of[i]) for i, j in moves))
    if not after < before:
        return 0
    seated: dict[int, list[str]] = {k: list(b.participants) for k, b in bookings.items()}
    for i, j in moves:
        k, pos = seats[j]
        seated[k][pos] = people[i]
    for k in sorted({seats[j][0] for _i, j in moves}):
        b = state.remove(k)
        state.add(replace(b, participants=tuple(seated[k])))
    return len(moves)


def _needs_interpreter_of(prep: Prepared, b: Booking, pid: str) -> bool:
    """True when the participant is covered in this session only by its interpreter."""
    p = prep.participants[pid]
    return (b.language is not None and p.needs_interpreter and p.language == b.language
            and p.language not in prep.counsellors[b.counsellor].languages)


def _other_counsellors(state: State, pid: str, own_key: int) -> set[str]:
    """Counsellors the participant meets in their other sessions."""
    own = state.bookings[own_key].counsellor
    return {cid for cid, n in state.met.get(pid, {}).items() if n - (cid == own) > 0}


def _allowed(prep: Prepared, state: State, pid: str, b: Booking, own_key: int) -> bool:
    """Rules 2, 4 and 5 for the participant in this session (it keeps every other rule).

    An individual session with an interpreter takes only a participant who needs that
    language: an interpreter booked for nobody is a cost a lead would cancel."""
    p = prep.participants[pid]
    c = prep.counsellors[b.counsellor]
    if not may_counsel(c, (p,)):
        return False
    if len(b.participants) == 1 and b.language is not None and not (p.needs_interpreter and p.language == b.language):
        return False
    if not covered(p, c, b.language, b.interpreter):
        return False
    return not participant_busy(prep, state, pid, b.day, b.start, b.end,
                                participant_place(prep, pid, b.location, b.mode), ignore=own_key)


def _cost(prep: Prepared, pid: str, b: Booking, others: set[str]) -> int:
    """Weighted tier 3 and tier 5 cost of the participant in this session (the rest does not change)."""
    return sum(_tiers(prep, pid, b, others))


def _tiers(prep: Prepared, pid: str, b: Booking, others: set[str]) -> Tiers:
    other = new_counsellor_cost(prep, others, b.counsellor)
    return add(in_tier(3, travel_cost(prep, pid, b.location, b.mode)),
               in_tier(5, preference_cost(prep, pid, b.counsellor) + other))
