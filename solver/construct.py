"""Plan state and the constructive (greedy, deadline-ordered) planner.

The state keeps every resource's bookings per working day, so each rule of PROBLEM.md is
checked against a handful of intervals. Search works on free windows: a resource's working
windows minus its bookings (widened by travel time where rules 3 and 6 ask for it), so the
first fitting grid start is found without trying every start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import calendar as cal
from .formats import Session
from .model_data import Prepared
from .objective import interpreter_booking_cost, overdue_wait_cost, travel_cost
from .rules import interpreter_place, may_counsel, journey_minutes, participant_place, session_problems

Windows = cal.Windows
DAY_MINUTES = 24 * 60


@dataclass
class Booking:
    """A session in the working plan (times are minutes after midnight of day index ``day``)."""

    type: str
    participants: tuple[str, ...]
    counsellor: str
    location: str
    room: str
    day: int
    start: int
    end: int
    mode: str = "onsite"
    language: str | None = None
    interpreter: str | None = None
    interpreter_mode: str | None = None
    prev_id: str | None = None   # id of the previous-plan session it keeps unchanged
    fixed: bool = False          # frozen (rule 10): never moved by the planner
    anchor: tuple[int, int] | None = None  # (day, start) of a re-staffed previous session
    was_interpreter: str | None = None     # the interpreter that previous session had booked

    @property
    def movable(self) -> bool:
        """May a pass move or change it? Not when frozen, kept from the previous plan (tier 2)
        or re-staffed at a previous session's time."""
        return not self.fixed and not self.prev_id and self.anchor is None


def booking_from_session(prep: Prepared, s: Session) -> Booking | None:
    """A previous-plan session as a booking, or None when its day/room/type is gone."""
    day = prep.day_index.get(s.start.date())
    if day is None or s.type not in prep.instance.session_types or s.room not in prep.rooms:
        return None
    if s.end.date() != s.start.date():
        return None
    return Booking(s.type, tuple(s.participants), s.counsellor, s.location, s.room, day,
                   cal.minute_of_day(s.start), cal.minute_of_day(s.end), s.mode, s.language,
                   s.interpreter, s.interpreter_mode, prev_id=s.id)


def session_from_booking(prep: Prepared, b: Booking, sid: str) -> Session:
    """A booking as a plan session with id ``sid`` (the inverse of booking_from_session)."""
    day = prep.days[b.day]
    return Session(id=sid, type=b.type, participants=list(b.participants), counsellor=b.counsellor,
                   location=b.location, room=b.room, start=cal.at_minute(day, b.start), end=cal.at_minute(day, b.end),
                   mode=b.mode, language=b.language, interpreter=b.interpreter, interpreter_mode=b.interpreter_mode)


def overlaps(items, start: int, end: int) -> bool:
    """True when [start, end) overlaps any (s, e, ...) item."""
    return any(s < end and start < e for s, e, *_ in items)


CANNOT_COME = -1  # the key of a participant's busy time in State.part: never a booking's, never removed


@dataclass
class State:
    """Bookings indexed by resource and day."""

    prep: Prepared
    bookings: dict[int, Booking] = field(default_factory=dict)
    part: dict = field(default_factory=dict)     # (pid, day) -> [(s, e, key)]
    cons: dict = field(default_factory=dict)     # (cid, day) -> [(s, e, loc, key)]
    interp: dict = field(default_factory=dict)   # (iid, day) -> [(s, e, loc or None, key)]
    room: dict = field(default_factory=dict)     # (rid, day) -> [(s, e, key)]
    done: dict = field(default_factory=dict)     # (pid, type) -> key
    load: dict = field(default_factory=dict)     # cid -> sessions
    met: dict = field(default_factory=dict)      # pid -> {cid: sessions together}
    next_key: int = 0
    untried: set = field(default_factory=set)   # (pid, type) construction had no time for
    interp_changes: dict = field(default_factory=dict)  # day -> interpreter bookings changed that day
    room_open: dict = field(default_factory=dict)  # (rid, day) -> the room's free windows, while unchanged

    def __post_init__(self) -> None:
        # The times a participant cannot come (solver/README.md "busy") sit in their day like a session
        # that never moves: every pass that asks whether they are free (rules.participant_busy,
        # participants_free) sees them. No place: no journey is counted around them.
        for p in self.prep.instance.participants:
            if p.busy:
                for day, date in enumerate(self.prep.days):
                    for s, e in cal.busy_windows(p, date):
                        self.part.setdefault((p.id, day), []).append((s, e, None, CANNOT_COME))

    def add(self, b: Booking, key: int | None = None) -> int:
        """Book a session into every resource it uses; ``key`` puts back a session taken out
        with remove() under its old key."""
        if key is None:
            key = self.next_key
            self.next_key += 1
        elif key in self.bookings or key >= self.next_key:
            raise ValueError(f"key {key} is taken or was never given out")
        self.bookings[key] = b
        for pid in b.participants:
            self.part.setdefault((pid, b.day), []).append(
                (b.start, b.end, participant_place(self.prep, pid, b.location, b.mode), key))
            self.done[(pid, b.type)] = key
            met = self.met.setdefault(pid, {})
            met[b.counsellor] = met.get(b.counsellor, 0) + 1
        self.cons.setdefault((b.counsellor, b.day), []).append((b.start, b.end, b.location, key))
        self.load[b.counsellor] = self.load.get(b.counsellor, 0) + 1
        if b.interpreter:
            where = interpreter_place(self.prep, b.interpreter, b.location, b.interpreter_mode)
            self.interp.setdefault((b.interpreter, b.day), []).append((b.start, b.end, where, key))
            self.interp_changes[b.day] = self.interp_changes.get(b.day, 0) + 1
        self.room.setdefault((b.room, b.day), []).append((b.start, b.end, key))
        self.room_open.pop((b.room, b.day), None)
        return key

    def remove(self, key: int) -> Booking:
        """Take a session out of the state."""
        b = self.bookings.pop(key)

        def drop(index, k):
            index[k] = [item for item in index[k] if item[-1] != key]

        for pid in b.participants:
            drop(self.part, (pid, b.day))
            if self.done.get((pid, b.type)) == key:
                del self.done[(pid, b.type)]
            met = self.met[pid]
            met[b.counsellor] -= 1
            if not met[b.counsellor]:
                del met[b.counsellor]
        drop(self.cons, (b.counsellor, b.day))
        self.load[b.counsellor] -= 1
        if b.interpreter:
            drop(self.interp, (b.interpreter, b.day))
            self.interp_changes[b.day] = self.interp_changes.get(b.day, 0) + 1
        drop(self.room, (b.room, b.day))
        self.room_open.pop((b.room, b.day), None)
        return b

    def counsellors_of(self, pid: str) -> set[str]:
        """Counsellors a participant already meets (for continuity)."""
        return set(self.met.get(pid, ()))

    # ------------------------------------------------------------------ free windows
    def sessions_left(self, cid: str, day: int) -> int:
        """How many more sessions the counsellor may give that day (rule 3's daily maximum)."""
        return self.prep.counsellors[cid].max_sessions_per_day - len(self.cons.get((cid, day), []))

    def counsellor_free(self, cid: str, day: int, loc: str) -> Windows:
        """Counsellor's free windows at a location on a day (rule 3, travel included)."""
        prep = self.prep
        windows = prep.counsellor_at(cid, loc, day)
        blocks = []
        loc_place = prep.locations[loc].place
        for s, e, other, _k in self.cons.get((cid, day), []):
            t = prep.travel.minutes(loc_place, prep.locations[other].place) if other != loc else 0
            blocks.append((s - t, e + t))
        return cal.subtract_windows(windows, blocks)

    def participants_free(self, members, day: int, windows: Windows, loc: str | None = None,
                          mode: str = "onsite") -> Windows:
        """Windows minus the members' own sessions (rule 2), and minus the journey between where
        they are for their other sessions that day and where they are for a new one at ``loc`` in
        ``mode`` (``rules.participant_place``, ``journey_minutes``: by video, at home)."""
        blocks = []
        for pid in members:
            place = participant_place(self.prep, pid, loc, mode) if loc is not None else None
            for s, e, where, _k in self.part.get((pid, day), []):
                t = journey_minutes(self.prep, where, place) if place is not None else 0
                blocks.append((s - t, e + t))
        return cal.subtract_windows(windows, blocks)

    def free_with(self, cid: str, members, day: int, loc: str, mode: str = "onsite") -> Windows:
        """When the counsellor (rule 3, the daily maximum included) and the members (rule 2)
        are all free for a session at a location on a day, on site or by video."""
        if self.sessions_left(cid, day) <= 0:
            return []
        return self.participants_free(members, day, self.counsellor_free(cid, day, loc), loc, mode)

    def interpreter_ok(self, iid: str, day: int, start: int, end: int, loc: str, mode: str) -> bool:
        """Rule 6: available, not absent, no overlap, and the journey between where they are for
        each booking that day (``rules.interpreter_place``: remote interpreting from home)."""
        prep = self.prep
        if not cal.contains(prep.interp_windows[iid][day], start, end):
            return False
        place = interpreter_place(prep, iid, loc, mode)
        for s, e, other, _k in self.interp.get((iid, day), []):
            t = journey_minutes(prep, place, other)
            if s - t < end and start < e + t:
                return False
        return True

    def interpreter_free(self, iid: str, day: int) -> Windows:
        """An interpreter's available windows on a day minus their bookings (travel between
        on-site sessions not counted: a superset of where interpreter_ok can hold)."""
        return cal.subtract_windows(self.prep.interp_windows[iid][day],
                        [(s, e) for s, e, _o, _k in self.interp.get((iid, day), [])])

    def room_windows(self, rid: str, day: int) -> Windows:
        """The room's free windows on a day (the whole day minus its bookings)."""
        windows = self.room_open.get((rid, day))
        if windows is None:
            windows = cal.subtract_windows([(0, DAY_MINUTES)], [(s, e) for s, e, _k in self.room.get((rid, day), [])])
            self.room_open[(rid, day)] = windows
        return windows

    def room_free(self, rid: str, day: int, start: int, end: int) -> bool:
        """Rule 8: no two sessions in one room at once."""
        return not overlaps(self.room.get((rid, day), []), start, end)


# ---------------------------------------------------------------------- caseload


class Caseload:
    """What each counsellor is committed to during construction (booked sessions plus their
    group members' open individual needs) against their capacity over the horizon, so that
    group staffing spreads groups by what each counsellor can follow up (solver/README.md
    "Pipeline" 4, *Caseload*)."""

    def __init__(self, prep: Prepared, tasks) -> None:
        duration = max((t.minutes for t in prep.instance.session_types.values()), default=60)
        self.capacity = {
            c.id: max(1, sum(min(c.max_sessions_per_day, sum((e - s) // duration for s, e in windows))
                             for windows in prep.cons_windows[c.id]))
            for c in prep.instance.counsellors}
        self.open: dict[str, int] = {}       # participant -> open individual needs
        for pid, typ in tasks:
            if not prep.instance.session_types[typ].is_group:
                self.open[pid] = self.open.get(pid, 0) + 1
        self.leader: dict[str, str] = {}     # participant -> counsellor of their group
        self.pending: dict[str, int] = {}    # counsellor -> open individual needs of their members
        self.groups = {t for t, st in prep.instance.session_types.items() if st.is_group}

    def booked(self, b: "Booking") -> None:
        """Account for a session construction just added."""
        if b.type in self.groups:
            for m in b.participants:
                if self.open.get(m) and m not in self.leader:
                    self.leader[m] = b.counsellor
                    self.pending[b.counsellor] = self.pending.get(b.counsellor, 0) + self.open[m]
            return
        for m in b.participants:
            if self.open.get(m):
                self.open[m] -= 1
                leader = self.leader.get(m)
                if leader is not None:
                    self.pending[leader] -= 1

    def committed(self, cid: str, load: int, members=()) -> float:
        """Share of the counsellor's capacity booked or expected, with ``members`` added as a
        group they would lead."""
        extra = sum(self.open.get(m, 0) for m in members) + (1 if members else 0)
        return (load + self.pending.get(cid, 0) + extra) / self.capacity[cid]


# ---------------------------------------------------------------------- construction


class Constructor:
    """Greedy planner: places tasks one at a time at the cheapest option it finds first."""

    def __init__(self, prep: Prepared, state: State, continuity_days: int | None = None,
                 caseload: Caseload | None = None):
        self.prep = prep
        self.state = state
        self.continuity_days = prep.config.search.continuity_days if continuity_days is None else continuity_days
        self.caseload = caseload
        self.slot = prep.instance.slot_minutes
        self._interp_cache: dict = {}
        self._language_free: dict = {}  # (language, location, minutes, group, day) -> (changes, windows)

    # -------------------------------------------------------------- public
    def place_individual(self, pid: str, typ: str, below: int | None = None) -> Booking | None:
        """Best-found booking for one participant's individual session (not added).

        ``below``: only options whose travel or video cost alone is below it are scanned (a
        caller that would reject a dearer booking anyway is spared the search there)."""
        prep = self.prep
        p = prep.participants[pid]
        first, last = prep.day_range(p)
        overdue = p.overdue_since is not None
        best, best_cost = None, None
        for loc, mode in self.individual_options(pid):
            travel = travel_cost(prep, pid, loc, mode)
            if below is not None and travel >= below:
                continue
            if best_cost is not None and travel >= best_cost:
                continue   # its travel alone costs more than the best found
            b = self.first_fit((pid,), typ, loc, mode, first, last)
            if b is None:
                continue
            if not overdue:
                return b
            # An overdue participant waits at a cost (tier 3): a farther place that is days
            # sooner may cost less than the nearest one's first free day.
            cost = travel + overdue_wait_cost(prep, pid, b.day)
            if best_cost is None or cost < best_cost:
                best, best_cost = b, cost
        return best

    def book(self, b: Booking) -> None:
        """Add a booking to the state, and to the caseload when there is one."""
        self.state.add(b)
        if self.caseload is not None:
            self.caseload.booked(b)

    def fit_on_day(self, pid: str, typ: str, loc, mode, day: int, cid: str, language) -> Booking | None:
        """The first free time for this individual session with one counsellor on one day."""
        return self.scan((pid,), typ, loc, mode, day, day, [(cid, language)])

    def fit_with(self, members, typ, loc, mode, first: int, last: int, cid: str) -> Booking | None:
        """The earliest free booking of these members with one counsellor between two days."""
        pairs = [(c, lang) for _k, c, lang in self.counsellor_ranking(
            members, loc, group=self.prep.instance.session_types[typ].is_group) if c == cid]
        return self.scan(members, typ, loc, mode, first, last, pairs) if pairs else None

    def place_with(self, pid: str, typ: str, cid: str) -> Booking | None:
        """The participant's individual session with one given counsellor, cheapest travel
        first, earliest day (None when that counsellor has no fitting time)."""
        prep = self.prep
        first, last = prep.day_range(prep.participants[pid])
        for loc, mode in self.individual_options(pid):
            if loc not in prep.counsellors[cid].locations:
                continue
            ranked = [(c, lang) for _k, c, lang in self.counsellor_ranking((pid,), loc) if c == cid]
            if ranked:
                b = self.scan((pid,), typ, loc, mode, first, last, ranked)
                if b is not None:
                    return b
        return None

    def place_group(self, members: tuple[str, ...], typ: str, below: int | None = None) -> Booking | None:
        """Best-found booking for a group (onsite only; rule 7), or None; ``below`` as in
        place_individual, for the members' travel together."""
        prep = self.prep
        first, last = prep.common_days(members)
        for loc in self.group_locations(members):
            if below is not None and sum(travel_cost(prep, m, loc, "onsite") for m in members) >= below:
                continue
            b = self.first_fit(members, typ, loc, "onsite", first, last)
            if b is not None:
                return b
        return None

    def individual_options(self, pid: str) -> list[tuple[str, str]]:
        """(location, mode) options, cheapest participant travel first, video last (tier 3)."""
        prep = self.prep
        options = [(loc, "onsite") for loc in prep.reachable_locations(pid)]
        if prep.participants[pid].video_ok:
            video_locs = [l for l, loc in prep.locations.items() if any(r.video for r in loc.rooms)]
            options += [(l, "video") for l in sorted(video_locs)]
        return options

    def group_locations(self, members) -> list[str]:
        """Locations every member can reach, least total travel first."""
        prep = self.prep
        common = None
        for m in members:
            reach = set(prep.reachable_locations(m))
            common = reach if common is None else common & reach
        return sorted(common or (), key=lambda l: (sum(prep.participant_travel(m, l) for m in members), l))

    # -------------------------------------------------------------- search
    def first_fit(self, members, typ, loc, mode, first, last) -> Booking | None:
        """First feasible booking at a location, earliest day first. If its counsellor is not
        one the participant prefers or already meets (continuity, tier 5), such a counsellor
        is taken instead when free within ``continuity_days`` working days of that booking; a
        longer wait would spend later capacity that later referrals need (tier 1)."""
        group = self.prep.instance.session_types[typ].is_group
        ranked = self.counsellor_ranking(members, loc, group=group)
        if not ranked:
            return None
        if self.caseload is not None and group:
            # A group waits, within its members' dates, for a counsellor who can follow its
            # members up; only if none can does it go to the first free one.
            within = [(cid, lang) for key, cid, lang in ranked if not key[2]]
            found = self.scan(members, typ, loc, mode, first, last, within) if within else None
            if found is not None:
                return found
        found = self.scan(members, typ, loc, mode, first, last, [(cid, lang) for _k, cid, lang in ranked])
        best = ranked[0][0]
        if found is None or len(members) != 1 or not (best[0] < 0 or best[1] < 0) or not self.continuity_days:
            return found
        favoured = [(cid, language) for key, cid, language in ranked if key == best]
        if found.counsellor in {cid for cid, _l in favoured}:
            return found
        later = self.scan(members, typ, loc, mode, first, min(last, found.day + self.continuity_days), favoured)
        return later or found

    def scan(self, members, typ, loc, mode, first, last, counsellors, skip=None,
             keep_interpreter: str | None = None) -> Booking | None:
        """The first free booking with one of ``counsellors`` (in order) on the earliest day
        between ``first`` and ``last``; ``skip(b)`` passes a booking over for the next start;
        ``keep_interpreter`` is tried before the cheaper ones (see :meth:`complete`)."""
        prep, state = self.prep, self.state
        duration = prep.instance.session_types[typ].minutes
        for day in range(max(first, 0), min(last, len(prep.days) - 1) + 1):
            if not prep.loc_windows[loc][day]:
                continue
            interpreted: dict[str, Windows] = {}
            for cid, language in counsellors:
                free = state.free_with(cid, members, day, loc, mode)
                if free and language is not None:
                    # Only times some interpreter of the language is free: in a rare language
                    # most days have none, and trying each start with each room is the cost.
                    if language not in interpreted:
                        interpreted[language] = self.language_free(language, loc, duration, len(members), day)
                    free = cal.intersect_windows(free, interpreted[language])
                if not free:
                    continue
                for start in self.room_starts(free, loc, day, duration, len(members), mode == "video"):
                    b = self.complete(members, typ, loc, mode, day, start, start + duration, cid, language,
                                      keep_interpreter)
                    if b is not None and not (skip and skip(b)):
                        return b
        return None

    def at_time_of(self, members, b: Booking):
        """``members`` in ``b``'s slot (type, location, mode, day and time) with each qualified
        counsellor who is free then, best first, with a room and interpreter (``b``'s own when
        free), every rule kept: how a previous session keeps its appointment when its own staff cannot."""
        for cid, language in self.counsellor_order(members, b.location):
            if cal.contains(self.state.free_with(cid, members, b.day, b.location, b.mode), b.start, b.end):
                new = self.complete(members, b.type, b.location, b.mode, b.day, b.start, b.end, cid, language,
                                    b.interpreter)
                if new is not None and not session_problems(self.prep, self.state, new):
                    yield new

    def counsellor_order(self, members, loc) -> list[tuple[str, str | None]]:
        """Qualified counsellors at a location with the interpreted language they would need,
        best first (see counsellor_ranking)."""
        return [(cid, language) for _key, cid, language in self.counsellor_ranking(members, loc)]

    def counsellor_ranking(self, members, loc, group: bool = False) -> list[tuple[tuple, str, str | None]]:
        """(key, counsellor, interpreted language) for qualified counsellors, sorted by key:
        most members who prefer or already meet them (tier 5), then no interpreter needed
        (tier 4); the least-loaded counsellor breaks ties (tier 6).

        With a caseload, a group goes first to counsellors who can still follow its members
        up individually, and load is the committed share of capacity (see Caseload)."""
        prep = self.prep
        caseload = self.caseload
        people = [prep.participants[m] for m in members]
        out = []
        for c in prep.instance.counsellors:
            if loc not in c.locations or not may_counsel(c, people):
                continue
            uncovered = {prep.participants[m].language for m in members
                         if prep.participants[m].needs_interpreter
                         and prep.participants[m].language not in c.languages}
            if len(uncovered) > 1:
                continue  # rule 5: one interpreted language per session
            language = next(iter(uncovered)) if uncovered else None
            if language is not None and not prep.interpreters_by_language.get(language):
                continue
            preferred = sum(prep.participants[m].preferred_counsellor == c.id for m in members)
            met = sum(c.id in self.state.met.get(m, ()) for m in members)
            load = self.state.load.get(c.id, 0)
            if caseload is not None:
                load = caseload.committed(c.id, load, members if group else ())
            if caseload is not None and group:
                key = (-preferred, -met, load > 1.0, language is not None)
            else:
                key = (-preferred, -met, language is not None)
            out.append((key, load, c.id, language))
        out.sort()
        return [(key, cid, language) for key, _load, cid, language in out]

    def complete(self, members, typ, loc, mode, day, start, end, cid, language,
                 keep_interpreter: str | None = None) -> Booking | None:
        """Add room and interpreter to a (day, start, counsellor) choice, or None. The cheapest
        interpreter first, but ``keep_interpreter`` (who has the session booked) before all:
        another one means a cancellation and a new request (tier 2, ``Weights.new_interpreter``)."""
        size = len(members)
        if language is None:
            room = self.pick_room(loc, day, start, end, size, video=(mode == "video"))
            if room is None:
                return None
            return Booking(typ, tuple(members), cid, loc, room, day, start, end, mode)
        rooms: dict[bool, str | None] = {}   # one room look-up per video need, not per interpreter
        options = self.interpreter_options(language, loc, end - start, size)
        if keep_interpreter is not None:
            options = sorted(options, key=lambda option: option[1] != keep_interpreter)  # stable
        for _cost, iid, imode in options:
            video = mode == "video" or imode == "video"
            if video not in rooms:
                rooms[video] = self.pick_room(loc, day, start, end, size, video)
            if rooms[video] is None or not self.state.interpreter_ok(iid, day, start, end, loc, imode):
                continue
            return Booking(typ, tuple(members), cid, loc, rooms[video], day, start, end, mode, language, iid, imode)
        return None

    def room_starts(self, free: Windows, loc, day, duration, size, video: bool) -> list[int]:
        """Grid starts inside ``free`` where at least one fitting room is free (rule 8)."""
        starts: set[int] = set()
        for r in self.prep.locations[loc].rooms:
            if r.capacity < size or (video and not r.video):
                continue
            open_ = cal.intersect_windows(free, self.state.room_windows(r.id, day))
            starts.update(cal.grid_starts(open_, duration, self.slot))
        return sorted(starts)

    def pick_room(self, loc, day, start, end, size, video: bool) -> str | None:
        """A free room that fits (rule 8). An individual session takes a single room first, so
        groups keep the big ones; then a session that needs no video takes a room without it,
        so video sessions (rule 7: a remote interpreter for a group needs a video group room,
        often the only one at a location) keep theirs; then the smallest."""
        rooms = [r for r in self.prep.locations[loc].rooms if r.capacity >= size and (r.video or not video)]
        rooms.sort(key=lambda r: (size == 1 and r.capacity > 1, r.video and not video, r.capacity, r.id))
        for r in rooms:
            if self.state.room_free(r.id, day, start, end):
                return r.id
        return None

    def language_free(self, language, loc, minutes, size, day) -> Windows:
        """When on a day some interpreter of the language who could serve here is free. Every
        first fit asks this for each day it scans, but a placement changes one day, so the
        answer is kept until an interpreter booking on that day changes."""
        key = (language, loc, minutes, size > 1, day)
        changes = self.state.interp_changes.get(day, 0)
        kept = self._language_free.get(key)
        if kept is not None and kept[0] == changes:
            return kept[1]
        # an interpreter is listed once per mode; their free time is the same in each
        iids = dict.fromkeys(iid for _cost, iid, _mode in self.interpreter_options(language, loc, minutes, size))
        windows = cal.merge_windows(w for iid in iids for w in self.state.interpreter_free(iid, day))
        self._language_free[key] = (changes, windows)
        return windows

    def interpreter_options(self, language, loc, minutes, size) -> list[tuple[int, str, str]]:
        """(weighted cost, interpreter, mode) for a language at a location, cheapest first (tier 4)."""
        key = (language, loc, minutes, size > 1)
        cached = self._interp_cache.get(key)
        if cached is not None:
            return cached
        prep = self.prep
        has_video_room = any(r.video for r in prep.locations[loc].rooms)
        out = []
        for iid in prep.interpreters_by_language.get(language, []):
            it = prep.interpreters[iid]
            for imode in it.modes:
                if imode == "phone" and size > 1:
                    continue  # rule 7: phone only in individual sessions
                if imode == "video" and not has_video_room:
                    continue
                out.append((interpreter_booking_cost(prep, iid, minutes, imode, loc, language), iid, imode))
        out.sort()
        self._interp_cache[key] = out
        return out

