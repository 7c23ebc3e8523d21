"""Audit trail: who did what, when. Details carry ids and field names, never personal data."""
from __future__ import annotations

import json

from guidance.extensions import db
from guidance.models import AuditEvent


def record(actor, action: str, obj, detail: dict | None = None) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "none",
        object_id=getattr(obj, "id", None),
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    )
    db.session.add(event)
    return event
