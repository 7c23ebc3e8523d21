"""The independent referee: does a plan keep hard rules 1-10 of PROBLEM.md, and how good is it?

This module shares only the file formats (``solver.formats``) and the travel formula
(``solver.travel``) with the planner. Every rule is re-derived here from the JSON shape of
the contract, so a bug in the model cannot hide behind the same bug in the checker.

Violations carry the rule number of PROBLEM.md (1-10). Rule 0 marks a plan that is not
internally consistent: unknown ids, duplicate sessions, a participant's need both scheduled
and reported unscheduled, or a need neither scheduled nor reported.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import combinations
from typing import Any

from solver.formats import FormatError, clock_text, load_file, load_instance, load_plan
from solver.objective import interpreter_cost_nok
from solver.travel import travel_minutes

CONSISTENCY = 0
_TIME_FMT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` 1-10 (0 = plan consistency), the session id or None."""

    rule: int
    session: str | None
    message: str

    def __str__(self) -> str:
        where = f" [session {self.session}]" if self.session else ""
        return f"rule {self.rule}{where}: {self.message}"


@dataclass
class CheckResult:
    """The verdict: every violation found and the plan's metrics."""

    violations: list[Violation] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when the plan breaks no rule."""
        return not self.violations

    def rules_broken(self) -> set[int]:
        """The distinct rule numbers that were broken."""
        return {v.rule for v in self.violations}


def check_plan(instance: Any, plan: Any) -> CheckResult:
    """Check a plan against an instance; both may be models, dicts, JSON text or paths.

    Raises FormatError when either does not follow its format at all.
    """
    inst = load_instance(instance).model_dump(mode="json")
    data = load_plan(plan).model_dump(mode="json")
    referee = _Referee(inst)
    sessions = [_Session.of(s) for s in data["sessions"]]
    violations = referee.check(data, sessions)
    metrics = referee.metrics(data, sessions)
    metrics["violations"] = len(violations)
    return CheckResult(violations, metrics)


def booking_cost(minutes: int, hourly_rate: float, min_billed_minutes: int = 0,
                 travel_rate: float = 0.0, travel_one_way_minutes: int = 0) -> float:
    """Interpreter cost in NOK of one booking (PROBLEM.md objective 4), the app's and the
    checker's entry to the one formula, ``solver.objective.interpreter_cost_nok`` (exact; the
    checker sums it and rounds the total to øre)."""
    return interpreter_cost_nok(minutes, hourly_rate, min_billed_minutes, travel_rate, travel_one_way_minutes)


def session_interpreter_cost(instance: Any, session: Any) -> float:
    """Interpreter cost in NOK of one plan session (0 without an interpreter)."""
    inst = instance if isinstance(instance, dict) else load_instance(instance).model_dump(mode="json")
    sess = session if isinstance(session, dict) else session.model_dump(mode="json")
    return _Referee(inst).cost(_Session.of(sess))


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m solver check INSTANCE.json PLAN.json``; exit 0 valid, 1 violations, 2 bad input."""
    parser = argparse.ArgumentParser(prog="python -m solver check",
                                     description="Check a plan against an instance (rules 1-10).")
    parser.add_argument("instance", help="guidance-instance/1 JSON file")
    parser.add_argument("plan", help="guidance-plan/1 JSON file")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (valid, violations, metrics) instead")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    try:
        instance = load_file(load_instance, args.instance)
        plan = load_file(load_plan, args.plan)
        result = check_plan(instance, plan)
    except FormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"valid": result.valid, "violations": [v.__dict__ for v in result.violations],
                          "metrics": result.metrics}, indent=1, ensure_ascii=False))
        return 0 if result.valid else 1
    for violation in result.violations:
        print(violation)
    verdict = "valid" if result.valid else f"INVALID: {len(result.violations)} violation(s)"
    print(f"plan {verdict}", file=sys.stderr)
    print(json.dumps(result.metrics, indent=1, ensure_ascii=False))
    return 0 if result.valid else 1


# --------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class _Session:
    """A plan session with its times parsed once."""

    raw: dict
    id: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, raw: dict) -> "_Session":
        return cls(raw, raw["id"], datetime.strptime(raw["start"], _TIME_FMT),
                   datetime.strptime(raw["end"], _TIME_FMT))

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        """Minutes after midnight of the end, counted from the start's day."""
        return self.start_minute + int((self.end - self.start).total_seconds() // 60)

    def overlaps(self, other: "_Session") -> bool:
        return self.start < other.end and other.start < self.end

    def signature(self) -> tuple:
        """Everything but the id: what "kept exactly" compares."""
        r = self.raw
        return (r["type"], tuple(sorted(r["participants"])), r["counsellor"], r["location"],
                r["room"], r["start"], r["end"], r["mode"], r["language"], r["interpreter"],
                r["interpreter_mode"])


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _windows(pairs) -> list[tuple[int, int]]:
    """Clock pairs as merged minute windows: touching windows form one continuous stretch."""
    out: list[list[int]] = []
    for a, b in sorted((_minutes(a), _minutes(b)) for a, b in pairs):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _inside(windows, start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in windows)


def _busy(person: dict, session: dict) -> list:
    """The person's `busy` times (addition, solver/README.md) that overlap the session; the
    local times compare as strings ('YYYY-MM-DDTHH:MM')."""
    return [(first, last) for first, last in person.get("busy") or ()
            if first < session["end"] and session["start"] < last]


def _absent(absences, day: date) -> bool:
    iso = day.isoformat()
    return any(first <= iso <= last for first, last in absences)


# --------------------------------------------------------------------------- the referee


class _Referee:
    """Rule checks and metrics over the JSON shape of one instance."""

    def __init__(self, inst: dict):
        self.inst = inst
        self.horizon = (date.fromisoformat(inst["horizon"]["start"]),
                        date.fromisoformat(inst["horizon"]["end"]))
        self.slot = inst["slot_minutes"]
        self.workdays = set(inst["calendar"]["workdays"])
        self.holidays = set(inst["calendar"]["holidays"])
        self.types = inst["session_types"]
        self.places = {p["id"]: p for p in inst["places"]}
        self.locations = {loc["id"]: loc for loc in inst["locations"]}
        self.rooms = {r["id"]: (loc["id"], r) for loc in inst["locations"] for r in loc["rooms"]}
        self.counsellors = {c["id"]: c for c in inst["counsellors"]}
        self.interpreters = {i["id"]: i for i in inst["interpreters"]}
        self.participants = {p["id"]: p for p in inst["participants"]}
        # A travel time the county knows (addition `travel.overrides`, both ways) replaces the formula: the memo
        # starts with them.
        self._travel: dict[tuple[str, str], int] = {
            tuple(sorted(pair[:2])): pair[2] for pair in (inst.get("travel") or {}).get("overrides") or ()}
        # Addition `new_sessions_from`: only frozen previous sessions kept exactly may start before it.
        self.new_from = inst.get("new_sessions_from")
        frozen = inst.get("frozen_until")
        self.frozen = {_Session.of(raw).signature() for raw in (inst.get("previous_plan") or {}).get("sessions", [])
                       if frozen and raw["start"] < frozen}

    # -- helpers

    def travel(self, place_a: str, place_b: str) -> int:
        key = (place_a, place_b) if place_a <= place_b else (place_b, place_a)
        if key not in self._travel:
            t = self.inst["travel"]
            self._travel[key] = travel_minutes(self.places[key[0]], self.places[key[1]],
                                               t["road_factor"], t["speed_kmh"])
        return self._travel[key]

    def location_travel(self, loc_a: str, loc_b: str) -> int:
        return self.travel(self.locations[loc_a]["place"], self.locations[loc_b]["place"])

    def is_group(self, type_name: str) -> bool:
        t = self.types[type_name]
        return t.get("min_size") is not None or t.get("max_size") is not None

    def cost(self, s: _Session) -> float:
        interp = self.interpreters.get(s.raw["interpreter"] or "")
        if interp is None or s.raw["location"] not in self.locations:
            return 0.0
        one_way = 0
        if s.raw["interpreter_mode"] == "onsite":
            one_way = self.travel(interp["place"], self.locations[s.raw["location"]]["place"])
        minutes = int((s.end - s.start).total_seconds() // 60)
        return booking_cost(minutes, interp["hourly_rate"], interp["min_billed_minutes"],
                            interp["travel_rate"], one_way)

    # -- the whole plan

    def check(self, plan: dict, sessions: list[_Session]) -> list[Violation]:
        out: list[Violation] = []
        if plan["instance"] and self.inst["name"] and plan["instance"] != self.inst["name"]:
            out.append(Violation(CONSISTENCY, None, f"plan is for instance {plan['instance']!r}, "
                                                     f"not {self.inst['name']!r}"))
        seen_ids = Counter(s.id for s in sessions)
        for sid, n in sorted(seen_ids.items()):
            if n > 1:
                out.append(Violation(CONSISTENCY, sid, f"session id used {n} times"))
        for s in sessions:
            out.extend(self.session_violations(s))
        out.extend(self._participant_rules(sessions))
        out.extend(self._counsellor_rules(sessions))
        out.extend(self._interpreter_rules(sessions))
        out.extend(self._room_rules(sessions))
        out.extend(self._unscheduled_consistency(plan, sessions))
        out.extend(self._frozen_rules(sessions))
        return out

    # -- one session on its own (also decides whether a frozen session "breaks a rule")

    def session_violations(self, s: _Session) -> list[Violation]:
        """Everything that can be judged from one session alone."""
        r, v = s.raw, []

        def bad(rule: int, message: str) -> None:
            v.append(Violation(rule, s.id, message))

        unknown = self._unknown_refs(r)
        for message in unknown:
            bad(CONSISTENCY, message)
        if r["type"] not in self.types or r["location"] not in self.locations:
            return v
        self._check_time(s, bad)
        if r["room"] in self.rooms:
            self._check_room(s, bad)
        known = [self.participants[p] for p in r["participants"] if p in self.participants]
        self._check_participants(s, known, bad)
        if r["counsellor"] in self.counsellors:
            self._check_counsellor(s, known, bad)
        self._check_language(s, known, bad)
        if r["interpreter"] in self.interpreters:
            self._check_interpreter(s, bad)
        return v

    def _unknown_refs(self, r: dict) -> list[str]:
        out = []
        if r["type"] not in self.types:
            out.append(f"unknown session type {r['type']!r}")
        if r["location"] not in self.locations:
            out.append(f"unknown location {r['location']!r}")
        if r["room"] not in self.rooms:
            out.append(f"unknown room {r['room']!r}")
        if r["counsellor"] not in self.counsellors:
            out.append(f"unknown counsellor {r['counsellor']!r}")
        if r["interpreter"] is not None and r["interpreter"] not in self.interpreters:
            out.append(f"unknown interpreter {r['interpreter']!r}")
        for pid in r["participants"]:
            if pid not in self.participants:
                out.append(f"unknown participant {pid!r}")
        for pid, n in Counter(r["participants"]).items():
            if n > 1:
                out.append(f"participant {pid} listed {n} times")
        return out

    def _check_time(self, s: _Session, bad) -> None:
        """Rule 1: grid, duration, horizon, workday, holiday, opening hours and dates."""
        r = s.raw
        loc = self.locations[r["location"]]
        minutes = (s.end - s.start).total_seconds() / 60
        if s.start_minute % self.slot:
            bad(1, f"start {r['start']} is not on the {self.slot}-minute grid")
        if minutes != self.types[r["type"]]["minutes"]:
            bad(1, f"lasts {minutes:g} minutes; a {r['type']} session lasts "
                   f"{self.types[r['type']]['minutes']}")
        if s.end.date() != s.day or minutes <= 0:
            bad(1, f"must end after it starts on the same day ({r['start']} - {r['end']})")
        if not self.horizon[0] <= s.day <= self.horizon[1]:
            bad(1, f"{s.day} is outside the horizon {self.horizon[0]}..{self.horizon[1]}")
        if s.day.isoweekday() not in self.workdays:
            bad(1, f"{s.day} is not a workday")
        if s.day.isoformat() in self.holidays:
            bad(1, f"{s.day} is a holiday")
        weekly = loc.get("weekly_opening")
        opening = weekly.get(str(s.day.isoweekday()), []) if weekly is not None else loc["opening"]
        if not _inside(_windows(opening), s.start_minute, s.end_minute):
            bad(1, f"{clock_text(s.start_minute)}-{clock_text(s.end_minute)} is outside the opening hours "
                   f"of {loc['id']}")
        if loc["open_dates"] is not None and s.day.isoformat() not in loc["open_dates"]:
            bad(1, f"{loc['id']} is not open on {s.day}")

    def _check_room(self, s: _Session, bad) -> None:
        """Rules 7 and 8 for the room: it belongs to the location, fits the group, has video."""
        r = s.raw
        loc_id, room = self.rooms[r["room"]]
        size = len(r["participants"])
        if loc_id != r["location"]:
            bad(8, f"room {room['id']} is at {loc_id}, not at {r['location']}")
        if size > room["capacity"]:
            bad(8, f"{size} participants do not fit room {room['id']} (capacity {room['capacity']})")
        if r["mode"] == "video" and not room["video"]:
            bad(7, f"video session in room {room['id']} without video")
        if r["interpreter_mode"] == "video" and not room["video"]:
            bad(7, f"video interpreter in room {room['id']} without video")

    def _check_participants(self, s: _Session, known: list[dict], bad) -> None:
        """Rules 2, 7, 8 and 9 for each participant of the session."""
        r = s.raw
        t = self.types[r["type"]]
        size = len(r["participants"])
        if self.is_group(r["type"]):
            low, high = t.get("min_size") or 1, t.get("max_size") or size
            if not low <= size <= high:
                bad(8, f"group of {size}; a {r['type']} session takes {low}..{high}")
        elif size != 1:
            bad(8, f"an individual ({r['type']}) session has {size} participants")
        if r["mode"] == "video" and self.is_group(r["type"]):
            bad(7, "video is only for individual sessions")
        if r["interpreter_mode"] == "phone" and self.is_group(r["type"]):
            bad(7, "phone interpreting is only for individual sessions")
        loc = self.locations[r["location"]]
        limit = self.inst["max_participant_travel_minutes"]
        for p in known:
            if r["type"] not in p["needs"]:
                bad(2, f"participant {p['id']} does not need a {r['type']} session")
            if p["earliest"] and s.day.isoformat() < p["earliest"]:
                bad(2, f"participant {p['id']}: {s.day} is before earliest {p['earliest']}")
            if self.new_from and s.day.isoformat() < self.new_from and s.signature() not in self.frozen:
                bad(2, f"participant {p['id']}: a new session on {s.day}, before {self.new_from} (new_sessions_from)")
            # An overdue participant (overdue_since set) has no deadline: no upper date limit.
            if p["deadline"] and s.day.isoformat() > p["deadline"]:
                bad(2, f"participant {p['id']}: {s.day} is after deadline {p['deadline']}")
            for first, last in _busy(p, r):
                bad(2, f"participant {p['id']} cannot come {first}-{last[11:]}")
            if r["mode"] == "video" and not p["video_ok"]:
                bad(7, f"participant {p['id']} cannot take a video session")
            if r["mode"] == "onsite":
                minutes = self.travel(p["place"], loc["place"])
                if minutes > limit:
                    bad(9, f"participant {p['id']} travels {minutes} min to {loc['id']} (max {limit})")
                if p.get("needs_step_free") and not loc.get("step_free"):
                    bad(9, f"participant {p['id']} needs step-free access and {loc['id']} has none")

    def _check_counsellor(self, s: _Session, known: list[dict], bad) -> None:
        """Rules 3 and 4 for the session's counsellor."""
        r = s.raw
        c = self.counsellors[r["counsellor"]]
        if r["location"] not in c["locations"]:
            bad(3, f"counsellor {c['id']} does not work at {r['location']}")
        elif s.day.isoweekday() not in (c.get("location_days") or {}).get(r["location"], range(1, 8)):
            bad(3, f"counsellor {c['id']} is not at {r['location']} on {s.day:%A}s")
        hours = _windows(c["weekly"].get(str(s.day.isoweekday()), []))
        if not _inside(hours, s.start_minute, s.end_minute):
            bad(3, f"counsellor {c['id']} does not work {clock_text(s.start_minute)}-"
                   f"{clock_text(s.end_minute)} on {s.day:%A}s")
        if _absent(c["absences"], s.day):
            bad(3, f"counsellor {c['id']} is absent on {s.day}")
        for first, last in _busy(c, r):
            bad(3, f"counsellor {c['id']} is busy {first}-{last[11:]}")
        acts = [p["id"] for p in known if p["legal_basis"] in ("integration_act", "temporary_act")]
        if acts and not c["multicultural"]:
            bad(4, f"counsellor {c['id']} lacks multicultural training for {', '.join(acts)}")

    def _check_language(self, s: _Session, known: list[dict], bad) -> None:
        """Rule 5: every participant covered; one language with exactly one interpreter."""
        r = s.raw
        if (r["language"] is None) != (r["interpreter"] is None):
            bad(5, "a session has an interpreter exactly when it has an interpreted language")
        if (r["interpreter"] is None) != (r["interpreter_mode"] is None):
            bad(5, "interpreter and interpreter_mode must be given together")
        speaks = set(self.counsellors[r["counsellor"]]["languages"]) if r["counsellor"] in self.counsellors else set()
        for p in known:
            if not p["needs_interpreter"] or p["language"] in speaks:
                continue
            if not (r["language"] == p["language"] and r["interpreter"] is not None):
                bad(5, f"participant {p['id']} ({p['language']}) is not covered: no shared language "
                       f"and no {p['language']} interpreter")

    def _check_interpreter(self, s: _Session, bad) -> None:
        """Rule 6 for one booking: language, mode, weekly hours, absence."""
        r = s.raw
        i = self.interpreters[r["interpreter"]]
        if r["language"] is not None and r["language"] not in i["languages"]:
            bad(6, f"interpreter {i['id']} does not interpret {r['language']!r}")
        if r["interpreter_mode"] is not None and r["interpreter_mode"] not in i["modes"]:
            bad(6, f"interpreter {i['id']} does not work in mode {r['interpreter_mode']}")
        hours = _windows(i["weekly"].get(str(s.day.isoweekday()), []))
        if not _inside(hours, s.start_minute, s.end_minute):
            bad(6, f"interpreter {i['id']} is not available {clock_text(s.start_minute)}-"
                   f"{clock_text(s.end_minute)} on {s.day:%A}s")
        if _absent(i["absences"], s.day):
            bad(6, f"interpreter {i['id']} is absent on {s.day}")
        for first, last in _busy(i, r):
            bad(6, f"interpreter {i['id']} is busy {first}-{last[11:]}")

    # -- rules across sessions

    def _participant_rules(self, sessions: list[_Session]) -> list[Violation]:
        """Rule 2: each need at most once, no overlapping sessions for a participant; and (an
        addition, solver/README.md) two sessions of a participant on one day are at least the
        journey between where they are for them apart, as a counsellor's are: the location's place
        on site, their own place by video (taken from home)."""
        out = []
        by_participant: dict[str, list[_Session]] = defaultdict(list)
        for s in sessions:
            for pid in set(s.raw["participants"]):
                by_participant[pid].append(s)
        for pid, mine in sorted(by_participant.items()):
            for typ, n in Counter(s.raw["type"] for s in mine).items():
                if n > 1:
                    ids = ", ".join(s.id for s in mine if s.raw["type"] == typ)
                    out.append(Violation(2, None, f"participant {pid} has {n} {typ} sessions ({ids})"))
            by_day: dict[object, list[_Session]] = defaultdict(list)
            for s in sorted(mine, key=lambda x: x.start):
                by_day[s.start.date()].append(s)
            home = self.participants[pid]["place"] if pid in self.participants else None
            for day_sessions in by_day.values():
                out.extend(self._overlap_and_travel(
                    2, f"participant {pid}", day_sessions, travels=lambda s: home is not None,
                    remote=lambda s: s.raw["mode"] == "video",
                    place=lambda s, home=home: home if s.raw["mode"] == "video" else self.locations[s.raw["location"]]["place"]))
        return out

    def _counsellor_rules(self, sessions: list[_Session]) -> list[Violation]:
        """Rule 3: daily maximum, no overlap, travel between locations on the same day."""
        out = []
        for (cid, day), mine in sorted(self._group(sessions, "counsellor").items()):
            c = self.counsellors.get(cid)
            if c is None:
                continue
            if len(mine) > c["max_sessions_per_day"]:
                out.append(Violation(3, None, f"counsellor {cid} has {len(mine)} sessions on {day} "
                                              f"(max {c['max_sessions_per_day']})"))
            out.extend(self._overlap_and_travel(3, f"counsellor {cid}", mine))
        return out

    def _interpreter_rules(self, sessions: list[_Session]) -> list[Violation]:
        """Rule 6: no overlap; travel between on-site bookings on the same day; and (an addition,
        solver/README.md) an interpreter interprets by video or phone from their own place, so the
        journey between that and an on-site booking the same day counts as well: nobody interprets
        while driving from one centre to the next."""
        out = []
        for (iid, day), mine in sorted(self._group(sessions, "interpreter").items()):
            if iid not in self.interpreters:
                continue
            home = self.interpreters[iid]["place"]
            out.extend(self._overlap_and_travel(
                6, f"interpreter {iid}", mine, remote=lambda s: s.raw["interpreter_mode"] != "onsite",
                place=lambda s, home=home: home if s.raw["interpreter_mode"] != "onsite"
                else self.locations[s.raw["location"]]["place"]))
        return out

    def _room_rules(self, sessions: list[_Session]) -> list[Violation]:
        """Rule 8: no two sessions overlap in one room."""
        out = []
        for (room, day), mine in sorted(self._group(sessions, "room").items()):
            for a, b in combinations(mine, 2):
                if a.overlaps(b):
                    out.append(Violation(8, b.id, f"room {room} is also used by overlapping session {a.id}"))
        return out

    def _group(self, sessions: list[_Session], key: str) -> dict[tuple[str, date], list[_Session]]:
        out: dict[tuple[str, date], list[_Session]] = defaultdict(list)
        for s in sessions:
            if s.raw[key] is not None:
                out[(s.raw[key], s.day)].append(s)
        for mine in out.values():
            mine.sort(key=lambda x: (x.start, x.id))
        return out

    def _overlap_and_travel(self, rule: int, who: str, mine: list[_Session],
                            travels=lambda s: True, place=None, remote=lambda s: False) -> list[Violation]:
        """Overlaps, and too little time between sessions in different places: at different
        locations, or (``place``: the place the person is at for a session) in different places;
        ``remote``: the person takes that session from home (named so in the message).

        "Between" is from the end of the earlier session to the start of the later one.
        All pairs are checked, not only neighbours, so nothing relies on the triangle inequality.
        """
        out = []
        for a, b in combinations(mine, 2):  # sorted by start: a starts no later than b
            if a.overlaps(b):
                out.append(Violation(rule, b.id, f"{who} is also in overlapping session {a.id}"))
                continue
            if not (travels(a) and travels(b)):
                continue
            if a.raw["location"] not in self.locations or b.raw["location"] not in self.locations:
                continue
            if place is None:
                if a.raw["location"] == b.raw["location"]:
                    continue
                need = self.location_travel(a.raw["location"], b.raw["location"])
                there, here = a.raw["location"], b.raw["location"]
            else:
                if place(a) == place(b):
                    continue
                need = self.travel(place(a), place(b))
                # Named as the person knows them: the location, or home for a session taken from there.
                there, here = ("home" if remote(s) else s.raw["location"] for s in (a, b))
            gap = int((b.start - a.end).total_seconds() // 60)
            if gap < need:
                out.append(Violation(rule, b.id, f"{who} has {gap} min from {a.id} at {there} "
                                                 f"to {here}; travel takes {need} min"))
        return out

    def _unscheduled_consistency(self, plan: dict, sessions: list[_Session]) -> list[Violation]:
        """Every need is either scheduled or reported unscheduled with a reason, never both."""
        out = []
        scheduled = {(pid, s.raw["type"]) for s in sessions for pid in s.raw["participants"]}
        reported: Counter = Counter()
        for u in plan["unscheduled"]:
            key = (u["participant"], u["type"])
            reported[key] += 1
            p = self.participants.get(u["participant"])
            if p is None:
                out.append(Violation(CONSISTENCY, None, f"unscheduled entry for unknown participant "
                                                        f"{u['participant']!r}"))
            elif u["type"] not in p["needs"]:
                out.append(Violation(CONSISTENCY, None, f"unscheduled {u['type']} for {p['id']}, "
                                                        f"who does not need it"))
            if not u["reason"]:
                out.append(Violation(CONSISTENCY, None, f"unscheduled {key} has no reason"))
            if key in scheduled:
                out.append(Violation(CONSISTENCY, None, f"participant {key[0]}'s {key[1]} session is both "
                                                        f"scheduled and reported unscheduled"))
        for key, n in reported.items():
            if n > 1:
                out.append(Violation(CONSISTENCY, None, f"{key[0]}'s {key[1]} reported unscheduled {n} times"))
        for p in self.inst["participants"]:
            for need in p["needs"]:
                if (p["id"], need) not in scheduled and (p["id"], need) not in reported:
                    out.append(Violation(CONSISTENCY, None, f"participant {p['id']}'s {need} session is "
                                                            f"neither scheduled nor reported unscheduled"))
        return out

    def _frozen_rules(self, sessions: list[_Session]) -> list[Violation]:
        """Rule 10: frozen sessions are kept exactly unless they now break a rule.

        Session ids may be renumbered; "exactly" compares everything else.
        """
        previous, frozen_until = self.inst["previous_plan"], self.inst["frozen_until"]
        if not previous or not frozen_until:
            return []
        limit = datetime.strptime(frozen_until, _TIME_FMT)
        current = Counter(s.signature() for s in sessions)
        out = []
        for old in (_Session.of(raw) for raw in previous["sessions"]):
            if old.start >= limit:
                continue
            if current[old.signature()] > 0:
                current[old.signature()] -= 1
                continue
            if self.session_violations(old):
                continue  # it breaks a rule under the new instance, so it may move
            out.append(Violation(10, old.id, f"frozen session {old.id} ({old.raw['start']}, "
                                             f"{', '.join(old.raw['participants'])}) was not kept exactly"))
        return out

    # -- metrics

    def metrics(self, plan: dict, sessions: list[_Session]) -> dict[str, Any]:
        """Coverage, travel, modes, interpreter cost, continuity, load and changes.

        ``scheduled`` counts required (participant, need) pairs placed; ``complete`` counts
        participants with every need placed; ``deadline_missed`` counts participants with a
        deadline inside the horizon who are not complete (``overdue_incomplete`` those whose
        deadline has already passed, ``overdue_since``); ``participant_travel_minutes`` sums
        one-way travel over on-site attendances; ``continuity_ratio`` is the share of
        participants with two or more sessions who see one counsellor only; ``changes``
        compares each participant session of ``previous_plan`` with the plan (None without one).
        """
        participants = self.inst["participants"]
        done: dict[str, set[str]] = defaultdict(set)
        counsellors_of: dict[str, set[str]] = defaultdict(set)
        count_of: Counter = Counter()
        travel = 0
        for s in sessions:
            for pid in s.raw["participants"]:
                done[pid].add(s.raw["type"])
                counsellors_of[pid].add(s.raw["counsellor"])
                count_of[pid] += 1
                if s.raw["mode"] == "onsite" and pid in self.participants and s.raw["location"] in self.locations:
                    travel += self.travel(self.participants[pid]["place"],
                                          self.locations[s.raw["location"]]["place"])
        required = sum(len(p["needs"]) for p in participants)
        scheduled = sum(len(done[p["id"]] & set(p["needs"])) for p in participants)
        complete = [p for p in participants if p["needs"] and set(p["needs"]) <= done[p["id"]]]
        complete_ids = {p["id"] for p in complete}
        act = [p for p in participants if p["legal_basis"] == "integration_act"]
        horizon_end = self.horizon[1].isoformat()
        missed = [p for p in participants if p["deadline"] and p["deadline"] <= horizon_end
                  and p["id"] not in complete_ids]
        overdue = [p for p in participants if p.get("overdue_since")]
        multi = [pid for pid, n in count_of.items() if n >= 2]
        preferred = [p for p in participants if p["preferred_counsellor"] and done[p["id"]]]
        bookings = [s for s in sessions if s.raw["interpreter"] in self.interpreters]
        categories = [self.interpreters[s.raw["interpreter"]]["languages"].get(s.raw["language"])
                      for s in bookings]
        categories = [c for c in categories if c is not None]
        load = Counter(s.raw["counsellor"] for s in sessions)
        loads = [load.get(cid, 0) for cid in self.counsellors]
        return {
            "participants": len(participants),
            "required": required,
            "scheduled": scheduled,
            "scheduled_ratio": _ratio(scheduled, required),
            "complete": len(complete),
            "complete_ratio": _ratio(len(complete), len(participants)),
            "integration_act_complete_ratio": _ratio(sum(p["id"] in complete_ids for p in act), len(act)),
            "deadline_missed": len(missed),
            "overdue": len(overdue),
            "overdue_incomplete": sum(p["id"] not in complete_ids for p in overdue),
            "sessions": len(sessions),
            "unscheduled": len(plan["unscheduled"]),
            "unscheduled_reasons": dict(sorted(Counter(u["reason"] for u in plan["unscheduled"]).items())),
            "participant_travel_minutes": travel,
            "onsite_sessions": sum(s.raw["mode"] == "onsite" for s in sessions),
            "video_sessions": sum(s.raw["mode"] == "video" for s in sessions),
            "interpreter_bookings": len(bookings),
            # str: a booking without a way of interpreting (None) sorts with the others instead of failing
            "interpreter_modes": dict(sorted(Counter(s.raw["interpreter_mode"] for s in bookings).items(), key=lambda kv: str(kv[0]))),
            "interpreter_cost_nok": round(sum(self.cost(s) for s in bookings), 2),
            "mean_register_category": round(sum(categories) / len(categories), 3) if categories else None,
            "continuity_ratio": _ratio(sum(len(counsellors_of[pid]) == 1 for pid in multi), len(multi)),
            "preferred_counsellor_honoured": _ratio(
                sum(counsellors_of[p["id"]] == {p["preferred_counsellor"]} for p in preferred), len(preferred)),
            "counsellor_load_min": min(loads, default=0),
            "counsellor_load_max": max(loads, default=0),
            "counsellor_load_spread": (max(loads) - min(loads)) if loads else 0,
            "changes": self._changes(sessions),
        }

    def _changes(self, sessions: list[_Session]) -> dict[str, int] | None:
        """Against previous_plan, per participant need: kept, moved, re-staffed or dropped."""
        previous = self.inst["previous_plan"]
        if not previous:
            return None
        now = {(pid, s.raw["type"]): s for s in sessions for pid in s.raw["participants"]}
        out = Counter(kept=0, moved=0, restaffed=0, dropped=0)
        for old in (_Session.of(raw) for raw in previous["sessions"]):
            for pid in old.raw["participants"]:
                new = now.get((pid, old.raw["type"]))
                if new is None:
                    out["dropped"] += 1
                elif (new.raw["start"], new.raw["location"], new.raw["room"], new.raw["mode"]) != \
                        (old.raw["start"], old.raw["location"], old.raw["room"], old.raw["mode"]):
                    out["moved"] += 1
                elif (new.raw["counsellor"], new.raw["interpreter"], new.raw["interpreter_mode"]) != \
                        (old.raw["counsellor"], old.raw["interpreter"], old.raw["interpreter_mode"]):
                    out["restaffed"] += 1
                else:
                    out["kept"] += 1
        return dict(out)


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None
