"""Leader exchange: a group goes to the counsellor who follows its members up individually.

In a crunch every counsellor is fully booked, and the members of a group often have their
individual session with another counsellor than the group's: the leader's own individual
sessions are taken. Re-staffing the group alone is then impossible, because the counsellor
who holds the members' individual sessions is busy at the group's time, but an exchange is
not: that counsellor takes the group, and the group's counsellor takes the individual
sessions they held at that time, at the same location. Times, rooms, interpreters and
participants stay as they are, so tiers 1 to 4 and 6 do not change; the exchange is kept
only when tier 5 gains (the same counsellor for a participant's sessions, the preferred
counsellor honoured), and every rule is re-checked for the sessions it changes.

The seat reassignment (``reassign.py``) then has counsellors whose groups and individual
sessions belong to the same participants, so the two are run in turn.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

from .construct import Booking, State
from .model_data import W_NOT_PREFERRED, W_OTHER_COUNSELLOR, Prepared

CANDIDATES = 3   # counsellors tried per group, those holding most of its members' other sessions


def exchange_leaders(prep: Prepared, state: State, stop_at: float = float("inf")) -> int:
    """Exchange group leaders for continuity where it gains; returns how many groups moved."""
    from .model import session_problems  # the one rule check of the planner

    types = prep.instance.session_types
    exchanged = 0
    keys_of: dict[str, set[int]] = {}   # participant -> keys of their sessions
    for k, b in state.bookings.items():
        for pid in b.participants:
            keys_of.setdefault(pid, set()).add(k)
    groups = sorted(k for k, b in state.bookings.items() if types[b.type].is_group and _movable(b))
    for gkey in groups:
        if time.monotonic() > stop_at:
            break
        g = state.bookings.get(gkey)
        if g is None:
            continue
        held = Counter(state.bookings[k].counsellor for m in g.participants for k in keys_of[m] if k != gkey)
        held.pop(g.counsellor, None)
        for cid, _n in sorted(held.items(), key=lambda kv: (-kv[1], kv[0]))[:CANDIDATES]:
            done, gkey = _try(prep, state, session_problems, keys_of, gkey, cid)
            if done:
                exchanged += 1
                break
    return exchanged


def _movable(b: Booking) -> bool:
    return not b.fixed and not b.prev_id and b.anchor is None


def _try(prep: Prepared, state: State, session_problems, keys_of, gkey: int, cid: str) -> tuple[bool, int]:
    """Exchange the group's counsellor with ``cid``; returns (done, the group's key now)."""
    g = state.bookings[gkey]
    if g.location not in prep.counsellors[cid].locations:
        return False, gkey
    taken = [k for s, e, _loc, k in state.cons.get((cid, g.day), []) if s < g.end and g.start < e]
    if any(not _movable(state.bookings[k]) or len(state.bookings[k].participants) != 1
           or state.bookings[k].location != g.location for k in taken):
        return False, gkey
    changed = {gkey: cid} | {k: g.counsellor for k in taken}
    people = {pid for k in changed for pid in state.bookings[k].participants}
    if _tier5(prep, state, keys_of, people, changed) >= _tier5(prep, state, keys_of, people, {}):
        return False, gkey
    originals = {k: state.remove(k) for k in changed}
    added: dict[int, int] = {}   # old key -> key of the re-staffed session
    for k, b in originals.items():
        new = replace(b, counsellor=changed[k])
        if session_problems(prep, state, new):
            for key in added.values():
                state.remove(key)
            restored = {k: _add(state, keys_of, k, old) for k, old in originals.items()}
            return False, restored[gkey]
        added[k] = state.add(new)
    for k, key in added.items():
        _rekey(state, keys_of, k, key)
    return True, added[gkey]


def _add(state: State, keys_of, old_key: int, b: Booking) -> int:
    key = state.add(b)
    _rekey(state, keys_of, old_key, key)
    return key


def _rekey(state: State, keys_of, old_key: int, key: int) -> None:
    for pid in state.bookings[key].participants:
        keys_of[pid].discard(old_key)
        keys_of[pid].add(key)


def _tier5(prep: Prepared, state: State, keys_of, people, changed: dict[int, str]) -> int:
    """Continuity and preference cost of these participants with some sessions re-staffed."""
    cost = 0
    for pid in people:
        who = [changed.get(k, state.bookings[k].counsellor) for k in keys_of[pid]]
        cost += W_OTHER_COUNSELLOR * (len(set(who)) - 1)
        pref = prep.participants[pid].preferred_counsellor
        if pref is not None:
            cost += W_NOT_PREFERRED * sum(c != pref for c in who)
    return cost
