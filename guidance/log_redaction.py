"""Secret links out of request logs.

An invitation, a password reset, an interpreter's answer link and a calendar address each act as the
person they were sent to: whoever reads the server's request log could use them. The request loggers
(the development server's and, when an access log is switched on, gunicorn's) write these paths with
the secret part replaced.
"""
from __future__ import annotations

import logging
import re

# The path segment after these prefixes is a credential (guidance/web/account.py, feed.py, interpreter.py).
_SECRET_PATH = re.compile(r"(/account/(?:invitation|reset-password)/|/bookings/confirm/|^/calendar/|[\s\"]/calendar/)"
                          r"[^/?\s\"]+?(?=\.ics\b|[/?\s\"]|$)")


def redact(text: str) -> str:
    """`text` with the secret part of every such path replaced by "…"."""
    return _SECRET_PATH.sub(r"\1…", text)


class RedactSecretLinks(logging.Filter):
    """For the development server's request log (werkzeug logs the request line as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact(record.msg) if isinstance(record.msg, str) else record.msg
        return True


try:  # gunicorn is the production server; its access log is off unless --access-logfile is given
    from gunicorn.glogging import Logger as _GunicornLogger

    class GunicornLogger(_GunicornLogger):
        """`gunicorn --logger-class guidance.log_redaction.GunicornLogger`: the access log without secret links."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            for key in ("r", "U", "{raw_uri}e"):
                if isinstance(atoms.get(key), str):
                    atoms[key] = redact(atoms[key])
            return atoms
except ImportError:  # pragma: no cover - gunicorn is in requirements.txt
    pass
