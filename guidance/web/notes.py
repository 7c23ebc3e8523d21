"""Guidance notes: the counsellor drafts and shares; the lead and the referring municipality read.
Every read is audited."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import Length
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import GuidanceNote, Referral
from guidance.rules.access import may
from guidance.services import notes as service
from guidance.services.errors import DomainError
from guidance.web.forms import show_refusal
from guidance.web.guards import get_visible, requires

bp = Blueprint("notes", __name__)


class NoteForm(FlaskForm):
    goals = TextAreaField(_l("The participant's goals"), validators=[Length(max=service.MAX_TEXT)])
    background = TextAreaField(_l("Education and work background"), validators=[Length(max=service.MAX_TEXT)])
    next_steps = TextAreaField(_l("Recommended next steps in the introduction programme"), validators=[Length(max=service.MAX_TEXT)])
    further_guidance = BooleanField(_l("Further guidance is advised"))


class ShareForm(FlaskForm):
    checked = HiddenField()  # the fingerprint of the draft the confirmation page showed


@bp.get("/referrals/<int:referral_id>/notes")
@requires("notes")
def index(referral_id: int):
    referral = get_visible(Referral, referral_id)
    visible = [n for n in service.versions(referral) if may(current_user, "view", n)]
    can_write = may(current_user, "use", "note_writing") and may(current_user, "write_note", referral)
    return render_template("notes/index.html", referral=referral, notes=visible, can_write=can_write)


@bp.route("/referrals/<int:referral_id>/notes/draft", methods=["GET", "POST"])
@requires("note_writing")
def draft(referral_id: int):
    referral = get_visible(Referral, referral_id, "write_note")
    note = service.current_draft(referral)
    if note is None and request.method == "GET":
        # A correction starts from the last shared version's text.
        latest = service.versions(referral)
        note = latest[0] if latest else None
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        data = service.NoteInput(form.goals.data or "", form.background.data or "", form.next_steps.data or "",
                                 bool(form.further_guidance.data))
        # "Share" only leads to the confirmation page: shared is final, so the counsellor first sees the
        # note as the municipality will and says yes there (the draft is saved, so going back keeps it).
        sharing = request.form.get("action") == "share"
        try:
            if sharing:
                service.prepare_sharing(current_user, referral, data)
            else:
                service.save_draft(current_user, referral, data)
        except DomainError as error:
            show_refusal(form, error)
            saved = service.current_draft(referral)
            if sharing and saved is not None and saved.goals == data.goals.strip() \
                    and saved.next_steps == data.next_steps.strip():
                flash(_("Your text is saved as a draft. Fill in what is missing to share it."), "info")
        else:
            if sharing:
                return redirect(url_for("notes.share", referral_id=referral.id))
            flash(_("The draft was saved."), "success")
            return redirect(url_for("notes.draft", referral_id=referral.id))
    status = 400 if request.method == "POST" else 200
    draft_note = service.current_draft(referral)
    # No open draft after a shared version: the text shown is that version's, and saving makes the next one.
    shared = None if draft_note else next(iter(service.versions(referral)), None)
    return render_template("notes/form.html", referral=referral, form=form, note=draft_note, shared=shared), status


@bp.route("/referrals/<int:referral_id>/notes/share", methods=["GET", "POST"])
@requires("note_writing")
def share(referral_id: int):
    """The confirmation step: the saved draft as it will be shared, who can read it, and Share or Back to edit."""
    referral = get_visible(Referral, referral_id, "write_note")
    form = ShareForm()
    if form.validate_on_submit():
        try:
            saved = service.share_draft(current_user, referral, form.checked.data or "")
        except DomainError as error:
            db.session.rollback()
            for message in [m for ms in error.field_errors.values() for m in ms] or [error.message]:
                flash(message, "error")
            # A changed draft is shown again to be checked; missing text is fixed on the draft page.
            again = service.current_draft(referral) is not None and not error.field_errors
            return redirect(url_for("notes.share" if again else "notes.draft", referral_id=referral.id))
        flash(_("The note was shared with the municipality."), "success")
        if not service.readers(referral):
            flash(_("Nobody at %(municipality)s has an account in Veiled yet, so nobody there can read the note. "
                    "It waits for them: the career centre's lead can invite the municipality's referrer.",
                    municipality=referral.referring_municipality.name), "warning")
        return redirect(url_for("notes.show", note_id=saved.id))
    note = service.current_draft(referral)
    if note is None:
        return redirect(url_for("notes.draft", referral_id=referral.id))
    if request.method == "POST":
        flash(_("The form had expired. Check the note and share it again."), "error")
    form.checked.data = service.fingerprint(note)
    return render_template("notes/share.html", referral=referral, note=note, form=form,
                           readers=service.readers(referral)), 400 if request.method == "POST" else 200


@bp.get("/notes/<int:note_id>")
@requires("notes")
def show(note_id: int):
    note = get_visible(GuidanceNote, note_id)
    service.record_read(current_user, note, "viewed")
    # "Further guidance advised: yes" left the referrer asking who books it: the follow-up the counsellor asked for.
    follow_ups = db.session.scalars(select(Referral).where(Referral.follow_up_of_id == note.referral_id)
                                    .order_by(Referral.id)).all() if note.further_guidance else []
    from guidance.services.referral_reading import next_booked_sessions

    # A session of the referral still ahead: "send a new referral" read as if the guidance were over.
    ahead = next_booked_sessions([note.referral_id]).get(note.referral_id)
    return render_template("notes/show.html", note=note, follow_ups=follow_ups, ahead=ahead)


@bp.get("/notes/<int:note_id>.pdf")
@requires("notes")
def pdf(note_id: int):
    note = get_visible(GuidanceNote, note_id)
    body = service.pdf(note)
    service.record_read(current_user, note, "downloaded")
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{_("guidance-note")}-{note.referral.reference}-v{note.version}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
