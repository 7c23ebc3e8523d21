"""Referral lists and details, for everyone who may see them (scoped by rules.access)."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, send_file, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField

from guidance import clock
from guidance.extensions import db
from guidance.labels import AUDIT_ACTION, CANCEL_REASON, REFERRAL_FIELD
from guidance.models import OPEN_STATUSES, Referral, SessionStatus
from guidance.rules.access import may
from guidance.rules.deadlines import deadline_passed, guided_in_time
from guidance.services import letters, same_person
from guidance.services import referral_reading as reading
from guidance.services.attachments import EXTENSION
from guidance.services.cannot_come import waiting
from guidance.services.referrals import ATTACHABLE, CONTACT_CORRECTABLE, CORRECTABLE, NOT_WITHDRAWABLE
from guidance.web.guards import get_visible, requires
from guidance.web.intake import AttachForm, RemoveAttachmentForm
from guidance.services.errors import DomainError
from guidance.web.forms import CanComeForm, PostForm, row_id
from guidance.web.templating import can_come_text

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.get("/")
@requires("referrals")
def index():
    """The referrals the user may see, 50 a page; narrowed by reference, municipality and status (GET:
    nothing here is personal data)."""
    args = request.args
    chosen = reading.ReferralFilter(reference=args.get("reference", ""), municipality=args.get("municipality", type=row_id),
                                    status=args.get("status", ""))
    result = reading.referral_page(current_user, chosen, args.get("page", 1, type=row_id))
    next_sessions = reading.next_booked_sessions([r.id for r in result.rows])
    names = reading.counsellor_names(next_sessions.values())
    # "Passed" as the queue says it: an open referral whose deadline went by without a session held in time.
    held, today = reading.first_held_days([r.id for r in result.rows]), clock.today()
    late = {r.id for r in result.rows if r.status in OPEN_STATUSES and r.deadline and deadline_passed(r.deadline, today)
            and not guided_in_time(r.deadline, held.get(r.id))}
    return render_template(
        "referrals/index.html", referrals=result.rows, total=result.total, page=result.page, pages=result.pages,
        chosen=chosen, next_sessions=next_sessions, counsellor_name=lambda s: names.get(s.counsellor_id, ""),
        shown=reading.shown_statuses(result.rows), late=late,
        municipalities=reading.municipalities_to_filter(current_user) if current_user.role.value != "referrer" else [],
        query={k: v for k, v in {"reference": chosen.reference, "municipality": chosen.municipality,
                                  "status": chosen.status}.items() if v},
    )


class FindForm(FlaskForm):
    name = StringField(_l("Participant's name, phone number or reference"))


FIND_KEY = "find_participant"


@bp.route("/find", methods=["GET", "POST"])
@requires("referrals")
def find():
    """Find a participant by name or phone (a POST: the name stays out of the URL and the access log), then
    the results by GET (the search is kept in the signed session): Back from a participant's page showed
    "Confirm Form Resubmission" instead of the results."""
    form = FindForm()
    found = None
    if request.method == "POST":
        if form.validate_on_submit():
            session[FIND_KEY] = (form.name.data or "").strip()[:200]
            return redirect(url_for("referrals.find"))
    elif session.get(FIND_KEY):
        form.name.data = session[FIND_KEY]
        found = reading.find_participants(current_user, form.name.data)
    return render_template("referrals/find.html", form=form, found=found,
                           shown=reading.shown_statuses(found or []))


def _can_come_form(referral: Referral) -> CanComeForm:
    form = CanComeForm(formdata=None)
    form.can_come_weekdays.data = list(referral.can_come_weekdays or [])
    form.can_come_part.data = referral.can_come_part or ""
    form.video_ok.data = referral.participant.video_ok
    return form


@bp.get("/<int:referral_id>")
@requires("referrals")
def show(referral_id: int):
    return page(get_visible(Referral, referral_id))


def page(found: Referral, attach_form: AttachForm | None = None, status: int = 200):
    """The referral's page; `attach_form` with its errors when files could not be attached (the form is
    where the message belongs: a flash at the top was out of view below the attachments)."""
    referral = reading.read_referral(current_user, found)
    may_edit = may(current_user, "edit", referral)
    sessions = reading.sessions_of(referral.id)  # the next booked one and every name come from these
    names = reading.counsellor_names(sessions)
    now = clock.now()
    return render_template(
        "referrals/show.html", referral=referral, history=reading.history(referral),
        next_session=next((s for s in sessions if s.status is SessionStatus.BOOKED and s.start >= now), None),
        sessions=sessions, now=now, counsellor_name=lambda s: names.get(s.counsellor_id, ""),
        can_correct=may_edit and referral.status in CORRECTABLE,
        can_correct_contact=may_edit and may(current_user, "use", "intake") and referral.status in CONTACT_CORRECTABLE,
        can_withdraw=may_edit and referral.status not in NOT_WITHDRAWABLE,
        # Booked: the answers are the centre's now, but a plan or note can still come (intake.attach).
        can_attach=may_edit and may(current_user, "use", "intake") and referral.status in ATTACHABLE,
        attach_form=attach_form or AttachForm(),
        # The lead after a phone call, or the referrer: when the participant can come, while there is planning left.
        can_come_form=_can_come_form(referral) if may(current_user, "plan", referral)
        and referral.status in OPEN_STATUSES else None,
        # Open (correctable or booked): a file attached by mistake can be taken off again.
        can_remove_attachment=may_edit and may(current_user, "use", "intake")
        and referral.status in ATTACHABLE + CORRECTABLE, remove_form=RemoveAttachmentForm(),
        field_label=REFERRAL_FIELD, action_label=AUDIT_ACTION, cancel_reason=CANCEL_REASON,
        deadline_passed=deadline_passed(referral.deadline, clock.today()),
        first_held=(first_held := reading.first_held_day(referral.id)),
        guided_in_time=guided_in_time(referral.deadline, first_held),
        no_letter_in=letters.untranslated(referral.participant.language),
        letter_unreviewed=letters.unreviewed(referral.participant.language),
        shown_status=reading.shown_statuses([referral])[referral.id],
        # The sessions the referrer has said the participant cannot come to (still at that time).
        # session id -> what the referrer wrote: their own words stay in view until the session is moved.
        cannot_come={w.session_id: w.note for w in waiting(referral.county_id, now, referral_id=referral.id)},
        # A follow-up a counsellor asked for, and the referral it follows (each way a link).
        origin=db.session.get(Referral, referral.follow_up_of_id) if referral.follow_up_of_id else None,
        follow_ups=db.session.scalars(select(Referral).where(Referral.follow_up_of_id == referral.id)
                                      .order_by(Referral.id)).all(),
        # Another municipality's referral of the same person, for whoever plans (never a referrer: it is not theirs).
        twins=same_person.possible_twins(referral.county_id, [referral]).get(referral.id, [])
        if may(current_user, "plan", referral) and current_user.role.value != "referrer" else [],
        post_form=PostForm(),
    ), status


@bp.post("/<int:referral_id>/not-same/<int:other_id>")
@requires("referrals")
def not_same_person(referral_id: int, other_id: int):
    """The lead has checked: another municipality's referral that looked like this participant is someone else."""
    from flask import flash
    from flask_babel import gettext as _

    referral = get_visible(Referral, referral_id, "plan")
    other = get_visible(Referral, other_id, "plan")
    if current_user.role.value == "referrer":   # both must be theirs to plan: a referrer plans neither
        abort(403)
    if PostForm().validate_on_submit():
        try:
            same_person.mark_not_same(current_user, referral, other)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("Marked as two people: %(reference)s is no longer named here.", reference=other.reference), "success")
    return redirect(url_for("referrals.show", referral_id=referral.id))


@bp.post("/<int:referral_id>/can-come")
@requires("referrals")
def can_come(referral_id: int):
    """When the participant can come, changed on the referral page: the referrer's, or the lead's after a phone
    call. The planner keeps to it from now on; booked sessions outside it are named, to be moved."""
    from flask import flash
    from flask_babel import gettext as _

    from guidance.services import referrals as service
    from guidance.services.errors import DomainError

    referral = get_visible(Referral, referral_id, "plan")
    form = CanComeForm()
    back = redirect(url_for("referrals.show", referral_id=referral.id, _anchor="can-come"))
    if not form.validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
        return back
    try:
        outside = service.set_can_come(current_user, referral, form.can_come_weekdays.data, form.can_come_part.data,
                                       video_ok=bool(form.video_ok.data))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return back
    flash(_("Saved: the participant can come %(when)s. New times keep to it.", when=can_come_text(referral)), "success")
    for s in outside:
        when = clock.when_text(s.start, "EEEE d. MMMM, HH:mm")
        flash(_("The session %(when)s is outside these times: move it.", when=when) if may(current_user, "use", "planning")
              else _("The session %(when)s is outside these times: tell the centre with 'Cannot come'.", when=when),
              "warning")
    return back


@bp.get("/<int:referral_id>/attachments/<int:attachment_id>")
@requires("referrals")
def attachment(referral_id: int, attachment_id: int):
    """An attachment, only to those who may see its referral; always a download, never cached."""
    found = reading.read_attachment(current_user, get_visible(Referral, referral_id), attachment_id)
    if found is None:
        abort(404)
    item, path = found
    name = item.original_name
    if not name.lower().endswith(EXTENSION.get(item.content_type, "")):
        name += EXTENSION.get(item.content_type, "")
    response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
