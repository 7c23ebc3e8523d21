"""Store a guidance-plan/1 as a run's sessions, and read a run's sessions back as a plan."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import PlanningRun, Session, SessionParticipant, SessionStatus
from guidance.planning import ids
from guidance.planning.instance import PLAN_FORMAT, session_dict


def store_plan(run: PlanningRun, plan: dict, instance: dict, pins: list[dict] | None = None) -> list[Session]:
    """Add the plan's sessions to `run` in the current transaction (the caller commits).

    A session the solver kept from the published plan (same id) keeps its calendar uid, so
    invitations and bookings follow it; its sequence goes up when anything changed.
    """
    previous = _previous_sessions(instance, run, pins or [])
    offered = (instance.get("previous_plan") or {"sessions": []})["sessions"] + list(pins or [])
    continued = continuations(offered, plan["sessions"])
    # Interpreters arranged outside Veiled, by their stand-in's id (planning/instance.py): the session
    # keeping one keeps the arrangement, and has no interpreter in Veiled.
    outside = {ids.outside_interpreter_id(s.uid): s for s in previous.values() if s.outside_interpreter}
    stored = []
    for raw in plan["sessions"]:
        before = previous.get(continued[raw["id"]]["id"]) if raw["id"] in continued else None
        arranged = None
        if ids.is_outside_interpreter(raw.get("interpreter")):
            arranged = outside.get(raw["interpreter"])
            if arranged is None:  # only a published session with that arrangement offers its stand-in
                raise ValueError(f"plan session {raw['id']} names an unknown outside interpreter")
        session = Session(
            run=run,
            plan_session_id=raw["id"],
            type=raw["type"],
            counsellor_id=ids.db_id(raw["counsellor"], "C"),
            location_id=ids.db_id(raw["location"], "L"),
            room_id=ids.db_id(raw["room"], "room"),
            start=ids.to_utc(_parse(raw["start"])),
            end=ids.to_utc(_parse(raw["end"])),
            mode=raw.get("mode") or "onsite",
            language=raw.get("language"),
            interpreter_id=ids.db_id(raw["interpreter"], "I") if raw.get("interpreter") and arranged is None else None,
            interpreter_mode=raw.get("interpreter_mode") if arranged is None else None,
            status=SessionStatus.PLANNED,
            uid=before.uid if before is not None else new_uid(),
            sequence=0,
        )
        session.take_outside_interpreter(arranged)
        if before is not None:
            with db.session.no_autoflush:  # reading the old session must not flush the half-built new one
                unchanged = same_booking(session_dict(before), raw)
            session.sequence = before.sequence + (0 if unchanged else 1)
            session.pinned = before.pinned
        for pid in raw["participants"]:
            session.participants.append(SessionParticipant(referral_id=ids.db_id(pid, "R")))
        db.session.add(session)
        stored.append(session)
    return stored


def plan_from_sessions(sessions: list[Session], *, instance_name: str = "", unscheduled: list | None = None,
                       stats: dict | None = None) -> dict:
    """Database sessions as a guidance-plan/1 dict (ids as the solver wrote them)."""
    out = []
    for s in sorted(sessions, key=lambda s: (s.start, s.id or 0)):
        raw = session_dict(s)
        raw["id"] = s.plan_session_id
        out.append(raw)
    return {"format": PLAN_FORMAT, "instance": instance_name, "sessions": out,
            "unscheduled": list(unscheduled or []), "stats": stats or {"status": "UNKNOWN"}}


def continuations(previous: list[dict], sessions: list[dict]) -> dict[str, dict]:
    """Which published session each plan session continues, by the plan session's id: the one with
    the same id, else the first published session that held one of its participants' same need and
    that no other plan session continues. The solver may give a session it moved a new id; matched
    so, the move is published as a move of the same calendar event (its uid), not as a cancellation
    and a new booking. The review's changes (planning.review.changes) read plans the same way."""
    by_id = {s["id"]: s for s in previous}
    by_need = {}
    for s in previous:
        for pid in s["participants"]:
            by_need.setdefault((pid, s["type"]), s)
    out: dict[str, dict] = {s["id"]: by_id[s["id"]] for s in sessions if s["id"] in by_id}
    claimed = {old["id"] for old in out.values()}
    for s in sessions:
        if s["id"] in out:
            continue
        for pid in s["participants"]:
            old = by_need.get((pid, s["type"]))
            if old is not None and old["id"] not in claimed:
                out[s["id"]] = old
                claimed.add(old["id"])
                break
    return out


def same_booking(a: dict, b: dict) -> bool:
    """True when two plan sessions are the same appointment for everyone involved."""
    keys = ("type", "counsellor", "location", "room", "start", "end", "mode", "language", "interpreter",
            "interpreter_mode")
    return all(a.get(k) == b.get(k) for k in keys) and sorted(a["participants"]) == sorted(b["participants"])


def new_uid() -> str:
    return f"{uuid.uuid4().hex}@veiled"


def _previous_sessions(instance: dict, run: PlanningRun, pins: list[dict]) -> dict[str, Session]:
    """The published sessions the instance offered as previous_plan, by plan id. Only these
    may be continued: the solver numbers new sessions S1, S2, ... too."""
    previous = instance.get("previous_plan") or {"sessions": []}
    wanted = [ids.db_id(raw["id"], "S") for raw in previous["sessions"] + pins]
    if not wanted:
        return {}
    rows = db.session.scalars(select(Session).where(Session.id.in_(wanted)))
    # Only sessions of the same county's runs can be continued.
    return {ids.session_id(s.id): s for s in rows if s.run.county_id == run.county_id}


def _parse(value: str):
    import datetime as dt

    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M")
