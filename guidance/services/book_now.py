"""Book one referral now: the best times for each session a participant still needs, found by the
planning engine's recommendation around the published plan, and booking the one a lead picks.

Options come from `solver.recommend.recommend` on the instance the bridge builds today (its
`previous_plan` is the published plan), so nothing already booked moves. Booking re-checks the
chosen session with the solver's independent checker against the plan in force at that moment,
under a lock on the county, so two leads picking the same time cannot both get it.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from guidance import clock
from guidance.extensions import db
from guidance.models import (
    County,
    PlanningRun,
    Referral,
    ReferralStatus,
    Room,
    RunStatus,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.planning import InstanceOptions, build_instance, ids
from guidance.services.referral_reading import sessions_giving_needs
from guidance.planning.store import new_uid
from guidance.planning.wish import Wish
from guidance.services import audit, to_tell
from guidance.services.errors import DomainError
from solver.config import SolverConfig

TOP = 5
log = logging.getLogger(__name__)
SALT = "book-now"
BOOKABLE = (ReferralStatus.RECEIVED, ReferralStatus.PLANNED, ReferralStatus.NO_SHOW, ReferralStatus.BOOKED)


class OptionGone(DomainError):
    """The chosen time no longer fits the plan in force (someone booked it, or the data changed)."""


@dataclass
class Option:
    """One place for one session, in the lead's words (names, Oslo times), with its signed choice."""

    token: str
    type: str
    start: dt.datetime  # aware UTC
    end: dt.datetime
    counsellor: str
    location: str
    room: str
    video: bool
    language: str | None
    interpreter: str | None
    interpreter_mode: str | None
    travel_minutes: int
    interpreter_cost_nok: int
    joins_group: int = 0  # members already in the group session it joins (0: a new session)
    # the counsellor speaks the participant's language: why no interpreter is booked for them, or why the
    # interpreter shown is another member's
    counsellor_speaks: str | None = None
    marks: list[str] = field(default_factory=list)  # what sets it apart: "earliest", "least_travel", ...

    @property
    def leaves_home(self) -> dt.datetime | None:
        """When the participant sets off for an on-site session (aware UTC, to five minutes before)."""
        if self.video or self.travel_minutes <= 0:
            return None
        at = self.start - dt.timedelta(minutes=self.travel_minutes)
        return at - dt.timedelta(minutes=at.minute % 5, seconds=at.second, microseconds=at.microsecond)


# Setting off before this (Oslo time) clashes with taking children to school and kindergarten: the lead
# weighs such a time against a later one, which the engine then always offers beside it (its one home is the
# solver's configuration; the ranking weighs a day's wait against travel, not the hour).
EARLY_DEPARTURE = dt.time(*divmod(SolverConfig().recommend.early_departure_minute, 60))


@dataclass
class Need:
    """The options for one session type the participant still needs, or why there are none."""

    type: str
    options: list[Option] = field(default_factory=list)
    reason: str | None = None  # the solver's code when there is no option
    booked: Session | None = None  # already in the published plan
    # (name, minutes) of the participant's nearest location when no option is there: every time offered was
    # at Stord, 86 minutes away, and nothing said that Bergen had no free time before the deadline.
    nearest_not_offered: tuple[str, int] | None = None


@dataclass
class Choices:
    referral: Referral
    needs: list[Need]
    open: bool  # the referral may be booked (open status)
    seconds: dict = field(default_factory=dict)  # where the time went: build, recommend
    first_allowed: dt.date | None = None  # the first day after the county's minimum notice
    overdue: bool = False  # the deadline has passed (the instance's overdue_since): searched without one
    # The deadline falls by the notice's first day: waiting out the notice leaves that one day at most.
    deadline_in_notice: bool = False
    sooner: bool = False  # times from the next working day, inside the notice (`may_book_sooner`)


# ---------------------------------------------------------------------------- options


def choices(referral: Referral, today: dt.date | None = None, wish: Wish | None = None,
            sooner: bool = False) -> Choices:
    """The best TOP options for each session type `referral` still needs, around the published plan,
    only on the days and at the hours of `wish` when one is given; `sooner`: an overdue participant's
    from the next working day, inside the county's notice (the lead tells them another way)."""
    import time

    from solver.formats import FormatError, load_instance
    from solver.recommend import recommend

    today = today or clock.today()
    # Before the county's first plan the times fit around nothing: a new county's first referral is booked as any
    # other (`_first_bookings_run`).
    is_open = referral.status in BOOKABLE
    out = Choices(referral=referral, needs=[], open=is_open)
    if not is_open:
        return out
    started = time.perf_counter()
    options = InstanceOptions.for_one_booking(referral.county, today)
    out.first_allowed = options.earliest_new
    data = build_instance(referral.county, options)
    out.seconds["build_instance"] = time.perf_counter() - started
    pid = ids.participant_id(referral.id)
    booked = _booked_sessions(referral)
    participant = next((p for p in data["participants"] if p["id"] == pid), None)
    wanted = [t for t in referral.needs if t in data["session_types"]]
    out.overdue = bool(participant and participant.get("overdue_since"))
    closed = data["calendar"]["holidays"]
    out.deadline_in_notice = not out.overdue and may_book_sooner(participant, out.first_allowed, closed)
    if sooner and may_book_sooner(participant, out.first_allowed, closed):
        out.sooner, out.first_allowed = True, _sooner_than_notice(data, today, pid)
    if participant is None:
        out.needs = [Need(type=t, booked=booked.get(t), reason=None if t in booked else "already_scheduled")
                     for t in wanted]
        return out
    started = time.perf_counter()
    try:
        instance = load_instance(data)
    except FormatError as error:
        # The planning run would fail on the same data; the lead gets a sentence, not a 500.
        log.warning("book now: the instance for referral %s is not valid: %s", referral.id, error.errors[:3])
        out.needs = [Need(type=t, booked=booked.get(t), reason=None if t in booked else "data_error") for t in wanted]
        return out
    names = _Names(data)
    for typ in wanted:
        if typ not in participant["needs"] or typ in booked:
            out.needs.append(Need(type=typ, booked=booked.get(typ), reason=None if typ in booked else "already_scheduled"))
            continue
        answer = recommend(instance, participant=pid, top=TOP, session_type=typ, **(wish or Wish()).recommend_args())
        need = Need(type=typ, reason=answer.get("reason"))
        need.options = [_option(referral, typ, o, names, out.sooner) for o in answer["options"]]
        _mark(need.options, met=_met_counsellors(data, pid))
        near = _nearest_location(data, participant)
        if need.options and near is not None and all(o.location != near[0] for o in need.options):
            need.nearest_not_offered = near
        out.needs.append(need)
    out.seconds["recommend"] = time.perf_counter() - started
    return out


class _Names:
    """Solver ids of one instance -> the names a lead knows (rooms looked up once)."""

    def __init__(self, data: dict):
        self.counsellors = {c["id"]: c["name"] for c in data["counsellors"]}
        self.spoken = {c["id"]: set(c.get("languages") or ()) for c in data["counsellors"]}
        self.interpreters = {i["id"]: i["name"] for i in data["interpreters"]}
        self.locations = {loc["id"]: loc["name"] for loc in data["locations"]}
        room_ids = [ids.db_id(r["id"], "room") for loc in data["locations"] for r in loc["rooms"]]
        self.rooms = {ids.room_id(r.id): r.name for r in db.session.scalars(select(Room).where(Room.id.in_(room_ids or [0])))}


def _nearest_location(data: dict, participant: dict) -> tuple[str, int] | None:
    """(name, one-way minutes) of the location nearest the participant's home by the plans' own travel rule,
    within the county's travel limit; None when none is."""
    from guidance.planning.instance import instance_travel

    between = instance_travel(data)
    found = sorted((minutes, loc["name"]) for loc in data["locations"] if loc["rooms"]
                   for minutes in [between(participant["place"], loc["place"])] if minutes is not None)
    if not found or found[0][0] > data["max_participant_travel_minutes"]:
        return None
    return found[0][1], found[0][0]


def may_book_sooner(participant: dict | None, first_allowed: dt.date | None, closed=()) -> bool:
    """The lead may book inside the county's notice (and tell the participant another way) when the
    deadline has passed, or falls on or before the first day the centres are open once the notice is out:
    waiting out the notice keeps it on that one day at most (the walk of 8 December: deadline Wednesday, Monday
    and Tuesday hidden). `closed`: the instance's holidays and closure days (ISO dates): a notice that ran out on
    New Year's Eve left a deadline on Sunday 3 January with no day to book and no way to book sooner."""
    if participant is None:
        return False
    if participant.get("overdue_since"):
        return True
    deadline = participant.get("deadline")
    if not (deadline and first_allowed):
        return False
    from guidance.rules.deadlines import working_day_after

    first_open = working_day_after(first_allowed - dt.timedelta(days=1), 1, tuple(closed))   # on or after it
    return dt.date.fromisoformat(deadline) <= first_open


def _sooner_than_notice(data: dict, today: dt.date, pid: str) -> dt.date:
    """Let the instance's new sessions, and the overdue participant `pid`, start on the next working day
    (when the lead asks: the most urgent need not wait out the notice); the first day allowed."""
    from guidance.rules.notice import first_day_after_notice

    first = first_day_after_notice(today, 0)
    data["new_sessions_from"] = first.isoformat()
    for p in data["participants"]:
        if p["id"] == pid and (p["earliest"] or "") > first.isoformat():
            p["earliest"] = first.isoformat()   # the bridge set it to the notice's first day
    return first


def _option(referral: Referral, typ: str, option: dict, names: _Names, sooner: bool = False) -> Option:
    raw = option["sessions"][0]
    terms = option["terms"]
    joins = 0 if raw["id"].startswith("new-") else len(raw["participants"]) - 1
    return Option(
        token=_sign({"referral": referral.id, "session": raw, **({"sooner": True} if sooner else {})}),
        type=typ,
        start=ids.to_utc(_parse(raw["start"])),
        end=ids.to_utc(_parse(raw["end"])),
        counsellor=names.counsellors.get(raw["counsellor"], ""),
        location=names.locations.get(raw["location"], ""),
        room=names.rooms.get(raw["room"], ""),
        video=raw.get("mode") == "video",
        language=raw.get("language"),
        interpreter=names.interpreters.get(raw["interpreter"]) if raw.get("interpreter") else None,
        interpreter_mode=raw.get("interpreter_mode"),
        travel_minutes=int(terms.get("participant_travel_minutes", 0)),
        interpreter_cost_nok=round(terms.get("interpreter_cost_nok", 0)),
        joins_group=joins,
        counsellor_speaks=referral.participant.language
        if referral.participant.language in names.spoken.get(raw["counsellor"], ()) else None,
    )


def _mark(options: list[Option], *, met: set[str]) -> None:
    """What makes each option stand out against the others shown (the first is the best overall)."""
    if not options:
        return
    options[0].marks.append("best")
    earliest = min(o.start for o in options)
    least_travel = min(o.travel_minutes for o in options)
    cheapest = min(o.interpreter_cost_nok for o in options)
    for o in options:
        if o.start == earliest:
            o.marks.append("earliest")
        if o.travel_minutes == least_travel and any(x.travel_minutes != least_travel for x in options):
            o.marks.append("least_travel")
        if o.interpreter_cost_nok == cheapest and any(x.interpreter_cost_nok != cheapest for x in options):
            o.marks.append("cheapest_interpreter")
        if o.counsellor in met:
            o.marks.append("same_counsellor")
        if o.video:
            o.marks.append("video")
        if o.joins_group:
            o.marks.append("joins_group")
        if o.leaves_home is not None and ids.to_local(o.leaves_home).time() < EARLY_DEPARTURE:
            o.marks.append("early_departure")


def _met_counsellors(data: dict, pid: str) -> set[str]:
    """Names of the counsellors the participant already has a session with in the published plan."""
    names = {c["id"]: c["name"] for c in data["counsellors"]}
    previous = (data.get("previous_plan") or {}).get("sessions", [])
    return {names.get(s["counsellor"], "") for s in previous if pid in s["participants"]}


def _booked_sessions(referral: Referral) -> dict[str, Session]:
    """The referral's booked (or held) sessions by type, from the published plan (the first of each)."""
    found: dict[str, Session] = {}
    for _referral_id, s in sessions_giving_needs([referral.id]):
        found.setdefault(s.type, s)
    return found


def _first_bookings_run(lead: User, county_id: int) -> PlanningRun:
    """Where sessions booked one at a time before the county's first plan belong: a published run of no solve,
    named so on the planning pages. A new county's first referral could not be booked ("publish a plan first"),
    though one booking needs no plan around it; the next plan keeps these sessions as it keeps any published one."""
    now = clock.now()
    run = PlanningRun(county_id=county_id, started_by_id=lead.id, status=RunStatus.SUCCEEDED, time_limit_seconds=0,
                      created_at=now, started_at=now, finished_at=now, published_at=now, published_by_id=lead.id,
                      message=FIRST_BOOKINGS, plan_json=json.dumps({"format": "guidance-plan/1", "sessions": [],
                                                                    "unscheduled": [], "stats": {}}))
    db.session.add(run)
    db.session.flush()
    audit.record(lead, "run.first_bookings", run)
    return run


# The message of a run that holds bookings made before the county's first plan (`_first_bookings_run`).
FIRST_BOOKINGS = "first-bookings"


def published_run(county_id: int) -> PlanningRun | None:
    """The county's latest published run: where a session booked now belongs."""
    return db.session.scalar(
        select(PlanningRun).where(PlanningRun.county_id == county_id, PlanningRun.published_at.is_not(None))
        .order_by(PlanningRun.published_at.desc(), PlanningRun.id.desc()).limit(1))


# ---------------------------------------------------------------------------- booking


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _sign(payload: dict) -> str:
    return _serializer().dumps(payload)


def _read(token: str, referral: Referral) -> tuple[dict, bool]:
    """The chosen session of a signed option, and whether it was offered inside the notice."""
    try:
        payload = _serializer().loads(token or "")
    except BadSignature:
        payload = None
    if not isinstance(payload, dict) or payload.get("referral") != referral.id or not isinstance(payload.get("session"), dict):
        raise DomainError(_("Choose one of the times shown."), {"option": [_("Choose one of the times shown.")]})
    return payload["session"], payload.get("sooner") is True


def book(lead: User, referral: Referral, token: str) -> Session:
    """Book the chosen option in one unit of work: the session in the published plan, the referral
    booked, an interpreter request (its e-mail sent after the commit), audited. Raises OptionGone when
    the option no longer fits the plan in force, DomainError for anything else the lead must fix."""
    from guidance.services import mail, notices
    from guidance.services.unit_of_work import unit_of_work

    with unit_of_work() as uow:
        session, messages, told = _book(lead, referral, token)
        uow.after_commit(mail.deliver_later, messages)
        uow.after_commit(notices.dispatch_later, told)
    return session


UNDO_WITHIN = dt.timedelta(minutes=15)


def undoable(lead: User, referral: Referral) -> set[int]:
    """Sessions of `referral` this lead booked with Find a time in the last UNDO_WITHIN, new ones and groups it
    joined: a wrong click is taken back at once, before anyone has acted on it (a group joined by mistake had no
    undo beside the individual session booked a minute before)."""
    from guidance.models import AuditEvent

    since = clock.now() - UNDO_WITHIN
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "referral.booked_now", AuditEvent.object_id == referral.id,
        AuditEvent.actor_id == lead.id, AuditEvent.at >= since))
    found = set()
    for event in events:
        detail = json.loads(event.detail or "{}")
        if isinstance(detail.get("session"), int):
            found.add(detail["session"])
    return found


def _joined(lead: User, referral: Referral, session_id: int) -> bool:
    """The lead's latest Find-a-time booking of this session for the referral joined a group that was there."""
    from guidance.models import AuditEvent

    for event in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "referral.booked_now", AuditEvent.object_id == referral.id,
            AuditEvent.actor_id == lead.id).order_by(AuditEvent.id.desc())):
        detail = json.loads(event.detail or "{}")
        if detail.get("session") == session_id:
            return bool(detail.get("joined_group"))
    return False


def undo(lead: User, referral: Referral, session_id: int) -> Session:
    """Take back a booking this lead just made (`undoable`): the session is cancelled as booked by
    mistake — its interpreter request is withdrawn, the participant waits in the queue again, and
    the time stays free for everyone (not a time someone said no to)."""
    from guidance.services.interpreter_bookings.changes import cancel_session

    session = db.session.get(Session, session_id)
    if session is None or session_id not in undoable(lead, referral) or session.status is not SessionStatus.BOOKED:
        raise DomainError(_("Only a booking you made here in the last %(minutes)d minutes can be undone. To take "
                            "back an older one, cancel the session.", minutes=UNDO_WITHIN.seconds // 60))
    if _joined(lead, referral, session_id):
        _leave_joined_group(lead, referral, session)
    else:
        cancel_session(lead, session, "booked_by_mistake")
    return session


def _leave_joined_group(lead: User, referral: Referral, session: Session) -> None:
    """Take the participant out of the group they were just booked into; the group goes on as it was (its
    calendars and interpreter get the version without them), and they wait in the queue again."""
    from guidance.services import mail, notices
    from guidance.services.interpreter_bookings.changes import requeue, session_updated
    from guidance.services.referrals import booking_changed
    from guidance.services.unit_of_work import unit_of_work

    with unit_of_work() as uow:
        member = next((sp for sp in session.participants if sp.referral_id == referral.id), None)
        if member is None:
            raise DomainError(_("The participant is no longer in this group session."))
        to_tell.forget_for(session, referral.id)   # nothing was told of a booking taken back at once
        notices.take_back_booked(session, referral.id)
        session.participants.remove(member)
        audit.record(lead, "session.participant_removed", session, {"referral_id": referral.id,
                                                                     "cause": "booked_by_mistake"})
        audit.record(lead, "referral.booking_undone", referral, {"session_id": session.id,
                                                                 "at": ids.plan_minute(session.start)})
        messages = session_updated(lead, session)
        requeue(referral, session, "booked_by_mistake")
        booking_changed([referral.id])
        uow.after_commit(mail.deliver_later, messages)


def _book(lead: User, referral: Referral, token: str) -> tuple[Session, list, list]:
    """`book` in the caller's unit of work; returns the session, and the e-mails and notices to hand on
    after the commit."""
    from solver.check import check_plan

    from guidance.services import notices
    from guidance.services.interpreter_bookings.changes import session_updated
    from guidance.services.interpreter_bookings.requests import new_booking, request_messages

    chosen, sooner = _read(token, referral)
    pid = ids.participant_id(referral.id)
    # One booking at a time per county: the second of two leads waits here, then sees the first's
    # session in the plan below (a row lock on PostgreSQL; the write lock on SQLite).
    db.session.execute(update(County).where(County.id == referral.county_id).values(name=County.name))
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    if referral.status not in BOOKABLE:
        raise DomainError(_("This referral is no longer open, so it cannot be booked."))
    run = published_run(referral.county_id) or _first_bookings_run(lead, referral.county_id)
    options = InstanceOptions.for_one_booking(referral.county, clock.today())
    data = build_instance(referral.county, options)
    participant = next((p for p in data["participants"] if p["id"] == pid), None)
    if sooner and may_book_sooner(participant, options.earliest_new, data["calendar"]["holidays"]):
        _sooner_than_notice(data, clock.today(), pid)
    previous = (data.get("previous_plan") or {}).get("sessions", [])
    typ = chosen.get("type")
    if (participant is None or typ not in participant["needs"]
            or any(pid in s["participants"] and s["type"] == typ for s in previous)):
        raise OptionGone(_("This session is already booked for the participant."))
    joined = None
    if not str(chosen.get("id", "")).startswith("new-"):
        joined = next((s for s in previous if s["id"] == chosen["id"]), None)
        if joined is None or {k: v for k, v in joined.items() if k != "participants"} != \
                {k: v for k, v in chosen.items() if k != "participants"} or \
                sorted(joined["participants"] + [pid]) != sorted(chosen["participants"]):
            raise OptionGone(_("The group session has changed since the times were shown."))
    elif chosen.get("participants") != [pid]:
        raise DomainError(_("Choose one of the times shown."), {"option": [_("Choose one of the times shown.")]})
    elif ids.is_outside_interpreter(chosen.get("interpreter")):
        # The stand-in for an interpreter arranged outside Veiled serves its own session only (planning/instance.py).
        raise OptionGone(_("That time is no longer free: someone booked it, or the plan changed, after the times "
                           "were shown. Here are the times that fit now."))
    if _breaks_a_rule(check_plan, data, previous, chosen):
        raise OptionGone(_("That time is no longer free: someone booked it, or the plan changed, after the times "
                           "were shown. Here are the times that fit now."))
    if joined is None:
        session = _new_session(run, chosen, referral)
    else:
        session = db.session.get(Session, ids.db_id(joined["id"], "S"))
        session.participants.append(SessionParticipant(referral_id=referral.id))
    db.session.flush()
    messages = []
    if joined is None:
        if session.interpreter_id is not None:
            messages = request_messages([new_booking(session)], lead)
    else:
        messages = session_updated(lead, session, joined=True)  # new SEQUENCE; an interpreter's answer stands
    if referral.status is not ReferralStatus.BOOKED:
        referral.status = ReferralStatus.BOOKED
    _record_in_run_plan(session.run, session, pid, typ)
    audit.record(lead, "referral.booked_now", referral, {"session": session.id, "type": typ,
                                                         "joined_group": joined is not None,
                                                         "at": ids.plan_minute(session.start)})
    audit.record(lead, "session.booked_now", session, {"referral": referral.id, "run": run.id})
    # The referrer hears of the booking; the counsellor of a new session gets it in their calendar.
    told = notices.session_event(lead, session, notices.BOOKED, counsellor=joined is None,
                                 referral_ids={referral.id})
    if joined is not None:  # the group's counsellor hears who joined
        told += [n for n in [notices.participant_joined(lead, session, referral)] if n is not None]
    to_tell.session_changed(lead, session, to_tell.BOOKED, short_notice=sooner, referral_ids={referral.id})
    from guidance.services.referrals import booking_changed

    booking_changed([referral.id])
    return session, messages, told


def _breaks_a_rule(check_plan, data: dict, previous: list[dict], chosen: dict) -> bool:
    """True when adding (or enlarging) `chosen` breaks a hard rule the plan in force does not already break."""
    base = {"format": "guidance-plan/1", "instance": data["name"], "sessions": previous, "stats": {}}
    sessions = [s for s in previous if s["id"] != chosen["id"]] + [chosen]
    after = {**base, "sessions": sessions}
    for plan in (base, after):
        scheduled = {(m, s["type"]) for s in plan["sessions"] for m in s["participants"]}
        plan["unscheduled"] = [{"participant": p["id"], "type": t, "reason": "not_planned"}
                               for p in data["participants"] for t in p["needs"] if (p["id"], t) not in scheduled]
    before = {(v.rule, v.session) for v in check_plan(data, base).violations}
    broken = [(v.rule, v.session) for v in check_plan(data, after).violations if (v.rule, v.session) not in before]
    return bool(broken)


def _record_in_run_plan(run: PlanningRun, session: Session, pid: str, typ: str) -> None:
    """Keep the published run's plan file in step: the session in it, the need no longer unscheduled
    (the run's review pages and downloads read it)."""
    from guidance.planning.instance import session_dict

    if not run.plan_json:
        return
    plan = json.loads(run.plan_json)
    raw = session_dict(session)
    raw["id"] = session.plan_session_id
    plan["sessions"] = [s for s in plan.get("sessions", []) if s.get("id") != raw["id"]] + [raw]
    plan["unscheduled"] = [u for u in plan.get("unscheduled", []) if (u.get("participant"), u.get("type")) != (pid, typ)]
    run.plan_json = json.dumps(plan, ensure_ascii=False)


def _new_session(run: PlanningRun, raw: dict, referral: Referral) -> Session:
    session = Session(
        run=run, plan_session_id="booked-now", type=raw["type"],
        counsellor_id=ids.db_id(raw["counsellor"], "C"), location_id=ids.db_id(raw["location"], "L"),
        room_id=ids.db_id(raw["room"], "room"),
        start=ids.to_utc(_parse(raw["start"])), end=ids.to_utc(_parse(raw["end"])),
        mode=raw.get("mode") or "onsite", language=raw.get("language"),
        interpreter_id=ids.db_id(raw["interpreter"], "I") if raw.get("interpreter") else None,
        interpreter_mode=raw.get("interpreter_mode"), status=SessionStatus.BOOKED, uid=new_uid(), sequence=0,
    )
    session.participants.append(SessionParticipant(referral_id=referral.id))
    db.session.add(session)
    db.session.flush()
    session.plan_session_id = ids.session_id(session.id)
    return session


def _parse(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M")


__all__ = ["Choices", "Need", "Option", "OptionGone", "TOP", "book", "choices", "published_run"]
