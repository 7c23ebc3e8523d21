"""Counsellors' calendars: the week, the subscription feed and one-off .ics files.

A calendar leaves the application, lands on phones and in cloud calendars, so it carries no
participant's name or other personal data: only the referrals' pseudonymous references and a
link back into the app, where access is checked.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable

import icalendar
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance import clock
from guidance.extensions import db
from guidance.models import Location, PlanningRun, Referral, Room, Session, SessionParticipant, SessionStatus, User
from guidance.planning.ids import local_today
from guidance.services import audit

OSLO = clock.OSLO
PRODID = "-//Veiled//Career guidance calendar//NB"
# Sessions of a published plan; "planned" sessions belong to a draft nobody has seen yet.
PUBLISHED = (SessionStatus.BOOKED, SessionStatus.COMPLETED, SessionStatus.CANCELLED)
FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 180


# -- weeks and days ---------------------------------------------------------------------

def week_start(year: int, week: int) -> dt.date:
    """Monday of ISO week `week` of `year`; ValueError for a week that does not exist."""
    return dt.date.fromisocalendar(year, week, 1)


def counsellor_sessions(counsellor_id: int, first: dt.date, last: dt.date, *, loads=None) -> list[Session]:
    """The counsellor's published sessions starting on Oslo dates first..last (inclusive)."""
    return sessions_between(first, last, counsellor_id=counsellor_id, loads=loads)


def sessions_between(first: dt.date, last: dt.date, *, counsellor_id: int | None = None, room_id: int | None = None,
                     location_id: int | None = None, run_id: int | None = None, county_id: int | None = None,
                     loads=None) -> list[Session]:
    """The one home for "sessions of a week": sessions starting on Oslo dates first..last (inclusive)
    of one counsellor, room or location. Without `run_id` the published plan (one row per calendar
    UID, optionally only `county_id`'s); with it, every session of that planning run (a draft)."""
    start, end = clock.oslo_days(first, last)
    stmt = select(Session).where(Session.start >= start, Session.start < end)
    if counsellor_id is not None:
        stmt = stmt.where(Session.counsellor_id == counsellor_id)
    if room_id is not None:
        stmt = stmt.where(Session.room_id == room_id)
    if location_id is not None:
        stmt = stmt.where(Session.location_id == location_id)
    if run_id is not None:
        stmt = stmt.where(Session.run_id == run_id)
    else:
        stmt = stmt.where(Session.status.in_(PUBLISHED))
    if county_id is not None:
        stmt = stmt.join(PlanningRun, PlanningRun.id == Session.run_id).where(PlanningRun.county_id == county_id)
    sessions = db.session.scalars(
        stmt.options(*(loads or (selectinload(Session.participants).selectinload(SessionParticipant.referral),
                                 selectinload(Session.location), selectinload(Session.room),
                                 selectinload(Session.interpreter))))
        .order_by(Session.start, Session.id)
    ).all()
    return sessions if run_id is not None else latest_per_uid(sessions)


# What an event of the feed reads (`_event`): references and place names, not whole referrals,
# and no interpreter profile (its id is on the session). Half the feed's time was loading.
FEED_LOADS = (
    selectinload(Session.participants).selectinload(SessionParticipant.referral).load_only(Referral.id, Referral.reference),
    selectinload(Session.location).load_only(Location.id, Location.name),
    selectinload(Session.room).load_only(Room.id, Room.name),
    selectinload(Session.bookings),   # whether the interpreter has said yes (the event says so)
)


def latest_per_uid(sessions: Iterable[Session]) -> list[Session]:
    """One session per calendar UID: a re-publish may leave an older row with the same UID,
    and two events with one UID would confuse every calendar client."""
    latest: dict[str, Session] = {}
    for session in sessions:
        if session.uid not in latest or session.id > latest[session.uid].id:
            latest[session.uid] = session
    return sorted(latest.values(), key=lambda s: (s.start, s.id))


def current_of(session: Session) -> Session | None:
    """The session as it stands now under the same calendar UID, when a later publication replaced
    this row (a re-plan gives every session a new row): links in e-mails and calendars name the row
    they were written for."""
    if session.status is not SessionStatus.SUPERSEDED:
        return None
    return db.session.scalar(select(Session).where(Session.uid == session.uid, Session.id > session.id,
                                                   Session.status != SessionStatus.SUPERSEDED,
                                                   Session.status != SessionStatus.PLANNED)
                             .order_by(Session.id.desc()).limit(1))


def bump_sequence(session: Session) -> None:
    """Every change a calendar client should notice raises SEQUENCE (RFC 5545 3.8.7.4)."""
    session.sequence = (session.sequence or 0) + 1
    session.updated_at = dt.datetime.now(dt.timezone.utc)


# -- the secret feed token ----------------------------------------------------------------

def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(user: User) -> str:
    """Give `user` a new feed token (the old one stops working) and return it; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = _hash_token(token)
    audit.record(user, "calendar.token_issued", user)
    db.session.commit()
    return token


def revoke_feed_token(user: User) -> None:
    user.calendar_token_hash = None
    audit.record(user, "calendar.token_revoked", user)
    db.session.commit()


def user_for_feed_token(token: str) -> User | None:
    """The active user the token belongs to, or None."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token_hash == _hash_token(token)))
    if user is None or not user.active or (user.counsellor is None and user.interpreter is None):
        return None
    return user


# -- iCalendar ----------------------------------------------------------------------------

def feed_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """What a subscription holds: the past 30 and the next 180 days."""
    today = today or local_today()
    return today - dt.timedelta(days=FEED_PAST_DAYS), today + dt.timedelta(days=FEED_FUTURE_DAYS)


def feed_sessions(user: User, today: dt.date | None = None) -> list[Session]:
    """A counsellor's subscription: their published sessions in the feed's window."""
    return counsellor_sessions(user.counsellor.id, *feed_window(today), loads=FEED_LOADS)


def accepted_bookings(interpreter_id: int, first: dt.date, last: dt.date) -> list:
    """The interpreter's accepted bookings of published sessions starting on Oslo dates first..last, and those
    they had accepted of sessions the centre cancelled since (their calendar shows them cancelled: dropped from the
    feed, the assignment vanished from a phone's calendar without a word, or stayed there in some apps). One
    booking per appointment: an accepted one over a cancelled one."""
    from sqlalchemy import and_, or_

    from guidance.models import BookingStatus, InterpreterBooking

    start, end = clock.oslo_days(first, last)
    bookings = db.session.scalars(
        select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
        .where(InterpreterBooking.interpreter_id == interpreter_id,
               or_(InterpreterBooking.status == BookingStatus.ACCEPTED,
                   # the session itself cancelled: one that goes on with another interpreter is no longer theirs to
                   # follow (its new time, references and video link), and their cancellation e-mail said so
                   and_(InterpreterBooking.status == BookingStatus.CANCELLED, InterpreterBooking.answered_at.is_not(None),
                        Session.status == SessionStatus.CANCELLED)),
               Session.status.in_(PUBLISHED), Session.start >= start, Session.start < end)
        .options(selectinload(InterpreterBooking.session).options(*FEED_LOADS))
    ).all()
    kept = {s.id for s in latest_per_uid(b.session for b in bookings)}
    one: dict[int, object] = {}
    for b in sorted(bookings, key=lambda b: (b.status is BookingStatus.ACCEPTED, b.id)):
        if b.session.id in kept:
            one[b.session.id] = b   # the accepted one last, so it stays
    return sorted(one.values(), key=lambda b: (b.session.start, b.session.id))


def build_calendar(sessions: Iterable[Session], link: Callable[[Session], str], *, language: str = "nb",
                   name: str | None = None, method: str | None = None, sequence: int | None = None,
                   organizer: str | None = None, attendee: str | None = None, interpreter: bool = False,
                   as_it_was: tuple[dt.datetime, Location] | None = None, cancelled_ids: frozenset = frozenset()) -> bytes:
    """An RFC 5545 calendar of `sessions` with the Europe/Oslo VTIMEZONE.

    `interpreter`: the calendar of the session's interpreter, whose place is theirs (by video or phone
    the room was a place they would have driven to).

    `link(session)` gives the address of the session in the app. `method` (REQUEST, CANCEL)
    makes it an iTIP message for e-mail invitations (RFC 5546), with its own `sequence` and
    the `organizer` and `attendee` addresses. `as_it_was` (start, location): the event as the attendee had it, for a
    cancellation of a session that goes on elsewhere with a colleague (their calendar showed the old time).
    `cancelled_ids`: sessions that are cancelled for this calendar's owner though they may go on (an interpreter's
    booking the centre cancelled).
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    with force_locale(language):
        if name:
            calendar.add("x-wr-calname", name)
            calendar.add("x-wr-timezone", "Europe/Oslo")
            # Hints for subscribing clients; the feed is rate-limited anyway.
            calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
            calendar.add("x-published-ttl", "PT1H")
        sessions = list(sessions)
        if sessions:
            spans = [(s.start, s.end) for s in sessions]
            if as_it_was:   # the old time the cancellation names is in the calendar's time zone too
                spans.append((as_it_was[0], as_it_was[0] + (sessions[0].end - sessions[0].start)))
            calendar.add_component(_oslo_timezone(min(a for a, _ in spans), max(b for _, b in spans)))
        if not (method or sequence is not None or organizer or attendee):
            # A feed or a plain .ics: each event's text is remembered by everything it is made of,
            # so a poll that finds nothing changed joins known bytes instead of rebuilding 250 events.
            body = calendar.to_ical()
            end = body.rindex(b"END:VCALENDAR")
            events = b"".join(_event_ical(session, link(session), language, interpreter, session.id in cancelled_ids)
                              for session in sessions)
            return body[:end] + events + body[end:]
        for session in sessions:
            event = _event(session, link(session), cancelled=method == "CANCEL", interpreter=interpreter,
                           as_it_was=as_it_was)
            if sequence is not None:
                event.pop("sequence")
                event.add("sequence", sequence)
            if organizer:
                event.add("organizer", f"mailto:{organizer}")
            if attendee:
                event.add("attendee", f"mailto:{attendee}",
                          parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"})
            calendar.add_component(event)
    return calendar.to_ical()


_EVENT_TEXT: dict[tuple, bytes] = {}
EVENT_TEXT_LIMIT = 20_000  # about 10 MB per process; emptied when full


def _event_ical(session: Session, url: str, language: str, interpreter: bool = False, cancelled: bool = False) -> bytes:
    """The VEVENT of `session` as bytes, built once per distinct content (every input of `_event`
    is in the key, so a changed session, place, reference or language builds it anew)."""
    key = (session.uid, session.updated_at, session.sequence or 0, session.start, session.end, session.type,
           tuple(sorted(p.referral.reference for p in session.participants)), session.location.name,
           session.room.name, session.interpreter_id, session.language, session.interpreter_mode, session.mode,
           session.status, video_link(session), url, language, session.interpreter_gone,
           session.outside_interpreter_mode if session.outside_interpreter else None, interpreter, cancelled,
           session.interpreter_state)
    text = _EVENT_TEXT.get(key)
    if text is None:
        if session.updated_at is None:  # DTSTAMP would be "now": never remembered
            return _event(session, url, cancelled=cancelled, interpreter=interpreter).to_ical()
        text = _event(session, url, cancelled=cancelled, interpreter=interpreter).to_ical()
        if len(_EVENT_TEXT) >= EVENT_TEXT_LIMIT:
            _EVENT_TEXT.clear()
        _EVENT_TEXT[key] = text
    return text


def video_link(session: Session) -> str | None:
    """Where someone joins `session` by video (the participants of a video session, or an interpreter by
    video): the counsellor's meeting room, when they have one. Read only for such sessions."""
    if "video" not in (session.mode, session.interpreting_mode):
        return None
    return session.counsellor.video_link


def _oslo_timezone(first: dt.datetime, last: dt.datetime) -> icalendar.Timezone:
    """Europe/Oslo's VTIMEZONE from the tz database, covering the calendar's dates with a year to
    spare. A window, not 1970-2038: the long RDATE lists of the full zone are misread by some
    parsers (dateutil's, hence vobject's, put a date after the March change in winter time)."""
    return icalendar.Timezone.from_tzid("Europe/Oslo", first_date=first.date() - dt.timedelta(days=366),
                                        last_date=last.date() + dt.timedelta(days=366))


def _event(session: Session, url: str, cancelled: bool = False, interpreter: bool = False,
           as_it_was: tuple[dt.datetime, Location] | None = None) -> icalendar.Event:
    from guidance.labels import LANGUAGE, SESSION_TYPE

    references = ", ".join(sorted(p.referral.reference for p in session.participants))
    kind = str(SESSION_TYPE.get(session.type, session.type))
    event = icalendar.Event()
    event.add("uid", session.uid)
    stamp = session.updated_at or dt.datetime.now(dt.timezone.utc)
    event.add("dtstamp", stamp.astimezone(dt.timezone.utc))
    event.add("last-modified", stamp.astimezone(dt.timezone.utc))
    event.add("sequence", session.sequence or 0)
    start = as_it_was[0] if as_it_was else session.start
    event.add("dtstart", start.astimezone(OSLO))
    event.add("dtend", (start + (session.end - session.start)).astimezone(OSLO))
    what = f"{kind} – {references}" if references else kind
    is_cancelled = cancelled or session.status is SessionStatus.CANCELLED
    # In the title too: calendar apps that ignore STATUS showed a cancelled session as any other.
    event.add("summary", _("Cancelled: %(what)s", what=what) if is_cancelled else what)
    if interpreter and session.interpreter_mode in ("video", "phone"):
        event.add("location", _("By video") if session.interpreter_mode == "video" else _("By phone"))
    elif as_it_was:   # where it was for them (its room there is not kept)
        address = f", {as_it_was[1].address}" if as_it_was[1].address else ""
        event.add("location", f"{as_it_was[1].name}{address}")
    else:   # the street address too: a phone's map finds "Strandgata 12, Bergen", not the centre's name
        address = f", {session.location.address}" if session.location.address else ""
        event.add("location", f"{session.location.name}, {session.room.name}{address}")
    lines = [_("Referrals: %(references)s", references=references or "–")]
    if session.outside_interpreter and session.language:
        # Arranged by the centre outside Veiled: how they take part, never who (as for one in Veiled).
        lines.append(_("Interpreter: %(language)s (%(mode)s)", language=str(LANGUAGE.get(session.language, session.language)),
                       mode=interpreter_mode_label(session.outside_interpreter_mode)))
    elif session.interpreter_id:
        language = str(LANGUAGE.get(session.language, session.language))
        lines.append(_("Interpreter: %(language)s, none has said yes yet (the centre is finding one)", language=language)
                     if session.interpreter_gone else
                     # Asked, not yet answered: the counsellor read "(video)" as booked, the page said "Requested".
                     _("Interpreter: %(language)s (%(mode)s), asked but not confirmed yet", language=language,
                       mode=interpreter_mode_label(session.interpreter_mode))
                     if session.interpreter_state == "asked" else
                     _("Interpreter: %(language)s (%(mode)s)", language=language,
                       mode=interpreter_mode_label(session.interpreter_mode)))
    if session.mode == "video":
        lines.append(_("The session is held by video."))
    link = video_link(session)
    if link:  # the counsellor's meeting room: where a video participant or interpreter joins
        lines.append(_("Video meeting: %(link)s", link=link))
    lines.append(url)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("status", "CANCELLED" if is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def interpreter_mode_label(mode: str | None) -> str:
    from guidance.labels import INTERPRETER_MODE

    return str(INTERPRETER_MODE.get(mode or "", mode or ""))


def etag_for(body: bytes) -> str:
    """A strong validator for the feed body (unquoted, as werkzeug's set_etag wants it)."""
    return hashlib.sha256(body).hexdigest()[:32]


def app_url(endpoint: str, **values) -> str:
    """An absolute address into the app from the configured BASE_URL, never from the request's
    Host header (it ends up in e-mails and calendars that outlive the request)."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    path = adapter.build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path
