"""A counsellor's or interpreter's own absence: one form for both (services.absences.report_own_absence)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Absence, Role
from guidance.planning.ids import local_today
from guidance.services.errors import DomainError
from guidance.web.forms import AbsenceTimeForm, show_refusal


class OwnAbsenceForm(AbsenceTimeForm):
    """Whole days, or some hours of one day (the dentist)."""


def page(*, done: str, week_of=None):
    """GET: the form; POST: report the absence and go back to `done` (or, with `week_of(day)`, to the
    week the absence begins in, where its days show as away)."""
    from guidance.services.absences import report_own_absence

    form = OwnAbsenceForm()
    if request.method == "GET":
        form.start_date.data = form.end_date.data = local_today()
    elif form.validate_on_submit():
        try:
            _absence, hit = report_own_absence(current_user, start=form.start_date.data, end=form.end_date.data,
                                              hours=form.hours())
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Your absence is reported to the career centre lead.") + " " + _what_happens(hit), "success")
            return redirect(week_of(form.start_date.data) if week_of else done)
    from guidance.services.absences import first_day_back
    from guidance.web.forms import AbsenceEndForm

    earlier = db.session.scalars(select(Absence).where(Absence.user_id == current_user.id)
                                 .order_by(Absence.start_date.desc()).limit(10)).all()
    today = local_today()
    return render_template("own_absence.html", form=form, earlier=earlier, back=done, today=today,
                           # The first day back each absence may take: the day after its first (the first day
                           # itself is the whole absence, its own button).
                           first_back={a.id: first_day_back(a, today) for a in earlier},
                           end_form=AbsenceEndForm(formdata=None),
                           # the blueprint the page is shown under (a lead who counsels reports under /week)
                           end_endpoint=f"{request.blueprint}.end_absence"), \
        400 if request.method == "POST" else 200


def end(absence_id: int, *, done: str):
    """POST: the person is back earlier than one of their own absences says."""
    from guidance.web.guards import get_visible

    absence = get_visible(Absence, absence_id, "end")
    begun = absence.start_date < local_today()
    ended = end_from_form(absence)
    # Bookings given back for the absence stay given back: the lead may have asked another interpreter.
    given_back = " " + _("Assignments you gave back for this absence stay given back: the centre may have booked "
                         "another interpreter. It asks you again if it needs you.") \
        if current_user.interpreter is not None else ""
    if ended is not None and ended[0] is None and not begun:
        flash(_("The absence is taken away: you are available as usual. The career centre lead is told.") + given_back,
              "success")
    elif ended is not None:
        flash(_("Welcome back. The career centre lead is told, and plans may book you again from that day.")
              + given_back, "success")
    return redirect(done)


def end_from_form(absence: Absence):
    """The back-earlier form posted for `absence` (the person's own page or the lead's): (the absence,
    or None when it went, the day back), or None with the reason flashed."""
    from guidance.services.absences import end_absence
    from guidance.web.forms import AbsenceEndForm

    form = AbsenceEndForm()
    whole = form.whole.data == "1"
    if form.validate_on_submit() and not whole and form.back_on.data is None:
        form.back_on.errors = [_("Enter the day you are back.")]
    if form.errors:
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return None
    try:
        back_on = None if whole else form.back_on.data
        return end_absence(current_user, absence, back_on=back_on), back_on or absence.start_date
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return None


def _what_happens(hit: int) -> str:
    if not hit:
        return _("None of your booked sessions is hit.")
    if current_user.role is Role.INTERPRETER:
        return ngettext("%(num)d of your bookings is hit; the lead finds another interpreter.",
                        "%(num)d of your bookings are hit; the lead finds another interpreter.", hit)
    return ngettext("%(num)d of your booked sessions is hit; the lead finds another counsellor or time.",
                    "%(num)d of your booked sessions are hit; the lead finds another counsellor or time.", hit)
