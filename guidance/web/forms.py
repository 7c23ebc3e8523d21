"""Form helpers shared by the blueprints."""
from __future__ import annotations

import re

from dateutil.relativedelta import relativedelta
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, TimeField, widgets
from wtforms.widgets import Select
from wtforms.validators import DataRequired, Optional, StopValidation

from guidance import clock

from guidance.extensions import db
from guidance.planning.wish import Wish
from guidance.services.errors import DomainError


def row_id(value: str) -> int:
    """A number from a query string that a database column can hold (an id, a page): as `type=` of
    `request.args.get`, anything else (99999999999999999999, -1) reads as absent instead of a 500."""
    number = int(value)
    if not 0 <= number < 2**31:
        raise ValueError(value)
    return number


def chosen_id(value) -> int:
    """A select's chosen row as a number a database column can hold, or 0 (nothing chosen) for anything else: as
    `coerce=` of a SelectField whose choice the use case checks, "abc" read "Invalid Choice: could not coerce" and
    99999999999999999999 gave a 500; the use case now says what to choose."""
    try:
        return row_id(value)
    except (TypeError, ValueError):
        return 0


class PostForm(FlaskForm):
    """A button that only carries the CSRF token."""


def show_refusal(form, error: DomainError) -> None:
    """A use case refused: undo what it wrote, and put each field's message on its field so
    the form re-renders with the user's data and a message per field."""
    db.session.rollback()
    for name, messages in error.field_errors.items():
        field = getattr(form, name)
        field.errors = list(field.errors) + messages


class WholeKronerField(IntegerField):
    """A whole amount of kroner as Norwegians write it: "160 000", "160 000,00" or "160000 kr" (a number field took
    none of them, and a budget is typed with its spaces)."""

    widget = widgets.TextInput()   # not type="number": it refuses the spaces

    def process_formdata(self, valuelist):
        if valuelist:
            text = "".join(ch for ch in valuelist[0] if not ch.isspace())   # also the no-break and thin spaces
            text = re.sub(r"(?i)(kr|nok)\.?$", "", text)
            valuelist = [re.sub(r"[.,]0{1,2}$", "", text)]
        super().process_formdata(valuelist)


class NearToday:
    """A typed date within `back` years before and `ahead` years after Oslo's today: a year
    such as 9999 or 0001 is a typing slip, and would overflow the calendar arithmetic later."""

    def __init__(self, back: int = 1, ahead: int = 2):
        self.back, self.ahead = back, ahead

    def bounds(self):
        today = clock.today()
        return today - relativedelta(years=self.back), today + relativedelta(years=self.ahead)

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        first, last = self.bounds()
        if not first <= field.data <= last:
            raise StopValidation(_("Enter a date from %(first)s to %(last)s.",
                                   first=format_date(first, "long"), last=format_date(last, "long")))


class WithinPlanning:
    """A date from today to the last day a time is planned for (the planning horizon): "from 6 April" beyond it
    said that free times exist but none on the days chosen, and to choose a later date."""

    def __call__(self, form, field) -> None:
        from guidance.planning import InstanceOptions

        if field.data is None:
            return
        today = clock.today()
        last = InstanceOptions(today=today).horizon_end
        if not today <= field.data <= last:
            raise StopValidation(_("Choose a date from %(first)s to %(last)s: times are planned that far ahead.",
                                   first=format_date(today, "long"), last=format_date(last, "long")))


def clock_text(value):
    """A time of day as Norwegians type it, in the form's HH:MM: "9.30", "kl. 9.30", "0930", "9" (the move form
    refused "9.30", the notation letters and timetables use); anything else is left for the field's check."""
    if not isinstance(value, str):
        return value
    text = re.sub(r"(?i)^\s*kl\.?\s*", "", value).strip()
    found = re.fullmatch(r"(\d{1,2})(?:[.:, ]?(\d{2}))?", text)
    if found and int(found[1]) < 24 and int(found[2] or 0) < 60:
        return f"{int(found[1]):02d}:{found[2] or '00'}"
    return value.strip()


class AbsenceTimeForm(FlaskForm):
    """When an absence is, as the lead's and the person's own absence forms ask it: whole days, or part
    of one day when both times are given (services.absences)."""

    start_date = DateField(_l("First day"), validators=[DataRequired(_l("Enter the first day of the absence.")),
                                                        NearToday()])
    end_date = DateField(_l("Last day"), validators=[DataRequired(_l("Enter the last day of the absence.")), NearToday()])
    from_time = TimeField(_l("From (time)"), validators=[Optional()])
    until_time = TimeField(_l("Until (time)"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        from guidance.services.absences import span_problems

        valid = super().validate(extra_validators)
        given = (self.from_time.data is not None, self.until_time.data is not None)
        if valid and any(given) and not all(given):
            missing = self.until_time if given[0] else self.from_time
            missing.errors = [*missing.errors, _("Give both times for part of a day, or neither for whole days.")]
            valid = False
        if not valid and self.start_date.data and self.end_date.data:
            # A time the form could not read stopped it before the service's check of the days: the
            # days' problems too, so the person sees every problem in one round (the walk saw them one by one).
            for name, messages in span_problems(self.start_date.data, self.end_date.data).items():
                field = getattr(self, name)
                if not field.errors:
                    field.errors = list(messages)
        return valid

    def hours(self):
        """(from, until) for part of a day, or None for whole days."""
        return (self.from_time.data, self.until_time.data) if self.from_time.data and self.until_time.data else None


class AbsenceEndForm(FlaskForm):
    """Back earlier than an absence says (services.absences.end_absence)."""

    back_on = DateField(_l("Back on"), validators=[Optional(), NearToday()])
    # "1": take the whole absence away (not away after all), its own button; else the day back is needed.
    # Two intents, two buttons: a day filled in for the lead once took a one-day absence away in one click.
    whole = HiddenField()


class CheckboxesField(SelectMultipleField):
    """A choice of several, as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def can_come_fields() -> tuple:
    """When the participant can come, as a referral stores it (the referral form, and the referral page's own form):
    the fields made where they are called, so each form keeps its own order of fields."""
    weekdays = CheckboxesField(_l("Days the participant can come (optional)"), coerce=int, validate_choice=False,
                               choices=[(1, _l("Monday")), (2, _l("Tuesday")), (3, _l("Wednesday")),
                                        (4, _l("Thursday")), (5, _l("Friday"))])
    part = SelectField(_l("Time of day the participant can come"), validate_choice=False, default="", choices=[
        ("", _l("Any time of day")), ("morning", _l("Before 12:00")), ("afternoon", _l("From 12:00"))])
    return weekdays, part


class CanComeForm(FlaskForm):
    """The referral page's form: when the participant can come, changed after the referral was sent."""

    can_come_weekdays, can_come_part = can_come_fields()
    # How they can take part, changed the same way: "can it be by video?" on the phone was a dead end once a session
    # was booked (the referral can no longer be corrected, and the move refused video).
    video_ok = BooleanField(_l("Can take a session by video"))


class WishForm(FlaskForm):
    """When the participant can come (a GET form over the suggested times: nothing is written)."""

    class Meta:
        csrf = False

    from_date = DateField(_l("From date"), validators=[Optional(), NearToday(), WithinPlanning()])
    part_of_day = SelectField(_l("Time of day"), default="", validate_choice=True, choices=[
        ("", _l("Any time of day")), ("morning", _l("Before 12:00")), ("afternoon", _l("From 12:00"))])
    # "Wednesdays and Thursdays after 12" (a referrer's words): the days, not only the part of the day.
    weekdays = CheckboxesField(_l("Days of the week"), coerce=int, validate_choice=True, default=[], choices=[
        (1, _l("Monday")), (2, _l("Tuesday")), (3, _l("Wednesday")), (4, _l("Thursday")), (5, _l("Friday"))])

    @classmethod
    def from_query(cls) -> "WishForm":
        """The form as the page's URL query holds it, checked when there is one (its errors shown)."""
        from flask import request

        form = cls(formdata=request.args)
        if request.args:
            form.validate()
        return form

    def wish(self) -> Wish:
        """The wish the form holds; a field with an error counts as not given."""
        day = self.from_date.data if not self.from_date.errors else None
        part = self.part_of_day.data if not self.part_of_day.errors else None
        days = tuple(sorted(set(self.weekdays.data or []))) if not self.weekdays.errors else ()
        return Wish(not_before=day, part_of_day=part or None, weekdays=days if 0 < len(days) < 5 else None)


class PromptSelect(Select):
    """A grouped select that starts on an empty "choose" option, so nothing is picked for the user:
    a preselected first language sends an Arabic speaker's referral as Ukrainian when nobody looks."""

    def __init__(self, prompt):
        super().__init__()
        self.prompt = prompt

    def __call__(self, field, **kwargs):
        html = str(super().__call__(field, **kwargs))
        head, sep, rest = html.partition(">")
        chosen = " selected" if not field.data else ""
        return Markup(f'{head}{sep}<option value=""{chosen}>{escape(str(self.prompt))}</option>{rest}')
