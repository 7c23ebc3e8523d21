"""E-mail: every message is kept as an OutboxMessage and, when MAIL_SERVER is set, sent over SMTP.

The outbox is the record of what was sent (and, in the demo without a mail server, of what
would have been). A failed delivery is noted on the message and never undoes the use case
that caused it: the booking stands and the lead can see the error on the outbox page.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from guidance.extensions import db
from guidance.models import OutboxMessage, User
from guidance.models.types import utcnow

log = logging.getLogger(__name__)


def queue(to: User, subject: str, body: str, ics: bytes | None = None) -> OutboxMessage:
    """Add a message to the outbox in the current transaction. Subjects carry no personal data."""
    message = OutboxMessage(to_user_id=to.id, to_address=to.email, subject=subject, body=body,
                            ics=ics.decode() if ics else None)
    db.session.add(message)
    return message


def deliver(messages: list[OutboxMessage]) -> None:
    """Send committed outbox messages over SMTP (when configured) and record the result."""
    server = current_app.config.get("MAIL_SERVER")
    if not server or not messages:
        return
    try:
        with smtplib.SMTP(server, current_app.config["MAIL_PORT"], timeout=10) as smtp:
            for message in messages:
                try:
                    smtp.send_message(_mime(message))
                    message.sent_at = utcnow()
                    message.error = None
                except smtplib.SMTPException as error:
                    message.error = type(error).__name__
    except (OSError, smtplib.SMTPException) as error:
        log.warning("mail server unreachable: %s", type(error).__name__)
        for message in messages:
            if message.sent_at is None:
                message.error = type(error).__name__
    db.session.commit()


def _mime(message: OutboxMessage) -> EmailMessage:
    mime = EmailMessage()
    mime["From"] = current_app.config["MAIL_SENDER"]
    mime["To"] = message.to_address
    mime["Subject"] = message.subject
    mime["Message-ID"] = make_msgid(domain="veiled.invalid")
    mime.set_content(message.body)
    if message.ics:
        method = _method_of(message.ics)
        # An invitation calendar clients act on: text/calendar with the iTIP method (RFC 6047).
        mime.add_alternative(message.ics.encode(), maintype="text", subtype="calendar",
                             params={"method": method, "charset": "utf-8"})
        mime.add_attachment(message.ics.encode(), maintype="application", subtype="ics", filename="invite.ics")
    return mime


def _method_of(ics: str) -> str:
    for line in ics.splitlines():
        if line.startswith("METHOD:"):
            return line.split(":", 1)[1].strip()
    return "PUBLISH"
