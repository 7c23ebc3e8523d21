"""Referral use cases: submit, correct and withdraw, each one transaction and one audit event.

Validation lives here once and serves the web form, the bulk upload and the API alike:
field errors are keyed by the ReferralData attribute names, which are also the form's
field names and (under "participant." or not) the API's field paths.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from guidance import languages
from guidance.extensions import db
from guidance.models import Attachment, LegalBasis, Municipality, Participant, Referral, ReferralStatus, SessionType, User
from guidance.models.types import utcnow
from guidance.planning import ids
from guidance.planning.wish import PARTS_OF_DAY
from guidance.rules.deadlines import (
    INTEGRATION_ACT_IN_FORCE,
    TEMPORARY_ACT_DEFAULT_MONTHS,
    deadline_passed,
    effective_deadline,
    is_short_deadline,
)
from guidance.rules.eligibility import served_municipalities
from guidance.services import audit, mail
from guidance.services.attachments import StagedFiles, Upload, check_uploads, display_name, stored_path
from guidance.services.errors import DomainError
from guidance.services.referral_reference import new_reference

DUPLICATE_WINDOW = relativedelta(months=6)
# A referral can be corrected by its referrer until a session is booked.
CORRECTABLE = (ReferralStatus.RECEIVED, ReferralStatus.PLANNED)
# A booked referral can no longer be corrected, but files can still be added (a correction adds them before).
ATTACHABLE = (ReferralStatus.BOOKED, ReferralStatus.NO_SHOW)
# Once booked, the name as written and the phone number can still be corrected: the plan does not rest on them.
CONTACT_CORRECTABLE = ATTACHABLE
CONTACT_CLOSED = _l("The name and phone number can be corrected while a session is booked or a new one is awaited. "
                    "Contact the career centre.")
# Nothing is left to withdraw once guidance has happened or the referral is already closed.
NOT_WITHDRAWABLE = (ReferralStatus.WITHDRAWN, ReferralStatus.COMPLETED, ReferralStatus.NOTE_SHARED)
MAX_WINDOW_MONTHS = 12
PHONE = re.compile(r"^\+?[0-9 ()\-.]{8,20}$")


@dataclass
class ReferralData:
    """What a referrer tells us about one participant (parsed, not yet validated)."""

    name: str = ""
    phone: str | None = None
    municipality_id: int | None = None  # the participant's home municipality
    legal_basis: str = LegalBasis.INTEGRATION_ACT.value
    settlement_date: dt.date | None = None
    programme_decision_date: dt.date | None = None
    window_months: int | None = None  # temporary act only
    language: str = ""
    needs_interpreter: bool = True
    video_ok: bool = False
    needs_step_free: bool = False
    needs: list[str] | None = None  # None: the default for the legal basis
    earliest_date: dt.date | None = None  # None: today
    accessibility_needs: str | None = None
    adviser_attends: bool = False
    notes: str | None = None
    # When the participant can come (planning/wish.py): ISO weekdays (None: any) and a part of the day (None: all day).
    can_come_weekdays: list[int] | None = None
    can_come_part: str | None = None

    @classmethod
    def from_referral(cls, referral: Referral) -> ReferralData:
        p = referral.participant
        return cls(
            name=p.name, phone=p.phone, municipality_id=p.municipality_id, legal_basis=referral.legal_basis.value,
            settlement_date=referral.settlement_date, programme_decision_date=referral.programme_decision_date,
            window_months=referral.window_months, language=p.language, needs_interpreter=p.needs_interpreter,
            video_ok=p.video_ok, needs_step_free=p.needs_step_free, needs=list(referral.needs), earliest_date=referral.earliest_date,
            accessibility_needs=p.accessibility_needs, adviser_attends=referral.adviser_attends, notes=referral.notes,
            can_come_weekdays=list(referral.can_come_weekdays) if referral.can_come_weekdays else None,
            can_come_part=referral.can_come_part,
        )


FIELD_NAMES = tuple(f.name for f in fields(ReferralData))


@dataclass
class Submitted:
    referral: Referral
    created: bool = True  # False: an API retry answered with the first result
    short_deadline: bool = False


class DuplicateSuspected(DomainError):
    """The same participant was referred recently; the referrer must confirm."""


class IdempotencyConflict(DomainError):
    """An Idempotency-Key was reused with a different request body."""


# The separators people type between day, month and year: a Norwegian phone's number pad offers
# "," where "." is meant, Excel and other countries write "/" or "-".
_DATE_SEPARATORS = re.compile(r"\s*[.,/-]\s*")


def parse_typed_date(raw: str | None) -> dt.date | None:
    """A date as a referrer types or pastes it: 17.03.2027, 17,03,2027, 17/3/27, 2027-03-17. None when
    it is empty or not a real date (the caller says which)."""
    text = (raw or "").strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        year, month, day = (int(p) for p in text.split("-"))
    else:
        parts = _DATE_SEPARATORS.split(text)
        if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) not in (2, 4):
            return None
        day, month, year = (int(p) for p in parts)
        year += 2000 if year < 100 else 0
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def default_needs(legal_basis: str) -> list[str]:
    """Both individual and group guidance under the acts (the budget assumes both); ordinary: individual."""
    if legal_basis == LegalBasis.ORDINARY.value:
        return [SessionType.INDIVIDUAL.value]
    return [SessionType.INDIVIDUAL.value, SessionType.GROUP.value]


def deadline_for(data: ReferralData, referral_date: dt.date) -> dt.date | None:
    """The effective deadline for these answers (rules.deadlines decides)."""
    if data.legal_basis not in {b.value for b in LegalBasis}:
        return None
    window = data.window_months if data.legal_basis == LegalBasis.TEMPORARY_ACT.value else None
    try:
        return effective_deadline(
            data.legal_basis, settlement_date=data.settlement_date, programme_decision_date=data.programme_decision_date,
            referral_date=referral_date, window_months=window,
        )
    except (OverflowError, ValueError):  # dates at the edge of the calendar (year 1 or 9999): validate() refuses them
        return None


def normalise(data: ReferralData, today: dt.date) -> ReferralData:
    """Trim text, apply the defaults (needs by legal basis, earliest = today, window = 3 months)."""
    data.name, data.phone = written_contact(data.name, data.phone)
    data.accessibility_needs = (data.accessibility_needs or "").strip() or None
    data.notes = (data.notes or "").strip() or None
    data.language = (data.language or "").strip()
    if data.needs is None:
        data.needs = default_needs(data.legal_basis)
    if data.earliest_date is None:
        data.earliest_date = today
    data.can_come_weekdays, data.can_come_part = can_come_written(data.can_come_weekdays, data.can_come_part)
    if data.legal_basis == LegalBasis.TEMPORARY_ACT.value:
        # Only an empty field takes the default: a 0 typed is refused by validate(), not read as 3.
        data.window_months = TEMPORARY_ACT_DEFAULT_MONTHS if data.window_months is None else data.window_months
    else:
        data.window_months = None
    return data


def can_come_problems(weekdays: list[int] | None, part: str | None) -> dict[str, list[str]]:
    """Field errors for when the participant can come: weekdays Monday to Friday, a part of the day the planner knows."""
    errors: dict[str, list[str]] = {}
    if any(d not in (1, 2, 3, 4, 5) for d in weekdays or []):
        errors["can_come_weekdays"] = [_("Choose weekdays from Monday to Friday.")]
    if part is not None and part not in PARTS_OF_DAY:
        errors["can_come_part"] = [_("Choose before 12:00, from 12:00 or any time of day.")]
    return errors


def can_come_written(weekdays: list[int] | None, part: str | None) -> tuple[list[int] | None, str | None]:
    """As stored: every working day ticked, or none, is no limit at all."""
    days = sorted(set(weekdays or []))
    return (days if days and days != [1, 2, 3, 4, 5] else None), (part or None)


def written_contact(name: str | None, phone: str | None) -> tuple[str, str | None]:
    """The participant's name and phone number as stored: the name's spaces made single, the number in
    one written form (`canonical_phone`)."""
    return " ".join((name or "").split()), canonical_phone(phone)


def contact_problems(name: str, phone: str | None) -> dict[str, list[str]]:
    """Field errors for the participant's name and phone number (normalised), keyed "name" and "phone"."""
    errors: dict[str, list[str]] = {}
    for field, value in (("name", name), ("phone", phone)):
        if _has_control_characters(value, allow_newlines=False):
            errors.setdefault(field, []).append(_("Remove the invisible control characters from this field."))
    if not name:
        errors.setdefault("name", []).append(_("Enter the participant's full name."))
    elif len(name) > 200:
        errors.setdefault("name", []).append(_("The name can be at most 200 characters."))
    if phone and (not PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 8):
        errors.setdefault("phone", []).append(_("Enter a phone number with at least 8 digits, like +47 400 00 000."))
    return errors


def validate(data: ReferralData, referring: Municipality, today: dt.date, referral_date: dt.date | None = None,
             stored_settlement: dt.date | None = None, stored_earliest: dt.date | None = None) -> dict[str, list[str]]:
    """Field errors for these answers, keyed by ReferralData attribute; empty when all is well.

    `stored_settlement`, `stored_earliest`: a correction's dates as stored; left unchanged, they are
    not judged again by the "not after today" and "not before today" rules (only what the referrer types is)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, messages in contact_problems(data.name, data.phone).items():
        for message in messages:
            add(name, message)
    for name in ("accessibility_needs", "notes"):
        if _has_control_characters(getattr(data, name), allow_newlines=True):
            add(name, _("Remove the invisible control characters from this field."))
    served = {m.id for m in served_municipalities(referring)}
    if data.municipality_id is None:
        add("municipality_id", _("Choose the participant's home municipality."))
    elif data.municipality_id not in served:
        add("municipality_id", _("Choose your own municipality or one in your county."))
    if data.legal_basis not in {b.value for b in LegalBasis}:
        add("legal_basis", _("Choose the legal basis."))
    if data.legal_basis == LegalBasis.INTEGRATION_ACT.value and data.settlement_date is None:
        add("settlement_date", _("Enter the settlement date: the deadline under the Integration Act counts from it."))
    if data.settlement_date and data.settlement_date > today and data.settlement_date != stored_settlement:
        # Settlement has happened before anyone refers: a future date is a typing error, and it
        # would push the deadline into the future too.
        add("settlement_date", _("The settlement date cannot be after today (%(today)s). Enter the date the "
                                 "participant was settled.", today=format_date(today, "long")))
    if data.settlement_date and data.settlement_date < dt.date(2000, 1, 1):
        add("settlement_date", _("Enter a settlement date after 1 January 2000."))
    elif (data.legal_basis == LegalBasis.INTEGRATION_ACT.value and data.settlement_date
          and data.settlement_date < INTEGRATION_ACT_IN_FORCE):
        # Settled before the act: a typing error, or another legal basis (it made a deadline in 2019).
        add("settlement_date", _("The Integration Act applies to those settled from %(date)s. Check the date, or "
                                 "choose another legal basis.", date=format_date(INTEGRATION_ACT_IN_FORCE, "long")))
    if data.programme_decision_date and not dt.date(2000, 1, 1) <= data.programme_decision_date <= today + relativedelta(years=2):
        add("programme_decision_date", _("Enter a programme decision date between 2000 and two years from today."))
    elif data.programme_decision_date and data.settlement_date and data.programme_decision_date <= data.settlement_date:
        add("programme_decision_date", _("The programme decision must come after the settlement date."))
    if data.window_months is not None and not 1 <= data.window_months <= MAX_WINDOW_MONTHS:
        add("window_months", _("Enter a number of months from 1 to %(max)d.", max=MAX_WINDOW_MONTHS))
    if not languages.is_known(data.language):
        add("language", _("Choose the participant's language from the list."))
    for name, messages in can_come_problems(data.can_come_weekdays, data.can_come_part).items():
        for message in messages:
            add(name, message)
    needs = data.needs or []
    if not needs:
        add("needs", _("Choose at least one kind of guidance."))
    elif any(n not in {t.value for t in SessionType} for n in needs) or len(set(needs)) != len(needs):
        add("needs", _("Choose individual guidance, group guidance or both."))
    if data.earliest_date and data.earliest_date < today and data.earliest_date != stored_earliest:
        # "Not before" a day gone by says nothing: the referrer meant today, or mistyped the year.
        add("earliest_date", _("The earliest date cannot be before today. Leave it empty for as soon as possible."))
    if data.earliest_date and data.earliest_date > today + relativedelta(years=1):
        add("earliest_date", _("The earliest date can be at most a year from today."))
    deadline = deadline_for(data, referral_date or today)
    # An earliest date after a deadline still ahead would miss it by choice: a typing error. Once the
    # deadline has passed, every date is after it; the referral is late and most urgent, not wrong.
    if (deadline and not deadline_passed(deadline, today) and data.earliest_date and data.earliest_date > deadline
            and "earliest_date" not in errors):
        add("earliest_date", _("The earliest date is after the deadline (%(deadline)s).", deadline=format_date(deadline, "long")))
    if data.accessibility_needs and len(data.accessibility_needs) > 2000:
        add("accessibility_needs", _("Write at most 2000 characters."))
    if data.notes and len(data.notes) > 5000:
        add("notes", _("Write at most 5000 characters."))
    return errors


# Bidirectional embeddings, overrides and isolates: U+202E turns "Amal" into "lamA" on screen
# and can make one name look like another in a list.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _has_control_characters(text: str | None, allow_newlines: bool) -> bool:
    """NUL and other control characters (PostgreSQL refuses NUL, and none belongs in a name),
    and the invisible bidirectional controls that reorder what is shown."""
    allowed = "\n\r\t" if allow_newlines else ""
    return bool(text) and any(ord(ch) < 32 and ch not in allowed or ord(ch) == 127 or ch in BIDI_CONTROLS
                              for ch in text)


def has_control_characters(text: str | None, allow_newlines: bool = False) -> bool:
    """For other use cases' text fields (user names): the same rule as the referral's."""
    return _has_control_characters(text, allow_newlines)


def submit_referral(
    actor: User | None,
    data: ReferralData,
    uploads: list[Upload] | None = None,
    *,
    referring: Municipality,
    confirm_duplicate: bool = False,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    via: str = "web",
    token_id: int | None = None,
    today: dt.date | None = None,
) -> Submitted:
    """Record a referral, its participant and attachments in one transaction.

    Raises DomainError (field errors), DuplicateSuspected (unless confirmed) or
    IdempotencyConflict. With an idempotency key already used by this municipality, the
    first referral is returned (created=False) instead of a second one.
    """
    today = today or ids.local_today()
    uploads = uploads or []
    if idempotency_key:
        earlier = _by_idempotency_key(referring, idempotency_key, fingerprint)
        if earlier is not None:
            return Submitted(earlier, created=False)
    data = normalise(data, today)
    errors = validate(data, referring, today)
    upload_errors, types = check_uploads(uploads)
    if upload_errors:
        errors["attachments"] = upload_errors
    if errors:
        raise DomainError(_("The referral could not be sent. Check the fields marked below."), errors)
    # From here until the commit no other referral from this municipality is written: the
    # duplicate look-up below and the insert are one step for the database.
    serialise_intake(referring)
    if idempotency_key:
        try:
            earlier = _by_idempotency_key(referring, idempotency_key, fingerprint)
        except BaseException:
            db.session.rollback()
            raise
        if earlier is not None:
            # A double click or a retry that waited for its first attempt: answer with that one.
            db.session.rollback()
            return Submitted(earlier, created=False)
    if not confirm_duplicate:
        try:
            _refuse_duplicate(data, referring, today)
        except BaseException:
            db.session.rollback()
            raise

    staged = StagedFiles(Path(current_app.config["UPLOAD_FOLDER"]))
    try:
        referral = _build(actor, data, referring, today, idempotency_key, fingerprint)
        _attach(actor, referral, uploads, types, staged)
        db.session.flush()
        audit.record(actor, "referral.submitted", referral, {
            "via": via, "legal_basis": referral.legal_basis.value, "attachments": len(uploads),
            **({"token": token_id} if token_id else {}), **({"duplicate_confirmed": True} if confirm_duplicate else {}),
        })
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        staged.discard()
        if idempotency_key:
            # Two retries raced past the look-up; the unique constraint let exactly one in.
            earlier = _by_idempotency_key(referring, idempotency_key, fingerprint)
            if earlier is not None:
                return Submitted(earlier, created=False)
        raise
    except BaseException:
        db.session.rollback()
        staged.discard()
        raise
    staged.publish()
    return Submitted(referral, created=True, short_deadline=is_short_deadline(referral.deadline, today))


def booking_changed(referral_ids) -> None:
    """In the caller's transaction: these referrals' booked sessions changed for them (booked, moved, cancelled), so
    their `updated_at` moves on: a case system polling `updated_since` follows the change, and only such a change
    (a publication that keeps a session publishes it again as a new row: that is no change to the referral)."""
    wanted = {i for i in referral_ids if i is not None}
    if wanted:
        db.session.execute(update(Referral).where(Referral.id.in_(wanted)).values(updated_at=utcnow())
                           .execution_options(synchronize_session=False))


def correct_referral(actor: User, referral: Referral, data: ReferralData, uploads: list[Upload] | None = None,
                     *, today: dt.date | None = None) -> list[str]:
    """Change a referral's answers until it is booked; returns the names of the fields changed."""
    today = today or ids.local_today()
    uploads = uploads or []
    if referral.status not in CORRECTABLE:
        raise DomainError(_("This referral can no longer be corrected: a session is booked or it is closed. "
                            "Contact the career centre."))
    data = normalise(data, today)
    errors = validate(data, referral.referring_municipality, today, referral_date=ids.local_date(referral.created_at),
                      stored_settlement=referral.settlement_date, stored_earliest=referral.earliest_date)
    upload_errors, types = check_uploads(uploads, already=len(referral.attachments))
    if upload_errors:
        errors["attachments"] = upload_errors
    if errors:
        raise DomainError(_("The correction could not be saved. Check the fields marked below."), errors)

    before = ReferralData.from_referral(referral)
    changed = [name for name in FIELD_NAMES if getattr(before, name) != getattr(data, name)]
    if not changed and not uploads:
        return []
    with _files_committed() as staged:
        _apply(referral, data)
        referral.deadline = deadline_for(data, ids.local_date(referral.created_at))
        _attach(actor, referral, uploads, types, staged)
        audit.record(actor, "referral.corrected", referral, {
            "fields": changed, **({"attachments_added": len(uploads)} if uploads else {}),
        })
    return changed


def correct_contact(actor: User, referral: Referral, name: str, phone: str | None) -> list[str]:
    """Use case: the referrer corrects the participant's name as written or phone number after a session
    is booked (the other answers the plan rests on then change through the centre). Letters and text
    messages read them when they are made, so the next ones are right. Returns the fields changed."""
    if referral.status not in CONTACT_CORRECTABLE:
        raise DomainError(str(CONTACT_CLOSED))
    name, phone = written_contact(name, phone)
    errors = contact_problems(name, phone)
    if errors:
        raise DomainError(_("The correction could not be saved. Check the fields marked below."), errors)
    participant = referral.participant
    changed = [field for field, before, after in (("name", participant.name, name), ("phone", participant.phone, phone))
               if before != after]
    if changed:
        participant.name, participant.phone = name, phone
        audit.record(actor, "referral.corrected", referral, {"fields": changed})
        db.session.commit()
    return changed


def add_attachments(actor: User, referral: Referral, uploads: list[Upload]) -> None:
    """Attach notes or plans to an open referral after it is booked (the plan for the introduction
    programme often comes later); the answers themselves can then only change through the centre."""
    if referral.status not in ATTACHABLE + CORRECTABLE:
        raise DomainError(_("Attachments can be added while the referral is open."))
    if not uploads:
        message = _("Choose at least one file.")
        raise DomainError(message, {"attachments": [message]})
    errors, types = check_uploads(uploads, already=len(referral.attachments))
    if errors:
        raise DomainError(_("The files could not be attached."), {"attachments": errors})
    with _files_committed() as staged:
        _attach(actor, referral, uploads, types, staged)
        audit.record(actor, "referral.attachments_added", referral, {"attachments_added": len(uploads)})


def set_can_come(actor: User, referral: Referral, weekdays: list[int] | None, part: str | None,
                 video_ok: bool | None = None) -> list:
    """Use case: when the participant can come, changed after the referral was sent (the lead heard it on the
    phone, the course moved), and whether they can take a session by video (`video_ok`, None keeps it). Checked as
    at intake, audited; returns the booked sessions ahead that fall outside it, which the caller names (they are not
    moved here: a move is its own use case, with its letter)."""
    from guidance.models import OPEN_STATUSES
    from guidance.planning.wish import Wish
    from guidance.services.referral_reading import sessions_ahead

    if referral.status not in OPEN_STATUSES:
        raise DomainError(_("The referral is closed: there is nothing left to plan."))
    errors = can_come_problems(weekdays, part or None)
    if errors:
        raise DomainError(next(iter(errors.values()))[0], errors)
    referral.can_come_weekdays, referral.can_come_part = can_come_written(weekdays, part)
    if video_ok is not None:
        referral.participant.video_ok = video_ok
    audit.record(actor, "referral.can_come_changed", referral,
                 {"weekdays": referral.can_come_weekdays, "part": referral.can_come_part,
                  "video_ok": referral.participant.video_ok})
    db.session.commit()
    wish = Wish.of_referral(referral)
    return [s for s in sessions_ahead(referral.id) if not wish.allows(ids.to_local(s.start), ids.to_local(s.end))]


def remove_attachment(actor: User, referral: Referral, attachment: Attachment) -> None:
    """Take a file off an open referral (a plan attached to the wrong participant): the row goes in one commit,
    the file after it (a failed commit leaves both). Audited without the file's name, which may name a person."""
    if referral.status not in ATTACHABLE + CORRECTABLE:
        raise DomainError(_("Attachments can be removed while the referral is open."))
    if attachment.referral_id != referral.id:
        raise DomainError(_("This file is not attached to this referral."))
    stored = attachment.stored_name
    db.session.delete(attachment)
    audit.record(actor, "referral.attachment_removed", referral, {"attachments_removed": 1})
    db.session.commit()
    path = stored_path(current_app.config["UPLOAD_FOLDER"], stored)
    if path is not None:
        path.unlink(missing_ok=True)


@contextmanager
def _files_committed() -> Iterator[StagedFiles]:
    """Files staged for the block's rows: the rows are committed and the files published together,
    or both are dropped (a stored file without its row, or a row without its file, is never left)."""
    staged = StagedFiles(Path(current_app.config["UPLOAD_FOLDER"]))
    try:
        yield staged
        db.session.commit()
    except BaseException:
        db.session.rollback()
        staged.discard()
        raise
    staged.publish()


def drop_need(lead: User, referral: Referral, session_type: str) -> bool:
    """Use case: the centre takes a session the participant turned out not to need off an open referral
    (a lone speaker's group session no plan can form, guidance the participant got elsewhere); audited,
    in the referral's history. Only a session with nothing booked or held for it, and never the last
    one (a participant who needs no guidance is withdrawn by the municipality). Returns True when that
    completes the referral (every other session held)."""
    from sqlalchemy import exists

    from guidance.models import OPEN_STATUSES, Session, SessionParticipant, SessionStatus
    from guidance.services import outcomes
    from guidance.services.unit_of_work import unit_of_work

    with unit_of_work():
        if referral.status not in OPEN_STATUSES:
            raise DomainError(_("This referral is closed, so its sessions can no longer be changed."))
        needs = list(referral.needs or [])
        if session_type not in needs:
            raise DomainError(_("The participant does not need this session."))
        if len(needs) == 1:
            raise DomainError(_("This is the only session the participant needs. If they need no guidance, the "
                                "municipality withdraws the referral."))
        taken = db.session.scalar(select(exists().where(
            SessionParticipant.referral_id == referral.id, SessionParticipant.session_id == Session.id,
            Session.type == session_type, Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED)))))
        if taken:
            raise DomainError(_("A session of this kind is booked or held for the participant. Cancel a booked one "
                                "first."))
        referral.needs = [n for n in needs if n != session_type]
        audit.record(lead, "referral.need_dropped", referral, {"type": session_type})
        return outcomes.close_if_guided(referral)


def withdraw_referral(actor: User, referral: Referral, reason: str) -> None:
    """Withdraw a referral at any time before guidance has taken place; the reason is required.
    One unit of work: the sessions it leaves are cancelled or changed in it, e-mails after the commit."""
    from guidance.services import notices
    from guidance.services.unit_of_work import unit_of_work

    with unit_of_work() as uow:
        messages = _withdraw(actor, referral, reason)
        uow.after_commit(mail.deliver_later, messages)
        uow.after_commit(notices.dispatch_later)  # the counsellor hears of a cancelled session


def _withdraw(actor: User, referral: Referral, reason: str) -> list:
    reason = (reason or "").strip()
    if referral.status in NOT_WITHDRAWABLE:
        raise DomainError(_("This referral is already closed."))
    if not reason:
        raise DomainError(_("The referral was not withdrawn."), {"reason": [_("Say why the referral is withdrawn.")]})
    if len(reason) > 1000:
        raise DomainError(_("The referral was not withdrawn."), {"reason": [_("Write at most 1000 characters.")]})
    if _has_control_characters(reason, allow_newlines=True):
        raise DomainError(_("The referral was not withdrawn."), {"reason": [_("Remove the invisible control characters from this field.")]})
    previous = referral.status
    referral.status = ReferralStatus.WITHDRAWN
    referral.withdrawn_reason = reason
    referral.closed_at = utcnow()
    messages = _leave_booked_sessions(actor, referral)
    # The reason is free text and may name the participant: it stays on the referral, not in the audit.
    audit.record(actor, "referral.withdrawn", referral, {"from_status": previous.value})
    return messages


def _leave_booked_sessions(actor: User, referral: Referral) -> list:
    """The withdrawn participant's sessions ahead, in the withdrawal's transaction: an individual
    session is cancelled; from a group the participant is removed, and the group is cancelled only
    when it falls below its minimum size (else its calendars and interpreter get the change).
    Returns the e-mails to deliver after the commit (a cancelled session hands on its own: it joins
    the withdrawal's unit of work)."""
    from guidance.planning.instance import session_types
    from guidance.services.interpreter_bookings.changes import cancel_session, session_updated
    from guidance.services.referral_reading import sessions_ahead

    ahead = sessions_ahead(referral.id)
    messages = []
    for session in ahead:
        if session.type == SessionType.GROUP.value:
            member = next(sp for sp in session.participants if sp.referral_id == referral.id)
            session.participants.remove(member)
            audit.record(actor, "session.participant_removed", session, {"referral_id": referral.id})
            # The referral's own history shows it too: the session is no longer one of its sessions.
            audit.record(actor, "referral.left_group", referral, {"session_id": session.id,
                                                                  "at": ids.plan_minute(session.start)})
            if len(session.participants) >= session_types(referral.county)["group"]["min_size"]:
                messages += session_updated(actor, session)
                continue
        cancel_session(actor, session, "referral_withdrawn")
    return messages


def find_duplicates(data: ReferralData, referring: Municipality, today: dt.date, exclude_id: int | None = None) -> list[Referral]:
    """Referrals from the same municipality in the last six months that look like the same person:
    same name and home municipality (ignoring case and spacing), or the same phone number."""
    return DuplicateFinder(referring, today).find(data, exclude_id)


class DuplicateFinder:
    """find_duplicates for many rows at once: the municipality's recent referrals are read once, with their
    participants (a 40-row file had read them all, one participant at a time, for every row: 22 s)."""

    def __init__(self, referring: Municipality, today: dt.date):
        from sqlalchemy.orm import joinedload

        since = dt.datetime.combine(today - DUPLICATE_WINDOW, dt.time(), tzinfo=ids.OSLO)
        self.candidates = db.session.scalars(
            select(Referral).join(Referral.participant).where(
                Referral.referring_municipality_id == referring.id,
                Referral.created_at >= since,
                Referral.status != ReferralStatus.WITHDRAWN,
            ).options(joinedload(Referral.participant)).order_by(Referral.created_at.desc())
        ).all()
        self.by_name: dict[tuple, list[Referral]] = {}
        self.by_short_name: dict[tuple, list[Referral]] = {}
        self.by_phone: dict[str, list[Referral]] = {}
        for r in self.candidates:
            self.by_name.setdefault((_name_key(r.participant.name), r.participant.municipality_id), []).append(r)
            if short := _short_name_key(r.participant.name):
                self.by_short_name.setdefault((short, r.participant.municipality_id, r.participant.language), []).append(r)
            if key := _phone_key(r.participant.phone):
                self.by_phone.setdefault(key, []).append(r)

    def find(self, data: ReferralData, exclude_id: int | None = None) -> list[Referral]:
        found = {r.id for r in self.by_name.get((_name_key(data.name), data.municipality_id), [])}
        if short := _short_name_key(data.name):
            found |= {r.id for r in self.by_short_name.get((short, data.municipality_id, data.language), [])}
        if phone := _phone_key(data.phone):
            found |= {r.id for r in self.by_phone.get(phone, [])}
        return [r for r in self.candidates if r.id in found and r.id != exclude_id]   # newest first, as before


def serialise_intake(referring: Municipality) -> None:
    """Hold the referring municipality's intake lock until the transaction ends.

    Two submissions for the same person could each look for a duplicate, find none, and both
    insert. PostgreSQL: a row lock (FOR NO KEY UPDATE) on the municipality, held until the
    commit. SQLite has no row locks but one writer at a time: a write that changes nothing opens
    the write transaction, so the second submission waits here, and only then looks for duplicates.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE: it does not wait for (or block) inserts whose foreign keys merely
        # point at the municipality, so two municipalities referring each other's residents
        # cannot deadlock.
        db.session.execute(select(Municipality.id).where(Municipality.id == referring.id)
                           .with_for_update(key_share=True))
    else:
        db.session.execute(update(Municipality).where(Municipality.id == referring.id)
                           .values(number=Municipality.number))


def canonical_phone(phone: str | None) -> str | None:
    """A Norwegian number in one written form however it was typed (so it can be found again), grouped
    as Norwegians write it: a mobile (4 or 9 first) +47 400 00 000, a landline +47 55 00 00 00; any other
    number with its spacing tidied."""
    if not phone or not phone.strip():
        return None
    tidy = " ".join(phone.split())
    if not PHONE.match(tidy):
        return tidy  # validate() explains what is wrong with it
    digits = "".join(ch for ch in tidy if ch.isdigit())
    national = _phone_key(tidy)
    if len(national) == 8 and (digits == national or digits in ("47" + national, "0047" + national)) \
            and not (tidy.startswith("+") and digits == national):
        if national[0] in "49":
            return f"+47 {national[:3]} {national[3:5]} {national[5:]}"
        return f"+47 {national[:2]} {national[2:4]} {national[4:6]} {national[6:]}"
    return tidy


def dialable(tidy: str | None) -> bool:
    """A number in one of PHONE's written forms with 8 to 15 digits (15: the longest dialled anywhere)."""
    return bool(tidy) and bool(PHONE.match(tidy)) and 8 <= sum(ch.isdigit() for ch in tidy) <= 15


def same_person_keys(participant) -> tuple[str, tuple[str, str] | None, str]:
    """What two referrals of one person share, as the intake's duplicate check compares them: the name (case,
    spacing and marks left out), its first and last part, and the phone number's digits."""
    return _name_key(participant.name), _short_name_key(participant.name), _phone_key(participant.phone)


def phone_key(phone: str | None) -> str:
    """The digits that identify a number (a Norwegian one without its country code)."""
    return _phone_key(phone)


# Letters a case system or a keyboard writes without their marks; the rest lose them by decomposition.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "ı": "i"})
_JOINERS = str.maketrans("", "", "-‐‑'’`ʼ")


def _name_key(name: str | None) -> str:
    """A name as compared for duplicates: case, spacing and marks left out ("Ahmed Ovrebo" is "Ahmed Øvrebø",
    "Dilan Sexo" is "Dilan Şêxo": case systems often strip them)."""
    import unicodedata

    # "Al-Hassan" is "Alhassan" and "O'Neill" "ONeill": hyphens and apostrophes come and go between systems.
    folded = " ".join((name or "").casefold().translate(_JOINERS).split()).translate(_PLAIN_LETTERS)
    return "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))


def _short_name_key(name: str | None) -> tuple[str, str] | None:
    """The first and the last of a name's parts: "Selam Gebremedhin" is how a case system or a colleague writes
    "Selam Tesfay Gebremedhin" (a middle name, a father's name, left out). None for a one-part name."""
    parts = _name_key(name).split()
    return (parts[0], parts[-1]) if len(parts) > 1 else None


def _phone_key(phone: str | None) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    # +47 400 00 000, 0047 40000000 and 40000000 are one Norwegian number.
    for prefix in ("0047", "47"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 8:
            return digits[len(prefix):]
    return digits


def _refuse_duplicate(data: ReferralData, referring: Municipality, today: dt.date) -> None:
    earlier = find_duplicates(data, referring, today)
    if earlier:
        first = earlier[0]
        message = _duplicate_because(data, first) + " " + _("Tick the box to send this referral anyway.")
        error = DuplicateSuspected(_("This participant may already have been referred."), {"confirm_duplicate": [message]})
        error.because = _duplicate_because(data, first)   # for a case system, which has no box to tick (web/api.py)
        raise error


def _duplicate_because(data: ReferralData, earlier: Referral) -> str:
    """Which earlier referral looks like this participant, and why: the referrer checks the right thing
    (a shared phone is common in a family, a name and municipality less so)."""
    from guidance.labels import STATUS

    same = dict(reference=earlier.reference, date=format_date(earlier.created_at, "long"),
                status=str(STATUS.get(earlier.status.value, earlier.status.value)).lower())
    if _name_key(earlier.participant.name) == _name_key(data.name):
        return _("%(reference)s, sent %(date)s (%(status)s), has the same name and home municipality.", **same)
    if _short_name_key(earlier.participant.name) == _short_name_key(data.name) \
            and earlier.participant.language == data.language:
        return _("%(reference)s, sent %(date)s (%(status)s), is for %(name)s: the same first and last name, language "
                 "and home municipality.", name=earlier.participant.name, **same)
    return _("%(reference)s, sent %(date)s (%(status)s), has the same phone number. Family members often share one: "
             "check that it is not the same person.", **same)


def _by_idempotency_key(referring: Municipality, key: str, fingerprint: str | None) -> Referral | None:
    earlier = db.session.scalar(select(Referral).where(
        Referral.referring_municipality_id == referring.id, Referral.idempotency_key == key))
    if earlier is not None and fingerprint and earlier.idempotency_fingerprint and earlier.idempotency_fingerprint != fingerprint:
        raise IdempotencyConflict(_("This Idempotency-Key was already used with a different request body."))
    return earlier


def _build(actor, data: ReferralData, referring: Municipality, today: dt.date, key: str | None, fingerprint: str | None) -> Referral:
    participant = Participant(name=data.name)
    referral = Referral(
        reference=new_reference(), participant=participant, county_id=referring.county_id,
        referring_municipality_id=referring.id, referred_by_id=getattr(actor, "id", None),
        # The same clock as "today": the referral date is this instant's date in Oslo.
        created_at=ids.clock(), status=ReferralStatus.RECEIVED, idempotency_key=key, idempotency_fingerprint=fingerprint if key else None,
    )
    _apply(referral, data)
    referral.deadline = deadline_for(data, today)
    db.session.add(referral)
    return referral


def _apply(referral: Referral, data: ReferralData) -> None:
    p = referral.participant
    p.name, p.phone, p.municipality_id = data.name, data.phone, data.municipality_id
    p.language, p.needs_interpreter, p.video_ok = data.language, data.needs_interpreter, data.video_ok
    p.needs_step_free, p.accessibility_needs = data.needs_step_free, data.accessibility_needs
    referral.legal_basis = LegalBasis(data.legal_basis)
    referral.settlement_date, referral.programme_decision_date = data.settlement_date, data.programme_decision_date
    referral.window_months = data.window_months
    referral.needs = list(data.needs or [])
    referral.earliest_date = data.earliest_date
    referral.adviser_attends, referral.notes = data.adviser_attends, data.notes
    referral.can_come_weekdays, referral.can_come_part = data.can_come_weekdays, data.can_come_part


def _attach(actor, referral: Referral, uploads: list[Upload], types: list[str], staged: StagedFiles) -> None:
    for upload, kind in zip(uploads, types):
        stored_name = staged.add(upload.data)
        referral.attachments.append(Attachment(
            original_name=display_name(upload.filename), stored_name=stored_name, content_type=kind,
            size=len(upload.data), uploaded_by_id=getattr(actor, "id", None),
        ))


@dataclass
class RowError:
    index: int  # 0-based position in the submitted list
    field: str  # a ReferralData attribute, or "" for the whole row
    message: str
    may_send_anyway: bool = False  # a possible duplicate that "send anyway" lets through (not a wrong value)


class BulkRejected(DomainError):
    """At least one row is wrong; nothing was written."""

    def __init__(self, message: str, rows: list[RowError]):
        super().__init__(message)
        self.rows = rows


def submit_many(actor: User, items: list[ReferralData], *, referring: Municipality, confirm_duplicates: bool = False,
                today: dt.date | None = None, row_numbers: list[int] | None = None) -> list[Referral]:
    """All of a group's referrals in one transaction, or none: every row is checked first."""
    today = today or ids.local_today()
    items = [normalise(item, today) for item in items]
    serialise_intake(referring)
    problems = check_many(items, referring=referring, confirm_duplicates=confirm_duplicates, today=today,
                          row_numbers=row_numbers)
    if problems:
        db.session.rollback()
        raise BulkRejected(_("Nothing was sent: correct the rows listed below and upload the file again."), problems)
    try:
        made = []
        for data in items:
            referral = _build(actor, data, referring, today, None, None)
            db.session.flush()
            audit.record(actor, "referral.submitted", referral, {"via": "csv", "legal_basis": referral.legal_basis.value})
            made.append(referral)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return made


def check(data: ReferralData, *, referring: Municipality, today: dt.date | None = None) -> dict[str, list[str]]:
    """The field errors `submit_referral` would answer for these answers (a copy, normalised); writes nothing.
    The API reports them beside its own schema's, so a case system learns of every problem at once."""
    today = today or ids.local_today()
    return validate(normalise(dataclasses.replace(data), today), referring, today)


def check_many(items: list[ReferralData], *, referring: Municipality, confirm_duplicates: bool = False,
               today: dt.date | None = None, row_numbers: list[int] | None = None) -> list[RowError]:
    """Every problem of every row (validation, and duplicates unless confirmed); writes nothing.

    `row_numbers` name the rows in messages that point at another row (a sheet's own numbering).
    """
    today = today or ids.local_today()
    row_numbers = row_numbers or [index + 1 for index in range(len(items))]
    problems: list[RowError] = []
    seen: dict[tuple, int] = {}
    earlier_referrals = DuplicateFinder(referring, today) if not confirm_duplicates else None
    for index, data in enumerate(items):
        data = normalise(data, today)
        for name, messages in validate(data, referring, today).items():
            problems.extend(RowError(index, name, m) for m in messages)
        if earlier_referrals is not None:
            earlier = earlier_referrals.find(data)
            if earlier:
                problems.append(RowError(index, "name", _duplicate_because(data, earlier[0]), may_send_anyway=True))
        for key in _identity_keys(data):
            if key in seen and key[0] == "name":
                # The same name in the same municipality twice in one file is one person entered twice, whatever
                # the box says: ticked "send anyway", one woman got two referrals, two sessions, two interpreter
                # bookings and two letters with different times.
                problems.append(RowError(index, "name", _("Row %(row)d has the same participant: remove one of the "
                                                          "two rows.", row=row_numbers[seen[key]])))
                break
            if key in seen and not confirm_duplicates:
                # The same phone only may be a family's one phone: the box lets such rows through.
                problems.append(RowError(index, "name", _("Looks like the same participant as row %(row)d.",
                                                          row=row_numbers[seen[key]]), may_send_anyway=True))
                break
        for key in _identity_keys(data):
            seen.setdefault(key, index)
    return problems


def _identity_keys(data: ReferralData) -> list[tuple]:
    keys = [("name", _name_key(data.name), data.municipality_id)]
    if data.phone:
        keys.append(("phone", _phone_key(data.phone)))
    return keys
