"""Participants the lead tells of a change themselves.

A new or changed published session reaches a participant through their referrer (a notice) and a
letter. Two cases reach nobody: the participant's municipality has no referrer with an account in
Veiled (NO_REFERRER: nobody hands them the letter of a new booking, and a letter with the old time may
be out after a move or a cancellation), or the new time is sooner than the county's notice, so a
letter may come too late (SHORT_NOTICE). Before, the lead read their names once in a message at the
top of the page and had nothing left to work from; and a publication that booked participants of a
municipality without a referrer said nothing about whose letters to send. Now each such participant
waits on the lead's home with their phone number, the change and their letter, until the lead marks
them told or the session's time has passed.

`session_changed` is called inside the use case that changed the session (a move, a cancellation,
a publication, a booking of one referral), in its transaction.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from guidance import clock
from guidance.extensions import db
from guidance.models import ParticipantToTell, Referral, Session, User
from guidance.planning import ids
from guidance.services import audit
from guidance.services.errors import DomainError
from guidance.services.unit_of_work import unit_of_work

BOOKED, MOVED, CANCELLED = "booked", "moved", "cancelled"
NO_REFERRER, SHORT_NOTICE = "no_referrer", "short_notice"


def session_changed(actor, session: Session, change: str, *, short_notice: bool = False,
                    referral_ids: set[int] | None = None, start: dt.datetime | None = None,
                    was: dt.datetime | None = None) -> list[ParticipantToTell]:
    """In the caller's transaction: for each participant of `session` (only `referral_ids` when given)
    whom nobody tells in Veiled, or every one when the change is `short_notice`, a task for the lead
    (a new booking of a participant whose referrer is in Veiled reaches them through the referrer and
    the letter the referrer prints). `start`: the time the participant must hear of before (by default
    the session's start; a cancelled session's own). `was`: a move's old start.

    A change is also short notice when the time the participant's letter gives is sooner than a new letter
    reaches them (a move's old start, a cancelled session's start): a sick counsellor's sessions of tomorrow,
    moved to next week, had reached the referrers' lists only, and eleven people would have come to reception."""
    from guidance.services.notices import referrers_of

    if not short_notice and change in (MOVED, CANCELLED):
        letter_gives = was if change == MOVED else (start or session.start)
        short_notice = letter_gives is not None and sooner_than_a_letter(session, letter_gives)
    recorded = []
    for member in session.participants:
        referral = member.referral
        if referral_ids is not None and referral.id not in referral_ids:
            continue
        open_task = next(iter(_open(session, referral.id)), None)
        if change == CANCELLED and open_task is not None and open_task.change == BOOKED:
            db.session.delete(open_task)  # never told of the booking: nothing to take back
            continue
        reason = NO_REFERRER if not referrers_of(referral) else SHORT_NOTICE if short_notice else None
        if reason is not None:
            recorded.append(_record(actor, session, referral, open_task, change, reason, start or session.start,
                                    was if change == MOVED else None))
    return recorded


def sooner_than_a_letter(session: Session, when: dt.datetime) -> bool:
    """A change to `session` whose time `when` (the letter's) comes before a new letter reaches the participant:
    the lead phones them (the county's notice, rules.notice)."""
    from guidance.rules.notice import sooner_than_county_notice

    return sooner_than_county_notice(session.run.county, ids.to_local(when).date(), ids.local_today())


def forget(session: Session) -> None:
    """In the caller's transaction: the session is gone for a reason its participants' municipality gave
    (a withdrawal) or a booking taken back at once: nothing is left to tell of it."""
    for task in _open(session):
        db.session.delete(task)


def forget_for(session: Session, referral_id: int) -> None:
    """In the caller's transaction: one participant's booking of `session` is taken back at once (a group joined by
    mistake): nothing is left to tell them of it."""
    for task in _open(session, referral_id):
        db.session.delete(task)


def _open(session: Session, referral_id: int | None = None) -> list[ParticipantToTell]:
    stmt = select(ParticipantToTell).where(ParticipantToTell.session_uid == session.uid,
                                           ParticipantToTell.told_at.is_(None))
    if referral_id is not None:
        stmt = stmt.where(ParticipantToTell.referral_id == referral_id)
    return list(db.session.scalars(stmt))


def _record(actor, session: Session, referral: Referral, task: ParticipantToTell | None, change: str, reason: str,
            start: dt.datetime, was: dt.datetime | None = None) -> ParticipantToTell:
    """One open task per participant and session (its calendar UID): a second change before the lead
    told them (`task`, the open one) replaces the first (they hear of the session as it is now)."""
    if task is None:
        task = ParticipantToTell(county_id=referral.county_id, referral_id=referral.id, session_uid=session.uid)
        db.session.add(task)
    elif task.change == BOOKED and change == MOVED:
        change = BOOKED  # not told of the booking yet: to them it is simply booked at the new time
    task.session, task.change, task.reason, task.session_start = session, change, reason, start
    if change == MOVED and (task.previous_start is None or was is None):
        task.previous_start = was   # moved twice before being told: their letter still gives the first time
    task.created_at = clock.now()
    db.session.flush()
    # `at`: the session's time as it was then: the history showed a later move's time against this day's entry.
    audit.record(actor, "participant.to_tell", referral, {"session_id": session.id, "change": change, "reason": reason,
                                                          "at": ids.plan_minute(session.start)})
    return task


# The sooner of the new time and the time the participant's letter gives: who must hear first.
_soonest = case((ParticipantToTell.previous_start < ParticipantToTell.session_start, ParticipantToTell.previous_start),
                else_=ParticipantToTell.session_start)


def waiting(county_id: int, now: dt.datetime | None = None, limit: int | None = None) -> list[ParticipantToTell]:
    """The county's participants still to be told, the soonest session first (past ones drop off)."""
    stmt = (select(ParticipantToTell)
            .where(ParticipantToTell.county_id == county_id, ParticipantToTell.told_at.is_(None),
                   ParticipantToTell.session_start > (now or clock.now()))
            .order_by(_soonest, ParticipantToTell.id)
            .options(joinedload(ParticipantToTell.referral).joinedload(Referral.participant),
                     joinedload(ParticipantToTell.session).joinedload(Session.location)))
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


def moved_away_from(county_id: int, day: dt.date) -> list[ParticipantToTell]:
    """The participants whose session was moved away from `day` (an Oslo date) too late for a new letter, told
    or not: their old letter gives that day, and reception sees them on its day plan should they come."""
    start, end = clock.oslo_days(day, day)
    return list(db.session.scalars(
        select(ParticipantToTell)
        .where(ParticipantToTell.county_id == county_id, ParticipantToTell.change == MOVED,
               ParticipantToTell.previous_start >= start, ParticipantToTell.previous_start < end)
        .order_by(ParticipantToTell.previous_start, ParticipantToTell.id)
        .options(joinedload(ParticipantToTell.referral).joinedload(Referral.participant),
                 joinedload(ParticipantToTell.session).joinedload(Session.location))))


def letters_to_send(waiting_tasks: list[ParticipantToTell]) -> list[tuple[int, int]]:
    """(referral id, session id) of the letters the participants of `waiting_tasks` (`waiting`, read once by
    the caller) get: each appointment as it is booked now (a later plan publishes a kept session again under
    its uid, and the task's own row is then superseded: the letters left those participants out)."""
    from guidance.models import SessionParticipant, SessionStatus

    tasks = [t for t in waiting_tasks if t.change != CANCELLED]
    if not tasks:
        return []
    rows = db.session.execute(
        select(SessionParticipant.referral_id, Session.uid, Session.id)
        .join(Session, Session.id == SessionParticipant.session_id)
        .where(Session.uid.in_({t.session_uid for t in tasks}), Session.status == SessionStatus.BOOKED,
               SessionParticipant.referral_id.in_({t.referral_id for t in tasks}))).all()
    current = {(referral_id, uid): session_id for referral_id, uid, session_id in rows}
    return [(t.referral_id, current[t.referral_id, t.session_uid]) for t in tasks
            if (t.referral_id, t.session_uid) in current]


def by_participant(tasks: list[ParticipantToTell]) -> list[list[ParticipantToTell]]:
    """The tasks per participant, in the order of each one's soonest: a participant whose group and
    individual session both moved is one person to call (the card counted and listed them twice)."""
    out: dict[int, list[ParticipantToTell]] = {}
    for task in tasks:
        out.setdefault(task.referral_id, []).append(task)
    return list(out.values())


def mark_told(lead: User, task: ParticipantToTell) -> None:
    """Use case: the lead told the participant (by phone, through an interpreter, in person, by letter)
    of this change and of their other open ones (the home lists them together); audited per change."""
    with unit_of_work():
        if task.told_at is not None:
            raise DomainError(_("This participant is already marked as told."))
        same = select(ParticipantToTell).where(ParticipantToTell.county_id == task.county_id,
                                               ParticipantToTell.referral_id == task.referral_id,
                                               ParticipantToTell.told_at.is_(None))
        for each in db.session.scalars(same):
            each.told_at, each.told_by_id = clock.now(), lead.id
            audit.record(lead, "participant.told", each.referral, {"session_id": each.session_id, "change": each.change,
                                                                   "at": ids.plan_minute(each.session_start)})


# A mark can be taken back for a while: a "Told" pressed on the wrong row took the participant off the
# list with nothing to bring them back.
UNDO_MINUTES = 30


def undoable(lead: User, task_id: int | None) -> ParticipantToTell | None:
    """The task `lead` marked told in the last UNDO_MINUTES, of their county, its session still ahead."""
    task = db.session.get(ParticipantToTell, task_id) if task_id else None
    now = clock.now()
    if (task is None or task.county_id != lead.county_id or task.told_at is None or task.told_by_id != lead.id
            or task.told_at < now - dt.timedelta(minutes=UNDO_MINUTES) or task.session_start <= now):
        return None
    return task


def unmark_told(lead: User, task: ParticipantToTell) -> None:
    """Use case: the lead takes back a "Told": the participant's changes marked with it wait again."""
    with unit_of_work():
        if undoable(lead, task.id) is None:
            raise DomainError(_("This mark can no longer be taken back."))
        same = select(ParticipantToTell).where(ParticipantToTell.county_id == task.county_id,
                                               ParticipantToTell.referral_id == task.referral_id,
                                               ParticipantToTell.told_at == task.told_at)
        for each in db.session.scalars(same):
            each.told_at, each.told_by_id = None, None
            audit.record(lead, "participant.told_undone", each.referral,
                         {"session_id": each.session_id, "change": each.change})
