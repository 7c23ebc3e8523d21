"""What a lead reviews before publishing: the plan's sessions, its changes against the
published plan, the unscheduled needs, and headline figures (from solver.check metrics)."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from guidance import clock
from guidance.extensions import db
from guidance.models import (
    CareerCentre,
    CounsellorProfile,
    InterpreterProfile,
    Location,
    Municipality,
    Participant,
    PlanningRun,
    Referral,
    Room,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.planning import ids
from guidance.planning.store import continuations


@dataclass(frozen=True)
class PlaceName:
    name: str


@dataclass(frozen=True)
class ParticipantName:
    language: str
    municipality: PlaceName
    name: str = ""


@dataclass(frozen=True)
class ReferralName:
    """The part of a referral the review pages show (read like a Referral: `r.participant.language`)."""

    id: int
    reference: str
    deadline: dt.date | None
    participant: ParticipantName
    first_started: dt.date | None = None  # the Oslo date of their first published session that has begun


@dataclass
class Names:
    """Display names for the ids of one instance (staff and places; participants by reference)."""

    counsellors: dict[str, str] = field(default_factory=dict)
    interpreters: dict[str, str] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)
    rooms: dict[str, str] = field(default_factory=dict)
    referrals: dict[str, ReferralName] = field(default_factory=dict)

    def reference(self, pid: str) -> str:
        referral = self.referrals.get(pid)
        return referral.reference if referral else pid

    def name(self, pid: str) -> str:
        """The participant's name (the lead calls them by it), or the reference when it is not read."""
        referral = self.referrals.get(pid)
        return referral.participant.name or referral.reference if referral else pid


def names_for(county_id: int | None = None, referral_ids: Iterable[int] = ()) -> Names:
    """Names for the ids the review pages show: staff and places, and the referrals `referral_ids` (only
    those a page shows: not the 2,000 of a county's instance). With `county_id`, the county's own
    counsellors, locations and rooms only (the filters list nothing of other counties); interpreters are
    freelancers of the national register and are named wherever they work. Columns, not ORM objects."""
    names = Names()
    counsellors = select(CounsellorProfile.id, User.name).join(User, User.id == CounsellorProfile.user_id)
    places = (select(Location.id, Location.name, Room.id, Room.name)
              .join(Room, Room.location_id == Location.id, isouter=True))
    if county_id is not None:
        counsellors = counsellors.where(User.county_id == county_id)
        places = (places.join(CareerCentre, CareerCentre.id == Location.centre_id)
                  .where(CareerCentre.county_id == county_id))
    for profile_id, name in db.session.execute(counsellors):
        names.counsellors[ids.counsellor_id(profile_id)] = name
    interpreters = select(InterpreterProfile.id, User.name).join(User, User.id == InterpreterProfile.user_id)
    for profile_id, name in db.session.execute(interpreters):
        names.interpreters[ids.interpreter_id(profile_id)] = name
    # Interpreters arranged outside Veiled, by their stand-in's id (a handful: one per such session).
    outside = select(Session.uid, Session.outside_interpreter).where(Session.outside_interpreter.is_not(None))
    if county_id is not None:
        outside = outside.join(PlanningRun, PlanningRun.id == Session.run_id).where(PlanningRun.county_id == county_id)
    for uid, name in db.session.execute(outside):
        names.interpreters[ids.outside_interpreter_id(uid)] = name
    for location_id, location_name, room_id, room_name in db.session.execute(places):
        names.locations[ids.location_id(location_id)] = location_name
        if room_id is not None:
            names.rooms[ids.room_id(room_id)] = room_name
    wanted = set(referral_ids)
    if wanted:
        # Columns, not ORM objects: what the review pages read of the referrals they show
        # (reference, deadline, the participant's language and municipality) in one query.
        stmt = (select(Referral.id, Referral.reference, Referral.deadline, Participant.language, Municipality.name,
                       Participant.name)
                .join(Participant, Participant.id == Referral.participant_id)
                .join(Municipality, Municipality.id == Participant.municipality_id)
                .where(Referral.id.in_(wanted)))
        started = dict(db.session.execute(
            select(SessionParticipant.referral_id, func.min(Session.start))
            .join(Session, Session.id == SessionParticipant.session_id)
            .where(SessionParticipant.referral_id.in_(wanted),
                   Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED)),
                   Session.start <= clock.now())
            .group_by(SessionParticipant.referral_id)).all())
        for referral_id, reference, deadline, language, place, name in db.session.execute(stmt):
            first = started.get(referral_id)
            names.referrals[ids.participant_id(referral_id)] = ReferralName(
                referral_id, reference, deadline, ParticipantName(language, PlaceName(place), name),
                ids.to_local(first).date() if first is not None else None)
    return names


def instance_of(run: PlanningRun) -> dict:
    """The run's instance, parsed once per loaded run (read it, do not change it): a page asks for it several
    times (changes, journeys, deadlines, who is away), half a megabyte of JSON at county scale."""
    text = run.instance_json
    if not text:
        return {}
    cached = getattr(run, "_parsed_instance", None)
    if cached is not None and cached[0] is text:
        return cached[1]
    parsed = json.loads(text)
    run._parsed_instance = (text, parsed)
    return parsed


def plan_of(run: PlanningRun) -> dict:
    return json.loads(run.plan_json) if run.plan_json else {"sessions": [], "unscheduled": []}


# ---------------------------------------------------------------------------- sessions


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def run_sessions(run: PlanningRun, *, week: dt.date | None = None, location_id: int | None = None,
                 counsellor_id: int | None = None) -> list[Session]:
    """The run's sessions, optionally one week (Monday..Sunday, Oslo time), location or counsellor."""
    stmt = (select(Session).where(Session.run_id == run.id)
            .options(selectinload(Session.participants), selectinload(Session.location), selectinload(Session.room))
            .order_by(Session.start, Session.location_id, Session.room_id))
    if location_id:
        stmt = stmt.where(Session.location_id == location_id)
    if counsellor_id:
        stmt = stmt.where(Session.counsellor_id == counsellor_id)
    if week is not None:
        first, last = clock.oslo_days(week, week + dt.timedelta(days=6))
        stmt = stmt.where(Session.start >= first, Session.start < last)
    return list(db.session.scalars(stmt))


def weeks_of(run: PlanningRun) -> list[dt.date]:
    """Mondays of the weeks that have sessions in this run."""
    # Distinct starts: a few hundred slot times, not a row per session.
    starts = db.session.scalars(select(Session.start).where(Session.run_id == run.id).distinct())
    return sorted({week_start(ids.to_local(s).date()) for s in starts})


# ---------------------------------------------------------------------------- changes


@dataclass
class Change:
    kind: str  # new | moved | restaffed | regrouped | kept | dropped
    old: dict | None
    new: dict | None

    @property
    def joined(self) -> list[str]:
        """Participants of a changed group who were not in the published one (a split or a merge)."""
        if self.old is None or self.new is None:
            return []
        return [p for p in self.new["participants"] if p not in self.old["participants"]]

    @property
    def left(self) -> list[str]:
        """Participants of the published group who are not in this one (moved to another, or dropped)."""
        if self.old is None or self.new is None:
            return []
        return [p for p in self.old["participants"] if p not in self.new["participants"]]


def changes(run: PlanningRun, plan: dict | None = None) -> list[Change]:
    """Every session of the plan and of the published plan it replaces, classified.

    A session is matched to the published session that held the same participant's same
    need: same time and place is "kept" (or "restaffed" with another counsellor, interpreter or
    room, "regrouped" when the group changed), another time or place is "moved";
    published sessions none of whose needs are in the plan are "dropped". `plan`: the run's, when parsed.
    """
    instance, plan = instance_of(run), plan if plan is not None else plan_of(run)
    previous = (instance.get("previous_plan") or {}).get("sessions", [])
    by_need = {(p, s["type"]): s for s in previous for p in s["participants"]}
    follows = continuations(previous, plan["sessions"])  # as publishing matches them (planning.store)
    out, continued = [], set()
    for s in plan["sessions"]:
        olds = [by_need[(p, s["type"])] for p in s["participants"] if (p, s["type"]) in by_need]
        if not olds:
            out.append(Change("new", None, s))
            continue
        old = follows.get(s["id"], olds[0])
        continued.update(o["id"] for o in olds)
        out.append(Change(_kind(old, s), old, s))
    for old in previous:
        if old["id"] not in continued:
            out.append(Change("dropped", old, None))
    order = {"dropped": 0, "moved": 1, "restaffed": 2, "regrouped": 3, "new": 4, "kept": 5}
    out.sort(key=lambda c: (order[c.kind], (c.new or c.old)["start"]))
    return out


def _kind(old: dict, new: dict) -> str:
    # Another room at the same time and place is not a move for the participant (the changes page said "Moved" of
    # a session that kept its day and hour, beside "0 at the same time with another counsellor or interpreter").
    if (old["start"], old["location"], old["mode"]) != (new["start"], new["location"], new["mode"]):
        return "moved"
    if (old["counsellor"], old["room"], old.get("interpreter"), old.get("interpreter_mode")) != \
            (new["counsellor"], new["room"], new.get("interpreter"), new.get("interpreter_mode")):
        return "restaffed"
    if sorted(old["participants"]) != sorted(new["participants"]):
        return "regrouped"
    return "kept"


LONG_JOURNEY_MINUTES = 60   # a change that asks a participant to travel longer than this is marked


def journeys(run: PlanningRun):
    """`minutes(participant id, location id)`: the participant's one-way journey to the location by the
    plans' own rule (the instance's places, travel and known travel times); None when either is not in it."""
    from guidance.planning.instance import instance_travel

    instance = instance_of(run)
    home = {p["id"]: p.get("place") for p in instance.get("participants", [])}
    where = {loc["id"]: loc.get("place") for loc in instance.get("locations", [])}
    between = instance_travel(instance)

    def minutes(participant: str, location: str) -> int | None:
        a, b = home.get(participant), where.get(location)
        return between(a, b) if a is not None and b is not None else None

    return minutes


def away_on_the_day(run: PlanningRun):
    """`away(published session)`: who of its counsellor and interpreter cannot hold it, as
    [("counsellor" | "interpreter", id, "away" | "busy")]: "away" a whole-day absence on its day, "busy" hours
    they cannot take then (a part-day absence, or a time they said no to: the instance's `busy`). On the
    changes page it tells the sessions the absence broke from those the plan moved to make room for them."""
    instance = instance_of(run)
    absences, busy = {}, {}
    for kind, key in (("counsellor", "counsellors"), ("interpreter", "interpreters")):
        for person in instance.get(key, []):
            absences[kind, person["id"]] = [(dt.date.fromisoformat(a), dt.date.fromisoformat(b))
                                            for a, b in person.get("absences") or []]
            busy[kind, person["id"]] = [(a, b) for a, b in person.get("busy") or []]

    def away(session: dict) -> list[tuple[str, str, str]]:
        day = dt.datetime.fromisoformat(session["start"]).date()
        out = []
        for kind, person in (("counsellor", session["counsellor"]), ("interpreter", session.get("interpreter"))):
            if not person:
                continue
            if any(a <= day <= b for a, b in absences.get((kind, person), [])):
                out.append((kind, person, "away"))
            elif any(a < session["end"] and session["start"] < b for a, b in busy.get((kind, person), [])):
                out.append((kind, person, "busy"))   # local "YYYY-MM-DDTHH:MM" texts compare as times
        return out

    return away


DEADLINE_NEAR_DAYS = 14   # a changed session this close to a participant's deadline names the deadline


def near_deadlines(names: Names, today: dt.date):
    """`near(participant id, session)`: the participant's legal deadline when it bears on the session's day:
    ("overdue", the deadline) once it has passed, ("after", the deadline) when the session lies after it,
    ("deadline", the deadline) when it is at most DEADLINE_NEAR_DAYS after the session; else None. A
    re-plan that sends a group far and soon most often does so to keep one member's deadline (a sick day
    moved three Bergen residents to Stord for a deadline two days on); the changes page says whose. The
    referral's own deadline, not the instance's: the bridge leaves out a deadline the notice no longer
    lets a plan meet, the most urgent of all."""

    def near(participant: str, session: dict) -> tuple[str, dt.date] | None:
        referral = names.referrals.get(participant)
        last_day = referral.deadline if referral is not None else None
        if last_day is None or (referral.first_started is not None and referral.first_started <= last_day):
            return None   # kept already: their first session was in time (a "frist 14. desember" read as live)
        day = dt.datetime.fromisoformat(session["start"]).date()
        if last_day < today:
            return "overdue", last_day
        if day > last_day:
            return "after", last_day
        return ("deadline", last_day) if (last_day - day).days <= DEADLINE_NEAR_DAYS else None

    return near


def change_counts(items: list[Change]) -> dict[str, int]:
    counts = {k: 0 for k in ("new", "moved", "restaffed", "regrouped", "dropped", "kept")}
    for c in items:
        counts[c.kind] += 1
    return counts


# ---------------------------------------------------------------------------- headline


def headline(run: PlanningRun) -> dict:
    """The figures a lead decides on, from the checker's metrics of the stored plan."""
    m = run.metrics or {}
    instance, plan = instance_of(run), plan_of(run)  # parsed once: half a megabyte each at county scale
    stats = plan.get("stats") or {}
    act = [p for p in instance.get("participants", []) if p["legal_basis"] == "integration_act"]
    return {
        "required": m.get("required"),
        "scheduled": m.get("scheduled"),
        "coverage": m.get("scheduled_ratio"),
        "complete_ratio": m.get("complete_ratio"),
        "integration_act_participants": len(act),
        "integration_act_complete_ratio": m.get("integration_act_complete_ratio"),
        "deadline_missed": m.get("deadline_missed"),
        "interpreter_cost_nok": m.get("interpreter_cost_nok"),
        "interpreter_bookings": m.get("interpreter_bookings"),
        "participant_travel_minutes": m.get("participant_travel_minutes"),
        "video_sessions": m.get("video_sessions"),
        "sessions": m.get("sessions"),
        "valid": not m.get("violated_rules"),
        "pins_not_kept": _pins_not_kept(run, stats.get("pins_not_kept", [])),
        "terms": plan_terms(run, instance, plan),
        # As the changes page lists them (a session each), not as the solver counts the published sessions it
        # keeps: a group split over three days was "1 moved" here and three rows, three letters, there.
        "changes": change_counts(changes(run, plan)) if instance.get("previous_plan") else None,
        "unscheduled": len(plan.get("unscheduled") or []),
    }


def _pins_not_kept(run: PlanningRun, not_kept: list[str]) -> list[dict]:
    """The pinned sessions the run could not keep, as the lead knows them: when, and whose."""
    from guidance.models import CounsellorProfile

    pins = {pin["id"]: pin for pin in run.pinned or []}
    out = []
    for session_id in not_kept:
        pin = pins.get(session_id)
        if pin is None:
            out.append({"start": None, "counsellor": ""})
            continue
        profile = db.session.get(CounsellorProfile, ids.db_id(pin["counsellor"], "C"))
        out.append({"start": ids.from_plan_minute(pin["start"]),
                    "counsellor": profile.user.name if profile is not None else ""})
    return out


def plan_terms(run: PlanningRun, instance: dict, plan: dict) -> dict | None:
    """The objective's named terms of the run's plan (``stats.terms``, solver/objective.py);
    counted from the stored files (`instance`, `plan`: the run's, parsed) for plans made before the
    solver wrote them."""
    from solver.formats import FormatError
    from solver.objective import terms

    found = (plan.get("stats") or {}).get("terms")
    if found:
        return found
    if not run.instance_json or not run.plan_json:
        return None
    try:
        return terms(instance, plan)
    except (FormatError, KeyError, TypeError, ValueError):
        return None
