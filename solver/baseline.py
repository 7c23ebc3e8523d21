"""The baseline: what a centre lead with a spreadsheet would do, as a greedy first fit.

Participants in order of deadline (nearest first); each need gets the first day, location,
counsellor, time and room that work, and the first free interpreter (no cost awareness).
Individual sessions come first; groups are then formed per location and language from the
participants still needing one, in deadline order, and placed the same way. What cannot be
placed is reported with a reason a lead can act on.

The baseline exists to measure the CP-SAT model against; it must produce valid plans, so it
checks every rule itself (independently of both the model and the checker).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from solver.formats import load_instance
from solver.travel import known_minutes, travel_minutes

ACT_BASES = ("integration_act", "temporary_act")


def baseline(instance: Any) -> dict:
    """A valid ``guidance-plan/1`` dict for an instance (model, dict, JSON text or path)."""
    started = time.monotonic()
    inst = load_instance(instance).model_dump(mode="json")
    planner = _Greedy(inst)
    planner.keep_previous()
    planner.plan_groups()
    planner.plan_individuals()
    return {
        "format": "guidance-plan/1",
        "instance": inst["name"],
        "sessions": planner.sessions,
        "unscheduled": planner.unscheduled,
        "stats": {"status": "FEASIBLE", "objective": None, "best_bound": None,
                  "wall_seconds": round(time.monotonic() - started, 3), "algorithm": "baseline-greedy"},
    }


# --------------------------------------------------------------------------- time helpers


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _merge(pairs) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(pairs):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _intersect(xs, ys) -> list[tuple[int, int]]:
    return [(max(a, c), min(b, d)) for a, b in xs for c, d in ys if max(a, c) < min(b, d)]


def _clock(day: date, minute: int) -> str:
    return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}"


def _absent(absences, day: date) -> bool:
    iso = day.isoformat()
    return any(a <= iso <= b for a, b in absences)


@dataclass
class _Busy:
    """Bookings of one resource, per day: (start, end, location id or None when remote)."""

    days: dict[date, list[tuple[int, int, str | None]]] = field(default_factory=lambda: defaultdict(list))

    def count(self, day: date) -> int:
        return len(self.days[day])

    def free(self, day: date, start: int, end: int, location: str | None, travel) -> bool:
        """No overlap, and enough travel time to and from other locations that day."""
        for s, e, loc in self.days[day]:
            if s < end and start < e:
                return False
            if loc is None or location is None or loc == location:
                continue
            if e <= start and start - e < travel(loc, location):
                return False
            if end <= s and s - end < travel(location, loc):
                return False
        return True

    def add(self, day: date, start: int, end: int, location: str | None) -> None:
        self.days[day].append((start, end, location))


# --------------------------------------------------------------------------- the greedy


def _there(c: dict, loc_id: str, day: date) -> bool:
    """The counsellor works at the location, and on this weekday when their `location_days` name it."""
    return loc_id in c["locations"] and day.isoweekday() in (c.get("location_days") or {}).get(loc_id, range(1, 8))


class _Greedy:
    """Resource calendars and first-fit placement over one instance's JSON shape."""

    def __init__(self, inst: dict):
        self.inst = inst
        self.slot = inst["slot_minutes"]
        self.types = inst["session_types"]
        self.places = {p["id"]: p for p in inst["places"]}
        self.locations = {loc["id"]: loc for loc in inst["locations"]}
        self.counsellors = sorted(inst["counsellors"], key=lambda c: _id_key(c["id"]))
        self.interpreters = sorted(inst["interpreters"], key=lambda i: _id_key(i["id"]))
        self.interpreter_by_id = {i["id"]: i for i in self.interpreters}
        self.participants = {p["id"]: p for p in inst["participants"]}
        self.days = self._working_days()
        self.busy = defaultdict(_Busy)  # ("c"|"i"|"r"|"p", id) -> bookings
        self.done: set[tuple[str, str]] = set()  # (participant, type) scheduled
        self.sessions: list[dict] = []
        self.used_ids: set[str] = set()
        self.frozen: set[str] = set()  # kept sessions of previous_plan: never touched again
        self.next_id = 1
        self.unscheduled: list[dict] = []
        # The instance's known travel times (a ferry) stand for their pairs; the formula for the rest.
        self._travel: dict[tuple[str, str], int] = known_minutes(self.inst["travel"].get("overrides"))
        # (location, ISO weekday) -> opening minutes: one set of hours, or each weekday's own
        self.opening = {(lid, wd): _merge((_minutes(a), _minutes(b)) for a, b in (
            loc["opening"] if loc.get("weekly_opening") is None else loc["weekly_opening"].get(str(wd), [])))
            for lid, loc in self.locations.items() for wd in range(1, 8)}

    # -- set-up

    def _working_days(self) -> list[date]:
        first = date.fromisoformat(self.inst["horizon"]["start"])
        last = date.fromisoformat(self.inst["horizon"]["end"])
        workdays = set(self.inst["calendar"]["workdays"])
        holidays = set(self.inst["calendar"]["holidays"])
        days = (first + timedelta(days=k) for k in range((last - first).days + 1))
        return [d for d in days if d.isoweekday() in workdays and d.isoformat() not in holidays]

    def place_travel(self, a: str, b: str) -> int:
        key = (a, b) if a <= b else (b, a)
        if key not in self._travel:
            t = self.inst["travel"]
            self._travel[key] = travel_minutes(self.places[key[0]], self.places[key[1]],
                                               t["road_factor"], t["speed_kmh"])
        return self._travel[key]

    def loc_travel(self, a: str, b: str) -> int:
        return self.place_travel(self.locations[a]["place"], self.locations[b]["place"])

    def is_group(self, type_name: str) -> bool:
        t = self.types[type_name]
        return t.get("min_size") is not None or t.get("max_size") is not None

    # -- previous plan (rule 10): keep frozen sessions that still hold

    def keep_previous(self) -> None:
        """Re-book the previous plan's sessions that still fit, frozen ones first.

        A lead re-plans only what broke: everything else stays where it was (objective 2).
        """
        previous, frozen_until = self.inst["previous_plan"], self.inst["frozen_until"]
        if not previous:
            return
        def frozen(s: dict) -> bool:
            return bool(frozen_until) and s["start"] < frozen_until
        for old in sorted(previous["sessions"], key=lambda s: (not frozen(s), s["start"], s["id"])):
            if self._still_fits(old):
                self._book_raw(old)
                if frozen(old):
                    self.frozen.add(old["id"])

    def _still_fits(self, s: dict) -> bool:
        """Whether a previous session can be re-booked exactly as it was."""
        day = date.fromisoformat(s["start"][:10])
        start, end = _minutes(s["start"][11:]), _minutes(s["end"][11:])
        people = [self.participants.get(pid) for pid in s["participants"]]
        if day not in self.days or any(p is None for p in people) or s["type"] not in self.types:
            return False
        if end - start != self.types[s["type"]]["minutes"] or s["end"][:10] != s["start"][:10]:
            return False
        if any(s["type"] not in p["needs"] or (p["id"], s["type"]) in self.done or not self._in_window(p, day)
               for p in people):
            return False
        loc = self.locations.get(s["location"])
        room = next((r for r in (loc or {}).get("rooms", []) if r["id"] == s["room"]), None)
        c = next((c for c in self.counsellors if c["id"] == s["counsellor"]), None)
        if loc is None or room is None or c is None or not self._location_open(loc, day, start, end):
            return False
        if not self._counsellor_can(c, loc["id"], people, day, start, end):
            return False
        if not self._room_can(room, s["mode"], len(people), day, start, end):
            return False
        if any(not self._participant_can(p, loc, s["mode"], day, start, end) for p in people):
            return False
        if not self._language_ok(s, c, people):
            return False
        if s["interpreter"] is None:
            return True
        i = self.interpreter_by_id.get(s["interpreter"])
        return i is not None and self._interpreter_can(i, s["language"], s["interpreter_mode"], room,
                                                      s["type"], loc["id"], day, start, end)

    def _language_ok(self, s: dict, c: dict, people: list[dict]) -> bool:
        for p in people:
            if p["needs_interpreter"] and p["language"] not in c["languages"] \
                    and not (s["interpreter"] and s["language"] == p["language"]):
                return False
        return (s["language"] is None) == (s["interpreter"] is None)

    # -- individual sessions

    def plan_individuals(self) -> None:
        """Each participant's non-group needs, nearest deadline first, first fit."""
        for p in self._by_deadline(self.participants.values()):
            for need in p["needs"]:
                if self.is_group(need) or (p["id"], need) in self.done:
                    continue
                reason = self._hopeless(p, need)
                if reason is None and self._place([p], need):
                    continue
                self._report([p], need, reason or self._capacity_reason(p))

    def _by_deadline(self, people) -> list[dict]:
        far = "9999-12-31"
        # Overdue participants (their legal deadline has passed) first, longest overdue first.
        return sorted(people, key=lambda p: (p.get("overdue_since") or far, p["deadline"] or far,
                                             p["earliest"] or "", _id_key(p["id"])))

    def _hopeless(self, p: dict, need: str) -> tuple[str, str] | None:
        """A reason why no search can succeed for this participant and need, or None."""
        if p["deadline"] and p["earliest"] and p["deadline"] < p["earliest"]:
            return "deadline_before_earliest", f"deadline {p['deadline']} is before earliest {p['earliest']}"
        if not self._window_days(p):
            return "no_day_in_window", "no working day of the horizon lies between earliest and deadline"
        sites = self._sites(p, need)
        if not sites:
            limit = self.inst["max_participant_travel_minutes"]
            return "too_far_from_any_location", f"every location is more than {limit} min away"
        counsellors = [c for loc, _ in sites for c in self._qualified([p], loc)]
        if not counsellors:
            return "no_qualified_counsellor", "no counsellor with multicultural training works within reach"
        if p["needs_interpreter"] and not any(p["language"] in c["languages"] for c in counsellors) \
                and not self._interpreters_for(p["language"], need):
            return "no_interpreter_for_language", f"no interpreter for {p['language']!r} in a usable mode"
        return None

    def _capacity_reason(self, p: dict) -> tuple[str, str]:
        if p["deadline"] and p["deadline"] <= self.inst["horizon"]["end"]:
            return "no_capacity_before_deadline", f"no free counsellor, room and interpreter before {p['deadline']}"
        return "no_capacity_in_horizon", "no free counsellor, room and interpreter in the horizon"

    def _report(self, people: list[dict], need: str, reason: tuple[str, str]) -> None:
        for p in people:
            self.unscheduled.append({"participant": p["id"], "type": need,
                                     "reason": reason[0], "detail": reason[1]})

    # -- groups

    def plan_groups(self) -> None:
        """Form groups per (nearest location, language) in deadline order and place them."""
        for need in (t for t in self.types if self.is_group(t)):
            clusters: dict[tuple[str, str], list[dict]] = defaultdict(list)
            for p in self._by_deadline(self.participants.values()):
                if need not in p["needs"] or (p["id"], need) in self.done:
                    continue
                reason = self._hopeless(p, need)
                if reason:
                    self._report([p], need, reason)
                    continue
                home = self._sites(p, need)[0][0]
                clusters[(home["id"], p["language"] if p["needs_interpreter"] else "-")].append(p)
            low = self.types[need].get("min_size") or 1
            self._merge_small(clusters, low, need)
            for key in sorted(clusters):
                if clusters[key]:
                    self._place_cluster(self._by_deadline(clusters[key]), need)

    def _merge_small(self, clusters: dict, low: int, need: str) -> None:
        """Too few for a group: send them to a reachable group of their language, or fill
        with participants at the same location who need no interpreter."""
        def move(p, src, dst):
            clusters[src].remove(p)
            clusters[dst].append(p)

        for key in sorted(clusters, key=lambda k: (len(clusters[k]), k)):
            members = clusters[key]
            if not 0 < len(members) < low:
                continue
            for p in list(members):
                reach = {loc["id"] for loc, _ in self._sites(p, need)}
                targets = [k for k in clusters if k != key and k[1] == key[1] and k[0] in reach
                           and len(clusters[k]) >= len(members)]
                if targets:
                    move(p, key, max(sorted(targets), key=lambda k: len(clusters[k])))
        for key in sorted(clusters):
            members, fillers = clusters[key], clusters.get((key[0], "-"), [])
            missing = low - len(members)
            if key[1] == "-" or not 0 < len(members) < low:
                continue
            if missing <= len(fillers) and (len(fillers) - missing >= low or len(fillers) == missing):
                for p in fillers[-missing:]:  # the latest deadlines can best wait for a group
                    move(p, (key[0], "-"), key)
        for key in sorted(clusters):
            members = clusters[key]
            if key[1] != "-" or not 0 < len(members) < low:
                continue
            same_place = [k for k in clusters if k[0] == key[0] and k != key and len(clusters[k]) >= low]
            if same_place:
                for p in list(members):
                    move(p, key, max(sorted(same_place), key=lambda k: len(clusters[k])))

    def _place_cluster(self, members: list[dict], need: str) -> None:
        t = self.types[need]
        low, high = t.get("min_size") or 1, t.get("max_size") or len(members)
        if len(members) < low:
            for p in members:
                if not self._join_existing(p, need):
                    self._report([p], need, ("group_too_small", f"only {len(members)} participant(s) "
                                                                f"for a group here; at least {low} needed"))
            return
        count = -(-len(members) // high)
        size, extra = divmod(len(members), count)
        index = 0
        for k in range(count):  # balanced chunks, so no tiny last group
            chunk = members[index:index + size + (k < extra)]
            index += len(chunk)
            self._place_group(chunk, need, low)

    def _place_group(self, group: list[dict], need: str, low: int) -> None:
        """Place a group; drop its tightest member and retry while it is big enough."""
        group = list(group)
        while len(group) >= low:
            if self._place(group, need):
                return
            tightest = group.pop(0)  # nearest deadline first, so the first is the tightest
            if not self._join_existing(tightest, need):
                self._report([tightest], need, self._capacity_reason(tightest))
        for p in group:
            if not self._join_existing(p, need):
                self._report([p], need, ("group_too_small", f"the remaining {len(group)} participant(s) "
                                                            f"cannot form a group of {low}"))

    def _join_existing(self, p: dict, need: str) -> bool:
        """Add a participant to an already planned group with room for one more."""
        high = self.types[need].get("max_size") or 10**9
        reach = {loc["id"] for loc, _ in self._sites(p, need)}
        for s in self.sessions:
            if s["type"] != need or len(s["participants"]) >= high or s["location"] not in reach \
                    or s["id"] in self.frozen:
                continue
            day = date.fromisoformat(s["start"][:10])
            start, end = _minutes(s["start"][11:]), _minutes(s["end"][11:])
            c = next(c for c in self.counsellors if c["id"] == s["counsellor"])
            room = next(r for r in self.locations[s["location"]]["rooms"] if r["id"] == s["room"])
            if not self._in_window(p, day) or len(s["participants"]) + 1 > room["capacity"]:
                continue
            if p["legal_basis"] in ACT_BASES and not c["multicultural"]:
                continue
            if p["needs_interpreter"] and p["language"] not in c["languages"] and p["language"] != s["language"]:
                continue
            if not self._participant_can(p, self.locations[s["location"]], s["mode"], day, start, end):
                continue
            s["participants"].append(p["id"])
            self.busy["p", p["id"]].add(day, start, end, self._where(p, self.locations[s["location"]], s["mode"]))
            self.done.add((p["id"], need))
            return True
        return False

    # -- first fit

    def _place(self, people: list[dict], need: str) -> bool:
        """Book the first (day, location, counsellor, time, room, interpreter) that works."""
        days = sorted(set.intersection(*(set(self._window_days(p)) for p in people)))
        sites = self._sites(people[0], need) if len(people) == 1 else self._group_sites(people, need)
        # The lead tries the participant's own (nearest) location on every day first and sends
        # them further only when it has nothing before the deadline.
        return self._first_fit(people, need, days, sites[:1]) or self._first_fit(people, need, days, sites[1:])

    def _first_fit(self, people: list[dict], need: str, days: list[date], sites) -> bool:
        minutes = self.types[need]["minutes"]
        for day in days:
            for loc, mode in sites:
                if not self._open_on(loc, day):
                    continue
                for c in self._qualified(people, loc):
                    if (_absent(c["absences"], day) or not _there(c, loc["id"], day)
                            or self.busy["c", c["id"]].count(day) >= c["max_sessions_per_day"]):
                        continue
                    hours = _merge((_minutes(a), _minutes(b)) for a, b in c["weekly"].get(str(day.isoweekday()), []))
                    for start in self._starts(_intersect(hours, self.opening[loc["id"], day.isoweekday()]), minutes):
                        if self._try(people, need, loc, mode, c, day, start, start + minutes):
                            return True
        return False

    def _starts(self, windows, minutes: int):
        for a, b in windows:
            first = -(-a // self.slot) * self.slot
            yield from range(first, b - minutes + 1, self.slot)

    def _try(self, people, need, loc, mode, c, day, start, end) -> bool:
        if not self.busy["c", c["id"]].free(day, start, end, loc["id"], self.loc_travel):
            return False
        if any(not self.busy["p", p["id"]].free(day, start, end, self._where(p, loc, mode), self.place_travel)
               for p in people):
            return False
        language = self._interpreted_language(people, c)
        rooms = sorted(loc["rooms"], key=lambda r: (r["capacity"], not r["video"], _id_key(r["id"])))
        for room in rooms:
            if not self._room_can(room, mode, len(people), day, start, end):
                continue
            if language is None:
                self._book(people, need, loc, room, mode, c, day, start, end, None, None, None)
                return True
            for interp, imode in self._interpreters_for(language, need):
                if self._interpreter_can(interp, language, imode, room, need, loc["id"], day, start, end):
                    self._book(people, need, loc, room, mode, c, day, start, end, language, interp, imode)
                    return True
        return False

    # -- rule checks of the greedy (its own, independent of checker and model)

    def _in_window(self, p: dict, day: date) -> bool:
        iso = day.isoformat()
        return (not p["earliest"] or p["earliest"] <= iso) and (not p["deadline"] or iso <= p["deadline"])

    def _window_days(self, p: dict) -> list[date]:
        return [d for d in self.days if self._in_window(p, d)]

    def _open_on(self, loc: dict, day: date) -> bool:
        return loc["open_dates"] is None or day.isoformat() in loc["open_dates"]

    def _location_open(self, loc: dict, day: date, start: int, end: int) -> bool:
        hours = self.opening[loc["id"], day.isoweekday()]
        return self._open_on(loc, day) and any(a <= start and end <= b for a, b in hours) \
            and start % self.slot == 0

    def _sites(self, p: dict, need: str) -> list[tuple[dict, str]]:
        """Locations the participant can use, nearest first: on site within reach, else video."""
        limit = self.inst["max_participant_travel_minutes"]
        near = sorted((self.place_travel(p["place"], loc["place"]), loc["id"]) for loc in self.locations.values())
        onsite = [(self.locations[lid], "onsite") for t, lid in near
                  if t <= limit and self.locations[lid]["rooms"] and self._step_free_ok(p, self.locations[lid])]
        if onsite or self.is_group(need) or not p["video_ok"]:
            return onsite
        return [(self.locations[lid], "video") for _, lid in near
                if any(r["video"] for r in self.locations[lid]["rooms"])]

    def _group_sites(self, people: list[dict], need: str) -> list[tuple[dict, str]]:
        common = None
        for p in people:
            ids = [loc["id"] for loc, _ in self._sites(p, need)]
            common = ids if common is None else [i for i in common if i in ids]
        return [(self.locations[i], "onsite") for i in common or []]

    def _qualified(self, people: list[dict], loc: dict) -> list[dict]:
        """Counsellors who may hold this session here: preferred first, then shared language."""
        need_multi = any(p["legal_basis"] in ACT_BASES for p in people)
        wanted = {p["preferred_counsellor"] for p in people if p["preferred_counsellor"]}
        languages = {p["language"] for p in people if p["needs_interpreter"]}
        out = [c for c in self.counsellors
               if loc["id"] in c["locations"] and (c["multicultural"] or not need_multi)]
        return sorted(out, key=lambda c: (c["id"] not in wanted, not languages <= set(c["languages"])))

    def _interpreted_language(self, people: list[dict], c: dict) -> str | None:
        missing = {p["language"] for p in people if p["needs_interpreter"] and p["language"] not in c["languages"]}
        if len(missing) > 1:
            raise AssertionError("groups are formed per language")
        return missing.pop() if missing else None

    def _interpreters_for(self, language: str, need: str) -> list[tuple[dict, str]]:
        """(interpreter, mode) pairs in the lead's order: first interpreter, on site first."""
        order = ["onsite", "video"] + ([] if self.is_group(need) else ["phone"])
        return [(i, m) for i in self.interpreters if language in i["languages"]
                for m in order if m in i["modes"]]

    def _counsellor_can(self, c, loc_id, people, day, start, end) -> bool:
        hours = _merge((_minutes(a), _minutes(b)) for a, b in c["weekly"].get(str(day.isoweekday()), []))
        need_multi = any(p["legal_basis"] in ACT_BASES for p in people)
        return (_there(c, loc_id, day) and any(a <= start and end <= b for a, b in hours)
                and not _absent(c["absences"], day) and (c["multicultural"] or not need_multi)
                and self.busy["c", c["id"]].count(day) < c["max_sessions_per_day"]
                and self.busy["c", c["id"]].free(day, start, end, loc_id, self.loc_travel))

    def _room_can(self, room, mode, size, day, start, end) -> bool:
        return (size <= room["capacity"] and (mode != "video" or room["video"])
                and self.busy["r", room["id"]].free(day, start, end, None, self.loc_travel))

    @staticmethod
    def _step_free_ok(p: dict, loc: dict) -> bool:
        return loc.get("step_free", False) or not p.get("needs_step_free", False)

    def _participant_can(self, p, loc, mode, day, start, end) -> bool:
        if mode == "video" and not p["video_ok"]:
            return False
        if mode == "onsite" and (self.place_travel(p["place"], loc["place"]) > self.inst["max_participant_travel_minutes"]
                                 or not self._step_free_ok(p, loc)):
            return False
        return self.busy["p", p["id"]].free(day, start, end, self._where(p, loc, mode), self.place_travel)

    @staticmethod
    def _where(p, loc, mode) -> str:
        """Where the participant is for a session: the location's place on site, their own place by
        video (rule 2's journey, solver/README.md)."""
        return loc["place"] if mode == "onsite" else p["place"]

    def _interpreter_where(self, i, loc_id, mode) -> str:
        """Where the interpreter is for a booking: the location's place on site, their own place by
        video or phone (rule 6's journey, solver/README.md)."""
        return self.locations[loc_id]["place"] if mode == "onsite" else i["place"]

    def _interpreter_can(self, i, language, mode, room, need, loc_id, day, start, end) -> bool:
        hours = _merge((_minutes(a), _minutes(b)) for a, b in i["weekly"].get(str(day.isoweekday()), []))
        if language not in i["languages"] or mode not in i["modes"] or _absent(i["absences"], day):
            return False
        if (mode == "video" and not room["video"]) or (mode == "phone" and self.is_group(need)):
            return False
        return (any(a <= start and end <= b for a, b in hours)
                and self.busy["i", i["id"]].free(day, start, end, self._interpreter_where(i, loc_id, mode),
                                                 self.place_travel))

    # -- booking

    def _book(self, people, need, loc, room, mode, c, day, start, end, language, interp, imode) -> None:
        self._book_raw({
            "id": self._new_id(), "type": need, "participants": [p["id"] for p in people],
            "counsellor": c["id"], "location": loc["id"], "room": room["id"],
            "start": _clock(day, start), "end": _clock(day, end), "mode": mode,
            "language": language, "interpreter": interp["id"] if interp else None,
            "interpreter_mode": imode,
        })

    def _book_raw(self, s: dict) -> None:
        day = date.fromisoformat(s["start"][:10])
        start, end = _minutes(s["start"][11:]), _minutes(s["end"][11:])
        self.busy["c", s["counsellor"]].add(day, start, end, s["location"])
        self.busy["r", s["room"]].add(day, start, end, None)
        for pid in s["participants"]:
            person = self.participants.get(pid, {"place": self.locations[s["location"]]["place"]})
            self.busy["p", pid].add(day, start, end, self._where(person, self.locations[s["location"]], s["mode"]))
            self.done.add((pid, s["type"]))
        if s["interpreter"]:
            i = self.interpreter_by_id.get(s["interpreter"])
            where = self._interpreter_where(i, s["location"], s["interpreter_mode"]) if i else None
            self.busy["i", s["interpreter"]].add(day, start, end, where)
        self.used_ids.add(s["id"])
        self.sessions.append(dict(s, participants=list(s["participants"])))

    def _new_id(self) -> str:
        """The next free session id (kept frozen sessions keep theirs)."""
        while f"S{self.next_id}" in self.used_ids:
            self.next_id += 1
        return f"S{self.next_id}"


def _id_key(text: str) -> tuple:
    """Sort ids naturally: C2 before C10."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return (text.rstrip("0123456789"), int(digits) if digits.isdigit() else 0, text)
