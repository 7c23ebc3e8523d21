"""Notices: everyone hears about their sessions, by e-mail through the outbox and the job queue.

Who hears what (issue 27):
- the referrer, when sessions of their referrals are booked (publishing, "find a time"), moved or
  cancelled, and when a guidance note is shared (services/notes.py);
- the counsellor, when a session of theirs is added, moved or cancelled outside a full publish
  (with the updated calendar event attached);
- the referrer, N working days before each session (`County.reminder_working_days`), a reminder
  listing their participants' sessions; the participant a text message (services/sms.py).

How:
1. A use case calls `session_event(...)` in its own transaction: it writes `Notice` rows (no
   rendering, no e-mail), each with a `key` unique per notice (a hash of its kind, the session's
   calendar uid, version and time, the recipient and the referral): the same event recorded twice
   is one notice. After its commit the use case calls `dispatch_later()`.
2. The dispatch job (`jobs.dispatch_notices`, and a sweep each minute for a lost enqueue) claims the
   immediate notices (`dispatched_at`, one conditional UPDATE per recipient), renders them into
   the outbox in the recipient's language (rules.language.for_recipient) and hands the e-mails to
   the delivery job. A retried job finds them dispatched and sends nothing twice.
3. Each user chooses per kind of notice: immediately, in a daily digest (`send_digests`, one
   e-mail a day listing the day's changes) or never (`settings page: /account/notices`).
Subjects carry the referral's reference, never a name; bodies link into the app (BASE_URL).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from guidance import clock
from guidance.extensions import db
from guidance.models import (
    County,
    CounsellorProfile,
    Location,
    Notice,
    OutboxMessage,
    PlanningRun,
    Referral,
    Role,
    Session,
    SessionStatus,
    User,
)
from guidance.rules.language import for_recipient
from guidance.rules.notice import first_day_after_notice
from guidance.services import audit, mail
from guidance.services import calendar as cal
from guidance.services.errors import DomainError

log = logging.getLogger(__name__)

# Kinds of notice a user chooses how to receive.
REFERRAL_SESSIONS, GUIDANCE_NOTES, REMINDERS, MY_SESSIONS = "referral_sessions", "guidance_notes", "reminders", "my_sessions"
IMMEDIATE, DIGEST, NEVER = "immediate", "digest", "never"
CHOICE_LABELS = {IMMEDIATE: _l("Immediately"), DIGEST: _l("In a daily summary"), NEVER: _l("Never")}
# A reminder comes on its own day: "immediately" read oddly beside it.
REMINDER_LABELS = {IMMEDIATE: _l("Yes, by e-mail"), NEVER: _l("No")}
KIND_LABELS = {
    REFERRAL_SESSIONS: _l("Sessions of my referrals are booked, moved or cancelled"),
    GUIDANCE_NOTES: _l("A guidance note is shared"),
    REMINDERS: _l("Reminder before each session of my participants"),
    MY_SESSIONS: _l("A session of mine is added, moved or cancelled outside a published plan"),
}
KIND_CHOICES = {
    REFERRAL_SESSIONS: (IMMEDIATE, DIGEST, NEVER),
    GUIDANCE_NOTES: (IMMEDIATE, DIGEST, NEVER),
    REMINDERS: (IMMEDIATE, NEVER),  # a reminder is about a day: a summary a day later is too late
    MY_SESSIONS: (IMMEDIATE, DIGEST, NEVER),
}
ROLE_KINDS = {Role.REFERRER: (REFERRAL_SESSIONS, GUIDANCE_NOTES, REMINDERS), Role.COUNSELLOR: (MY_SESSIONS,)}

# Notice.kind -> the choice that governs it.
BOOKED, MOVED, CANCELLED = "booked", "moved", "cancelled"
REFERRER_KINDS = {f"referral_{e}": REFERRAL_SESSIONS for e in (BOOKED, MOVED, CANCELLED)}
COUNSELLOR_KINDS = {f"counsellor_{e}": MY_SESSIONS for e in (BOOKED, MOVED, CANCELLED)}
# A counsellor's session has another interpreter, who said yes (the counsellor sends a video link,
# or greets them at the door): no calendar change of theirs, so no calendar event with it.
INTERPRETER_CHANGED = "counsellor_interpreter"
# The interpreter who had said yes can no longer come (withdrew, or registered away): only the leads were
# told, and the counsellor, who knew the name, learnt it when the session began.
INTERPRETER_GONE = "counsellor_interpreter_gone"
JOINED = "counsellor_joined"  # a participant joined the counsellor's group session (booked one at a time)
# Every notice about the counsellor's own sessions: each its own e-mail, each linking to the session.
OWN_SESSION_KINDS = frozenset(COUNSELLOR_KINDS) | {INTERPRETER_CHANGED, INTERPRETER_GONE, JOINED}
GOVERNED_BY = {**REFERRER_KINDS, **COUNSELLOR_KINDS, INTERPRETER_CHANGED: MY_SESSIONS, INTERPRETER_GONE: MY_SESSIONS,
               JOINED: MY_SESSIONS, "note_shared": GUIDANCE_NOTES, "reminder": REMINDERS}
BATCH = 200  # recipients per round of `dispatch`: all of a recipient's waiting notices go in one round


# -- the user's choices -------------------------------------------------------------------------

def kinds_for(user: User) -> tuple[str, ...]:
    """The notices the user chooses how to get: their role's, and their own sessions' for a lead who counsels."""
    from guidance.rules.access import counsels

    return ROLE_KINDS.get(user.role, ()) + ((MY_SESSIONS,) if user.role is Role.LEAD and counsels(user) else ())


def choice(user: User, kind: str) -> str:
    """How `user` receives `kind`: their choice, else immediately."""
    chosen = (user.notice_settings or {}).get(kind)
    return chosen if chosen in KIND_CHOICES.get(kind, ()) else IMMEDIATE


def set_choices(actor: User, choices: dict[str, str]) -> list[str]:
    """Save the user's choice for each kind of notice their role gets; one transaction, audited
    (kinds and choices only). Returns the kinds changed."""
    errors = {kind: [_("Choose how you want to get this notice.")]
              for kind in kinds_for(actor) if choices.get(kind) not in KIND_CHOICES[kind]}
    if errors:
        raise DomainError(_("Your choices were not saved."), errors)
    settings = dict(actor.notice_settings or {})
    changed = sorted(kind for kind in kinds_for(actor) if choice(actor, kind) != choices[kind])
    for kind in kinds_for(actor):
        settings[kind] = choices[kind]
    actor.notice_settings = settings
    audit.record(actor, "notices.settings_updated", actor, {kind: choices[kind] for kind in changed})
    db.session.commit()
    return changed


# -- recording (inside the use case's transaction) ----------------------------------------------

def _key(*parts) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def _add(user: User, kind: str, key: str, session: Session | None = None, referral: Referral | None = None,
         delivery: str | None = None, as_it_was: tuple[dt.datetime, int] | None = None,
         moved_from: dt.datetime | None = None) -> Notice | None:
    """A notice for `user`, unless they chose never or the same notice exists already."""
    delivery = delivery or choice(user, GOVERNED_BY[kind])
    if delivery == NEVER or not user.active:
        return None
    with db.session.no_autoflush:
        if db.session.scalar(select(Notice.id).where(Notice.key == key)) is not None:
            return None
    if any(isinstance(n, Notice) and n.key == key for n in db.session.new):
        return None
    notice = Notice(key=key, user=user, kind=kind, session=session, referral=referral, delivery=delivery)
    if as_it_was is not None:
        notice.told_start, notice.told_location_id = as_it_was
    notice.moved_from = moved_from
    db.session.add(notice)
    return notice


def referrers_of(referral: Referral) -> list[User]:
    """Who referred the participant; a referral without a referring user (the API) goes to the
    municipality's active referrers."""
    person = referral.referred_by
    if person is not None and person.role is Role.REFERRER:
        return [person] if person.active else []
    return list(db.session.scalars(select(User).where(
        User.role == Role.REFERRER, User.active.is_(True), User.municipality_id == referral.referring_municipality_id)
        .order_by(User.id)))


def session_event(actor, session: Session, event: str, *, counsellor: bool = True, referrers: bool = True,
                  referral_ids: set[int] | None = None, previous_counsellor_id: int | None = None,
                  previous: tuple[dt.datetime, int] | None = None) -> list[Notice]:
    """Notices about `session` (BOOKED, MOVED or CANCELLED), in the caller's transaction: to the
    referrers of its participants (with `referrers`; only those of `referral_ids` when given; never to an actor
    telling themselves), and with `counsellor` to the counsellor (a change outside a full publish;
    a session handed to another counsellor is cancelled for `previous_counsellor_id`, at its
    `previous` (start, location id) when it moved too, and new for the new one). Call it after the
    session's SEQUENCE went up."""
    actor_id = getattr(actor, "id", None)
    version = (session.uid, session.sequence, session.start.isoformat(), session.location_id)
    # Which session moved, for whoever is told of the move (not of a handover: theirs is cancelled).
    moved_from = previous[0] if event == MOVED and previous and previous[0] != session.start else None
    notices = []
    for member in session.participants if referrers else ():
        if referral_ids is not None and member.referral_id not in referral_ids:
            continue
        for person in referrers_of(member.referral):
            if person.id == actor_id:
                continue
            key = _key(f"referral_{event}", *version, person.id, member.referral_id)
            notices.append(_add(person, f"referral_{event}", key, session, member.referral, moved_from=moved_from))
    if counsellor:
        told = [(session.counsellor_id, event)]
        if previous_counsellor_id is not None and previous_counsellor_id != session.counsellor_id:
            told = [(previous_counsellor_id, CANCELLED), (session.counsellor_id, BOOKED)]
        for profile_id, what in told:
            profile = db.session.get(CounsellorProfile, profile_id)
            if profile is not None and profile.user_id != actor_id:
                key = _key(f"counsellor_{what}", *version, profile.user_id)
                handed_over = profile_id == previous_counsellor_id != session.counsellor_id
                notices.append(_add(profile.user, f"counsellor_{what}", key, session,
                                    as_it_was=previous if handed_over else None,
                                    moved_from=moved_from if what == MOVED else None))
    return [n for n in notices if n is not None]


def take_back_booked(session: Session, referral_id: int) -> None:
    """In the caller's transaction: a booking of `referral_id` into `session` is taken back at once (a group joined
    by mistake): its notices not sent yet are dropped (the referrer would hear of a booking that is gone)."""
    for notice in db.session.scalars(select(Notice).where(
            Notice.session_id == session.id, Notice.referral_id == referral_id, Notice.dispatched_at.is_(None),
            Notice.kind == f"referral_{BOOKED}")):
        db.session.delete(notice)


def interpreter_changed(booking) -> Notice | None:
    """In the caller's transaction, when `booking` was just accepted: tell the session's counsellor if
    another interpreter had been asked for it before (declined, did not answer, withdrew or was
    cancelled), since they only knew that one's name."""
    session = booking.session
    earlier = [b for b in session.bookings if b.id != booking.id and b.interpreter_id != booking.interpreter_id]
    if session.status is not SessionStatus.BOOKED or not earlier:
        return None
    profile = db.session.get(CounsellorProfile, session.counsellor_id)
    if profile is None:
        return None
    key = _key(INTERPRETER_CHANGED, booking.id, profile.user_id)
    return _add(profile.user, INTERPRETER_CHANGED, key, session)


def interpreter_gone(actor, booking) -> Notice | None:
    """In the caller's transaction, when `booking`, accepted, was just withdrawn: tell the session's counsellor
    (not a lead who counsels and did it themselves)."""
    session = booking.session
    profile = db.session.get(CounsellorProfile, session.counsellor_id)
    if session.status is not SessionStatus.BOOKED or profile is None or profile.user_id == getattr(actor, "id", None):
        return None
    return _add(profile.user, INTERPRETER_GONE, _key(INTERPRETER_GONE, booking.id, profile.user_id), session)


def participant_joined(actor, session: Session, referral: Referral) -> Notice | None:
    """In the caller's transaction, when `referral` was booked into an existing group session: its
    counsellor hears who joined (their calendar's event gets the new version), as they would of a
    new session; a lead who counsels tells no one."""
    profile = db.session.get(CounsellorProfile, session.counsellor_id)
    if profile is None or profile.user_id == getattr(actor, "id", None):
        return None
    key = _key(JOINED, session.uid, session.sequence, referral.id, profile.user_id)
    return _add(profile.user, JOINED, key, session, referral)


def note_shared(person: User, note) -> str:
    """How `person` hears about a shared note: IMMEDIATE (the caller e-mails it now), or the notice
    waits for the digest (DIGEST), or nothing (NEVER)."""
    wanted = choice(person, GUIDANCE_NOTES)
    if wanted == DIGEST:
        _add(person, "note_shared", _key("note_shared", note.id, person.id), referral=note.referral, delivery=DIGEST)
    return wanted


def dispatch_later(notices: list[Notice] | None = None) -> None:
    """After the commit: queue the dispatch job. Never raises; the sweep is the fallback."""
    if notices is not None and not any(n.delivery == IMMEDIATE for n in notices):
        return
    if not mail.leaves():
        return  # the demo: a running worker's sweep still writes them into the outbox
    from guidance import jobs

    try:
        jobs.enqueue_notices()
    except Exception as error:  # noqa: BLE001 - any queue failure: the sweep dispatches them
        log.warning("notice dispatch not queued (%s); the sweep will send them", type(error).__name__)


# -- dispatch (the job) -------------------------------------------------------------------------

def _drop_stale(notices: list[Notice], now: dt.datetime) -> list[Notice]:
    """The notices still worth sending: one about a session that has started by now tells nobody
    anything (a digest delayed by an outage listed 49 sessions held weeks ago as "booked"). The stale
    ones are marked dispatched without a message (audited with their count) and left out."""
    stale = [n for n in notices if n.session is not None and n.session.start <= now]
    if stale and _claim(stale, now):
        audit.record(None, "notice.dropped_stale", None, {"count": len(stale)})
        db.session.commit()
    return [n for n in notices if n not in stale]


def _claim(notices: list[Notice], now: dt.datetime) -> bool:
    """Take these notices for this worker (one conditional UPDATE): False when another took any."""
    ids = [n.id for n in notices]
    claimed = db.session.execute(update(Notice).where(Notice.id.in_(ids), Notice.dispatched_at.is_(None))
                                 .values(dispatched_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != len(ids):
        db.session.rollback()
        return False
    return True


def dispatch(now: dt.datetime | None = None, rounds: int = 50) -> list[OutboxMessage]:
    """Write every waiting immediate notice into the outbox, then queue the delivery: the referrer's
    notices of one batch in one e-mail, each of a counsellor's in its own (it carries the calendar
    event). A notice already dispatched is skipped: a retried job sends nothing twice."""
    messages: list[OutboxMessage] = []
    for _round in range(rounds):
        written, more = _dispatch_batch(now or clock.now())
        messages += written
        if not more:
            break
    mail.deliver_later(messages)
    return messages


def _dispatch_batch(now: dt.datetime) -> tuple[list[OutboxMessage], bool]:
    """One round: the BATCH recipients waiting longest, each with every notice waiting for them (a
    round of notices cut a referrer's changes of one publication into two e-mails)."""
    pending = (Notice.dispatched_at.is_(None), Notice.delivery == IMMEDIATE)
    users = list(db.session.scalars(select(Notice.user_id).where(*pending).group_by(Notice.user_id)
                                    .order_by(func.min(Notice.id)).limit(BATCH)))
    full = len(users) == BATCH
    waiting = list(db.session.scalars(select(Notice).where(*pending, Notice.user_id.in_(users or [0]))
                                      .order_by(Notice.id)))
    waiting = _drop_stale(waiting, now)
    groups: dict[tuple, list[Notice]] = defaultdict(list)
    for notice in waiting:
        # A counsellor's notices go one an e-mail, each with its own subject (two "the interpreter cannot come" in
        # one e-mail read "2 changes to sessions of your referrals"); a referrer's are gathered.
        group = ("counsellor", notice.id) if notice.kind in OWN_SESSION_KINDS else (notice.kind == "reminder", notice.user_id)
        groups[group].append(notice)
    messages = []
    for group in groups.values():
        if not _claim(group, now):
            continue
        message = _render(group[0].user, group)
        for notice in group:
            notice.message = message
        audit.record(None, "notice.sent", message, {"kinds": sorted({n.kind for n in group}), "count": len(group)})
        db.session.commit()
        messages.append(message)
    return messages, full


def send_digests(now: dt.datetime | None = None) -> list[OutboxMessage]:
    """One e-mail per user listing every notice they chose to get in the daily summary and that
    has not been in one yet. Run once a day (`flask send-digests`); a second run sends nothing."""
    now = now or clock.now()
    waiting = _drop_stale(list(db.session.scalars(select(Notice).where(
        Notice.dispatched_at.is_(None), Notice.delivery == DIGEST).order_by(Notice.user_id, Notice.id))), now)
    by_user: dict[int, list[Notice]] = defaultdict(list)
    for notice in waiting:
        by_user[notice.user_id].append(notice)
    messages = []
    for notices in by_user.values():
        if not _claim(notices, now):
            continue
        message = _render(notices[0].user, notices, digest=True)
        for notice in notices:
            notice.message = message
        audit.record(None, "notice.digest_sent", message, {"count": len(notices)})
        db.session.commit()
        messages.append(message)
    mail.deliver_later(messages)
    return messages


# -- rendering ----------------------------------------------------------------------------------

def _when(session: Session, notice: Notice | None = None) -> str:
    start = notice.told_start if notice is not None and notice.told_start is not None else session.start
    return _oslo(start)


def _oslo(start: dt.datetime) -> str:
    return start.astimezone(cal.OSLO).strftime("%d.%m.%Y %H:%M")


def _place(session: Session, notice: Notice | None = None) -> str:
    told = notice.told_location if notice is not None else None
    location = told or session.location
    if told is None and session.mode == "video":
        if link := cal.video_link(session):
            return _("video meeting %(link)s", link=link)
        return _("video meeting (the link comes from the counsellor)")
    return f"{location.name}, {location.address}" if location.address else location.name


def _line(notice: Notice, kind: str, before: dt.datetime | None) -> str:
    """One line of an e-mail: `notice` as `kind`, moved from `before` (`_folded`: several notices may fold into one)."""
    session, reference = notice.session, notice.referral.reference if notice.referral else ""
    if notice.kind == "note_shared":
        return _("Referral %(reference)s: a guidance note has been shared.", reference=reference)
    if notice.kind == INTERPRETER_GONE:
        gone = max((b for b in session.bookings if b.status.value == "declined"), key=lambda b: b.id, default=None)
        return _("Your session %(when)s at %(place)s: %(name)s can no longer interpret. The career centre finds "
                 "another interpreter; you hear who.") % {"when": _when(session, notice), "place": _place(session, notice),
                                                           "name": gone.interpreter.user.name if gone else "–"}
    if notice.kind == INTERPRETER_CHANGED:
        accepted = [b for b in session.bookings if b.status.value == "accepted"] or session.bookings
        booking = max(accepted, key=lambda b: b.id)
        return _("Your session %(when)s at %(place)s: the interpreter is now %(name)s (%(mode)s).") % {
            "when": _when(session, notice), "place": _place(session, notice), "name": booking.interpreter.user.name,
            "mode": cal.interpreter_mode_label(booking.mode)}
    what = {
        "referral_booked": _("Referral %(reference)s: session booked %(when)s at %(place)s."),
        "referral_moved": _("Referral %(reference)s: session moved to %(when)s at %(place)s."),
        "referral_cancelled": _("Referral %(reference)s: the session %(when)s at %(place)s is cancelled."),
        "reminder": _("Referral %(reference)s: session %(when)s at %(place)s."),
        "counsellor_booked": _("New session %(when)s at %(place)s."),
        "counsellor_moved": _("Your session is moved to %(when)s at %(place)s."),
        "counsellor_cancelled": _("Your session %(when)s at %(place)s is cancelled."),
        JOINED: _("Your group session %(when)s at %(place)s has a new participant: referral %(reference)s."),
    }[kind]
    if kind == "referral_cancelled" and _left_group(notice):
        # The group goes on without them ("is cancelled" read as the whole group's session).
        what = _("Referral %(reference)s: the participant is taken out of the group session %(when)s at %(place)s, "
                 "which they cannot come to; the others keep it. The centre finds them another time.")
    elif _handed_over(notice) and session.start != notice.told_start:
        # Moved as well: "given to" alone read as a colleague taking it at the same time.
        what = _("Your session %(when)s at %(place)s is moved to another time and given to %(name)s: it is out of "
                 "your calendar.")
    elif _handed_over(notice):
        what = _("Your session %(when)s at %(place)s is given to %(name)s: it is out of your calendar.")
    elif before is not None and kind == "referral_moved":
        what = _("Referral %(reference)s: the session %(before)s is moved to %(when)s at %(place)s.")
    elif before is not None and kind == "counsellor_moved":
        what = _("Your session %(before)s is moved to %(when)s at %(place)s.")
    return what % {"reference": reference, "when": _when(session, notice), "place": _place(session, notice),
                   "name": session.counsellor.user.name if session is not None else "",
                   "before": _oslo(before) if before is not None else ""}


def _folded(notices: list[Notice]) -> list[tuple[Notice, str, dt.datetime | None]]:
    """The lines of one e-mail as (notice, kind, the time it moved from): a session booked or moved, then moved
    again before the reader heard of it (a daily summary, or a batch not yet sent), is one line at its latest
    time, moved from the time the reader had (the first move's), or booked when they had none. Each notice
    tells the session as it stands, so a summary read "moved from 10.00 to 14.00" and "moved from 12.00 to
    14.00": 12.00 was never sent. Cancellations and the other kinds stand as they are."""
    def chain_key(notice: Notice) -> tuple | None:
        if notice.session is None or not notice.kind.endswith((f"_{BOOKED}", f"_{MOVED}")):
            return None
        return notice.session.uid, notice.referral_id, notice.kind.rsplit("_", 1)[0]

    chains: dict[tuple, list[Notice]] = defaultdict(list)
    for notice in notices:
        if (key := chain_key(notice)) is not None:
            chains[key].append(notice)
    lines = []
    for notice in notices:
        chain = chains.get(chain_key(notice))
        if chain is None:
            lines.append((notice, notice.kind, notice.moved_from))
            continue
        if notice is not chain[-1]:
            continue
        first = chain[0]
        if first.kind.endswith(f"_{BOOKED}"):
            lines.append((notice, first.kind, None))
        else:
            before = first.moved_from if first.moved_from != notice.session.start else None  # moved back: no "from"
            lines.append((notice, notice.kind, before))
    return lines


def _left_group(notice: Notice) -> bool:
    """A referrer's cancellation of a group session that goes on without their participant (taken out of it)."""
    session = notice.session
    return (session is not None and session.status is SessionStatus.BOOKED and notice.referral_id is not None
            and all(sp.referral_id != notice.referral_id for sp in session.participants))


def _handed_over(notice: Notice) -> bool:
    """A counsellor's cancellation of a session that goes on with a colleague (told as it was for them)."""
    session = notice.session
    return (notice.kind == "counsellor_cancelled" and notice.told_start is not None and session is not None
            and session.status is SessionStatus.BOOKED and session.counsellor.user_id != notice.user_id)


def _link(notice: Notice) -> str:
    if notice.told_start is not None:
        # The session is someone else's now: the counsellor's own day, as it is after the change.
        return cal.app_url("counsellor.day", day=notice.told_start.astimezone(cal.OSLO).date().isoformat())
    if notice.kind in OWN_SESSION_KINDS:
        return cal.app_url("counsellor.session", session_id=notice.session_id)
    return cal.app_url("referrals.show", referral_id=notice.referral_id)


def _letter_line(notice: Notice, kind: str) -> str:
    """The participant's letter for a session booked or moved ahead: the referrer hands it over, and a
    participant holding only the old letter comes on the old day."""
    from guidance.services.interpreter_bookings.changes import KNOWN_TO_PARTICIPANT

    session = notice.session
    if kind == "referral_cancelled" and session is not None and session.start > clock.now() \
            and not _left_group(notice) and session.cancel_reason not in KNOWN_TO_PARTICIPANT:
        # The participant holds a letter with this time: only the referrer can tell them.
        return "\n  " + _("Tell the participant not to come then: the letter they have is no longer valid. The centre "
                         "books a new time, and you get its letter.")
    if kind not in ("referral_booked", "referral_moved") or session is None or notice.referral_id is None \
            or session.status is not SessionStatus.BOOKED or session.start <= clock.now():
        return ""
    link = cal.app_url("letters.referral", referral_id=notice.referral_id)
    if kind == "referral_moved":
        return "\n  " + _("Give the participant the new letter, which replaces the old one (PDF): %(link)s", link=link)
    return "\n  " + _("Give the participant the letter (PDF): %(link)s", link=link)


def _render(person: User, notices: list[Notice], digest: bool = False) -> OutboxMessage:
    """One e-mail for `notices` to `person`, in their language; the subject names references only."""
    locale = for_recipient(person)
    first = notices[0]
    folded = _folded(notices)
    with force_locale(locale):
        if digest:
            subject = ngettext("Daily summary: %(num)d change in Veiled", "Daily summary: %(num)d changes in Veiled", len(folded))
            intro = _("Here is what changed since the last summary:")
        elif first.kind == "reminder":
            subject = _("Reminder: sessions on %(day)s", day=first.session.start.astimezone(cal.OSLO).strftime("%d.%m.%Y"))
            intro = _("Your participants have these sessions. Please remind them:")
        elif len(folded) > 1:
            subject = ngettext("%(num)d change to sessions of your referrals", "%(num)d changes to sessions of your referrals", len(folded))
            intro = _("Sessions of your referrals have changed:")
        else:
            reference = first.referral.reference if first.referral else ""
            subject = {
                "referral_booked": _("Session booked for referral %(reference)s"),
                "referral_moved": _("Session moved for referral %(reference)s"),
                "referral_cancelled": _("Taken out of a group session: referral %(reference)s") if _left_group(first)
                else _("Session cancelled for referral %(reference)s"),
                INTERPRETER_CHANGED: _("New interpreter: session %(when)s"),
                INTERPRETER_GONE: _("The interpreter cannot come: session %(when)s"),
                JOINED: _("New participant: group session %(when)s"),
                "counsellor_booked": _("New session %(when)s"),
                "counsellor_moved": _("Moved: session %(when)s"),
                "counsellor_cancelled": _("Given to a colleague: session %(when)s") if _handed_over(first)
                else _("Cancelled: session %(when)s"),
            }[folded[0][1]] % {"reference": reference, "when": _when(first.session, first) if first.session else ""}
            intro = ""
        lines = [intro] if intro else []
        # One letter holds every session of a participant: its link once, under their last line (it stood under
        # each of two sessions booked for one referral).
        letter_lines = [_letter_line(n, k) for n, k, _b in folded]
        letter_after = {n.referral_id: i for i, ((n, _k, _b), letter) in enumerate(zip(folded, letter_lines)) if letter}
        for i, (notice, kind, before) in enumerate(folded):
            letter = letter_lines[i] if letter_after.get(notice.referral_id) == i else ""
            lines.append(f"- {_line(notice, kind, before)}\n  {_link(notice)}" + letter)
        lines.append(_("Choose which notices you get and how: %(link)s", link=cal.app_url("notices.settings")))
        body = "\n\n".join(lines)
        ics = None
        if (first.kind in COUNSELLOR_KINDS or first.kind == JOINED) and not digest:
            session = first.session
            method = "CANCEL" if first.kind == "counsellor_cancelled" else "REQUEST"
            # Given to a colleague (and moved with it): the cancelled event is the one this counsellor had.
            was = (first.told_start, db.session.get(Location, first.told_location_id) or session.location) \
                if _handed_over(first) else None
            ics = cal.build_calendar([session], lambda s: cal.app_url("counsellor.session", session_id=s.id),
                                     language=locale, method=method, sequence=session.sequence,
                                     organizer=current_app.config["MAIL_SENDER"], attendee=person.email, as_it_was=was)
    message = mail.queue(person, subject, body, ics)
    db.session.flush()
    return message


# -- reminders (a daily job) ---------------------------------------------------------------------

@dataclass
class Reminders:
    notices: int = 0
    emails: int = 0
    texts: int = 0


def reminder_day(county: County, today: dt.date) -> dt.date:
    """The day whose sessions are reminded today: the county's N-th working day after today."""
    return first_day_after_notice(today, county.reminder_working_days or 2)


def sessions_on(county: County, day: dt.date) -> list[Session]:
    """The county's booked sessions on the Oslo date `day`."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=cal.OSLO).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=cal.OSLO).astimezone(dt.timezone.utc)
    return list(db.session.scalars(
        select(Session).join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county.id, Session.status == SessionStatus.BOOKED,
               Session.start >= start, Session.start < end).order_by(Session.start, Session.id)))


def send_reminders(today: dt.date | None = None) -> Reminders:
    """Remind each referrer of their participants' sessions N working days ahead (one e-mail per
    referrer and day), and text the participants whose municipality opted in. Idempotent: a notice
    or text message already recorded for a session and its version is not sent again."""
    from guidance.services import sms

    today = today or clock.today()
    result = Reminders()
    for county in db.session.scalars(select(County).order_by(County.id)).all():
        for session in sessions_on(county, reminder_day(county, today)):
            for member in session.participants:
                for person in referrers_of(member.referral):
                    key = _key("reminder", session.uid, session.sequence, session.start.isoformat(), person.id,
                               member.referral_id)
                    if _add(person, "reminder", key, session, member.referral, delivery=choice(person, REMINDERS)):
                        result.notices += 1
        db.session.commit()
        for session in sessions_on(county, reminder_day(county, today)):
            for member in session.participants:
                result.texts += sms.remind(session, member.referral)
    result.emails = len(dispatch())
    return result
