"""Small instance factories for solver tests (dicts in guidance-instance/1)."""

from __future__ import annotations

import copy

import pytest

BASE = {
    "format": "guidance-instance/1",
    "name": "tiny",
    "timezone": "Europe/Oslo",
    "horizon": {"start": "2027-01-04", "end": "2027-01-08"},
    "slot_minutes": 15,
    "calendar": {"workdays": [1, 2, 3, 4, 5], "holidays": []},
    "session_types": {
        "individual": {"minutes": 90},
        "group": {"minutes": 90, "min_size": 3, "max_size": 8},
    },
    "travel": {"road_factor": 1.3, "speed_kmh": 60},
    "max_participant_travel_minutes": 150,
    "places": [
        {"id": "4601", "name": "Bergen", "lat": 60.39, "lon": 5.32},
        {"id": "4621", "name": "Voss", "lat": 60.63, "lon": 6.42},
        {"id": "5001", "name": "Trondheim", "lat": 63.43, "lon": 10.39},
    ],
    "locations": [
        {"id": "L-bergen", "name": "Karrieresenter Bergen", "place": "4601",
         "opening": [["08:00", "16:00"]], "open_dates": None,
         "rooms": [{"id": "L-bergen-1", "capacity": 1, "video": True},
                   {"id": "L-bergen-G", "capacity": 10, "video": False}]},
    ],
    "counsellors": [
        {"id": "C1", "name": "Kari", "locations": ["L-bergen"], "multicultural": True,
         "languages": ["nb", "en"],
         "weekly": {d: [["08:00", "16:00"]] for d in "12345"},
         "absences": [], "max_sessions_per_day": 4},
    ],
    "interpreters": [
        {"id": "I1", "name": "Tolk", "languages": {"ti": 2, "ar": 3},
         "modes": ["onsite", "video", "phone"], "place": "4601",
         "weekly": {d: [["08:00", "16:00"]] for d in "12345"}, "absences": [],
         "hourly_rate": 720, "min_billed_minutes": 60, "travel_rate": 360},
    ],
    "participants": [],
    "previous_plan": None,
    "frozen_until": None,
}


def participant(pid: str, **kw) -> dict:
    """A participant dict with sensible defaults."""
    p = {"id": pid, "place": "4601", "legal_basis": "integration_act", "needs": ["individual"],
         "earliest": "2027-01-04", "deadline": "2027-01-08", "language": "nb",
         "needs_interpreter": False, "video_ok": False, "preferred_counsellor": None}
    p.update(kw)
    return p


BERGEN_VOSS = [
    {"id": "4601", "name": "Bergen", "lat": 60.39, "lon": 5.32},
    {"id": "4621", "name": "Voss", "lat": 60.63, "lon": 6.42},
]


def centre(lid: str, place: str) -> dict:
    """A location open 08-16 with two single rooms and a group room."""
    return {"id": lid, "name": lid, "place": place, "opening": [["08:00", "16:00"]], "open_dates": None,
            "rooms": [{"id": f"{lid}-1", "capacity": 1, "video": False},
                      {"id": f"{lid}-2", "capacity": 1, "video": False},
                      {"id": f"{lid}-G", "capacity": 8, "video": False}]}


def counsellor(cid: str, locs: list[str], *, multicultural: bool = True, per_day: int = 4) -> dict:
    """A Norwegian-speaking counsellor working 08-16 every weekday at ``locs``."""
    return {"id": cid, "name": cid, "locations": locs, "multicultural": multicultural, "languages": ["nb"],
            "weekly": {d: [["08:00", "16:00"]] for d in "12345"}, "absences": [], "max_sessions_per_day": per_day}


def state_plan(prep, state):
    """A planner state written out as a guidance-plan/1 plan: each booking a session, each need
    the state has not placed reported open (as a plan file would), so the checker sees it whole."""
    from datetime import datetime, timedelta

    from solver.formats import Plan, Session, Unscheduled

    def at(day_index: int, minute: int) -> datetime:
        return datetime.combine(prep.days[day_index], datetime.min.time()) + timedelta(minutes=minute)

    bookings = sorted(state.bookings.values(), key=lambda b: (b.day, b.start, b.location, b.room, b.counsellor))
    sessions = [Session(id=b.prev_id or f"new-{n}", type=b.type, participants=list(b.participants),
                        counsellor=b.counsellor, location=b.location, room=b.room, start=at(b.day, b.start),
                        end=at(b.day, b.end), mode=b.mode, language=b.language, interpreter=b.interpreter,
                        interpreter_mode=b.interpreter_mode)
                for n, b in enumerate(bookings, start=1)]
    placed = {(pid, s.type) for s in sessions for pid in s.participants}
    open_needs = [Unscheduled(participant=p.id, type=typ, reason="time_limit_reached")
                  for p in prep.instance.participants for typ in p.needs if (p.id, typ) not in placed]
    return Plan(instance=prep.instance.name, sessions=sessions, unscheduled=open_needs)


def state_violations(prep, state) -> list:
    """The independent checker's violations (solver/check.py) of a planner state: never the
    planner's own rule check, so a bug in the planner cannot hide behind the same bug there."""
    from solver.check import check_plan

    return check_plan(prep.instance, state_plan(prep, state)).violations


def rule_problems(prep, state) -> list[str]:
    """Hard-rule problems of a planner state as the checker words them ([] = the state is valid)."""
    return [str(v) for v in state_violations(prep, state)]


def rules_broken(prep, state) -> set[int]:
    """The PROBLEM.md rule numbers (0 = plan consistency) the checker finds broken in a state."""
    return {v.rule for v in state_violations(prep, state)}


def state_of(inst: dict, bookings) -> tuple:
    """(prep, state) of an instance with the given bookings, booked as they are (no rule check)."""
    from solver.construct import State
    from solver.formats import load_instance
    from solver.model_data import prepare

    prep = prepare(load_instance(inst))
    state = State(prep)
    for b in bookings:
        state.add(b)
    return prep, state


def make_instance(participants=(), **overrides) -> dict:
    """A deep copy of the base instance with participants and top-level overrides."""
    inst = copy.deepcopy(BASE)
    inst["participants"] = [copy.deepcopy(p) for p in participants]
    inst.update(copy.deepcopy(overrides))
    return inst


@pytest.fixture
def tiny_instance() -> dict:
    return make_instance([participant("P1"), participant("P2", language="ti", needs_interpreter=True)])
