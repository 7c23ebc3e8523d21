"""Guidance notes: the counsellor drafts and shares; the lead and the referring municipality read.
Every read is audited."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

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
        sharing = request.form.get("action") == "share"
        try:
            saved = service.share(current_user, referral, data) if sharing else service.save_draft(current_user, referral, data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The note was shared with the municipality.") if sharing else _("The draft was saved."), "success")
            if sharing and not service.readers(referral):
                flash(_("Nobody at %(municipality)s has an account in Veiled yet, so nobody there can read the note. "
                        "It waits for them: the career centre's lead can invite the municipality's referrer.",
                        municipality=referral.referring_municipality.name), "warning")
            if sharing:
                return redirect(url_for("notes.show", note_id=saved.id))
            return redirect(url_for("notes.draft", referral_id=referral.id))
    status = 400 if request.method == "POST" else 200
    return render_template("notes/form.html", referral=referral, form=form, note=service.current_draft(referral)), status


@bp.get("/notes/<int:note_id>")
@requires("notes")
def show(note_id: int):
    note = get_visible(GuidanceNote, note_id)
    service.record_read(current_user, note, "viewed")
    return render_template("notes/show.html", note=note)


@bp.get("/notes/<int:note_id>.pdf")
@requires("notes")
def pdf(note_id: int):
    note = get_visible(GuidanceNote, note_id)
    body = service.pdf(note)
    service.record_read(current_user, note, "downloaded")
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="guidance-note-{note.referral.reference}-v{note.version}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
