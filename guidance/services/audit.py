"""Audit trail: who did what, when. Details carry ids and field names, never personal data."""
from __future__ import annotations

import json

from guidance.extensions import db
from guidance.models import AuditEvent


def record(actor, action: str, obj, detail: dict | None = None) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    # current_user is a proxy: record the user behind it, not "localproxy".
    actor = _unwrap(actor)
    obj = _unwrap(obj)
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "none",
        object_id=getattr(obj, "id", None),
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    )
    db.session.add(event)
    return event


def _unwrap(value):
    getter = getattr(value, "_get_current_object", None)
    return getter() if callable(getter) else value
