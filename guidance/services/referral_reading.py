"""Reading referrals: the lists and pages of everyone who may see them (scoped by rules.access).

Reading a participant's personal data is itself audited, whoever reads it, in the same use case
as the read, so a view only parses, calls here and renders.
"""
from __future__ import annotations

import json
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Attachment, AuditEvent, CounsellorProfile, Referral, Session, SessionParticipant, SessionStatus
from guidance.models.types import utcnow
from guidance.rules.access import referral_filter
from guidance.services import audit
from guidance.services.attachments import stored_path

LIST_LIMIT = 500


def visible_referrals(user) -> list[Referral]:
    """The referrals `user` may see, nearest deadline first (at most LIST_LIMIT)."""
    return list(db.session.scalars(
        select(Referral).where(referral_filter(user))
        .order_by(Referral.deadline.is_(None), Referral.deadline, Referral.id).limit(LIST_LIMIT)))


def read_referral(user, referral: Referral) -> Referral:
    """`user` opens a referral they may see; the read is audited."""
    audit.record(user, "referral.viewed", referral)
    db.session.commit()
    return referral


def read_attachment(user, referral: Referral, attachment_id: int) -> tuple[Attachment, Path] | None:
    """The attachment of `referral` and its file, or None when either is missing; the
    download is audited, whoever downloads it."""
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.referral_id != referral.id:
        return None
    path = stored_path(current_app.config["UPLOAD_FOLDER"], item.stored_name)
    if path is None:
        return None
    audit.record(user, "attachment.downloaded", item, {"referral": referral.id})
    db.session.commit()
    return item, path


def history(referral: Referral) -> list[dict]:
    """The referral's audit events that changed something, oldest first (views and refusals are left out)."""
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "referral", AuditEvent.object_id == referral.id,
                                 AuditEvent.action.notin_(("referral.viewed", "access.refused"))).order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return [{"event": e, "detail": json.loads(e.detail) if e.detail else {}} for e in events]


def next_booked_sessions(referral_ids: list[int]) -> dict[int, Session]:
    """For each referral, its next booked session from now on (from the published plan)."""
    if not referral_ids:
        return {}
    rows = db.session.execute(
        select(SessionParticipant.referral_id, Session)
        .join(Session, Session.id == SessionParticipant.session_id)
        .where(SessionParticipant.referral_id.in_(referral_ids), Session.status == SessionStatus.BOOKED,
               Session.start >= utcnow())
        .order_by(Session.start)
    ).all()
    found: dict[int, Session] = {}
    for referral_id, session in rows:
        found.setdefault(referral_id, session)
    return found


def counsellor_name(session: Session) -> str:
    profile = db.session.get(CounsellorProfile, session.counsellor_id)
    return profile.user.name if profile is not None else ""
