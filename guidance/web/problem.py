"""RFC 9457 problem details for the JSON API."""
from __future__ import annotations

from flask import jsonify

PROBLEM_TYPE_BASE = "https://veiled.invalid/problems/"


def problem(status: int, title: str, detail: str | None = None, type_: str | None = None, **extra):
    """A problem+json response; `extra` adds members such as `errors` (field paths)."""
    body = {"type": PROBLEM_TYPE_BASE + type_ if type_ else "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response
