"""Exchanges for continuity (tier 5, solver/README.md "Pipeline" 7): leader exchange, slot
exchange, hand-over and seat exchange (pair trade, ejection, three-way rotation).

In a crunch every counsellor is fully booked and a group's members often have their
individual session with another counsellor than the group's; no single re-staffing can fix
that, but an exchange between two or three sessions can. Only movable sessions change (not
frozen, kept from or re-staffed from the previous plan) and every session stays placed, so
tiers 1 and 2 cannot change; a move is kept only when the tiers of the sessions it changes
and of their participants' continuity fall (``objective.local_tiers``; the leader exchange,
which changes counsellors only, by their tier 5), and every rule is re-checked for them.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

from .construct import Booking, Constructor, State
from .model_data import Prepared
from .objective import local_tiers, participant_tier5, tier5_one_session_bound, travel_cost
from .rules import may_counsel, needs_multicultural, session_problems


def exchange_leaders(prep: Prepared, state: State, stop_at: float = float("inf")) -> int:
    """Exchange group leaders for continuity where it gains; returns how many groups moved."""
    return _each_group(prep, state, stop_at, lambda keys_of, gkey, cid: _try(prep, state, keys_of, gkey, cid))


def _each_group(prep: Prepared, state: State, stop_at: float, attempt) -> int:
    """Offer every movable group to the counsellors who hold most of its members' other
    sessions, until one ``attempt(keys_of, group key, counsellor)`` succeeds; returns how many
    groups changed."""
    types = prep.instance.session_types
    changed = 0
    keys_of = _keys_of(state)
    groups = sorted(k for k, b in state.bookings.items() if types[b.type].is_group and b.movable)
    for gkey in groups:
        if time.monotonic() > stop_at:
            break
        g = state.bookings.get(gkey)
        if g is None:
            continue
        held = Counter(state.bookings[k].counsellor for m in g.participants for k in keys_of[m] if k != gkey)
        held.pop(g.counsellor, None)
        for cid, _n in sorted(held.items(), key=lambda kv: (-kv[1], kv[0]))[:prep.config.search.leader_candidates]:
            done, gkey = attempt(keys_of, gkey, cid)
            if done:
                changed += 1
                break
    return changed


def _keys_of(state: State) -> dict[str, set[int]]:
    """Participant -> keys of their sessions (kept current with _rekey as sessions change)."""
    keys_of: dict[str, set[int]] = {}
    for k, b in state.bookings.items():
        for pid in b.participants:
            keys_of.setdefault(pid, set()).add(k)
    return keys_of



def _try(prep: Prepared, state: State, keys_of, gkey: int, cid: str) -> tuple[bool, int]:
    """Exchange the group's counsellor with ``cid``; returns (done, the group's key now)."""
    g = state.bookings[gkey]
    if g.location not in prep.counsellors[cid].locations:
        return False, gkey
    taken = [k for s, e, _loc, k in state.cons.get((cid, g.day), []) if s < g.end and g.start < e]
    if any(not state.bookings[k].movable or len(state.bookings[k].participants) != 1
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
    """Continuity and preference cost of these participants with some sessions re-staffed: an
    estimate that ranks candidates. What a move is kept by is ``local_tiers`` of the sessions
    it changes, which holds their preference cost already (counted once, as in the plan)."""
    return sum(participant_tier5(prep, pid, [changed.get(k, state.bookings[k].counsellor) for k in keys_of[pid]])
               for pid in people)


# ---------------------------------------------------------------------- slot exchange

def exchange_slots(prep: Prepared, state: State, stop_at: float = float("inf")) -> int:
    """Exchange a group's slot with an individual session of the counsellor who follows its
    members up, at the same location but another time (that counsellor mostly works other
    days than the group's); returns how many pairs moved. The group moves to the counsellor's
    slot (or their earliest free time there), the individual session to the group's old slot
    with its old leader; rooms and interpreters are re-chosen where the old ones are taken."""

    builder = Constructor(prep, state)

    def attempt(keys_of, gkey: int, cid: str) -> tuple[bool, int]:
        if state.bookings[gkey].location not in prep.counsellors[cid].locations:
            return False, gkey
        return _swap_with_best(prep, state, builder, keys_of, gkey, cid)

    return _each_group(prep, state, stop_at, attempt)


def _swap_with_best(prep: Prepared, state: State, builder, keys_of, gkey: int, cid: str) -> tuple[bool, int]:
    """Try the individual sessions of ``cid`` that gain most; returns (done, the group's key now)."""
    done, gkey = _move_group(prep, state, builder, keys_of, gkey, cid)
    if done:
        return True, gkey
    g = state.bookings[gkey]
    duration = g.end - g.start
    first, last = prep.common_days(g.participants)
    base = {}
    options = []
    for day in range(max(first, 0), min(last, len(prep.days) - 1) + 1):
        for _s, _e, loc, xkey in state.cons.get((cid, day), []):
            x = state.bookings[xkey]
            if (loc != g.location or len(x.participants) != 1 or prep.instance.session_types[x.type].is_group
                    or x.end - x.start != duration or not x.movable):
                continue
            x_first, x_last = prep.common_days(x.participants)
            if not x_first <= g.day <= x_last:
                continue   # rule 2: the individual session could not take the group's day
            changed = {gkey: cid, xkey: g.counsellor}
            people = set(g.participants) | set(x.participants)
            key = frozenset(people)
            if key not in base:
                base[key] = _tier5(prep, state, keys_of, people, {})
            gain = _tier5(prep, state, keys_of, people, changed) - base[key]
            if gain < 0:
                options.append((gain, day, x.start, xkey))
    for _gain, _day, _start, xkey in sorted(options)[:prep.config.search.slot_candidates]:
        done, gkey = _try_swap(prep, state, builder, keys_of, gkey, xkey)
        if done:
            return True, gkey
    return False, gkey


def _move_group(prep: Prepared, state: State, builder, keys_of, gkey: int, cid: str) -> tuple[bool, int]:
    """Move the group to the counsellor's earliest free time at its location, when the
    counsellor has one; returns (done, the group's key now)."""

    g = state.bookings[gkey]
    people = set(g.participants)
    if _tier5(prep, state, keys_of, people, {gkey: cid}) >= _tier5(prep, state, keys_of, people, {}):
        return False, gkey
    before = local_tiers(prep, state, [g], people)
    first, last = prep.common_days(g.participants)
    state.remove(gkey)
    new = builder.fit_with(g.participants, g.type, g.location, g.mode, first, last, cid)
    if new is not None and not session_problems(prep, state, new):
        key = state.add(new)
        _rekey(state, keys_of, gkey, key)
        if local_tiers(prep, state, [new], people) < before:
            return True, key
        state.remove(key)
        return False, _add(state, keys_of, key, g)
    return False, _add(state, keys_of, gkey, g)


def _try_swap(prep: Prepared, state: State, builder, keys_of, gkey: int, xkey: int) -> tuple[bool, int]:
    """Trade the two sessions' slots; returns (done, the group's key now)."""

    g, x = state.bookings[gkey], state.bookings[xkey]
    people = set(g.participants) | set(x.participants)
    before = local_tiers(prep, state, [g, x], people)
    state.remove(gkey)
    state.remove(xkey)
    new_g = _retimed(prep, state, builder, g, x.counsellor, x.day, x.start)
    new_gkey = state.add(new_g) if new_g is not None else None
    new_x = _retimed(prep, state, builder, x, g.counsellor, g.day, g.start) if new_g else None
    if new_x is not None:
        new_xkey = state.add(new_x)
        _rekey(state, keys_of, gkey, new_gkey)
        _rekey(state, keys_of, xkey, new_xkey)
        after = local_tiers(prep, state, [new_g, new_x], people)
        if after < before:
            return True, new_gkey
        state.remove(new_xkey)
        state.remove(new_gkey)
        _add(state, keys_of, new_xkey, x)
        return False, _add(state, keys_of, new_gkey, g)
    if new_gkey is not None:
        state.remove(new_gkey)
    _add(state, keys_of, xkey, x)
    return False, _add(state, keys_of, gkey, g)


def _retimed(prep: Prepared, state: State, builder, b: Booking, cid: str, day: int, start: int) -> Booking | None:
    """The session with another counsellor at another time: its own room and interpreter if
    they are free then, else the cheapest that are; None when no valid one exists."""

    moved = replace(b, counsellor=cid, day=day, start=start, end=start + (b.end - b.start))
    if not session_problems(prep, state, moved):
        return moved
    other = builder.complete(b.participants, b.type, b.location, b.mode, day, start, moved.end, cid, b.language)
    if other is not None and not session_problems(prep, state, other):
        return other
    return None


# ---------------------------------------------------------------------- hand-over

def hand_over(prep: Prepared, state: State, stop_at: float = float("inf")) -> int:
    """A group member's individual session moves to their group's counsellor, who hands one
    of their own individual sessions that day, at that location, to a colleague (at its time
    when the colleague is free then, else at the colleague's first free time that day);
    returns how many sessions moved. Both keep their location and mode; interpreters and
    rooms are re-chosen where needed."""

    builder = Constructor(prep, state)

    def attempt(keys_of, ikey: int, leader: str) -> bool:
        return (state.bookings[ikey].location in prep.counsellors[leader].locations
                and _hand_over_best(prep, state, builder, keys_of, ikey, leader))

    return _each_split_member(prep, state, stop_at, attempt)


def _each_split_member(prep: Prepared, state: State, stop_at: float, attempt) -> int:
    """Offer each movable individual session of a group member that is not with the member's
    group counsellor to ``attempt(keys_of, session key, group counsellor)``, until one
    succeeds per member; returns how many members it succeeded for."""
    types = prep.instance.session_types
    keys_of = _keys_of(state)
    done = 0
    for pid in sorted(keys_of):
        if time.monotonic() > stop_at:
            break
        leaders = {state.bookings[k].counsellor for k in keys_of[pid] if types[state.bookings[k].type].is_group}
        if len(leaders) != 1:
            continue
        leader = next(iter(leaders))
        for ikey in sorted(keys_of[pid]):
            own = state.bookings[ikey]
            if types[own.type].is_group or own.counsellor == leader or not own.movable:
                continue
            if attempt(keys_of, ikey, leader):
                done += 1
                break
    return done


def _hand_over_best(prep: Prepared, state: State, builder, keys_of, ikey: int, leader: str) -> bool:
    """Try the leader's sessions and colleagues whose hand-over gains most at tier 5."""
    types = prep.instance.session_types
    own = state.bookings[ikey]
    first, last = prep.day_range(prep.participants[own.participants[0]])
    colleagues = [c.id for c in prep.instance.counsellors if c.id != leader and own.location in c.locations]
    options = []
    for day in range(max(first, 0), min(last, len(prep.days) - 1) + 1):
        for _s, _e, loc, jkey in state.cons.get((leader, day), []):
            j = state.bookings[jkey]
            if loc != own.location or types[j.type].is_group or not j.movable:
                continue
            people = set(own.participants) | set(j.participants)
            base = _tier5(prep, state, keys_of, people, {})
            for cid in colleagues:
                if state.sessions_left(cid, day) <= 0:
                    continue
                free = state.counsellor_free(cid, day, loc)
                if not any(e - s >= j.end - j.start for s, e in free):
                    continue   # the colleague has no time that day
                gain = _tier5(prep, state, keys_of, people, {ikey: leader, jkey: cid}) - base
                if gain < 0:
                    same_time = any(s <= j.start and j.end <= e for s, e in free)
                    options.append((gain, not same_time, day, j.start, jkey, cid))
    for _gain, _later, _day, _start, jkey, cid in sorted(options)[:prep.config.search.hand_over_candidates]:
        if _try_hand_over(prep, state, builder, keys_of, ikey, jkey, leader, cid):
            return True
    return False


def _try_hand_over(prep: Prepared, state: State, builder, keys_of, ikey: int, jkey: int,
                   leader: str, colleague: str) -> bool:
    """Hand session ``jkey`` to the colleague that day and move session ``ikey`` to the leader;
    kept only when tiers 3 to 6 fall, otherwise everything is restored under its old key."""

    own, j = state.bookings[ikey], state.bookings[jkey]
    people = set(own.participants) | set(j.participants)
    before = local_tiers(prep, state, [own, j], people)
    state.remove(jkey)
    language = prep.language_to_interpret(j.participants[0], colleague)
    handed = replace(j, counsellor=colleague)
    if language != j.language or session_problems(prep, state, handed):
        handed = builder.complete(j.participants, j.type, j.location, j.mode, j.day, j.start, j.end,
                                  colleague, language)
    if handed is None or session_problems(prep, state, handed):
        # Not at its time: the colleague's first free time that day (the day's cost stays).
        handed = builder.fit_on_day(j.participants[0], j.type, j.location, j.mode, j.day, colleague, language)
    if handed is None or session_problems(prep, state, handed):
        state.add(j, key=jkey)
        return False
    hkey = state.add(handed)
    state.remove(ikey)
    pid = own.participants[0]
    mine = builder.fit_on_day(pid, own.type, own.location, own.mode, j.day, leader,
                              prep.language_to_interpret(pid, leader))
    if mine is not None and not session_problems(prep, state, mine):
        mkey = state.add(mine)
        _rekey(state, keys_of, jkey, hkey)
        _rekey(state, keys_of, ikey, mkey)
        after = local_tiers(prep, state, [mine, handed], people)
        if after < before:
            return True
        state.remove(mkey)
        state.remove(hkey)
        state.add(own, key=ikey)
        state.add(j, key=jkey)
        _rekey(state, keys_of, mkey, ikey)
        _rekey(state, keys_of, hkey, jkey)
        return False
    state.remove(hkey)
    state.add(own, key=ikey)
    state.add(j, key=jkey)
    return False


# ---------------------------------------------------------------------- seat exchange across languages

def exchange_seats(prep: Prepared, state: State, stop_at: float = float("inf"), eject: bool = True) -> int:
    """A group member whose individual session is with another counsellor trades it with one of
    their group's counsellor's individual sessions (each participant takes the other's time,
    place and counsellor), or a three-way rotation closes the loop; returns how many moved.
    Unlike the seat reassignment, each session gets the interpreter its new participant needs
    (rooms re-chosen when taken). With ``eject``, a member may also take a session whose
    participant is then re-booked wherever they fit best."""

    builder = Constructor(prep, state)

    seats = _Seats(prep, state)

    def attempt(keys_of, ikey: int, leader: str) -> bool:
        done = (_trade_best(prep, state, builder, keys_of, ikey, leader, eject)
                or _rotate_best(prep, state, builder, keys_of, seats, ikey, leader))
        seats.stale = seats.stale or done
        return done

    return _each_split_member(prep, state, stop_at, attempt)


def _trade_best(prep: Prepared, state: State, builder, keys_of, ikey: int, leader: str, eject: bool) -> bool:
    """Try the leader's individual sessions whose trade (or, with ``eject``, ejection) looks
    best (travel and continuity)."""
    own = state.bookings[ikey]
    pid = own.participants[0]
    options = []
    for jkey, j in _leader_seats(prep, state, own, leader):
        other = j.participants[0]
        trade = _may_take(prep, other, own)
        # Traded, the other participant takes the member's old session; else they are
        # re-booked wherever they fit, and their continuity is estimated as unchanged.
        people = {pid, other} if trade else {pid}
        # Traded, each participant's session has the other's counsellor.
        gain = (_tier5(prep, state, keys_of, people, {ikey: j.counsellor, jkey: own.counsellor})
                - _tier5(prep, state, keys_of, people, {}))
        if gain >= 0:
            continue   # nobody sees fewer counsellors: travel alone is the relocation's business
        travel = _seat_travel(prep, pid, j) - _seat_travel(prep, pid, own)
        if trade:
            travel += _seat_travel(prep, other, own) - _seat_travel(prep, other, j)
        options.append((travel + gain, j.day, j.start, jkey, trade))
    for _estimate, _day, _start, jkey, trade in sorted(options)[:prep.config.search.seat_candidates]:
        if trade and _try_cycle(prep, state, builder, keys_of, (ikey, jkey)):
            return True
        if eject and _try_eject(prep, state, keys_of, ikey, jkey):
            return True
    return False


def _leader_seats(prep: Prepared, state: State, own: Booking, leader: str):
    """(key, session) of the leader's movable individual sessions of ``own``'s type that
    ``own``'s participant may take, day by day within their dates."""
    types = prep.instance.session_types
    pid = own.participants[0]
    first, last = prep.day_range(prep.participants[pid])
    for day in range(max(first, 0), min(last, len(prep.days) - 1) + 1):
        for _s, _e, _loc, jkey in state.cons.get((leader, day), []):
            j = state.bookings[jkey]
            if not types[j.type].is_group and j.type == own.type and j.movable and _may_take(prep, pid, j):
                yield jkey, j


def _may_take(prep: Prepared, pid: str, b: Booking) -> bool:
    """Rules 2, 4, 7 and 9 for the participant in that session's slot (clashes and
    interpreters are checked when the trade is tried)."""
    p = prep.participants[pid]
    first, last = prep.day_range(p)
    if not first <= b.day <= last:
        return False
    if not may_counsel(prep.counsellors[b.counsellor], (prep.participants[pid],)):
        return False
    if b.mode == "video":
        return p.video_ok
    return b.location in prep.reachable_locations(pid)


def _seat_travel(prep: Prepared, pid: str, b: Booking) -> int:
    return travel_cost(prep, pid, b.location, b.mode)


def _try_eject(prep: Prepared, state: State, keys_of, ikey: int, jkey: int) -> bool:
    """The member takes session ``jkey``; its participant is re-booked wherever they fit best
    (the member's old time included, waiting a few days for a counsellor they know, as
    construction does); kept only when tiers 3 to 6 fall, else restored under the old keys."""

    own, j = state.bookings[ikey], state.bookings[jkey]
    pid, other = own.participants[0], j.participants[0]
    people = {pid, other}
    before = local_tiers(prep, state, [own, j], people)
    state.remove(ikey)
    state.remove(jkey)
    patient = Constructor(prep, state)
    mine = _seated(prep, state, patient, j, pid)
    if mine is not None:
        mkey = state.add(mine)
        _rekey_person(keys_of, pid, ikey, mkey)
        keys_of[other].discard(jkey)
        # The re-booking can only add to the others' tier-5 cost, so dearer places are not searched.
        below = sum(before) - sum(local_tiers(prep, state, [mine], people))   # weighted: a search bound
        again = patient.place_individual(other, j.type, below) if below > 0 else None
        if again is not None and not session_problems(prep, state, again):
            akey = state.add(again)
            keys_of[other].add(akey)
            after = local_tiers(prep, state, [mine, again], people)
            if after < before:
                return True
            state.remove(akey)
            keys_of[other].discard(akey)
        state.remove(mkey)
        _rekey_person(keys_of, pid, mkey, ikey)
        keys_of[other].add(jkey)
    state.add(own, key=ikey)
    state.add(j, key=jkey)
    return False


class _Seats:
    """The movable individual sessions by type, each with what its participant may take
    (rules 2, 4, 7 and 9 as in _may_take): the rotation scans them once per split member, so
    they are indexed once and again after each change."""

    def __init__(self, prep: Prepared, state: State):
        self.prep, self.state = prep, state
        self.stale = True
        self.by_type: dict[str, list] = {}

    def of_type(self, typ: str) -> list:
        if self.stale:
            self._build()
        return self.by_type.get(typ, [])

    def _build(self) -> None:
        prep = self.prep
        types = prep.instance.session_types
        self.by_type = {}
        for key, b in self.state.bookings.items():
            if types[b.type].is_group or not b.movable:
                continue
            pid = b.participants[0]
            p = prep.participants[pid]
            first, last = prep.day_range(p)
            self.by_type.setdefault(b.type, []).append(
                (key, b, pid, first, last, needs_multicultural(p), p.video_ok,
                 frozenset(prep.reachable_locations(pid))))
        self.stale = False


def _rotate_best(prep: Prepared, state: State, builder, keys_of, seats: _Seats, ikey: int, leader: str) -> bool:
    """A three-way rotation where a pair trade does not pay: the member takes one of the group
    counsellor's individual sessions ``j``, its participant takes some other individual
    session ``k`` of that type, and ``k``'s participant takes the member's old session.
    Estimated by travel and continuity, tried best first."""
    own = state.bookings[ikey]
    pid = own.participants[0]
    # The third participant takes the member's old session: those who may, with how their
    # travel changes, grouped by their session k's place (where the other participant's
    # travel to k is one figure) and sorted, so a scan stops where travel cannot pay.
    takers: dict[tuple[str, str], list] = {}
    video = own.mode == "video"
    trained = prep.counsellors[own.counsellor].multicultural
    for kkey, k, third, first, last, multicultural, video_ok, reach in seats.of_type(own.type):
        if (kkey == ikey or third == pid or not first <= own.day <= last
                or not (video_ok if video else own.location in reach) or (multicultural and not trained)):
            continue
        travel = _seat_travel(prep, third, own) - _seat_travel(prep, third, k)
        takers.setdefault((k.location, k.mode), []).append((travel, kkey, k, third))
    for group in takers.values():
        group.sort(key=lambda t: (t[0], t[1]))
    # Each of the other two participants gains at most one counsellor fewer and the preferred one.
    best_tier5 = tier5_one_session_bound(prep)
    third_tier5: dict[int, int] = {}
    options = []
    for jkey, j in _leader_seats(prep, state, own, leader):
        other = j.participants[0]
        mine = (_seat_travel(prep, pid, j) - _seat_travel(prep, pid, own)
                + _tier5_change(prep, state, keys_of, pid, ikey, leader))
        if mine >= 0:
            continue   # the member gains nothing from the leader's session
        p_other = prep.participants[other]
        o_first, o_last = prep.day_range(p_other)
        reach = set(prep.reachable_locations(other))
        multicultural = needs_multicultural(prep.participants[other])
        theirs: dict[str, int] = {}   # the other participant's continuity by counsellor of k
        for (loc, mode), group in takers.items():
            if not (p_other.video_ok if mode == "video" else loc in reach):
                continue
            moved = _seat_travel(prep, other, group[0][2]) - _seat_travel(prep, other, j)
            limit = 2 * best_tier5 - mine - moved
            for travel, kkey, k, third in group:
                if travel >= limit:
                    break
                if (kkey == jkey or third == other or not o_first <= k.day <= o_last
                        or (multicultural and not prep.counsellors[k.counsellor].multicultural)):
                    continue
                if k.counsellor not in theirs:
                    theirs[k.counsellor] = _tier5_change(prep, state, keys_of, other, jkey, k.counsellor)
                if kkey not in third_tier5:
                    third_tier5[kkey] = _tier5_change(prep, state, keys_of, third, kkey, own.counsellor)
                estimate = mine + travel + third_tier5[kkey] + theirs[k.counsellor] + moved
                if estimate < 0:
                    options.append((estimate, jkey, kkey))
    for _estimate, jkey, kkey in sorted(options)[:prep.config.search.rotation_candidates]:
        if _try_cycle(prep, state, builder, keys_of, (ikey, jkey, kkey)):
            return True
    return False


def _tier5_change(prep: Prepared, state: State, keys_of, pid: str, key: int, counsellor: str) -> int:
    """How ``pid``'s tier-5 cost changes when their session ``key`` gets this counsellor."""
    return (_tier5(prep, state, keys_of, (pid,), {key: counsellor})
            - _tier5(prep, state, keys_of, (pid,), {}))


def _try_cycle(prep: Prepared, state: State, builder, keys_of, keys: tuple[int, ...]) -> bool:
    """Session ``keys[n]``'s participant takes session ``keys[n+1]`` (the last takes the
    first): a pair trade with two keys, a rotation with three. Each new session has the
    interpreter its participant needs; kept only when tiers 3 to 6 fall, else everything is
    restored under its old key."""

    olds = [state.bookings[k] for k in keys]
    people = [b.participants[0] for b in olds]
    before = local_tiers(prep, state, olds, set(people))
    for k in keys:
        state.remove(k)
    added: list[int] = []
    for n, b in enumerate(olds):
        seated = _seated(prep, state, builder, olds[(n + 1) % len(olds)], people[n])
        if seated is None:
            break
        added.append(state.add(seated))
    if len(added) == len(olds):
        for n, key in enumerate(added):
            _rekey_person(keys_of, people[n], keys[n], key)
        after = local_tiers(prep, state, [state.bookings[k] for k in added], set(people))
        if after < before:
            return True
        for n, key in enumerate(added):
            _rekey_person(keys_of, people[n], key, keys[n])
    for key in added:
        state.remove(key)
    for k, b in zip(keys, olds):
        state.add(b, key=k)
    return False


def _seated(prep: Prepared, state: State, builder, slot: Booking, pid: str) -> Booking | None:
    """``slot`` with ``pid`` in it: its own room and interpreter when they still fit, else the
    cheapest free ones for the language ``pid`` needs; None when no valid one exists."""

    language = prep.language_to_interpret(pid, slot.counsellor)
    seated = replace(slot, participants=(pid,))
    if language != slot.language:
        seated = replace(seated, language=None, interpreter=None, interpreter_mode=None)
    if language is None or seated.language == language:
        if not session_problems(prep, state, seated):
            return seated
        if language is None:
            return None
    found = builder.complete((pid,), slot.type, slot.location, slot.mode, slot.day, slot.start, slot.end,
                             slot.counsellor, language)
    return found if found is not None and not session_problems(prep, state, found) else None


def _rekey_person(keys_of, pid: str, old_key: int, key: int) -> None:
    keys_of[pid].discard(old_key)
    keys_of[pid].add(key)
