"""Book one referral now (issue 24): the best times for each session a referral still needs, around
the published plan, and booking the one the lead picks. Lead of the referral's county only."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from guidance import clock
from guidance.extensions import db
from guidance.labels import money
from guidance.models import Referral
from guidance.planning import InstanceOptions
from guidance.planning import ids as planning_ids
from guidance.planning.ids import local_today
from guidance.services import book_now as service
from guidance.services.errors import DomainError
from guidance.web.forms import WishForm
from guidance.web.guards import get_visible, requires
from guidance.web.planning import explain_reason, reason_link

bp = Blueprint("book_now", __name__, url_prefix="/referrals")

MARKS = {
    "best": _l("Best fit"),
    "earliest": _l("Earliest"),
    "least_travel": _l("Shortest travel"),
    "cheapest_interpreter": _l("Lowest interpreter cost"),
    "same_counsellor": _l("Same counsellor as before"),
    "video": _l("By video"),
    "joins_group": _l("Joins a planned group"),
}


def _marks() -> dict:
    """The marks' words; the early departure names the hour the solver's configuration sets (07:00)."""
    from guidance.services.book_now import EARLY_DEPARTURE

    return {**MARKS, "early_departure": _("Leaves home before %(time)s", time=EARLY_DEPARTURE.strftime("%H:%M"))}

# Reasons the planning engine gives only for a single referral (the rest: planning.REASONS).
EXTRA_REASONS = {
    "already_scheduled": (_l("This session is already booked."), _l("Nothing to do: it is in the published plan.")),
    "session_frozen": (_l("The plan is fixed for the next working day."), _l("Choose a later day, or book by hand.")),
    "data_error": (_l("The county's planning data has a problem, so no time can be searched for."),
                   _l("Start a planning run: its page names the problem. Ask the administrator if it stays.")),
    "not_as_wished": (_l("There are free times, but none on the days and at the time of day you chose."),
                      _l("Choose a later date or another time of day, or show every free time.")),
}


class BookForm(FlaskForm):
    option = HiddenField()


class UndoForm(FlaskForm):
    session_id = HiddenField()


class DropNeedForm(FlaskForm):
    session_type = HiddenField()


@bp.get("/<int:referral_id>/times")
@requires("planning")
def options(referral_id: int):
    referral = get_visible(Referral, referral_id, "plan")
    return _page(referral)


@bp.post("/<int:referral_id>/times")
@requires("planning")
def book(referral_id: int):
    referral = get_visible(Referral, referral_id, "plan")
    form = BookForm()
    if not form.validate_on_submit():
        return _page(referral, error=_("The form had expired. Choose the time again."), status=400)
    try:
        session = service.book(current_user, referral, form.option.data)
    except service.OptionGone as error:
        db.session.rollback()
        return _page(referral, error=error.message, status=409)
    except DomainError as error:
        db.session.rollback()
        return _page(referral, error=error.message, status=400)
    flash(_("Booked: %(type)s on %(when)s. The counsellor's calendar shows it.",
            type=_type_label(session.type).lower(), when=_when(session.start)), "success")
    if session.interpreter_id and len(session.participants) > 1:  # joined a group: its interpreter is told
        flash(_("The group's interpreter is told that one participant more comes; their answer stands."), "success")
    elif session.interpreter_id:
        flash(_("An interpreter request has been sent."), "success")
    if session.interpreter_id:
        # One booking adds to a month over its budget without a question (publishing asks): said at least.
        from guidance.services.statistics import over_budget

        month = planning_ids.to_local(session.start).date().replace(day=1)
        if (over := over_budget(referral.county_id, month)) is not None:
            flash(_("The interpreter cost of %(month)s is over its budget now: %(cost)s of %(budget)s.",
                    month=format_date(month, "LLLL y"), cost=money(round(over[0] * 100)),
                    budget=money(round(over[1] * 100))), "warning")
    notice = InstanceOptions.for_one_booking(referral.county, local_today()).earliest_new
    if notice is not None and planning_ids.to_local(session.start).date() < notice:
        flash(_("The session is sooner than the county's notice, so a letter may not reach the participant in "
                "time. Tell the participant another way, through the referrer or by phone with an interpreter."),
              "warning")
    return redirect(url_for("book_now.options", referral_id=referral.id, **WishForm.from_query().wish().query()))


@bp.post("/<int:referral_id>/times/drop-need")
@requires("planning")
def drop_need(referral_id: int):
    """Take a session the participant does not need after all off the referral (referrals.drop_need)."""
    from guidance.services import referrals

    referral = get_visible(Referral, referral_id, "plan")
    form = DropNeedForm()
    if not form.validate_on_submit():
        return _page(referral, error=_("The form had expired. Choose the time again."), status=400)
    kind = _type_label(form.session_type.data or "")
    try:
        closed = referrals.drop_need(current_user, referral, form.session_type.data or "")
    except DomainError as error:
        db.session.rollback()
        return _page(referral, error=error.message, status=400)
    flash(_("%(type)s is taken off the referral: the participant no longer waits for it.", type=kind), "success")
    if closed:
        flash(_("Every session the participant needs has been held: the referral is completed."), "success")
    return redirect(url_for("book_now.options", referral_id=referral.id))


@bp.post("/<int:referral_id>/times/undo")
@requires("planning")
def undo(referral_id: int):
    """Take back a booking just made here (a wrong click): the session is cancelled, the request withdrawn."""
    referral = get_visible(Referral, referral_id, "plan")
    form = UndoForm()
    if not form.validate_on_submit() or not (form.session_id.data or "").isdigit():
        return _page(referral, error=_("The form had expired. Choose the time again."), status=400)
    try:
        session = service.undo(current_user, referral, int(form.session_id.data))
    except DomainError as error:
        db.session.rollback()
        return _page(referral, error=error.message, status=400)
    flash(_("The booking of %(when)s is undone. The participant waits in the queue again.", when=_when(session.start)),
          "success")
    return redirect(url_for("book_now.options", referral_id=referral.id))


def _page(referral: Referral, *, error: str | None = None, status: int = 200):
    from guidance.services.cannot_come import recent_word

    wish_form = WishForm.from_query()
    wish = wish_form.wish()
    # An overdue participant's times inside the county's notice, when the lead asks (a GET flag).
    found = service.choices(referral, wish=wish, sooner=request.args.get("sooner") == "1")
    reasons = {}
    place = referral.participant.municipality.name
    from guidance.labels import LanguageNames

    language = LanguageNames().get(referral.participant.language) or ""
    for need in found.needs:
        if need.reason and not need.options:
            after_deadline = (need.reason == "not_as_wished" and wish.not_before and referral.deadline
                              and wish.not_before > referral.deadline and not found.overdue)
            if after_deadline:   # "choose a later date" could not help: times are offered up to the deadline
                what = _("You chose times from %(date)s, after the deadline %(deadline)s: times are offered up to the "
                         "deadline.", date=format_date(wish.not_before, "long"),
                         deadline=format_date(referral.deadline, "long"))
                action = _("Choose a date before the deadline, or show every free time.")
            elif need.reason in EXTRA_REASONS:
                what, action = (str(x) for x in EXTRA_REASONS[need.reason])
            else:
                what, action = explain_reason(need.reason, place=place, language=language, overdue=found.overdue,
                                              session_type=need.type)
                if need.reason == "no_group_seat" and not any(n.type != need.type and not n.booked for n in found.needs):
                    # Nothing else left to book here ("Book the individual session now" stood beside the booked one).
                    action = _("The next planning run forms new groups and gives the participant a place in one.")
            reasons[need.type] = (what, action, reason_link(need.reason))
    from guidance.services.referral_reading import counsellor_name, shown_statuses
    from guidance.services.statistics import over_budget

    # A month whose interpreter budget is spent already, among the months of the times with an interpreter: the lead
    # learnt of it only from the flash after booking.
    months = sorted({planning_ids.to_local(o.start).date().replace(day=1) for need in found.needs
                     for o in need.options if o.interpreter})
    spent = [(month, *over) for month in months if (over := over_budget(referral.county_id, month)) is not None]
    return render_template("book_now/options.html", referral=referral, found=found, reasons=reasons, marks=_marks(),
                           spent=spent,
                           form=BookForm(), error=error, counsellor_name=counsellor_name, wish_form=wish_form,
                           wish=wish, shown_status=shown_statuses([referral])[referral.id],
                           wish_hidden={"sooner": "1"} if found.sooner else {}, can_come_referrals=[referral],
                           today=clock.today(),
                           undoable=service.undoable(current_user, referral), undo_form=UndoForm(),
                           drop_form=DropNeedForm(), said=recent_word(referral)), status


def _type_label(code: str) -> str:
    from guidance.labels import SESSION_TYPE

    return str(SESSION_TYPE.get(code, code))


def _when(instant) -> str:
    return clock.when_text(instant)
