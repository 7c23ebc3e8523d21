"""The interpreter's requests and bookings, and the answer page the e-mail links to.

Answers are always POSTs: mail scanners and link previews follow GET links, and must not
accept or decline on anyone's behalf.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import Length

from guidance import clock
from guidance.extensions import db
from guidance.models import InterpreterBooking
from guidance.services.interpreter_bookings import answers
from guidance.services.interpreter_bookings import requests as requests_service
from guidance.services.interpreter_bookings.requests import booking_for_token
from guidance.services.errors import DomainError
from guidance.web import feed
from guidance.web.forms import PostForm
from guidance.web.i18n import speak_to
from guidance.web.guards import get_visible, requires

bp = Blueprint("interpreter", __name__, url_prefix="/bookings")


@bp.context_processor
def _how_to_take_part():
    # The booking page says where to be, or how video and phone reach the interpreter, as the request e-mail does.
    return {"where_to_be": requests_service.where_to_be}


class AcceptForm(FlaskForm):
    pass


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Why do you decline?"), validators=[Length(max=1000)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why can you no longer come? (optional)"), validators=[Length(max=1000)])
    # The second step: one tap on a phone, under the text box, had withdrawn at once.
    confirm = HiddenField()


@bp.get("/")
@requires("bookings")
def index():
    if current_user.interpreter is None:  # an account the lead has not yet given languages and rates
        return render_template("not_set_up_page.html", heading=_("Your interpreter bookings"))
    work = requests_service.work_of(current_user.interpreter)
    from guidance.services.people import category_letter
    from guidance.web.people import weekday_names

    return render_template("interpreter/index.html", requests=work.requests, upcoming=work.upcoming, other=work.other,
                           given_back=work.given_back, withdrawn=work.withdrawn, accept_form=AcceptForm(),
                           me=current_user.interpreter, letter=category_letter, weekdays=weekday_names(),
                           moved_from=requests_service.moved_from(work.requests + work.upcoming))


@bp.post("/accept")
@requires("bookings")
def accept_chosen():
    """Accept the requests ticked in the list (one click instead of one page per request)."""
    if current_user.interpreter is None:
        abort(404)
    form = AcceptForm()
    chosen = sorted({int(v) for v in request.form.getlist("booking") if v.isdigit() and len(v) < 10})
    if not form.validate_on_submit():
        flash(_("The form had expired. Tick the requests again."), "error")
    elif not chosen:
        flash(_("Tick the requests you accept first."), "error")
    else:
        bookings = [get_visible(InterpreterBooking, booking_id) for booking_id in chosen]
        accepted, left = answers.accept_many(current_user, bookings)
        if accepted:
            flash(ngettext("You accepted %(num)d booking.", "You accepted %(num)d bookings.", accepted), "success")
        if left:
            flash(ngettext("%(num)d request could not be accepted: it was changed or cancelled meanwhile.",
                           "%(num)d requests could not be accepted: they were changed or cancelled meanwhile.", left),
                  "warning")
    return redirect(url_for("interpreter.index"))


@bp.get("/<int:booking_id>")
@requires("bookings")
def show(booking_id: int):
    from guidance.services.interpreter_bookings.state import withdrawn

    booking = get_visible(InterpreterBooking, booking_id)
    return render_template("interpreter/show.html", booking=booking, accept_form=AcceptForm(),
                           decline_form=DeclineForm(), withdraw_form=WithdrawForm(), now=clock.now(),
                           action=url_for("interpreter.answer", booking_id=booking.id),
                           withdrew=booking.id in withdrawn([booking.id]),
                           moved_from=requests_service.moved_from([booking]).get(booking.id))


@bp.post("/<int:booking_id>/withdraw")
@requires("bookings")
def withdraw(booking_id: int):
    """An accepted booking the interpreter can no longer keep (ill, a clash): the lead is told at once."""
    booking = get_visible(InterpreterBooking, booking_id)
    form = WithdrawForm()
    if form.validate_on_submit() and form.confirm.data != "yes":
        return render_template("interpreter/show.html", booking=booking, accept_form=AcceptForm(),
                               decline_form=DeclineForm(), withdraw_form=form, now=clock.now(), confirm_withdraw=True,
                               action=url_for("interpreter.answer", booking_id=booking.id))
    if form.validate_on_submit():
        try:
            answers.withdraw(current_user, booking, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            if error.field_errors.get("reason"):
                form.reason.errors = list(error.field_errors["reason"])
            else:
                flash(error.message, "error")
                return redirect(url_for("interpreter.show", booking_id=booking.id))
        else:
            flash(_("You have withdrawn from the booking. The career centre is told and finds another interpreter."),
                  "success")
            return redirect(url_for("interpreter.index"))
    return render_template("interpreter/show.html", booking=booking, accept_form=AcceptForm(), decline_form=DeclineForm(),
                           withdraw_form=form, now=clock.now(), action=url_for("interpreter.answer", booking_id=booking.id)), 400


@bp.post("/<int:booking_id>/answer")
@requires("bookings")
def answer(booking_id: int):
    booking = get_visible(InterpreterBooking, booking_id)
    return _answer(booking, current_user, "interpreter/show.html",
                   action=url_for("interpreter.answer", booking_id=booking.id),
                   done=url_for("interpreter.index"))


@bp.get("/confirm/<token>")
def confirm(token: str):
    """The page the e-mail links to: shows the request; answering is a POST from here."""
    booking = _booking_for_link(token)
    return render_template("interpreter/show.html", booking=booking, accept_form=AcceptForm(), decline_form=DeclineForm(),
                           action=url_for("interpreter.confirm_answer", token=token), via_link=True)


@bp.post("/confirm/<token>")
def confirm_answer(token: str):
    booking = _booking_for_link(token)
    return _answer(booking, booking.interpreter.user, "interpreter/show.html",
                   action=url_for("interpreter.confirm_answer", token=token),
                   done=url_for("interpreter.confirm", token=token), via_link=True)


class LinkInvalid(Exception):
    def __init__(self, message: str):
        self.message = message


def _booking_for_link(token: str) -> InterpreterBooking:
    try:
        booking = booking_for_token(token)
    except DomainError as error:
        raise LinkInvalid(error.message) from None
    speak_to(booking.interpreter.user)   # the page in the request e-mail's language
    return booking


@bp.errorhandler(LinkInvalid)
def link_invalid(error: LinkInvalid):
    # The e-mail says the request can be answered after signing in too: the page says so, with the way there.
    return render_template("errors/error.html", status=404, title=_("The link does not work"), explanation=error.message,
                           next_step=_("You can still answer your requests after signing in, under My bookings."),
                           next_url=url_for("interpreter.index"), next_label=_("Sign in and see your bookings")), 404


def _answer(booking, actor, template, *, action, done, via_link=False):
    accept_form, decline_form = AcceptForm(), DeclineForm()
    accept = request.form.get("answer") == "accept"
    if (accept_form if accept else decline_form).validate_on_submit():
        try:
            answers.answer(actor, booking, accept, decline_form.reason.data)
        except DomainError as error:
            db.session.rollback()
            if error.field_errors.get("reason"):
                decline_form.reason.errors = list(error.field_errors["reason"])
            else:
                flash(error.message, "error")
                return redirect(done)
        else:
            flash(_("Thank you: you accepted the booking.") if accept else _("Thank you: you declined the request."), "success")
            return redirect(done)
    return render_template(template, booking=booking, accept_form=accept_form, decline_form=decline_form,
                           action=action, via_link=via_link), 400


class RequestMailForm(FlaskForm):
    request_mail = RadioField(_l("How new requests reach you by e-mail"), choices=[
        (requests_service.EACH, _l("One e-mail per request, with a calendar invitation")),
        (requests_service.SUMMARY, _l("One e-mail listing the requests of each new plan, without calendar invitations "
                                      "(what you accept appears in your calendar subscription)"))])


def _saved_mail_choice() -> RequestMailForm:
    """The e-mail choice as saved (not as posted)."""
    return RequestMailForm(formdata=None, data={"request_mail": current_user.interpreter.request_mail})


def _calendar_page(form: RequestMailForm | None = None, status: int = 200):
    return render_template("interpreter/calendar.html", form=PostForm(), mail_form=form or _saved_mail_choice(),
                           has_token=bool(current_user.calendar_token_hash), **feed.new_address()), status


@bp.get("/calendar")
@requires("bookings")
def calendar():
    """The calendar subscription of accepted assignments, and how requests come by e-mail."""
    if current_user.interpreter is None:
        abort(404)
    return _calendar_page()


@bp.post("/calendar/request-mail")
@requires("bookings")
def request_mail():
    if current_user.interpreter is None:
        abort(404)
    form = RequestMailForm()
    if not form.validate_on_submit():
        return _calendar_page(form, 400)
    requests_service.set_request_mail(current_user.interpreter, form.request_mail.data)
    flash(_("Saved: new requests reach you that way."), "success")
    return redirect(url_for("interpreter.calendar"))


@bp.post("/calendar/token")
@requires("bookings")
def new_token():
    if current_user.interpreter is None:
        abort(404)
    return feed.make_address("interpreter.calendar")


@bp.post("/calendar/revoke")
@requires("bookings")
def revoke_token():
    return feed.switch_off("interpreter.calendar")


@bp.route("/absence", methods=["GET", "POST"])
@requires("bookings")
def absence():
    """The interpreter blocks days they cannot take (ill, another assignment): plans and replacements keep
    them free, and the lead hears of the bookings it hits."""
    from guidance.web import own_absence

    if current_user.interpreter is None:
        abort(404)
    return own_absence.page(done=url_for("interpreter.index"))


@bp.post("/absence/<int:absence_id>/end")
@requires("bookings")
def end_absence(absence_id: int):
    """The interpreter is back earlier than one of their absences says."""
    from guidance.web import own_absence

    return own_absence.end(absence_id, done=url_for("interpreter.absence"))
