"""A real SMTP server on the loopback interface (aiosmtpd) for tests of e-mail delivery."""
from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket

from aiosmtpd.controller import Controller


class Inbox:
    """Collects every message the server accepts; ``delay`` makes it slow to answer."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
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
