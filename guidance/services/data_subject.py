"""Data-subject access (GDPR art. 15): everything held about one participant, as JSON.

The export is built from the schema itself: the participant's row, their referrals, and every
row of every table that points at one of those (attachments, notes, session places, and any
table added later), plus the sessions they were placed in and the audit trail of their
referrals. A table added by a later feature is included without touching this module.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field

from sqlalchemy import Table, or_, select, true

from guidance.extensions import db
from guidance.models import AuditEvent, Municipality, Participant, Referral, Session, SessionParticipant
from guidance.services import audit
from guidance.services.matching import PHONE_QUERY, contains, digits_of
from guidance.services.referrals import phone_key

FORMAT = "veiled-data-subject-export/1"
# Never part of an export: credentials and internal fingerprints.
SECRET_COLUMN = re.compile(r"(password|token|secret|hash)", re.IGNORECASE)
def find_participants(query: str, limit: int = 50, county_id: int | None = None) -> list[Participant]:
    """Participants whose name or phone contains `query`, or whose referral has that reference;
    with `county_id`, only those living in that county (an administrator bound to it)."""
    text = " ".join(query.split())
    if not text:
        return []
    by_reference = select(Referral.participant_id).where(Referral.reference == text.upper())
    matches = [contains(Participant.name, text), Participant.id.in_(by_reference)]
    digits = phone_key(text)
    if len(digits) >= 6 and PHONE_QUERY.match(text):
        # Phones compared by their digits: "44331743" finds "+47 443 31 743" and the other way round.
        matches.append(digits_of(Participant.phone).like(f"%{digits}%"))
    stmt = (
        select(Participant)
        .where(or_(*matches))
        .where(true() if county_id is None else Participant.municipality_id.in_(
            select(Municipality.id).where(Municipality.county_id == county_id)))
        .order_by(Participant.name, Participant.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def export_participant(actor, participant: Participant) -> dict:
    """Everything held about `participant`; the export itself is audited (ids only)."""
    referral_ids = [r.id for r in participant.referrals]
    data = {
        "format": FORMAT,
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "participant": _row(Participant.__table__, participant),
        "referrals": [_row(Referral.__table__, r) for r in sorted(participant.referrals, key=lambda r: r.id)],
        "related": _related_rows(participant.id, referral_ids),
        "sessions": _sessions(referral_ids),
        "audit": _audit(participant.id, referral_ids),
        # what happened to each referral and its sessions (booked, moved, held), as its page's history shows
        "history": {r.reference: _history(r) for r in sorted(participant.referrals, key=lambda r: r.id)},
    }
    audit.record(actor, "participant.exported", participant, {"referrals": len(referral_ids)})
    db.session.commit()
    return data


def _related_rows(participant_id: int, referral_ids: list[int]) -> dict[str, list[dict]]:
    """Rows of every table with a foreign key to participant.id or referral.id (table name -> rows)."""
    targets = {"participant": [participant_id], "referral": referral_ids}
    related: dict[str, list[dict]] = {}
    for table in db.metadata.sorted_tables:
        if table.name in targets or table.name == "audit_event":
            continue
        conditions = [
            fk.parent.in_(targets[fk.column.table.name])
            for fk in table.foreign_keys
            if fk.column.table.name in targets and fk.column.name == "id" and targets[fk.column.table.name]
        ]
        if not conditions:
            continue
        rows = db.session.execute(select(table).where(or_(*conditions))).mappings().all()
        if rows:
            related[table.name] = [_row(table, row) for row in rows]
    return related


def _sessions(referral_ids: list[int]) -> list[dict]:
    if not referral_ids:
        return []
    stmt = (
        select(Session).join(SessionParticipant, SessionParticipant.session_id == Session.id)
        .where(SessionParticipant.referral_id.in_(referral_ids)).order_by(Session.start)
    )
    return [
        {**_row(Session.__table__, s), "location": s.location.name, "room": s.room.name}
        for s in db.session.scalars(stmt).unique()
    ]


def _audit(participant_id: int, referral_ids: list[int]) -> list[dict]:
    # The actor's role says who (a referrer, the centre's lead, a counsellor): a number alone said nothing.
    return [{"at": _value(e.at), "action": e.action, "actor_id": e.actor_id, "actor_role": _role_of(e),
             "object_type": e.object_type, "object_id": e.object_id} for e in _events(participant_id, referral_ids)]


def _role_of(event: AuditEvent) -> str | None:
    return event.actor.role.value if event.actor is not None else None


def _history(referral: Referral) -> list[dict]:
    from guidance.services.referral_reading import history

    return [{"at": _value(item["event"].at), "action": item["action"], "actor_role": _role_of(item["event"]),
             "session_start": _value(item["session"].start) if item.get("session") is not None else None}
            for item in history(referral)]


def _events(participant_id: int, referral_ids: list[int], actions=None) -> list[AuditEvent]:
    """The audit events about the participant, their referrals and those referrals' files, oldest first."""
    from guidance.models import Attachment

    own_files = select(Attachment.id).where(Attachment.referral_id.in_(referral_ids or [-1]))
    stmt = select(AuditEvent).where(or_(
        (AuditEvent.object_type == "participant") & (AuditEvent.object_id == participant_id),
        (AuditEvent.object_type == "referral") & AuditEvent.object_id.in_(referral_ids or [-1]),
        (AuditEvent.object_type == "attachment") & AuditEvent.object_id.in_(own_files),
    ))
    if actions is not None:
        stmt = stmt.where(AuditEvent.action.in_(actions))
    return list(db.session.scalars(stmt.order_by(AuditEvent.at, AuditEvent.id)))


# Who opened or handed on the participant's data (the changes are in each referral's history).
ACCESS_ACTIONS = ("referral.viewed", "attachment.downloaded", "letters.downloaded", "participant.exported",
                  "participant.viewed", "access.refused")


def opened(actor, participant: Participant) -> None:
    """Use case: the data-protection page of `participant` is opened, recorded as every other opening is (the page
    said "every opening is recorded" and its own openings were not)."""
    from guidance.services import audit

    audit.record(actor, "participant.viewed", participant)
    db.session.commit()


def searched(actor, found: int) -> None:
    """Use case: a search on the data-protection page, recorded by its count (the text may be a name)."""
    from guidance.services import audit

    audit.record(actor, "participant.searched", None, {"found": found})
    db.session.commit()


@dataclass
class Record:
    """One participant as the data-protection officer reads them: referrals with their history, who opened
    their data, and whether they may be anonymised now."""

    participant: Participant
    referrals: list[tuple[Referral, list[dict]]]
    access: list[AuditEvent]
    open_referrals: list[Referral] = field(default_factory=list)


def record_of(participant: Participant) -> Record:
    from guidance.services.referral_reading import history

    referrals = sorted(participant.referrals, key=lambda r: r.id)
    return Record(participant=participant, referrals=[(r, history(r)) for r in referrals],
                  access=_events(participant.id, [r.id for r in referrals], ACCESS_ACTIONS),
                  open_referrals=[r for r in referrals if r.closed_at is None])


def _row(table: Table, obj) -> dict:
    """Column name -> JSON value for an ORM object or a result mapping, secrets left out."""
    if hasattr(obj, "keys"):
        def read(column):
            return obj[column.name]
    else:
        def read(column):
            return getattr(obj, column.key)
    return {c.name: _value(read(c)) for c in table.columns if not SECRET_COLUMN.search(c.name)}


def _value(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return None
    return value
