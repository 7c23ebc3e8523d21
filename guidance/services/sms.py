"""Text messages (SMS) to participants: an adapter interface and one HTTP gateway implementation.

The participant's reminder goes out with the referrer's (services/notices.send_reminders) when
- a gateway is configured (SMS_GATEWAY_URL; without it nothing is sent: off by default),
- the referring municipality opted in (`Municipality.sms_reminders`, set by its county's lead
  or an admin on /notices/text-messages),
- the participant has a phone number, and
- the session has not started (checked again right before sending).
The text comes from the catalogue `guidance/sms_texts.json` in the participant's language (each language with
a letter, guidance/letters/), else the municipality's written form. Each message is recorded in
`TextMessage` under a key (hash of the session's uid, version, time and the referral) before it
is sent, so a retried job never texts twice; neither the number nor the text is stored.
The gateway's request/response contract: docs/sms-gateway.md.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from guidance import clock
from guidance.extensions import db
from guidance.models import Referral, Session, TextMessage
from guidance.rules.language import municipality_form
from guidance.services import audit
from guidance.services import calendar as cal

log = logging.getLogger(__name__)
CATALOGUE = Path(__file__).resolve().parents[1] / "sms_texts.json"
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class TextRequest:
    to: str  # E.164, like +4740000000
    text: str
    sender: str
    reference: str  # our idempotency key: the gateway may drop a repeat with the same reference


class SmsError(Exception):
    """The gateway did not take the message; `code` is safe to store (no number, no text)."""

    def __init__(self, code: str, permanent: bool = False):
        super().__init__(code)
        self.code, self.permanent = code, permanent


class SmsGateway(Protocol):
    def send(self, request: TextRequest) -> str:
        """Send one message; returns the gateway's id for it, or raises SmsError."""


class HttpSmsGateway:
    """A JSON-over-HTTPS gateway of the kind Norwegian public bodies buy (docs/sms-gateway.md)."""

    def __init__(self, url: str, username: str | None = None, password: str | None = None, timeout: float = 10):
        self.url, self.username, self.password, self.timeout = url, username, password, timeout

    def send(self, request: TextRequest) -> str:
        body = json.dumps({"to": request.to, "text": request.text, "sender": request.sender,
                           "reference": request.reference}, ensure_ascii=False).encode()
        http = urllib.request.Request(self.url, data=body, method="POST",
                                      headers={"Content-Type": "application/json; charset=utf-8",
                                               "Accept": "application/json"})
        if self.username:
            token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode()
            http.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise SmsError(f"HTTP {error.code}", permanent=400 <= error.code < 500 and error.code != 429) from None
        except (urllib.error.URLError, OSError) as error:
            raise SmsError(type(error).__name__) from None
        except ValueError:
            raise SmsError("bad response") from None
        return str(answer.get("id") or "")


def gateway_from_config() -> SmsGateway | None:
    """The configured gateway; None when SMS_GATEWAY_URL is not set (nothing is sent)."""
    config = current_app.config
    url = config.get("SMS_GATEWAY_URL")
    if not url:
        return None
    return HttpSmsGateway(url, config.get("SMS_GATEWAY_USERNAME"), config.get("SMS_GATEWAY_PASSWORD"),
                          float(config.get("SMS_TIMEOUT") or 10))


def configured() -> bool:
    return bool(current_app.config.get("SMS_GATEWAY_URL"))


@functools.lru_cache(maxsize=1)
def catalogue() -> dict:
    return {k: v for k, v in json.loads(CATALOGUE.read_text(encoding="utf-8")).items() if not k.startswith("_")}


def language_of(referral: Referral) -> str:
    """The participant's language when the catalogue has it, else the municipality's written form."""
    language = referral.participant.language
    return language if language in catalogue() else municipality_form(referral.referring_municipality)


def cancelled_text(session: Session, language: str) -> str:
    """A session the centre cancelled, by its weekday, date and time (the participant's letter gives them)."""
    start = session.start.astimezone(cal.OSLO)
    return catalogue()[language]["cancelled"].format(date=f"{weekday(start, language)} {start:%d.%m.%Y}".lstrip(),
                                                     time=start.strftime("%H:%M"))


def reminder_text(session: Session, language: str) -> str:
    texts = catalogue()[language]
    start = session.start.astimezone(cal.OSLO)
    if session.mode == "video":
        place = texts["video"]
    else:
        location = session.location
        place = f"{location.name}, {location.address}" if location.address else location.name
    return texts["reminder"].format(date=f"{weekday(start, language)} {start:%d.%m.%Y}".lstrip(),
                                    time=start.strftime("%H:%M"), place=place)


def weekday(day, language: str) -> str:
    """The weekday in the participant's language ("fredag", "الجمعة"): a date alone is easy to misread,
    the day of the week is what people plan by. Empty when CLDR does not know the language."""
    from babel import UnknownLocaleError
    from babel.dates import format_date

    from guidance.services.letters import LOCALES  # the letters' CLDR locale per language (Dari: fa_AF)

    try:
        return format_date(day, "EEEE", locale=LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):
        return ""


def e164(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    return "+47" + digits if len(digits) == 8 else "+" + digits


def _key(session: Session, referral: Referral, kind: str = "reminder") -> str:
    prefix = "sms" if kind == "reminder" else f"sms-{kind}"
    return hashlib.sha256(f"{prefix}:{session.uid}:{session.sequence}:{session.start.isoformat()}:{referral.id}"
                          .encode()).hexdigest()


def tell_cancelled(session: Session, referral: Referral, gateway: SmsGateway | None = None) -> int:
    """Text the participant that the centre cancelled `session` ("do not come; you get a new time"), on the same
    terms as a reminder (a gateway, the municipality's opt-in, a phone number, the time still ahead): their letter
    gives the time, and the referrer's e-mail reached nobody who could tell them that day. Returns 1 when sent."""
    from guidance.services.interpreter_bookings.changes import KNOWN_TO_PARTICIPANT

    if session.cancel_reason in KNOWN_TO_PARTICIPANT:
        return 0
    return remind(session, referral, gateway, kind="cancelled")


def cancellation_later(session: Session) -> None:
    """After the commit of a cancellation: queue the participants' text when texts can go at all. Never raises:
    a queue that cannot be reached leaves the referrer's home and e-mail to tell them (logged)."""
    from guidance.services.interpreter_bookings.changes import KNOWN_TO_PARTICIPANT

    if not configured() or session.cancel_reason in KNOWN_TO_PARTICIPANT \
            or not any(m.referral.referring_municipality.sms_reminders for m in session.participants):
        return
    from guidance import jobs

    try:
        jobs.enqueue_cancellation_text(session.id)
    except Exception as error:  # noqa: BLE001 - any queue failure
        log.warning("cancellation text not queued (%s)", type(error).__name__)


def remind(session: Session, referral: Referral, gateway: SmsGateway | None = None, kind: str = "reminder") -> int:
    """Text the participant a reminder of `session` (or, `kind` "cancelled", its cancellation) when everything
    allows it (see the module); returns 1 when a message went to the gateway, else 0. Never twice for the same key."""
    gateway = gateway or gateway_from_config()
    phone = referral.participant.phone
    if gateway is None or not referral.referring_municipality.sms_reminders or not phone:
        return 0
    if session.start <= clock.now():
        return 0
    key = _key(session, referral, kind)
    row = db.session.scalar(select(TextMessage).where(TextMessage.key == key))
    if row is None:
        row = TextMessage(key=key, referral_id=referral.id, session_id=session.id, language=language_of(referral),
                          status="sending", attempts=1)
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:  # another worker recorded it first: theirs to send
            db.session.rollback()
            return 0
    else:
        # Only a failed message may be tried again, and only by one worker (a conditional UPDATE).
        claimed = db.session.execute(
            update(TextMessage).where(TextMessage.id == row.id, TextMessage.status == "failed",
                                      TextMessage.attempts < MAX_ATTEMPTS)
            .values(status="sending", attempts=TextMessage.attempts + 1).execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed != 1:
            return 0
        db.session.refresh(row)
    if session.start <= clock.now():  # never a reminder after the session started
        row.status, row.error = "failed", "session started"
        db.session.commit()
        return 0
    text = cancelled_text(session, row.language) if kind == "cancelled" else reminder_text(session, row.language)
    request = TextRequest(to=e164(phone), text=text,
                          sender=current_app.config.get("SMS_SENDER") or "Veiled", reference=key)
    try:
        row.gateway_id = gateway.send(request)[:100] or None
    except SmsError as error:
        row.status, row.error = "failed", error.code[:100]
        if error.permanent:
            row.attempts = MAX_ATTEMPTS
        audit.record(None, "sms.failed", referral, {"session": session.id, "error": row.error})
        db.session.commit()
        log.warning("text message %d not sent: %s", row.id, row.error)
        return 0
    row.status, row.sent_at, row.error = "sent", clock.now(), None
    audit.record(None, "sms.sent", referral, {"session": session.id, "language": row.language, "kind": kind})
    db.session.commit()
    return 1
