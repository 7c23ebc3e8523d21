"""Retention: anonymise participants whose referrals closed long ago, keeping the statistics.

A participant is anonymised once every one of their referrals is closed (`Referral.closed_at`)
and the last one closed more than `months` months ago. Their name becomes "Anonymisert",
free text about them is cleared, attachments are deleted (rows and files); referral rows,
dates, legal basis, language and municipality stay for statistics.

Which columns hold personal data is declared below for every table that points at a
participant or a referral; `tests/app/test_retention.py` fails for a column not declared
either way, so a new table cannot slip past retention unnoticed.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import delete, func, select, update

from guidance.extensions import db
from guidance.models import Attachment, CannotCome, GuidanceNote, Participant, Referral
from guidance.services import audit

log = logging.getLogger(__name__)

ANONYMISED_NAME = "Anonymisert"

# table -> {column: value written on anonymisation}. Text about the person goes.
PERSONAL_COLUMNS: dict[str, dict[str, object]] = {
    "participant": {"name": ANONYMISED_NAME, "phone": None, "accessibility_needs": None},
    # the fingerprint is a hash of the submitted body: no use once the referral has closed
    # when the participant can come tells of their days (a course, a child): of no use once the referral closed
    "referral": {"notes": None, "withdrawn_reason": None, "idempotency_fingerprint": None,
                 "can_come_weekdays": None, "can_come_part": None},
    "guidance_note": {"goals": "", "background": "", "next_steps": ""},
    # when the participant can come instead, in the referrer's words
    "cannot_come": {"note": ""},
}
# Tables whose rows are deleted outright (their files too, for attachments).
DELETED_TABLES = {"attachment"}
# String columns kept: codes, references and states that statistics and the audit need.
KEPT_COLUMNS: dict[str, set[str]] = {
    "participant": {"language"},
    "referral": {"reference", "legal_basis", "status", "idempotency_key"},
    "guidance_note": {"status"},
    "session_participant": {"outcome"},
    # notices and text messages keep no number, name or text: keys, codes and states only
    "notice": {"key", "kind", "delivery"},
    "text_message": {"key", "language", "status", "gateway_id", "error"},
    # a participant the lead tells themselves: the session's calendar UID and codes only
    "participant_to_tell": {"session_uid", "change", "reason"},
    # a letter the referrer has downloaded: which session, by its calendar UID
    "letter_printed": {"session_uid"},
}


@dataclass
class RetentionResult:
    participants: int = 0
    referrals: int = 0
    attachments: int = 0
    files_deleted: int = 0
    participant_ids: list[int] = field(default_factory=list)


def due_participants(months: int, now: dt.datetime | None = None) -> list[int]:
    """Ids of participants not yet anonymised whose referrals all closed more than `months` ago."""
    cutoff = (now or dt.datetime.now(dt.timezone.utc)) - relativedelta(months=months)
    stmt = (
        select(Participant.id)
        .join(Referral, Referral.participant_id == Participant.id)
        .where(Participant.anonymised_at.is_(None))
        .group_by(Participant.id)
        # count(closed_at) < count(*) means an open referral; max() is the latest closure.
        .having(func.count(Referral.closed_at) == func.count(Referral.id), func.max(Referral.closed_at) < cutoff)
        .order_by(Participant.id)
    )
    return list(db.session.scalars(stmt))


def anonymise(months: int, actor=None, now: dt.datetime | None = None) -> RetentionResult:
    """Anonymise every due participant in one transaction; files are deleted after it commits."""
    if months < 1:
        raise ValueError("months must be at least 1")
    now = now or dt.datetime.now(dt.timezone.utc)
    return _anonymise(due_participants(months, now), actor, now, {"months": months})


def anonymise_participant(actor, participant: Participant, now: dt.datetime | None = None) -> RetentionResult:
    """Use case: an administrator anonymises one participant now (an erasure request, a referral sent by
    mistake) rather than when the retention period ends. Only when every referral of theirs is closed
    (withdrawn or done): an open one is still being planned for, and its sessions would lose their person."""
    from flask_babel import gettext as _

    from guidance.services.errors import DomainError

    if participant.anonymised_at is not None:
        raise DomainError(_("This participant is already anonymised."))
    if not participant.referrals or any(r.closed_at is None for r in participant.referrals):
        raise DomainError(_("A referral of theirs is still open. It must be withdrawn or closed first."))
    return _anonymise([participant.id], actor, now or dt.datetime.now(dt.timezone.utc), {"on_request": True})


def _anonymise(ids: list[int], actor, now: dt.datetime, why: dict) -> RetentionResult:
    """Anonymise the participants `ids` in one transaction; files are deleted after it commits."""
    result = RetentionResult(participant_ids=ids)
    if not ids:
        return result
    referral_ids = list(db.session.scalars(select(Referral.id).where(Referral.participant_id.in_(ids))))
    attachments = db.session.execute(
        select(Attachment.id, Attachment.stored_name).where(Attachment.referral_id.in_(referral_ids))
    ).all()
    try:
        db.session.execute(
            update(Participant).where(Participant.id.in_(ids)).values(**_cleared(Participant), anonymised_at=now)
        )
        db.session.execute(update(Referral).where(Referral.id.in_(referral_ids)).values(**_cleared(Referral)))
        db.session.execute(
            update(GuidanceNote).where(GuidanceNote.referral_id.in_(referral_ids)).values(**_cleared(GuidanceNote))
        )
        db.session.execute(
            update(CannotCome).where(CannotCome.referral_id.in_(referral_ids)).values(**_cleared(CannotCome))
        )
        db.session.execute(delete(Attachment).where(Attachment.referral_id.in_(referral_ids)))
        for participant in db.session.scalars(select(Participant).where(Participant.id.in_(ids))):
            audit.record(actor, "participant.anonymised", participant, {**why, "referrals": len(participant.referrals)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.expire_all()
    result.participants, result.referrals, result.attachments = len(ids), len(referral_ids), len(attachments)
    result.files_deleted = _delete_files(stored for _, stored in attachments)
    log.info("retention: %d participants anonymised, %d attachments deleted", result.participants, result.attachments)
    return result


def _cleared(model) -> dict:
    """The declared personal columns of `model` that exist in this schema, with their new values."""
    table = model.__table__
    return {name: value for name, value in PERSONAL_COLUMNS[table.name].items() if name in table.columns}


def _delete_files(stored_names) -> int:
    # After the commit: a failed commit must leave the files for the rows that still exist.
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    deleted = 0
    for stored in stored_names:
        path = folder / stored
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("retention: could not delete attachment file %s: %s", stored, type(error).__name__)
    return deleted
