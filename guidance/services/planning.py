"""Planning use cases for a lead: start and cancel runs (solving happens in the job queue)."""
from __future__ import annotations

import datetime as dt
import logging
import json
from dataclasses import dataclass, field

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import County, InterpreterBooking, PlanningRun, RunStatus, Session, SessionStatus, User
from guidance.models.types import utcnow
from guidance.planning import InstanceOptions, build_instance, data_fingerprint
from guidance.planning import ids
from guidance.planning.ids import local_today
from guidance.planning.instance import published_sessions, session_dict
from guidance.planning.runner import fail_stale_runs
from guidance.rules.notice import first_new_day, sooner_than_county_notice
from guidance.services.interpreter_bookings.state import ACTIVE as ACTIVE_BOOKINGS
from guidance.services import audit, notices, to_tell
from guidance.services.errors import DomainError

log = logging.getLogger(__name__)

ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 10, 600, 60


def active_run(county_id: int) -> PlanningRun | None:
    return db.session.scalar(
        select(PlanningRun).where(PlanningRun.county_id == county_id, PlanningRun.status.in_(ACTIVE))
        .order_by(PlanningRun.id).limit(1)
    )


def start_run(lead: User, *, time_limit: int = DEFAULT_SECONDS, keep_until: dt.date | None = None,
              today: dt.date | None = None, enqueue=None, repair_only: bool = False,
              new_from: dt.date | None = None) -> PlanningRun:
    """Snapshot the county's data as an instance and queue it; refuses while another run is active.
    `repair_only`: re-plan the published plan's participants only (InstanceOptions.repair_only). `new_from`: no new
    session before this day (the county's notice is the earliest; published sessions before it are kept)."""
    from guidance import jobs

    enqueue = enqueue or jobs.enqueue_solve
    if not MIN_SECONDS <= int(time_limit) <= MAX_SECONDS:
        raise DomainError(_("Choose a time budget between %(low)s and %(high)s seconds.", low=MIN_SECONDS, high=MAX_SECONDS),
                          {"time_limit": [_("Choose a time budget between %(low)s and %(high)s seconds.",
                                            low=MIN_SECONDS, high=MAX_SECONDS)]})
    today = today or local_today()
    if keep_until is not None and keep_until < today:
        message = _("The date to keep sessions until cannot be in the past.")
        raise DomainError(message, {"keep_until": [message]})
    fail_stale_runs()
    # Lock the county row so two leads starting at once cannot both pass the check below.
    county = db.session.scalar(select(County).where(County.id == lead.county_id).with_for_update())
    notice = first_new_day(county, today)
    options = InstanceOptions(today=today, keep_until=keep_until, repair_only=repair_only, earliest_new=notice)
    if new_from is not None and not notice <= new_from <= options.horizon_end:
        db.session.rollback()
        message = _("Choose a day from %(first)s, the first the county's notice allows, to %(last)s.",
                    first=format_date(notice, "long"), last=format_date(options.horizon_end, "long"))
        raise DomainError(message, {"new_from": [message]})
    options.earliest_new = max(notice, new_from or notice)
    running = active_run(county.id)
    if running is not None:
        db.session.rollback()
        raise DomainError(_("A planning run for this county is already in progress (run %(id)s). Wait for it to "
                            "finish or cancel it before starting another.", id=running.id))
    instance = build_instance(county, options)
    run = PlanningRun(county=county, started_by_id=lead.id, status=RunStatus.QUEUED, time_limit_seconds=int(time_limit),
                      repair_only=repair_only,
                      instance_json=json.dumps(instance, ensure_ascii=False), data_fingerprint=data_fingerprint(instance),
                      pinned=_pins(county), progress={})
    db.session.add(run)
    db.session.flush()
    audit.record(lead, "planning.run_started", run, {"time_limit": int(time_limit), "repair_only": repair_only,
                                                     "participants": len(instance["participants"]),
                                                     **({"new_from": new_from.isoformat()} if new_from else {})})
    db.session.commit()
    try:
        enqueue(run.id)
    except Exception as error:  # noqa: BLE001 - the queue is down: the run must not wait forever
        # The exception's text names hosts and ports ("Error 111 connecting to 127.0.0.1:6379"): the
        # log gets it, the run (shown to the lead) only the kind of failure.
        log.warning("planning queue unavailable for run %s: %s", run.id, error)
        run.status, run.finished_at, run.message = RunStatus.FAILED, utcnow(), "queue_unavailable"
        db.session.commit()
        raise DomainError(_("The planning queue cannot be reached, so the run could not start. Try again in a "
                            "moment; if it keeps failing, ask the administrator to start the queue worker.")) from error
    return run


def cancel_run(lead: User, run: PlanningRun) -> PlanningRun:
    """Ask the worker to stop; a run still waiting in the queue is cancelled at once."""
    run = db.session.scalar(select(PlanningRun).where(PlanningRun.id == run.id).with_for_update())
    if run.status not in ACTIVE:
        db.session.rollback()
        raise DomainError(_("This run has already finished."))
    run.cancel_requested = True
    if run.status is RunStatus.QUEUED:
        run.status, run.finished_at, run.message = RunStatus.CANCELLED, utcnow(), "cancelled"
    audit.record(lead, "planning.run_cancelled", run)
    db.session.commit()
    return run


def is_stale(run: PlanningRun) -> bool:
    """True when the county's data changed since the run's instance was built (same horizon)."""
    if not run.instance_json or not run.data_fingerprint:
        return False
    try:
        options = _options_of(json.loads(run.instance_json), run.county)
        options.repair_only = run.repair_only
    except (KeyError, ValueError, TypeError):
        return True  # an instance we cannot rebuild cannot be shown to be current
    return data_fingerprint(build_instance(run.county, options)) != run.data_fingerprint


def held_back_past_deadline(run: PlanningRun, instance: dict) -> tuple[int, dt.date | None]:
    """Participants whose deadline the county's notice would have let the plan keep, pushed past it because the
    lead chose to book new sessions from a later day (how many, and that day), from the run's parsed `instance`.
    The run page had read "every overdue participant fully planned" of deadlines the lead's own date made them
    miss."""
    try:
        chosen = dt.date.fromisoformat(instance.get("new_sessions_from") or "")
        notice = first_new_day(run.county, _options_of(instance).today)
    except (KeyError, ValueError, TypeError):
        return 0, None
    if chosen <= notice:
        return 0, None
    missed = sum(1 for p in instance.get("participants", [])
                 if p.get("overdue_since") and p["overdue_since"] >= notice.isoformat())
    return missed, chosen if missed else None


def _options_of(instance: dict, county: County | None = None) -> InstanceOptions:
    """The options that rebuild an instance for the same horizon and frozen time."""
    start = dt.date.fromisoformat(instance["horizon"]["start"])
    end = dt.date.fromisoformat(instance["horizon"]["end"])
    today = start - dt.timedelta(days=1)
    # horizon_start is the next working day after `today`; step back until it matches.
    options = InstanceOptions(today=today, name=instance.get("name", ""))
    while options.horizon_start != start:
        today -= dt.timedelta(days=1)
        options = InstanceOptions(today=today, name=instance.get("name", ""))
    options.horizon_weeks = max(1, round(((end - start).days + 1) / 7))
    if instance.get("new_sessions_from"):
        # As the run had it: the notice's first day, or the later day the lead chose ("book new sessions from"),
        # which the notice alone would not rebuild (every such run read as stale at once).
        options.earliest_new = dt.date.fromisoformat(instance["new_sessions_from"])
    elif county is not None:
        # `today` here is the last day before the horizon; the notice counts working days, so it
        # ends on the same date as it did from the day the run started.
        options.earliest_new = first_new_day(county, today)
    if instance.get("frozen_until"):
        frozen = dt.datetime.strptime(instance["frozen_until"], "%Y-%m-%dT%H:%M")
        options.keep_until = frozen.date() - dt.timedelta(days=1)
    return options


def repair_keep_until(county: County, today: dt.date | None = None) -> dt.date:
    """The re-plan after a change (an absence, a closed room) keeps every published session as it is
    up to this date unless the change broke it: the day of the last booked session ahead, so only
    what broke moves and the queue is planned around the rest (the county's next open day when nothing is
    booked ahead). A lead who wants later sessions to move too picks an earlier date."""
    from sqlalchemy import func

    from guidance.planning import ids
    from guidance.rules.opening import open_day_after

    today = today or local_today()
    last = db.session.scalar(
        select(func.max(Session.start)).join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county.id, PlanningRun.published_at.is_not(None),
               Session.status == SessionStatus.BOOKED))
    floor = open_day_after(county, today)
    return max(floor, ids.to_local(last).date()) if last is not None else floor


def _pins(county: County) -> list[dict]:
    """Pinned sessions of the published plan and of newer, unpublished runs (newest wins per uid). A
    published session with an interpreter arranged outside Veiled counts as pinned: the arrangement is
    for its time and place, and its stand-in (planning.instance.outside_stand_in) serves it alone."""
    pins: dict[str, dict] = {}
    for s in published_sessions(county):
        if (s.pinned or s.outside_interpreter) and s.status is SessionStatus.BOOKED:
            pins[s.uid] = session_dict(s)
    latest = db.session.scalar(
        select(PlanningRun).where(PlanningRun.county_id == county.id, PlanningRun.status == RunStatus.SUCCEEDED,
                                  PlanningRun.published_at.is_(None)).order_by(PlanningRun.id.desc()).limit(1)
    )
    if latest is not None:
        for s in db.session.scalars(select(Session).where(Session.run_id == latest.id, Session.pinned.is_(True))):
            pins[s.uid] = session_dict(s)
    return list(pins.values())


# ---------------------------------------------------------------------------- publish


class PlanStale(DomainError):
    """The data changed since the run's instance was built; re-run or confirm."""


class NewerPlanPublished(DomainError):
    """Another plan was published after this run started; publishing this one replaces it."""


class OverBudget(DomainError):
    """Publishing takes a month's interpreter cost over its budget; confirm (one Enter published 133 %)."""


class TooSoon(DomainError):
    """New or changed sessions start inside the county's minimum notice."""


@dataclass
class PublishPreview:
    """What publishing a run will do, for the confirmation page (counts and dates, no names)."""

    run: PlanningRun
    sessions: int = 0  # sessions that will be booked
    new_or_changed: list = field(default_factory=list)  # of them, the ones people have not been told about
    interpreter_requests: int = 0
    interpreter_cancellations: int = 0
    first_new: dt.datetime | None = None
    notice_days: int = 0
    first_allowed: dt.date | None = None
    too_soon: list = field(default_factory=list)  # new or changed sessions inside the notice
    newer_plan: PlanningRun | None = None
    stale: bool = False
    budgets: list = field(default_factory=list)  # BudgetAfter per month the plan touches that has a budget
    # Referrals whose published session moves or is cancelled and whom nobody tells in Veiled (their
    # municipality has no referrer with an account): the lead tells them another way.
    untold: list = field(default_factory=list)
    # Referrals the plan books for the first time whom no referrer tells (no account in their municipality):
    # the lead sends their letters (services.to_tell lists them on the home after publishing).
    letters_to_send: list = field(default_factory=list)
    # What the interpreters of cancelled bookings are paid anyway (cancelled late), øre.
    late_cancellation_cost_ore: int = 0
    # Published sessions before the plan's first day that no longer hold (not_covered): the plan leaves them.
    not_covered: list = field(default_factory=list)
    # (participants whose deadline the lead's later "book new sessions from" makes the plan miss, that day)
    held_back: tuple = (0, None)
    # Referrers' "cannot come" requests this plan leaves as they are (the participant stays at that time):
    # a plan made before the request, or by hand. The planner moves such participants (the request is
    # their busy time, planning/instance.py), but cannot read "when they can come instead" (free text).
    # The request stays on the lead's home after publishing (cannot_come.waiting) until the lead moves them.
    cannot_come_kept: list = field(default_factory=list)
    # The first session the plan moves away from or cancels (its old start): the first new session was all the
    # page named, three days after the sick counsellor's sessions of tomorrow that the plan moved.
    first_away: dt.datetime | None = None
    # (referral, the time their letter gives) of participants whose session the plan moves or cancels sooner
    # than a letter reaches them: the lead calls them (services.to_tell lists them on the home after publishing).
    to_call: list = field(default_factory=list)
    told: list = field(default_factory=list)  # (municipality, participants) whose referrers hear of the changes

    @property
    def over_budget(self) -> list:
        return [b for b in self.budgets if b.over]

    @property
    def emails(self) -> int:
        """E-mails publishing writes: one per interpreter request and one per cancelled booking."""
        return self.interpreter_requests + self.interpreter_cancellations


@dataclass
class BudgetAfter:
    """A month's interpreter cost against its budget, now and once the plan is published (NOK)."""

    month: dt.date
    now_nok: float
    after_nok: float
    budget_nok: float

    @property
    def over(self) -> bool:
        """Publishing takes the month over its budget, or further over it. A plan that adds no cost to a month
        already over (a repair that moves two sessions) is not asked to confirm, nor warned of it: the lead read
        "book the new sessions in a later month" of a plan with none."""
        return self.after_nok > self.budget_nok and self.after_nok > self.now_nok

    @property
    def percent(self) -> int:
        return round(100 * self.after_nok / self.budget_nok) if self.budget_nok else 0

    @property
    def already_over(self) -> bool:
        """The month is over its budget before this plan ("publishing puts it over" read as if it were not)."""
        from guidance.rules.budget import is_over

        return is_over(self.budget_nok, self.now_nok)


def _budgets_after(county_id: int, requested: list[Session], released: list[tuple]) -> list[BudgetAfter]:
    """Per month with a budget: the booked interpreter cost (statistics.interpreter_months) plus the
    planned cost of the requests publishing sends, minus the bookings it lets go ((booking, what is
    still paid for it): a late cancellation's cost stays), counting only the sessions the county pays
    for, as the budget does."""
    from guidance.planning import ids
    from guidance.services import statistics
    from guidance.services.interpreter_bookings.costs import county_pays, planned_cost

    change: dict[str, float] = {}
    for s in requested:
        if not county_pays(s):
            continue
        month = statistics.period_of(ids.to_local(s.start).date(), "month")
        change[month] = change.get(month, 0.0) + planned_cost(s, s.interpreter, s.interpreter_mode or "onsite")[2] / 100
    for booking, still_paid in released:
        if not county_pays(booking.session):
            continue
        month = statistics.period_of(ids.to_local(booking.session.start).date(), "month")
        counted = booking.actual_cost_ore if booking.actual_cost_ore is not None else (booking.cost_ore or 0)
        change[month] = change.get(month, 0.0) - (counted - still_paid) / 100
    out = []
    for row in statistics.interpreter_months(county_id):
        if row["budget_nok"] is None or row["month"] not in change:
            continue
        year, month = (int(x) for x in row["month"].split("-"))
        out.append(BudgetAfter(dt.date(year, month, 1), row["cost_nok"], row["cost_nok"] + change[row["month"]],
                               row["budget_nok"]))
    return out


def _same_interpreting(old: Session | None, new: Session | None) -> bool:
    """The interpreter's assignment is as it was (interpreter, time, way of taking part, place): their
    answer stands, and publishing keeps the booking."""
    return old is not None and new is not None and \
        (old.interpreter_id, old.start, old.end, old.interpreter_mode, old.location_id) == \
        (new.interpreter_id, new.start, new.end, new.interpreter_mode, new.location_id)


def _follows(booking: InterpreterBooking, new: Session | None) -> bool:
    """A live booking whose interpreter the moved session keeps: publishing asks them again for the new
    time (`ask_again`) instead of cancelling it."""
    return new is not None and booking.status in ACTIVE_BOOKINGS and booking.interpreter_id == new.interpreter_id


@dataclass(frozen=True)
class MemberChange:
    """What a publication does to one participant's session of one kind: "booked" (none before), "moved"
    (another time or place than `before`) or "cancelled" (none after; `session` is the one they had)."""
    kind: str
    referral: object
    session: Session
    before: Session | None = None


def member_changes(replaced: list[Session], new_sessions: list[Session]) -> list[MemberChange]:
    """Each participant's change, read per participant and session type, not per session: a re-plan may
    keep a group's identity (its calendar event) for other people, its members moved to another group.
    Read session by session, the members heard "booked" of their new group and nothing of the old one,
    and the new members "moved" from a session they never had. Unchanged participants are left out."""
    had = {(sp.referral_id, s.type): s for s in replaced for sp in s.participants}
    has = {(sp.referral_id, s.type) for s in new_sessions for sp in s.participants}
    out = []
    for session in new_sessions:
        for member in session.participants:
            before = had.get((member.referral_id, session.type))
            if before is None:
                out.append(MemberChange(notices.BOOKED, member.referral, session))
            elif (before.start, before.location_id) != (session.start, session.location_id):
                out.append(MemberChange(notices.MOVED, member.referral, session, before))
    out += [MemberChange(notices.CANCELLED, member.referral, old) for old in replaced for member in old.participants
            if (member.referral_id, old.type) not in has]
    return out


def _untold(changes: list[MemberChange], booked: bool = False, reached: dict | None = None) -> list:
    """Referrals of `changes` (`member_changes`) whose published session moves or goes (`booked`: who are
    booked for the first time), with nobody to tell them in Veiled. `reached`: `_reached(changes)`, read once."""
    reached = _reached(changes) if reached is None else reached
    out = {change.referral.id: change.referral for change in changes if (change.kind == notices.BOOKED) == booked}
    return sorted((r for r in out.values() if not reached[r.id]), key=lambda r: r.reference)


def _reached(changes: list[MemberChange]) -> dict[int, bool]:
    """Referral id -> whether a referrer in Veiled hears of its change (one look-up per referral)."""
    from guidance.services.notices import referrers_of

    return {r.id: bool(referrers_of(r)) for r in {c.referral.id: c.referral for c in changes}.values()}


def _told_by_municipality(changes: list[MemberChange], reached: dict[int, bool]) -> list[tuple[str, int]]:
    """(municipality, participants) whose referrers are e-mailed the changes and get the letters to print: the
    publish page said nothing of them (Bergen's 103 letters), only of the participants nobody tells."""
    counts: dict[str, set[int]] = {}
    for change in changes:
        if reached[change.referral.id]:
            counts.setdefault(change.referral.referring_municipality.name, set()).add(change.referral.id)
    return sorted(((name, len(found)) for name, found in counts.items()), key=lambda item: (-item[1], item[0]))


def _cannot_come_kept(county_id: int, new_sessions: list[Session]) -> list:
    """The waiting "cannot come" requests (cannot_come.Waiting) whose participant the plan keeps at that time."""
    from guidance.services.cannot_come import waiting

    at = {(s.uid, s.start, sp.referral_id) for s in new_sessions for sp in s.participants}
    return [w for w in waiting(county_id) if (w.session_uid, w.start, w.referral_id) in at]


def publish_preview(run: PlanningRun, *, with_stale: bool = True) -> PublishPreview:
    """Count what publishing `run` would book, ask and send, and check the notice; changes nothing."""
    from guidance.planning import ids
    from guidance.planning.store import same_booking
    from guidance.services.interpreter_bookings.costs import late_cancellation_cost

    county = run.county
    preview = PublishPreview(run, notice_days=county.publish_notice_days)
    preview.first_allowed = first_new_day(county, local_today())
    preview.newer_plan = newer_published_plan(run)
    instance = _instance_of(run)   # parsed once: it holds every participant of the county
    if instance is None:
        return preview
    horizon_start = dt.date.fromisoformat(instance["horizon"]["start"])
    preview.not_covered = not_covered(run, instance)
    preview.held_back = held_back_past_deadline(run, instance)
    new_sessions = list(db.session.scalars(select(Session).where(Session.run_id == run.id,
                                                                  Session.status == SessionStatus.PLANNED)))
    replaced = {s.uid: s for s in published_sessions(county)
                if s.status is SessionStatus.BOOKED and ids.to_local(s.start).date() >= horizon_start}
    kept_interpreting = set()
    requested = []
    released = []  # (booking, what is still paid): its cost leaves the budget, less a late cancellation's
    for s in new_sessions:
        old = replaced.get(s.uid)
        if old is None or not same_booking(session_dict(s), session_dict(old)):
            preview.new_or_changed.append(s)
        if _same_interpreting(old, s) and any(b.status in ACTIVE_BOOKINGS for b in old.bookings):
            kept_interpreting.add(old.uid)
        elif s.interpreter_id is not None:
            preview.interpreter_requests += 1
            requested.append(s)
            following = [b for b in (old.bookings if old is not None else []) if _follows(b, s)]
            if following:  # asked again, not cancelled
                kept_interpreting.add(old.uid)
                released.append((following[0], 0))
    cancelled = [b for old in replaced.values() if old.uid not in kept_interpreting
                 for b in old.bookings if b.status in ACTIVE_BOOKINGS]
    late = [(b, late_cancellation_cost(b) or 0) for b in cancelled]
    preview.interpreter_cancellations = len(cancelled)
    preview.late_cancellation_cost_ore = sum(cost for _b, cost in late)
    changes = member_changes(list(replaced.values()), new_sessions)
    reached = _reached(changes)
    preview.untold = _untold(changes, reached=reached)
    preview.told = _told_by_municipality(changes, reached)
    away = sorted([((c.before or c.session).start, c.referral.reference, c.referral) for c in changes
                   if c.kind in (notices.MOVED, notices.CANCELLED)], key=lambda item: item[:2])
    preview.first_away = away[0][0] if away else None
    calls = {}
    for start, _reference, referral in away:
        if sooner_than_county_notice(county, ids.to_local(start).date(), local_today()):
            calls.setdefault(referral.id, (referral, start))
    preview.to_call = list(calls.values())
    preview.letters_to_send = _untold(changes, booked=True, reached=reached)
    preview.cannot_come_kept = _cannot_come_kept(county.id, new_sessions)
    preview.budgets = _budgets_after(county.id, requested, released + late)
    preview.sessions = len(new_sessions)
    preview.new_or_changed.sort(key=lambda s: s.start)
    preview.first_new = preview.new_or_changed[0].start if preview.new_or_changed else None
    preview.too_soon = [s for s in preview.new_or_changed if ids.to_local(s.start).date() < preview.first_allowed]
    preview.stale = with_stale and is_stale(run)
    return preview


def published_since(county_id: int, since: dt.datetime, limit: int = 3) -> list[PlanningRun]:
    """The county's plans published from `since` on, newest first: an absence's page links the re-plans that
    mended it (once published, it read "No published session is affected" and nothing of what had moved)."""
    return list(db.session.scalars(
        select(PlanningRun).where(PlanningRun.county_id == county_id, PlanningRun.published_at >= since)
        .order_by(PlanningRun.published_at.desc()).limit(limit)))


def newer_published_plan(run: PlanningRun) -> PlanningRun | None:
    """A plan of the county published after `run` started (publishing `run` would replace it)."""
    return db.session.scalar(
        select(PlanningRun).where(PlanningRun.county_id == run.county_id, PlanningRun.id != run.id,
                                  PlanningRun.published_at.is_not(None), PlanningRun.published_at > run.created_at)
        .order_by(PlanningRun.published_at.desc()).limit(1))


def not_covered(run: PlanningRun, instance: dict) -> list:
    """Published sessions the run leaves as they are although they no longer hold (a counsellor off sick today):
    those before its first day, and those inside the county's notice (before the first day a new time may be
    given), which the run keeps exactly. Publishing leaves them booked, so the lead gives them to a colleague, moves
    or cancels them one by one. Each with why (readiness.broken_sessions; the person away). `instance`: the run's
    instance, parsed (publish_preview)."""
    from guidance.planning import ids
    from guidance.planning.store import same_booking
    from guidance.services import absences, readiness
    from guidance.services.readiness import BrokenSession

    horizon_start = dt.date.fromisoformat(instance["horizon"]["start"])
    first_new = dt.date.fromisoformat(instance["new_sessions_from"]) if instance.get("new_sessions_from") else None
    # A re-plan that starts today keeps today's sessions inside the notice exactly: they were left as silently.
    until = ids.to_utc(dt.datetime.combine(max(horizon_start, first_new or horizon_start), dt.time()))
    found = {b.session_id: b for b in readiness.broken_sessions(run.county, before=until)}
    for session, person in absences.sessions_of_staff_away(run.county_id, ids.clock(), until):
        reason = _("%(name)s is away", name=person.name)
        if session.id not in found:
            found[session.id] = BrokenSession(session.id, session.start, sorted(
                sp.referral.reference for sp in session.participants), [])
        if reason not in found[session.id].reasons:
            found[session.id].reasons.insert(0, reason)
    inside = [b.session_id for b in found.values() if ids.to_local(b.start).date() >= horizon_start]
    if inside:   # inside the horizon: only those the run keeps as they are (a dropped one is re-booked later)
        old = {s.id: s for s in db.session.scalars(select(Session).where(Session.id.in_(inside)))}
        kept = {s.uid: s for s in db.session.scalars(select(Session).where(
            Session.run_id == run.id, Session.uid.in_([s.uid for s in old.values()])))}
        for session_id, session in old.items():
            again = kept.get(session.uid)
            if again is None or not same_booking(session_dict(again), session_dict(session)):
                found.pop(session_id)
    return sorted(found.values(), key=lambda b: (b.start, b.session_id))


def _instance_of(run: PlanningRun) -> dict | None:
    """The run's instance, parsed; None when it has none that can be read (its horizon is what callers need)."""
    try:
        instance = json.loads(run.instance_json)
        dt.date.fromisoformat(instance["horizon"]["start"])
    except (KeyError, ValueError, TypeError):
        return None
    return instance


@dataclass
class Published:
    """A published run and what publishing left out because referrals closed after the run."""

    run: PlanningRun
    sessions_left_out: int = 0  # individual sessions whose participant's referral is closed
    groups_left_out: int = 0  # group sessions that fell below their minimum size without such members
    participants_removed: int = 0  # such members taken out of groups that go ahead

    @property
    def anything_left_out(self) -> bool:
        return bool(self.sessions_left_out or self.groups_left_out or self.participants_removed)


def publish_run(lead: User, run: PlanningRun, *, confirm_stale: bool = False,
                confirm_newer: bool = False, confirm_over_budget: bool = False) -> Published:
    """Make the run's plan the published plan, in one unit of work (see `_publish`).

    The e-mails are written with the plan, in its transaction, and sent by the job queue once the
    plan is in force; a mail failure stays pending in the outbox and never undoes the publication."""
    from guidance.services import mail
    from guidance.services.unit_of_work import unit_of_work

    with unit_of_work() as uow:
        published, messages, told = _publish(lead, run, confirm_stale=confirm_stale, confirm_newer=confirm_newer,
                                             confirm_over_budget=confirm_over_budget)
        uow.after_commit(mail.deliver_later, messages)
        uow.after_commit(notices.dispatch_later, told)
    return published


def _publish(lead: User, run: PlanningRun, *, confirm_stale: bool, confirm_newer: bool,
             confirm_over_budget: bool = False) -> tuple[Published, list, list]:
    """Make the run's plan the published plan, in the caller's unit of work.

    Sessions become booked; published sessions it replaces become superseded (same uid,
    continued) or cancelled; interpreter booking requests are created for new or changed
    interpreter assignments (an unchanged one keeps its answered booking); referrals in the
    plan become booked, and booked referrals that lost all their sessions go back to received.
    Participants whose referral is no longer open (withdrawn or closed since the run) are not
    booked: see `_leave_out_closed_referrals`.
    Returns the publication, the e-mails and the notices to hand on after the commit.
    """
    from guidance.models import (
        Referral,
        ReferralStatus,
        SessionParticipant,
    )
    from guidance.planning import ids
    from guidance.services import calendar
    from guidance.services.interpreter_bookings import outside
    from guidance.services.interpreter_bookings.changes import ask_again
    from guidance.services.interpreter_bookings.requests import invitation, new_booking, request_messages
    from guidance.services.interpreter_bookings.state import transition

    run = db.session.scalar(select(PlanningRun).where(PlanningRun.id == run.id).with_for_update())
    if run.status is not RunStatus.SUCCEEDED or run.published_at is not None:
        raise DomainError(_("Only a finished plan that has not been published can be published."))
    if (run.metrics or {}).get("violated_rules"):
        raise DomainError(_("This plan breaks a planning rule and cannot be published. Run the planning again."))
    try:
        instance = json.loads(run.instance_json)
        horizon_start = dt.date.fromisoformat(instance["horizon"]["start"])
    except (KeyError, ValueError, TypeError):
        raise DomainError(_("This run's data is incomplete, so it cannot be published. Run the planning again.")) from None
    if not confirm_stale and is_stale(run):
        raise PlanStale(_("The data has changed since this plan was made (for example a new referral or an absence). "
                          "Run the planning again, or confirm that you want to publish it as it is."))
    preview = publish_preview(run, with_stale=False)
    if preview.newer_plan is not None and not confirm_newer:
        raise NewerPlanPublished(_("Another plan was published after this run started. Publishing this one replaces "
                                   "it: confirm that you want that, or start a new run."))
    if preview.over_budget and not confirm_over_budget:
        raise OverBudget(_("Publishing takes the interpreters' cost over the budget of %(months)s: confirm that you "
                           "want that, or start a new run.", months=", ".join(
                               format_date(b.month, "LLLL y") for b in preview.over_budget)))
    if preview.too_soon:
        raise TooSoon(ngettext(
            "%(num)d new or changed session starts before %(date)s, inside the minimum notice of %(days)d working "
            "days. Move it to a later date, or start a new run.",
            "%(num)d new or changed sessions start before %(date)s, inside the minimum notice of %(days)d working "
            "days. Move them to a later date, or start a new run.",
            len(preview.too_soon), date=format_date(preview.first_allowed, "long"), days=preview.notice_days))
    new_sessions = list(db.session.scalars(select(Session).where(Session.run_id == run.id)))
    published = Published(run)
    left_out = _leave_out_closed_referrals(lead, new_sessions, published)
    new_sessions = [s for s in new_sessions if s not in left_out]
    by_uid = {s.uid: s for s in new_sessions}
    replaced = [s for s in published_sessions(run.county)
                if s.status is SessionStatus.BOOKED and ids.to_local(s.start).date() >= horizon_start]
    kept_bookings: set[int] = set()
    requests: list[InterpreterBooking] = []  # new booking requests, sent once the plan is published
    cancellations: list = []  # cancellation e-mails for bookings the new plan no longer needs
    moved_requests: list = []  # requests asked again: the same interpreter, the session moved
    # Members of a left-out group wait in the queue again (unless another session books them).
    touched_referrals: set[int] = {sp.referral_id for s in left_out for sp in s.participants}
    for old in replaced:
        touched_referrals.update(sp.referral_id for sp in old.participants)
        new = by_uid.get(old.uid)
        old.status = SessionStatus.SUPERSEDED if new is not None else SessionStatus.CANCELLED
        if new is None:
            calendar.bump_sequence(old)  # calendar clients ignore a cancellation without a new SEQUENCE
        elif new.outside_interpreter:
            # The interpreter arranged outside Veiled goes on with the session (store_plan), as it stands now,
            # and so do its requests in Veiled. Removed since the run, the session keeps its declined request
            # (the lead's alert) and nobody is asked by the publication.
            outside.carry_over(old, new)
            if new.outside_interpreter is None:
                kept_bookings.add(new.id)
        same_interpreting = _same_interpreting(old, new)
        for booking in old.bookings:
            if booking.status not in ACTIVE_BOOKINGS:
                continue
            if same_interpreting:
                booking.session = new  # the interpreter's answer still holds
                kept_bookings.add(new.id)
            elif _follows(booking, new) and new.id not in kept_bookings:
                # The same interpreter, the session moved: asked again for the new time (as a lead's move
                # does), not cancelled (late, it would be paid) and asked anew as a stranger.
                booking.session = new
                ask_again(lead, booking, new)
                kept_bookings.add(new.id)
                moved_requests.append((booking, old.start))
            else:
                transition(lead, booking, "cancel")
                cancellations.append(invitation(booking, "CANCEL"))
    db.session.flush()
    for s in new_sessions:
        s.status = SessionStatus.BOOKED
        touched_referrals.update(sp.referral_id for sp in s.participants)
        if s.interpreter_id is None or s.id in kept_bookings:
            continue
        booking = new_booking(s)
        booking.sequence = s.sequence
        requests.append(booking)
    db.session.flush()
    in_plan = {sp.referral_id for s in new_sessions for sp in s.participants}
    live = set(db.session.scalars(
        select(SessionParticipant.referral_id).join(Session, Session.id == SessionParticipant.session_id)
        .where(Session.status == SessionStatus.BOOKED, SessionParticipant.referral_id.in_(touched_referrals or {0}))))
    # A participant who missed a session is booked again by a new session of theirs, not by the sessions
    # they already had published again (a repair plan kept their group, and the no-show left the queue's count).
    changes = member_changes(replaced, new_sessions)   # read once: the statuses here, the notices below
    newly_booked = {c.referral.id for c in changes if c.kind == notices.BOOKED}
    for referral in db.session.scalars(select(Referral).where(Referral.id.in_(touched_referrals or {0}))
                                       .execution_options(populate_existing=True)):
        if referral.id in in_plan and (referral.status in (ReferralStatus.RECEIVED, ReferralStatus.PLANNED) or
                                       referral.status is ReferralStatus.NO_SHOW and referral.id in newly_booked):
            referral.status = ReferralStatus.BOOKED
        elif referral.id not in live and referral.status is ReferralStatus.BOOKED:
            referral.status = ReferralStatus.RECEIVED
    run.published_at, run.published_by_id = utcnow(), lead.id
    audit.record(lead, "planning.published", run, {"sessions": len(new_sessions), "replaced": len(replaced),
                                                  "stale_confirmed": bool(confirm_stale),
                                                  "newer_plan_replaced": preview.newer_plan.id
                                                  if preview.newer_plan is not None else None,
                                                  "left_out": len(left_out),
                                                  "participants_removed": published.participants_removed})
    messages = cancellations + request_messages(requests, lead) + [
        invitation(booking, "REQUEST", moved_from=moved_from) for booking, moved_from in moved_requests]
    return published, messages, _tell_of_changes(lead, replaced, new_sessions, changes)


def _tell_of_changes(lead: User, replaced: list[Session], new_sessions: list[Session],
                     changes: list[MemberChange]) -> list:
    """The referrers hear which sessions of their referrals the publication booked, moved or
    cancelled, participant by participant (`changes`, from `member_changes`); the counsellors hear of their published
    sessions it moved, handed to a colleague or cancelled (services/notices.py). New sessions reach a
    counsellor's calendar without an e-mail each: a first plan books hundreds."""
    from guidance.services.referrals import booking_changed

    told = []
    booking_changed(change.referral.id for change in changes)   # what a case system polling the API follows
    by_event: dict[tuple, set[int]] = {}  # (kind, session, session they had) -> referral ids
    for change in changes:
        by_event.setdefault((change.kind, change.session, change.before), set()).add(change.referral.id)
    for (kind, session, before), referral_ids in by_event.items():
        if kind == notices.BOOKED:
            # The referral's history says when a plan booked it (it had nothing after "received").
            audit.record(lead, "session.planned", session, {  # its time then: a later move does not rewrite it
                "run": session.run_id, "at": ids.plan_minute(session.start), "referrals": sorted(referral_ids)})
            to_tell.session_changed(lead, session, to_tell.BOOKED, referral_ids=referral_ids)  # no referrer: the lead
            told += notices.session_event(lead, session, kind, counsellor=False, referral_ids=referral_ids)
        elif kind == notices.MOVED:
            audit.record(lead, "session.replanned", session, {
                "run": session.run_id, "from": ids.plan_minute(before.start), "to": ids.plan_minute(session.start),
                "from_location": before.location_id, "to_location": session.location_id,
                "referrals": sorted(referral_ids)})
            to_tell.session_changed(lead, session, to_tell.MOVED, referral_ids=referral_ids, was=before.start)
            told += notices.session_event(lead, session, kind, counsellor=False, referral_ids=referral_ids,
                                          previous=(before.start, before.location_id))
        else:  # the session may go on without them (it was someone else's too)
            to_tell.session_changed(lead, session, to_tell.CANCELLED, referral_ids=referral_ids)
            told += notices.session_event(lead, session, kind, counsellor=False, referral_ids=referral_ids)
    # The counsellor's sessions, as their calendar knows them (one event per uid).
    old_by_uid = {s.uid: s for s in replaced}
    for session in new_sessions:
        old = old_by_uid.pop(session.uid, None)
        if old is not None and ((old.start, old.location_id) != (session.start, session.location_id)
                                or old.counsellor_id != session.counsellor_id):
            told += notices.session_event(lead, session, notices.MOVED, referrers=False,
                                          previous_counsellor_id=old.counsellor_id,
                                          previous=(old.start, old.location_id))
    for old in old_by_uid.values():
        told += notices.session_event(lead, old, notices.CANCELLED, referrers=False)
    return told


def _leave_out_closed_referrals(lead: User, sessions: list[Session], published: Published) -> list[Session]:
    """Drop participants whose referral is no longer open for planning (withdrawn or closed since
    the run) from the run's sessions, in the publication's transaction: an individual session is
    left out; a group goes ahead without them unless it falls below its type's minimum size, then
    it is left out whole. Left-out sessions are never booked: no interpreter request, no calendar event.
    Counts go into `published`; returns the left-out sessions."""
    from guidance.models import OPEN_STATUSES, Referral
    from guidance.planning.instance import session_types

    members = sorted({sp.referral_id for s in sessions for sp in s.participants})
    # Lock the referrals (in id order) so a withdrawal racing this publication waits for it and then
    # releases the sessions it booked, instead of slipping between this check and the commit.
    statuses = dict(db.session.execute(
        select(Referral.id, Referral.status).where(Referral.id.in_(members or [0])).order_by(Referral.id)
        .with_for_update()).all())
    closed = {referral_id for referral_id in members if statuses.get(referral_id) not in OPEN_STATUSES}
    left_out = []
    for session in sessions:
        leaving = [sp for sp in session.participants if sp.referral_id in closed]
        if not leaving:
            continue
        staying = len(session.participants) - len(leaving)
        if staying >= max(1, session_types(session.run.county).get(session.type, {}).get("min_size", 1)):
            for member in leaving:
                session.participants.remove(member)
                audit.record(lead, "session.participant_removed", session,
                             {"referral_id": member.referral_id, "cause": "referral_closed"})
            published.participants_removed += len(leaving)
            continue
        reason = "referral_closed" if staying == 0 else "group_below_minimum"
        session.status = SessionStatus.LEFT_OUT
        audit.record(lead, "planning.session_left_out", session, {"run": session.run_id, "reason": reason})
        if session.type == "group":
            published.groups_left_out += 1
        else:
            published.sessions_left_out += 1
        left_out.append(session)
    db.session.flush()
    return left_out
