"""A real SMTP server on the loopback interface (aiosmtpd) for tests of e-mail delivery."""
from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket

from aiosmtpd.controller import Controller


class Inbox:
    """Collects every message the server accepts; ``delay`` makes it slow to answer.

    ``refuse`` maps a command ("MAIL", "RCPT", "DATA") to the reply it gets instead of 250, e.g.
    ``{"RCPT": "550 5.1.1 Recipient unknown"}``; ``tries`` counts the transactions (MAIL FROM)
    the server saw, accepted or not."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.delay = 0.0
        self.refuse: dict[str, str] = {}
        self.tries = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.tries += 1
        if "MAIL" in self.refuse:
            return self.refuse["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "RCPT" in self.refuse:
            return self.refuse["RCPT"]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if "DATA" in self.refuse:
            return self.refuse["DATA"]
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_server(handler: Inbox, port: int | None = None):
    """Serve ``handler`` on 127.0.0.1 (a free port unless given); yields the port."""
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
