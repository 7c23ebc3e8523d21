"""Configured rate limits, and each process's share of them while the shared storage is down.

Limits are counted in Redis, shared by every web process. When Redis cannot be reached,
Flask-Limiter counts in each process's memory instead (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), so
N gunicorn workers would together allow N times the limit: 40 wrong logins gave 30 answers before the
first 429 with four workers. While the storage is down, each process therefore allows its share,
the limit divided by RATELIMIT_FALLBACK_PROCESSES (gunicorn's WEB_CONCURRENCY by default), never
below one, so the sum stays near the configured limit.
"""
from __future__ import annotations

import re

from flask import current_app

from guidance.extensions import limiter

_AMOUNT = re.compile(r"^(\s*)(\d+)")


def configured(key: str):
    """A limit callable for `@limiter.limit`: the setting `key`, or this process's share of it."""

    def limit() -> str:
        value = current_app.config[key]
        processes = current_app.config.get("RATELIMIT_FALLBACK_PROCESSES", 1)
        if processes <= 1 or not storage_is_down():
            return value
        return share(value, processes)

    return limit


def storage_is_down() -> bool:
    # Flask-Limiter keeps this flag but has no public accessor; it is set when a hit on the storage
    # fails and cleared when the storage answers again.
    return bool(getattr(limiter, "_storage_dead", False))


def share(value: str, processes: int) -> str:
    """`"10 per minute; 100 per hour"` shared by 4 processes: `"2 per minute; 25 per hour"`."""
    parts = [_AMOUNT.sub(lambda m: m.group(1) + str(max(1, int(m.group(2)) // processes)), part) for part in value.split(";")]
    return ";".join(parts)
