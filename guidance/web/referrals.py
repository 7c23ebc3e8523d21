"""Referral lists and details, for everyone who may see them (scoped by rules.access)."""
from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, render_template, send_file
from flask_login import current_user
from sqlalchemy import select

from guidance import clock
from guidance.extensions import db
from guidance.models import Attachment, AuditEvent, CounsellorProfile, Referral, Role, Session, SessionParticipant, SessionStatus
from guidance.models.types import utcnow
from guidance.rules.access import referral_filter
from guidance.rules.deadlines import deadline_passed
from guidance.services import audit
from guidance.services.attachments import EXTENSION, stored_path
from guidance.services.referrals import CORRECTABLE, NOT_WITHDRAWABLE
from guidance.web.guards import get_visible, requires
from guidance.web.labels import AUDIT_ACTION, REFERRAL_FIELD

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.get("/")
@requires("referrals")
def index():
    referrals = db.session.scalars(
        select(Referral).where(referral_filter(current_user)).order_by(Referral.deadline.is_(None), Referral.deadline, Referral.id).limit(500)
    ).all()
    return render_template("referrals/index.html", referrals=referrals,
                           next_sessions=next_booked_sessions([r.id for r in referrals]), counsellor_name=counsellor_name)


@bp.get("/<int:referral_id>")
@requires("referrals")
def show(referral_id: int):
    referral = get_visible(Referral, referral_id)
    if current_user.role in (Role.LEAD, Role.COUNSELLOR):
        # Centre staff reading a participant's personal data is itself audited.
        audit.record(current_user, "referral.viewed", referral)
        db.session.commit()
    return render_template(
        "referrals/show.html", referral=referral, history=history(referral),
        next_session=next_booked_sessions([referral.id]).get(referral.id),
        can_correct=current_user.role is Role.REFERRER and referral.status in CORRECTABLE,
        can_withdraw=current_user.role is Role.REFERRER and referral.status not in NOT_WITHDRAWABLE,
        field_label=REFERRAL_FIELD, action_label=AUDIT_ACTION, counsellor_name=counsellor_name,
        deadline_passed=deadline_passed(referral.deadline, clock.today()),
    )


@bp.get("/<int:referral_id>/attachments/<int:attachment_id>")
@requires("referrals")
def attachment(referral_id: int, attachment_id: int):
    """An attachment, only to those who may see its referral; always a download, never cached."""
    referral = get_visible(Referral, referral_id)
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.referral_id != referral.id:
        abort(404)
    path = stored_path(current_app.config["UPLOAD_FOLDER"], item.stored_name)
    if path is None:
        abort(404)
    if current_user.role in (Role.LEAD, Role.COUNSELLOR):
        audit.record(current_user, "attachment.downloaded", item, {"referral": referral.id})
        db.session.commit()
    name = item.original_name
    if not name.lower().endswith(EXTENSION.get(item.content_type, "")):
        name += EXTENSION.get(item.content_type, "")
    response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def history(referral: Referral) -> list[dict]:
    """The referral's audit events that changed something, oldest first (views are left out)."""
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "referral", AuditEvent.object_id == referral.id,
                                 AuditEvent.action != "referral.viewed").order_by(AuditEvent.at, AuditEvent.id)
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
