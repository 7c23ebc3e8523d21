"""The guidance note: drafts, sharing with the referring municipality, versions, PDF.

A shared note is never edited: a correction is a new version, drafted and shared again, so
what the municipality once read stays as it was.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import (
    CareerCentre,
    GuidanceNote,
    Location,
    Outcome,
    Referral,
    ReferralStatus,
    Role,
    Session,
    SessionParticipant,
    User,
)
from guidance.models.types import utcnow
from guidance.rules.language import for_municipality, for_recipient
from guidance.services import audit, mail, notices
from guidance.services.calendar import OSLO, app_url
from guidance.services.outcomes import has_session_ahead
from guidance.services.errors import DomainError

FONTS = Path(__file__).resolve().parent.parent / "fonts"
MAX_TEXT = 10000


@dataclass
class NoteInput:
    goals: str
    background: str
    next_steps: str
    further_guidance: bool


def versions(referral: Referral) -> list[GuidanceNote]:
    return list(db.session.scalars(select(GuidanceNote).where(GuidanceNote.referral_id == referral.id)
                                   .order_by(GuidanceNote.version.desc())))


def current_draft(referral: Referral) -> GuidanceNote | None:
    latest = versions(referral)
    return latest[0] if latest and latest[0].status == "draft" else None


def save_draft(actor: User, referral: Referral, data: NoteInput) -> GuidanceNote:
    """Save the counsellor's draft: the open draft, or a new version after a shared one."""
    _validate(data, sharing=False)
    note = current_draft(referral)
    if note is None:
        latest = db.session.scalar(select(func.max(GuidanceNote.version)).where(GuidanceNote.referral_id == referral.id))
        note = GuidanceNote(referral=referral, author_id=actor.id, version=(latest or 0) + 1, status="draft")
        db.session.add(note)
    note.goals, note.background, note.next_steps = data.goals.strip(), data.background.strip(), data.next_steps.strip()
    note.further_guidance = bool(data.further_guidance)
    note.author_id = actor.id
    db.session.flush()
    # Field names, never the text: the note is personal data.
    audit.record(actor, "note.saved", note, {"version": note.version})
    db.session.commit()
    return note


def share(actor: User, referral: Referral, data: NoteInput) -> GuidanceNote:
    """Save and share the draft with the referring municipality; its referrers are notified."""
    _validate(data, sharing=True)
    note = save_draft(actor, referral, data)
    note.status, note.shared_at = "shared", utcnow()
    # A participant with a session still ahead (the group session after the individual one)
    # stays booked: a closed referral would drop out of the next planning run and lose it.
    # Recording that session's outcome closes the referral later (outcomes._update_referral).
    if referral.status is ReferralStatus.COMPLETED or (
            referral.status in (ReferralStatus.BOOKED, ReferralStatus.PLANNED) and not has_session_ahead(referral)):
        referral.status = ReferralStatus.NOTE_SHARED
    audit.record(actor, "note.shared", note, {"version": note.version})
    # Each referrer's choice (services/notices.py): an e-mail now, a line in the daily summary, or nothing.
    messages = [_notify(person, note) for person in readers(referral)
                if notices.note_shared(person, note) == notices.IMMEDIATE]
    db.session.commit()
    mail.deliver_later(messages)
    return note


def prepare_sharing(actor: User, referral: Referral, data: NoteInput) -> GuidanceNote:
    """The first of sharing's two steps: the text must be complete enough to share, and is saved as the
    draft, so the counsellor checks exactly what will go and finds it again when going back to edit.
    Text that cannot be shared yet (a part missing) is still saved as the draft before the refusal: on a
    phone, a counsellor who switched app after "Share" lost the edit."""
    try:
        _validate(data, sharing=True)
    except DomainError as refusal:
        try:
            save_draft(actor, referral, data)
        except DomainError:
            db.session.rollback()   # not even a draft (too long): the refusal says what to mend
        raise refusal
    return save_draft(actor, referral, data)


def fingerprint(note: GuidanceNote) -> str:
    """What the confirmation page showed: sharing refuses a draft that changed since (another tab, a
    colleague's save), so nobody shares a text they did not check."""
    text = json.dumps([note.version, note.goals, note.background, note.next_steps, bool(note.further_guidance)])
    return hashlib.sha256(text.encode()).hexdigest()


def share_draft(actor: User, referral: Referral, checked: str) -> GuidanceNote:
    """The second step: share the saved draft as the counsellor checked it (`checked` is its fingerprint)."""
    note = current_draft(referral)
    if note is None:
        raise DomainError(_("There is no draft to share. The note may have been shared already."))
    if fingerprint(note) != checked:
        raise DomainError(_("The draft has changed since you checked it. Check it again before sharing."))
    return share(actor, referral, NoteInput(note.goals, note.background, note.next_steps, note.further_guidance))


def _validate(data: NoteInput, sharing: bool) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("goals", "background", "next_steps"):
        if len(getattr(data, name) or "") > MAX_TEXT:
            errors[name] = [_("Keep this under %(count)d characters.", count=MAX_TEXT)]
    if sharing:
        if not (data.goals or "").strip():
            errors.setdefault("goals", []).append(_("Describe the participant's goals before sharing."))
        if not (data.next_steps or "").strip():
            errors.setdefault("next_steps", []).append(_("Recommend next steps before sharing."))
    if errors:
        raise DomainError(_("The note could not be saved."), errors)


def readers(referral: Referral) -> list[User]:
    """The referrers who can read a shared note: the municipality's active referrers (none where the
    municipality has no account yet: the note waits for the first one the lead invites)."""
    return list(db.session.scalars(select(User).where(User.role == Role.REFERRER, User.active.is_(True),
                                                      User.municipality_id == referral.referring_municipality_id)))


def _notify(person: User, note: GuidanceNote):
    with force_locale(for_recipient(person)):
        subject = _("Guidance note for referral %(reference)s", reference=note.referral.reference)
        body = _("A guidance note (version %(version)d) for referral %(reference)s has been shared with you. Read it in Veiled: %(link)s",
                 version=note.version, reference=note.referral.reference, link=app_url("notes.show", note_id=note.id))
    return mail.queue(person, subject, body)


def record_read(actor: User, note: GuidanceNote, how: str = "viewed") -> None:
    """Every read of a note is audited (who, which version, how)."""
    audit.record(actor, f"note.{how}", note, {"version": note.version})
    db.session.commit()


def pdf(note: GuidanceNote) -> bytes:
    """The shared note as a PDF with an embedded Unicode font (Norwegian and Cyrillic text), in the
    referring municipality's written form (a document for the municipality: rules.language)."""
    with force_locale(for_municipality(note.referral.referring_municipality)):
        return _pdf(note)


def _attended(referral: Referral, shared_at: dt.datetime | None = None) -> tuple[list, str]:
    """The Oslo dates of the sessions the participant came to (what the note is the outcome of), and who
    sends the note: the career centre of the latest of them, else the county's. A shared note is the outcome of
    the sessions before it was shared: its PDF stays as the municipality received it (a group session held
    two weeks later had joined the list, and its centre had become the sender)."""
    query = (select(Session.start, CareerCentre.name).join(SessionParticipant, SessionParticipant.session_id == Session.id)
             .join(Location, Location.id == Session.location_id).join(CareerCentre, CareerCentre.id == Location.centre_id)
             .where(SessionParticipant.referral_id == referral.id, SessionParticipant.outcome == Outcome.ATTENDED)
             .order_by(Session.start))
    if shared_at is not None:
        query = query.where(Session.start <= shared_at)
    rows = db.session.execute(query).all()
    days = sorted({start.astimezone(OSLO).date() for start, _centre in rows})
    return days, rows[-1][1] if rows else _("Career centre, %(county)s", county=referral.county.name)


def _pdf(note: GuidanceNote) -> bytes:
    from fpdf import FPDF

    referral = note.referral
    reference = referral.reference
    # A document for the municipality's case file: marked as exempt from public access on every page,
    # with the sender, the sessions it comes from and page numbers (it had none of them).
    marking = _("Exempt from public access: Freedom of Information Act section 13, cf. Public Administration Act "
                "section 13.")

    class Note(FPDF):
        def header(self):
            self.set_font("DejaVu", "", 8)
            self.multi_cell(0, 4, marking, new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self):
            self.set_y(-15)
            self.set_font("DejaVu", "", 8)
            self.cell(0, 5, _("Guidance note %(reference)s – page %(page)s of %(pages)s", reference=reference,
                              page=self.page_no(), pages="{nb}"), align="C")

    document = Note(format="A4")
    document.set_title(_("Guidance note %(reference)s", reference=reference))
    document.set_creator("Veiled")
    document.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    document.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    document.set_margins(20, 15, 20)
    document.alias_nb_pages()
    document.add_page()
    document.set_font("DejaVu", "B", 16)
    document.multi_cell(0, 9, _("Guidance note"), new_x="LMARGIN", new_y="NEXT")
    document.set_font("DejaVu", "", 10)
    shared = format_date(note.shared_at.astimezone(OSLO).date(), "long") if note.shared_at else "–"
    days, centre = _attended(referral, note.shared_at)
    facts = [
        (_("From"), centre),
        (_("To"), referral.referring_municipality.name),
        (_("Participant"), referral.participant.name),
        (_("Reference"), reference),
        (_("Guidance sessions attended"), ", ".join(format_date(day, "long") for day in days) or "–"),
        (_("Counsellor"), note.author.name),
        (_("Version"), str(note.version)),
        (_("Shared"), shared),
    ]
    for label, value in facts:
        document.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    sections = [
        (_("The participant's goals"), note.goals),
        (_("Education and work background"), note.background),
        (_("Recommended next steps in the introduction programme"), note.next_steps),
        (_("Further guidance advised"), _("Yes") if note.further_guidance else _("No")),
    ]
    for title, text in sections:
        document.ln(4)
        document.set_font("DejaVu", "B", 12)
        document.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        document.set_font("DejaVu", "", 11)
        document.multi_cell(0, 6, text or "–", new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())
