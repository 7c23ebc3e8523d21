"""Reading referrals: the lists and pages of everyone who may see them (scoped by rules.access).

Reading a participant's personal data is itself audited, whoever reads it, in the same use case
as the read, so a view only parses, calls here and renders.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, func, or_, select, type_coerce
from sqlalchemy.orm import joinedload, selectinload

from guidance.extensions import db
from guidance.models import (
    Attachment,
    AuditEvent,
    CannotCome,
    CounsellorProfile,
    GuidanceNote,
    Location,
    MISSED,
    OPEN_STATUSES,
    Municipality,
    Participant,
    Referral,
    ReferralStatus,
    Session,
    SessionParticipant,
    SessionStatus,
)
from guidance.models.types import UTCDateTime, utcnow
from guidance.services.interpreter_bookings.changes import SYSTEM_CANCEL_REASONS
from guidance.rules.access import referral_filter
from guidance.services import audit
from guidance.services.attachments import stored_path
from guidance.services.matching import PHONE_QUERY, contains, digits_of, reference_of

PAGE_SIZE = 50
REFERENCE_LENGTH = 16  # Referral.reference's column


@dataclass
class ReferralFilter:
    """What the user chose on the list; a value that is not a choice is dropped (the form shows "All").

    The search is by reference only: a reference is pseudonymous, so it may sit in a URL and the
    access log, where a participant's name must never be."""

    reference: str = ""
    municipality: int | None = None
    status: str = ""

    def __post_init__(self):
        self.reference = "".join((self.reference or "").split()).upper()[:REFERENCE_LENGTH]
        self.status = self.status if self.status in {s.value for s in ReferralStatus} | set(SHOWN_ONLY) else ""

    @property
    def active(self) -> bool:
        return bool(self.reference or self.municipality or self.status)


@dataclass
class ReferralPage:
    rows: list[Referral]
    total: int
    page: int
    pages: int


FOUND_AT_MOST = 25


def find_participants(user, text: str) -> list[Referral]:
    """The referrals `user` may see whose participant's name holds every word of `text`, or whose phone
    number holds its digits (four or more), or whose reference it is: for the phone call that gives a name or a
    reference from a letter. The words are matched
    case-blind in the database; the term never reaches a URL, a log or the audit trail (the search is
    audited with its count only)."""
    words = (text or "").split()[:6]
    digits = "".join(ch for ch in text or "" if ch.isdigit())
    if not words:
        return []
    if len(digits) >= 4 and PHONE_QUERY.match(text.strip()):
        found = digits_of(Participant.phone).like(f"%{digits}%")
    else:
        found = and_(*(contains(Participant.name, word) for word in words))
    if reference := reference_of(text):
        # From a letter or an e-mail, which name the participant by the reference alone ("Anna-Li" is a name too).
        found = or_(Referral.reference == reference, found)
    rows = db.session.scalars(
        select(Referral).join(Referral.participant)
        .where(referral_filter(user), Participant.anonymised_at.is_(None), found)
        .order_by(Referral.created_at.desc(), Referral.id.desc()).limit(FOUND_AT_MOST)
        .options(selectinload(Referral.participant).selectinload(Participant.municipality))).all()
    audit.record(user, "referral.searched", None, {"found": len(rows)})
    db.session.commit()
    return list(rows)


def referral_page(user, chosen: ReferralFilter, page: int = 1) -> ReferralPage:
    """One page (PAGE_SIZE) of the referrals `user` may see, narrowed by `chosen`: open ones first, each part
    nearest deadline first."""
    clauses = [referral_filter(user)]
    if chosen.reference:
        clauses.append(contains(Referral.reference, chosen.reference))
    if chosen.municipality:
        clauses.append(Referral.referring_municipality_id == chosen.municipality)
    if chosen.status:
        clauses += shown_status_clauses(chosen.status)
    total = db.session.scalar(select(func.count()).select_from(Referral).where(*clauses))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        select(Referral).where(*clauses)
        # Open referrals first: a finished one (its note shared in November) had headed the list by its old deadline.
        .order_by(Referral.status.not_in(OPEN_STATUSES), Referral.deadline.is_(None), Referral.deadline, Referral.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        # The row shows the participant and their municipality: two queries per page, not two per row.
        .options(selectinload(Referral.participant).selectinload(Participant.municipality))
    ).all()
    return ReferralPage(rows=list(rows), total=total, page=page, pages=pages)


def municipalities_to_filter(user) -> list[Municipality]:
    """The municipalities a user may narrow the list to: their county's (none for a referrer, who
    sees their own municipality's referrals only)."""
    if user.county_id is None:
        return []
    return list(db.session.scalars(select(Municipality).where(Municipality.county_id == user.county_id)
                                   .order_by(Municipality.name)))


def read_referral(user, referral: Referral) -> Referral:
    """`user` opens a referral they may see; the read is audited."""
    audit.record(user, "referral.viewed", referral)
    db.session.commit()
    return referral


def read_attachment(user, referral: Referral, attachment_id: int) -> tuple[Attachment, Path] | None:
    """The attachment of `referral` and its file, or None when either is missing; the
    download is audited, whoever downloads it."""
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.referral_id != referral.id:
        return None
    path = stored_path(current_app.config["UPLOAD_FOLDER"], item.stored_name)
    if path is None:
        return None
    audit.record(user, "attachment.downloaded", item, {"referral": referral.id})
    db.session.commit()
    return item, path


# What happened to the referral's sessions that its history shows: a lead moved or cancelled one.
SESSION_HISTORY = ("session.planned", "session.replanned", "session.moved", "session.cancel", "session.cannot_come",
                   "session.outcome")
# Session events about one member of it (a group's other members are not this referral's history).
MEMBER_EVENTS = ("session.cannot_come", "session.outcome")
MOVES = ("session.moved", "session.replanned")
# Outcomes that put a referral back in the queue (services.outcomes.REQUEUE), named in its history.
REQUEUED_BY_OUTCOME = tuple(outcome.value for outcome in MISSED)


def history(referral: Referral) -> list[dict]:
    """The referral's audit events that changed something, and the moves and cancellations of its
    sessions, oldest first (views and refusals are left out). A move's `detail` carries `from` and
    `to` as aware datetimes, a booking's `at` the session's start when it was booked."""
    from sqlalchemy import and_, or_

    from guidance.planning import ids

    # Its sessions, and the groups it was taken out of (no longer its members: their booking and the referrer's
    # "cannot come" had vanished from the history with the membership).
    left = [session_id for session_id, _at in left_groups(referral.id)]
    own_sessions = select(SessionParticipant.session_id).where(SessionParticipant.referral_id == referral.id) \
        .union(select(Session.id).where(Session.id.in_(left or [-1])))
    own_notes = select(GuidanceNote.id).where(GuidanceNote.referral_id == referral.id)
    events = db.session.scalars(
        select(AuditEvent).where(or_(
            and_(AuditEvent.object_type == "referral", AuditEvent.object_id == referral.id,
                 AuditEvent.action.notin_(("referral.viewed", "access.refused"))),
            and_(AuditEvent.object_type == "session", AuditEvent.object_id.in_(own_sessions),
                 AuditEvent.action.in_(SESSION_HISTORY)),
            and_(AuditEvent.object_type == "guidancenote", AuditEvent.object_id.in_(own_notes),
                 AuditEvent.action == "note.shared")))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    out = []
    for e in events:
        detail = json.loads(e.detail) if e.detail else {}
        if e.action in MEMBER_EVENTS and detail.get("referral_id") != referral.id:
            continue  # about another member of the group session, not this participant
        if "referrals" in detail and referral.id not in detail["referrals"]:
            continue  # a plan booked or moved other members of the session (recorded so since 2026-12-06)
        for key in ("from", "to", "at"):  # Oslo wall-clock times as recorded
            if isinstance(detail.get(key), str):
                detail[key] = ids.from_plan_minute(detail[key])
        # A session the system cancelled for the referral's own reason (withdrawn) is not "cancelled by the centre".
        action = f"{e.action}.{detail['reason']}" if e.action == "session.cancel" and detail.get("reason") in \
            SYSTEM_CANCEL_REASONS else e.action
        # Back in the queue because the participant did not come (or cancelled late), not a cancellation.
        if e.action == "referral.requeued" and detail.get("cause") == "booked_by_mistake":
            action = f"{e.action}.booked_by_mistake"
        if e.action == "referral.requeued" and detail.get("outcome") in REQUEUED_BY_OUTCOME:
            action = f"{e.action}.{detail['outcome']}"
        # Taken out of a group because they could not come (the group went on), not withdrawn.
        if e.action in ("referral.left_group", "referral.requeued") and detail.get("cause") in ("cannot_come", "left_group"):
            action = f"{e.action}.cannot_come"
        # Which session it was (kind and time), for the events about one.
        session_id = e.object_id if e.object_type == "session" else detail.get("session_id") or (
            detail.get("session") if e.action == "referral.booked_now" else None)
        session = db.session.get(Session, session_id) if isinstance(session_id, int) else None
        if e.action == "session.cannot_come" and "at" not in detail:   # recorded before `at` was
            detail["at"] = db.session.scalar(select(CannotCome.session_start).where(
                CannotCome.session_id == e.object_id, CannotCome.referral_id == referral.id).limit(1))
        if e.action in MOVES and detail.get("from_location") and detail.get("to_location") \
                and detail["from_location"] != detail["to_location"]:
            # A move to another town is a new journey: "from Thursday 12:30 to Friday 08:00" hid Bergen -> Voss.
            places = {loc.id: loc.name for loc in db.session.scalars(select(Location).where(
                Location.id.in_([detail["from_location"], detail["to_location"]])))}
            detail["places"] = (places.get(detail["from_location"]), places.get(detail["to_location"]))
        out.append({"event": e, "detail": detail, "action": action, "session": session})
    return out


def left_groups(referral_id: int) -> list[tuple[int, dt.datetime | None]]:
    """(session id, start the participant's letter gave, when recorded) of the group sessions the referral's
    participant was taken out of or left with a withdrawal, latest first: no longer theirs, so only the referral's
    `referral.left_group` events name them (its history and its letters read them)."""
    from guidance.planning import ids

    out = []
    for event in db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "referral", AuditEvent.object_id == referral_id,
            AuditEvent.action == "referral.left_group").order_by(AuditEvent.id.desc())):
        detail = json.loads(event.detail) if event.detail else {}
        if isinstance(detail.get("session_id"), int):
            at = detail.get("at")
            out.append((detail["session_id"], ids.from_plan_minute(at) if isinstance(at, str) else None))
    return out


def next_booked_sessions(referral_ids: list[int], by_type: bool = False) -> dict:
    """For each referral, its next booked session from now on (from the published plan); `by_type`: for
    each (referral, session type), so a missed individual session's new time is not their group's."""
    if not referral_ids:
        return {}
    rows = db.session.execute(
        select(SessionParticipant.referral_id, Session)
        .join(Session, Session.id == SessionParticipant.session_id)
        .where(SessionParticipant.referral_id.in_(referral_ids), Session.status == SessionStatus.BOOKED,
               Session.start >= utcnow())
        .order_by(Session.start)
        .options(joinedload(Session.location))
    ).all()
    found: dict = {}
    for referral_id, session in rows:
        found.setdefault((referral_id, session.type) if by_type else referral_id, session)
    return found


def sessions_of(referral_id: int) -> list[Session]:
    """The referral's sessions in the published plan (booked, held or cancelled), earliest first."""
    from guidance.services.calendar import PUBLISHED

    return list(db.session.scalars(
        select(Session).join(SessionParticipant, SessionParticipant.session_id == Session.id)
        .where(SessionParticipant.referral_id == referral_id, Session.status.in_(PUBLISHED))
        .order_by(Session.start, Session.id)
        .options(joinedload(Session.location), joinedload(Session.room))))


def first_held_day(referral_id: int) -> dt.date | None:
    """The Oslo day of the first session held for the referral's participant (one that has started; a
    no-show or late cancellation does not), as the dashboard's compliance counts it (which counts all
    of today's: at 08:35 a session at 09:30 has not been held, and the page said the deadline was kept)."""
    return first_held_days([referral_id]).get(referral_id)


def first_held_days(referral_ids) -> dict[int, dt.date]:
    """`first_held_day` of many referrals in one query (the queue's page)."""
    from sqlalchemy import or_, type_coerce

    from guidance.clock import local_date
    from guidance.models.types import UTCDateTime
    from guidance.planning.ids import clock

    ids = list(referral_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(SessionParticipant.referral_id, type_coerce(func.min(Session.start), UTCDateTime()))
        .join(Session, SessionParticipant.session_id == Session.id)
        .where(SessionParticipant.referral_id.in_(ids),
               Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED)), Session.start <= clock(),
               or_(SessionParticipant.outcome.is_(None), SessionParticipant.outcome.not_in(MISSED)))
        .group_by(SessionParticipant.referral_id))
    return {referral_id: local_date(first) for referral_id, first in rows if first is not None}


def with_session_to_hold():
    """The ids of referrals with a booked session still to be held (ahead, or held without an
    outcome yet): a booked referral without one waits for its next session."""
    return (select(SessionParticipant.referral_id).join(Session, Session.id == SessionParticipant.session_id)
            .where(Session.status == SessionStatus.BOOKED, SessionParticipant.outcome.is_(None)))


def with_session_attended():
    """The ids of referrals whose participant has come to a session: one back in the queue after a later session
    was cancelled is waiting for the next, not "received" as a referral nobody has seen."""
    from guidance.models import Outcome

    return select(SessionParticipant.referral_id).where(SessionParticipant.outcome == Outcome.ATTENDED)


def with_session_not_ended():
    """Of `with_session_to_hold`, the referrals whose booked session has not ended: "booked". The others'
    session is over and waits for the counsellor's outcome (the day plan's "outcome_missing" reads
    the same end), so "booked" with no next session would tell the municipality something stale."""
    return with_session_to_hold().where(Session.end > utcnow())


WAITING_NEXT = "waiting_next"  # a shown status (labels.SHOWN_STATUS) beside the stored ones
AWAITING_OUTCOME = "awaiting_outcome"  # likewise: the session is over, its outcome not recorded yet
SHOWN_ONLY = (WAITING_NEXT, AWAITING_OUTCOME)


def sessions_giving_needs(referral_ids) -> list[tuple[int, Session]]:
    """(referral id, session) for each booked or held session that gives a referral one of the sessions
    it needs, earliest first. A no-show or a late cancellation is not held: that need is open again (as
    in the bridge). Finding a time and the queue's "not booked yet" read the same answer."""
    ids = list(referral_ids)
    if not ids:
        return []
    return list(db.session.execute(
        select(SessionParticipant.referral_id, Session).join(Session, Session.id == SessionParticipant.session_id)
        .where(SessionParticipant.referral_id.in_(ids),
               Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED)),
               or_(SessionParticipant.outcome.is_(None), SessionParticipant.outcome.not_in(MISSED)))
        .order_by(Session.start)).tuples())


def shown_status_clauses(status: str) -> list:
    """WHERE clauses for referrals whose status tag reads `status` (`shown_statuses`): "booked" only
    with a booked session that has not ended, "awaiting_outcome" the booked ones whose sessions to hold
    have all ended, "waiting_next" the booked ones with nothing to hold; the list's and the queue's
    status filters both."""
    booked = Referral.status == ReferralStatus.BOOKED
    received = Referral.status == ReferralStatus.RECEIVED
    if status == WAITING_NEXT:
        return [or_((booked & Referral.id.not_in(with_session_to_hold())),
                    (received & Referral.id.in_(with_session_attended())))]
    if status == ReferralStatus.RECEIVED.value:
        return [received, Referral.id.not_in(with_session_attended())]
    if status == AWAITING_OUTCOME:
        return [booked, Referral.id.in_(with_session_to_hold()), Referral.id.not_in(with_session_not_ended())]
    if status == ReferralStatus.BOOKED.value:
        return [booked, Referral.id.in_(with_session_not_ended())]
    return [Referral.status == status]


def waiting_count(county_id: int) -> int:
    """The county's open referrals that wait for a session: not booked, or booked with the session
    held and the next kind of guidance still to book (the readiness page's figure)."""
    from sqlalchemy import or_

    return db.session.scalar(select(func.count()).select_from(Referral).where(
        Referral.county_id == county_id, Referral.status.in_(OPEN_STATUSES),
        or_(Referral.status != ReferralStatus.BOOKED, Referral.id.not_in(with_session_to_hold()))))


def shown_statuses(referrals) -> dict[int, str]:
    """The status each referral's tag shows (labels.SHOWN_STATUS), by id, in one query: "booked" only
    while a booked session has not ended; "awaiting_outcome" once every booked session still to be held
    has ended without an outcome; once they are held and another kind of guidance is still to be booked,
    the referral is waiting for it ("waiting_next"), as is one back in the queue after the participant came once."""
    booked = [r.id for r in referrals if r.status is ReferralStatus.BOOKED]
    received = [r.id for r in referrals if r.status is ReferralStatus.RECEIVED]
    came = set(db.session.scalars(with_session_attended().where(SessionParticipant.referral_id.in_(received)))) \
        if received else set()
    ends = db.session.execute(
        select(SessionParticipant.referral_id, type_coerce(func.max(Session.end), UTCDateTime())).join(Session, Session.id == SessionParticipant.session_id)
        .where(Session.status == SessionStatus.BOOKED, SessionParticipant.outcome.is_(None),
               SessionParticipant.referral_id.in_(booked))
        .group_by(SessionParticipant.referral_id)).all() if booked else []
    now = utcnow()
    # The latest end decides: a session ahead keeps the referral booked whatever is behind it.
    last_end = dict(ends)

    def shown(r) -> str:
        if r.id in came:
            return WAITING_NEXT
        if r.id not in booked:
            return r.status.value
        if r.id not in last_end:
            return WAITING_NEXT
        return ReferralStatus.BOOKED.value if last_end[r.id] > now else AWAITING_OUTCOME
    return {r.id: shown(r) for r in referrals}


def sessions_ahead(referral_id: int) -> list[Session]:
    """The referral's booked sessions that have not started, earliest first: what a withdrawal
    cancels or takes the participant out of."""
    return list(db.session.scalars(
        select(Session).join(SessionParticipant, SessionParticipant.session_id == Session.id)
        .where(SessionParticipant.referral_id == referral_id, Session.status == SessionStatus.BOOKED,
               Session.start > utcnow())
        .order_by(Session.start, Session.id)
        .options(joinedload(Session.location))))


def counsellor_names(sessions) -> dict[int, str]:
    """The name of each session's counsellor, by counsellor profile id, in one query."""
    ids = {s.counsellor_id for s in sessions}
    if not ids:
        return {}
    profiles = db.session.scalars(select(CounsellorProfile).where(CounsellorProfile.id.in_(ids))
                                  .options(joinedload(CounsellorProfile.user))).all()
    return {p.id: p.user.name for p in profiles}


def counsellor_name(session: Session) -> str:
    return counsellor_names([session]).get(session.counsellor_id, "")


def first_guidance_in_time(referral_id: int, deadline: dt.date, besides: int | None = None) -> bool:
    """Whether the participant has a session held, or booked, on or before `deadline` other than session `besides`:
    the deadline is kept by the first guidance (the referral page and the reports count it so), and a later session
    moved past it misses nothing."""
    from guidance.planning import ids

    end = ids.to_utc(dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time()))
    return db.session.scalar(
        select(SessionParticipant.session_id).join(Session, Session.id == SessionParticipant.session_id)
        .where(SessionParticipant.referral_id == referral_id, Session.id != (besides or -1), Session.start < end,
               Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED)),
               or_(SessionParticipant.outcome.is_(None), SessionParticipant.outcome.not_in(MISSED))).limit(1)) is not None
