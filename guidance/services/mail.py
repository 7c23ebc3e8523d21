"""E-mail through an outbox: a use case writes OutboxMessage rows, the job queue sends them.

1. The use case calls `queue()` per message inside its transaction, commits, then calls
   `deliver_later(messages)`, which enqueues the delivery job. No SMTP inside a web request.
2. The job (`guidance.jobs.deliver_mail`) calls `deliver_pending(ids)`: each message is claimed
   (`locked_until`, a lease, so two workers never send the same one), sent, and marked sent in
   its own commit. A temporary SMTP error (a 4xx reply, a lost or refused connection) leaves it
   pending with the error and a backoff `next_attempt_at`; the job retries then (`retry_delay`).
3. A periodic sweep (`deliver_pending()` without ids) sends every pending message that is due,
   so a lost enqueue, a lost retry or a dead worker delays a message but never loses it.
4. Dead letters: a permanent refusal (a 5xx reply to MAIL, RCPT or DATA: unknown recipient,
   refused sender, rejected content) or a temporary failure on the last of MAIL_MAX_ATTEMPTS
   attempts marks the message failed (`failed_at`, `error` with the exception type and SMTP code,
   never content). A failed message is no longer due: neither the job nor the sweep tries it
   again. The outbox page shows it to the lead, who can `retry()` it once the cause is fixed, or
   `retry_failed()` all of them at once (after an outage).
5. Superseded: an invitation queued to an address marks every unsent one to that address about
   the same calendar event (same iCalendar UID) as replaced by it (`superseded_by`); a replaced
   message is neither sent, retried nor counted as undelivered.

Without MAIL_SERVER (the demo) nothing is sent and the outbox page shows what would have been.
Delivery is at least once: a worker that dies between the server's acceptance and the commit of
`sent_at` sends the message again after the lease; the Message-ID is stable per message, so mail
clients drop such a repeat.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage

import icalendar
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from guidance.extensions import db
from guidance.models import OutboxMessage, User
from guidance.models.types import utcnow
from guidance.services import audit
from guidance.services.errors import DomainError
from guidance.services.matching import contains

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)  # far longer than one message's SMTP timeout
BATCH = 100
DEFAULT_RETRY_SECONDS, DEFAULT_RETRY_MAX_SECONDS = 60, 3600
DEFAULT_MAX_ATTEMPTS = 12  # about six hours with the default backoff
# The refusals of one message (MAIL FROM, RCPT TO, DATA); a 5xx reply to one of them is final.
# A 5xx elsewhere (the greeting, HELO) is about the connection, not the message: temporary.
MESSAGE_REFUSALS = (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def queue(to: User, subject: str, body: str, ics: bytes | None = None) -> OutboxMessage:
    """Add a message to the outbox in the current transaction. Subjects carry no personal data.

    An invitation replaces every unsent one to the same address about the same calendar event
    (a changed or cancelled booking): those are marked superseded and never sent, so a request
    held back by an outage cannot reach the interpreter after its own cancellation."""
    message = OutboxMessage(to_user_id=to.id, to_address=to.email, subject=subject, body=body,
                            ics=ics.decode() if ics else None)
    if message.ics:
        uids = set(_event_uids(message.ics))
        for older in _unsent_invitations(to.email):
            if uids.intersection(_event_uids(older.ics)):
                older.superseded_by = message
    db.session.add(message)
    return message


def note_request_held(message: OutboxMessage) -> None:
    """Without a mail server, note in the web request that an interpreter's request to answer will not leave: the
    page that asked them says so (web/outbox.py); "An interpreter request has been sent" stood while the request
    waited in the outbox and expired unanswered."""
    from flask import g, has_request_context

    if has_request_context() and not leaves():
        g.setdefault("interpreter_requests_held", []).append(message)


def requests_held() -> bool:
    """This web request asked an interpreter, and the request is stored (not rolled back) but cannot leave."""
    from flask import g
    from sqlalchemy import inspect

    return any(inspect(m).persistent or inspect(m).detached for m in g.get("interpreter_requests_held", ()))


def queue_to_leads(county_id: int, compose, but: User | None = None) -> list[OutboxMessage]:
    """One message to each active lead of a county (`but` one: a lead who counsels and wrote it themselves),
    each in that lead's language: `compose()` gives (subject, body) and is called inside the lead's locale.
    In the current transaction."""
    from flask_babel import force_locale

    from guidance.models import Role
    from guidance.rules.language import for_recipient

    messages = []
    for lead in db.session.scalars(select(User).where(User.role == Role.LEAD, User.county_id == county_id,
                                                      User.active.is_(True)).order_by(User.id)):
        if but is not None and lead.id == but.id:
            continue
        with force_locale(for_recipient(lead)):
            messages.append(queue(lead, *compose()))
    return messages


def _unsent_invitations(address: str) -> list[OutboxMessage]:
    """Invitations to ``address`` waiting or failed (not sent, not replaced), those queued in
    this transaction included. Without a flush per call: publishing a plan queues hundreds."""
    with db.session.no_autoflush:
        stored = list(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_address == address, OutboxMessage.ics.is_not(None),
            OutboxMessage.sent_at.is_(None), OutboxMessage.superseded_by_id.is_(None))))
    new = [m for m in db.session.new if isinstance(m, OutboxMessage) and m.to_address == address and m.ics
           and m.sent_at is None and m.superseded_by is None]
    return [m for m in stored if m.superseded_by is None] + new


# Links that act as the person they were sent to (an invitation, a password reset, an interpreter's
# answer): the outbox page shows every e-mail to the county's lead, who must not be able to use them.
ONE_TIME_LINK = re.compile(r"(/(?:account/invitation|account/reset-password|bookings/confirm)/)\S+")


def without_one_time_links(body: str) -> str:
    """The body as the outbox page shows it: one-time links cut after their path."""
    from flask_babel import gettext as _

    return ONE_TIME_LINK.sub(lambda m: m.group(1) + "… (" + _("hidden: the link works only for the person it was sent to") + ")",
                             body or "")


def leaves() -> bool:
    """Does e-mail leave this installation? Without a mail server (the demo, a county still setting up)
    messages wait in the outbox, and the pages say so instead of "we e-mailed them"."""
    return bool(current_app.config.get("MAIL_SERVER"))


def deliver_later(messages: list[OutboxMessage]) -> None:
    """After the commit: hand committed messages to the delivery job. Never raises; when the
    queue cannot be reached the messages stay pending and the periodic sweep sends them."""
    if not messages or not leaves():
        return
    ids = [m.id for m in messages]
    from guidance import jobs

    try:
        jobs.enqueue_delivery(ids)
    except Exception as error:  # noqa: BLE001 - any queue failure: the sweep is the fallback
        log.warning("mail delivery not queued (%s); the outbox sweep will send %d message(s)",
                    type(error).__name__, len(ids))


@dataclass
class Delivery:
    """What one `deliver_pending` did: sent, failed for now (backing off), failed for good."""
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    given_up: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.given_up)


def deliver_pending(ids: list[int] | None = None, now: dt.datetime | None = None) -> Delivery:
    """Send the pending messages that are due (only `ids` when given) over one SMTP connection."""
    result = Delivery()
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        return result
    now = now or utcnow()
    due = _due_ids(ids, now)
    db.session.commit()  # end the read transaction before talking to the mail server
    if not due:
        return result
    try:
        smtp = smtplib.SMTP(server, current_app.config["MAIL_PORT"],
                            timeout=current_app.config.get("MAIL_TIMEOUT", 10))
    except (OSError, smtplib.SMTPException) as error:
        log.warning("mail server unreachable: %s", type(error).__name__)
        for message_id in due:
            if (message := _claim(message_id, now)) is not None:
                _failed(message, error, now, result)
        return result
    try:
        _send_each(smtp, due, now, result)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return result


def _send_each(smtp: smtplib.SMTP, due: list[int], now: dt.datetime, result: Delivery) -> None:
    connection_lost: Exception | None = None
    for message_id in due:
        message = _claim(message_id, now)
        if message is None:
            continue  # sent or being sent by another worker
        if connection_lost is not None:
            _failed(message, connection_lost, now, result)
            continue
        try:
            smtp.send_message(_mime(message))
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            connection_lost = error
            _failed(message, error, now, result)
            continue
        except smtplib.SMTPException as error:
            _failed(message, error, now, result)
            continue
        message.sent_at, message.error = utcnow(), None
        message.locked_until = message.next_attempt_at = None
        # Sent: the outbox keeps no working one-time link (a database dump or backup would hold live
        # invitations, password resets and answer links for their whole lifetime).
        message.body = ONE_TIME_LINK.sub(lambda m: m.group(1) + "…", message.body or "")
        db.session.commit()
        result.sent.append(message.id)


def retry_delay(ids: list[int], now: dt.datetime | None = None) -> float | None:
    """Seconds until the earliest of `ids` still pending may be tried again; None when none is
    pending (all sent or failed for good)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(OutboxMessage.next_attempt_at, OutboxMessage.locked_until)
        .where(OutboxMessage.id.in_(ids), *pending())
    ).all()
    db.session.commit()
    if not rows:
        return None
    moments = [max(filter(None, (n, l)), default=now) for n, l in rows]
    return max(1.0, (min(moments) - now).total_seconds())


def backoff_seconds(attempts: int) -> int:
    """60 s, 2 min, 4 min, ... at most an hour (MAIL_RETRY_SECONDS, MAIL_RETRY_MAX_SECONDS)."""
    config = current_app.config
    base = int(config.get("MAIL_RETRY_SECONDS") or DEFAULT_RETRY_SECONDS)
    cap = int(config.get("MAIL_RETRY_MAX_SECONDS") or DEFAULT_RETRY_MAX_SECONDS)
    return min(cap, base * 2 ** min(max(attempts - 1, 0), 20))


def max_attempts() -> int:
    """Attempts before a message that keeps failing temporarily is given up (MAIL_MAX_ATTEMPTS)."""
    return max(1, int(current_app.config.get("MAIL_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS))


def smtp_code(error: Exception) -> int | None:
    """The server's reply code in an smtplib error; for refused recipients the mildest one (one
    recipient's 4xx makes the refusal temporary)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values() if isinstance(code, int)]
        return min(codes) if codes else None
    code = getattr(error, "smtp_code", None)
    return code if isinstance(code, int) else None


def is_permanent(error: Exception) -> bool:
    """A 5xx reply to this message's MAIL, RCPT or DATA: sending it again cannot succeed."""
    code = smtp_code(error)
    return isinstance(error, MESSAGE_REFUSALS) and code is not None and 500 <= code < 600


def retry(actor: User, message: OutboxMessage, now: dt.datetime | None = None) -> OutboxMessage:
    """A lead or admin sends a failed message again: clear the failure and make it due now (one
    transaction, audited), then queue its delivery. Refuses a message that is sent, not failed,
    or an invitation a newer message about the same session has replaced."""
    now = now or utcnow()
    _refuse_retry(message)
    newer = _superseding(message, _newest_message_per_event({message.to_address} if message.ics else set(), message.id))
    if newer is not None:
        # Failed before invitations were marked when replaced: mark it now, so it leaves the count.
        message.superseded_by_id = newer
        db.session.commit()
        _refuse_retry(message)
    previous = {"error": message.error, "attempts": message.attempts}
    if not _clear_failure(message.id, now):
        db.session.rollback()
        db.session.refresh(message)
        _refuse_retry(message)
        raise DomainError(_("This e-mail could not be retried. Reload the page and try again."))
    audit.record(actor, "outbox.retried", message, previous)
    db.session.commit()
    db.session.refresh(message)
    deliver_later([message])
    return message


def _clear_failure(message_id_: int, now: dt.datetime) -> bool:
    """Make a failed message due now; conditional, so a retry racing another retry (or anything
    that changed the row) does nothing twice. False when the row was no longer failed."""
    return db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id_, *undelivered())
        .values(failed_at=None, error=None, attempts=0, next_attempt_at=now, locked_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


@dataclass
class BulkRetry:
    """What `retry_failed` did: the messages queued again, and the failed invitations left as
    they are because a newer message to the same person carries the same calendar event."""
    retried: list[OutboxMessage] = field(default_factory=list)
    superseded: int = 0


def retry_failed(actor: User, visible, now: dt.datetime | None = None) -> BulkRetry:
    """Send again every failed message `visible` (a WHERE clause: what the actor may retry)
    selects, in one transaction, each audited like a single retry; then queue their delivery.

    After a long mail outage a lead would otherwise press "Send again" once per message. A
    failed invitation whose event a later message to the same address also carries (a changed
    or cancelled booking) is out of date: sending it after the newer one could put a cancelled
    session back in the interpreter's calendar, so it stays failed and is counted instead."""
    now = now or utcnow()
    failed = list(db.session.scalars(select(OutboxMessage).where(visible, *undelivered()).order_by(OutboxMessage.id)))
    if not failed:
        raise DomainError(_("No e-mails are marked as not delivered."))
    result = BulkRetry()
    newest = _newest_message_per_event({m.to_address for m in failed if m.ics}, failed[0].id)
    for message in failed:
        newer = _superseding(message, newest)
        if newer is not None:  # failed before invitations were marked when replaced
            message.superseded_by_id = newer
            result.superseded += 1
            continue
        previous = {"error": message.error, "attempts": message.attempts, "bulk": True}
        if _clear_failure(message.id, now):  # else another retry took it meanwhile: nothing to do twice
            audit.record(actor, "outbox.retried", message, previous)
            result.retried.append(message)
    if not result.retried and not result.superseded:
        db.session.rollback()
        raise DomainError(_("These e-mails could not be retried. Reload the page and try again."))
    db.session.commit()
    for message in result.retried:
        db.session.refresh(message)
    deliver_later(result.retried)
    return result


def _superseding(message: OutboxMessage, newest: dict[tuple[str, str], int]) -> int | None:
    """The id of the newest later message to the same address carrying one of the invitation's
    calendar events, if any."""
    if not message.ics:
        return None
    later = [newest.get((message.to_address, uid), 0) for uid in _event_uids(message.ics)]
    return max((n for n in later if n > message.id), default=None)


def _newest_message_per_event(addresses: set[str], after: int) -> dict[tuple[str, str], int]:
    """(address, calendar event UID) -> id of the newest message to that address carrying it,
    among messages newer than `after` (only those can replace a failed message `after` or later;
    an interpreter's whole history need not be parsed)."""
    newest: dict[tuple[str, str], int] = {}
    if not addresses:
        return newest
    rows = db.session.execute(select(OutboxMessage.id, OutboxMessage.to_address, OutboxMessage.ics)
                              .where(OutboxMessage.to_address.in_(addresses), OutboxMessage.ics.is_not(None),
                                     OutboxMessage.id > after))
    for message_id_, address, ics in rows:
        for uid in _event_uids(ics):
            newest[address, uid] = max(newest.get((address, uid), 0), message_id_)
    return newest


@functools.lru_cache(maxsize=2048)
def event_start_known(address: str, uid: str) -> dt.datetime | None:
    """The start of calendar event `uid` as the latest request (METHOD:REQUEST) e-mailed to `address` gave it: the
    time the person knows. Only a sent one counts (an unsent request is replaced by the next and never leaves),
    or, where no e-mail leaves, the latest one not replaced, as if it had been sent. None: they have none."""
    stmt = (select(OutboxMessage).where(OutboxMessage.to_address == address, OutboxMessage.ics.is_not(None),
                                        OutboxMessage.ics.contains(uid))
            .order_by(OutboxMessage.id.desc()).limit(20))
    stmt = stmt.where(OutboxMessage.sent_at.is_not(None)) if leaves() else \
        stmt.where(OutboxMessage.superseded_by_id.is_(None))
    with db.session.no_autoflush:
        for message in db.session.scalars(stmt):
            try:
                calendar = icalendar.Calendar.from_ical(message.ics)
            except ValueError:
                continue
            if str(calendar.get("method", "")).upper() != "REQUEST":
                continue
            for event in calendar.walk("VEVENT"):
                if str(event.get("uid")) == uid and event.get("dtstart") is not None:
                    start = event["dtstart"].dt
                    return start.astimezone(dt.timezone.utc) if isinstance(start, dt.datetime) else None
    return None


def _event_uids(ics: str) -> tuple[str, ...]:
    """The calendar events an invitation carries. Cached: publishing a plan queues many
    invitations to one interpreter, and each is compared with the others still unsent."""
    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except ValueError:  # not ours to judge here: such a message is simply not known to be replaced
        return ()
    return tuple(str(event["uid"]) for event in calendar.walk("VEVENT") if "uid" in event)


def _refuse_retry(message: OutboxMessage) -> None:
    if message.sent_at is not None:
        raise DomainError(_("This e-mail has already been sent."))
    if message.superseded_by_id is not None:
        raise DomainError(_("A newer message about the same session has gone to this person since this invitation: "
                            "it is out of date and is not sent again."))
    if message.failed_at is None:
        raise DomainError(_("This e-mail has not failed: it is still waiting to be sent."))


def pending():
    """WHERE clauses of a message still to be sent: neither sent, failed for good nor replaced."""
    return (OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None), OutboxMessage.superseded_by_id.is_(None))


def undelivered():
    """WHERE clauses of a message failed for good that a lead may send again: not replaced."""
    return (OutboxMessage.failed_at.is_not(None), OutboxMessage.sent_at.is_(None),
            OutboxMessage.superseded_by_id.is_(None))


def replaced():
    """WHERE clauses of a message a newer one about the same event to the same person replaces."""
    return (OutboxMessage.superseded_by_id.is_not(None), OutboxMessage.sent_at.is_(None))


# The outbox page's lists: ?state=... narrows it; anything else shows every message.
OUTBOX_STATES = {
    "pending": pending,
    "sent": lambda: (OutboxMessage.sent_at.is_not(None),),
    "failed": undelivered,
    "replaced": replaced,
}
OUTBOX_PAGE_SIZE = 50
SEARCH_LENGTH = 100


@dataclass
class OutboxFilter:
    """The outbox list's choice: a state (a key of OUTBOX_STATES, else every message) and a search
    in the recipient's address and the subject (subjects never hold personal data)."""

    state: str = ""
    search: str = ""

    def __post_init__(self):
        self.state = self.state if self.state in OUTBOX_STATES else ""
        self.search = " ".join((self.search or "").split())[:SEARCH_LENGTH]

    @property
    def active(self) -> bool:
        return bool(self.state or self.search)


@dataclass
class OutboxPage:
    rows: list
    total: int
    page: int
    pages: int


def outbox_page(visible, chosen: OutboxFilter, page: int = 1) -> OutboxPage:
    """One page of the messages `visible` selects (rules.access.outbox_filter), newest first."""
    clauses = [visible]
    if chosen.state:
        clauses.extend(OUTBOX_STATES[chosen.state]())
    if chosen.search:
        clauses.append(or_(contains(OutboxMessage.to_address, chosen.search),
                           contains(OutboxMessage.subject, chosen.search)))
    total = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*clauses))
    pages = max(1, -(-total // OUTBOX_PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        select(OutboxMessage).where(*clauses).order_by(OutboxMessage.id.desc())
        .offset((page - 1) * OUTBOX_PAGE_SIZE).limit(OUTBOX_PAGE_SIZE)
        .options(selectinload(OutboxMessage.superseded_by))  # its subject is shown: one query, not one each
    ).all()
    return OutboxPage(rows=list(rows), total=total, page=page, pages=pages)


def _due(now: dt.datetime):
    return (*pending(),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))


def _due_ids(ids: list[int] | None, now: dt.datetime) -> list[int]:
    stmt = select(OutboxMessage.id).where(*_due(now)).order_by(OutboxMessage.id).limit(BATCH)
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    return list(db.session.scalars(stmt))


def _claim(message_id: int, now: dt.datetime) -> OutboxMessage | None:
    """Take the lease on a due message (one UPDATE, so only one worker wins) and load it."""
    claimed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, *_due(now))
        .values(locked_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return db.session.get(OutboxMessage, message_id) if claimed == 1 else None


def _failed(message: OutboxMessage, error: Exception, now: dt.datetime, result: Delivery) -> None:
    """Note the error (its type and SMTP code, no content); then either back off, or, for a
    permanent refusal or the last allowed attempt, mark the message failed for good."""
    code = smtp_code(error)
    message.error = f"{type(error).__name__} {code}" if code else type(error).__name__
    message.locked_until = None
    if is_permanent(error) or message.attempts >= max_attempts():
        message.failed_at, message.next_attempt_at = now, None
        db.session.commit()
        # Ids and codes only: the address and the subject stay in the outbox.
        log.warning("outbox message %d not delivered, given up after %d attempt(s): %s",
                    message.id, message.attempts, message.error)
        result.given_up.append(message.id)
        return
    message.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(message.attempts))
    db.session.commit()
    result.failed.append(message.id)


def _mime(message: OutboxMessage) -> EmailMessage:
    mime = EmailMessage()
    mime["From"] = current_app.config["MAIL_SENDER"]
    mime["To"] = message.to_address
    mime["Subject"] = message.subject
    mime["Message-ID"] = message_id(message)
    mime.set_content(message.body)
    if message.ics:
        method = _method_of(message.ics)
        # An invitation calendar clients act on: text/calendar with the iTIP method (RFC 6047).
        mime.add_alternative(message.ics.encode(), maintype="text", subtype="calendar",
                             params={"method": method, "charset": "utf-8"})
        mime.add_attachment(message.ics.encode(), maintype="application", subtype="ics", filename="invite.ics")
    return mime


def message_id(message: OutboxMessage) -> str:
    """Stable per outbox message (a repeated delivery carries the same Message-ID), not guessable."""
    digest = hashlib.sha256(f"{current_app.config['SECRET_KEY']}:outbox:{message.id}".encode()).hexdigest()[:24]
    return f"<outbox-{message.id}.{digest}@veiled.invalid>"


def _method_of(ics: str) -> str:
    for line in ics.splitlines():
        if line.startswith("METHOD:"):
            return line.split(":", 1)[1].strip()
    return "PUBLISH"
