"""Template helpers: dates (Europe/Oslo) and numbers through Babel in the page's locale, the role's navigation."""
from __future__ import annotations

from markupsafe import Markup

import datetime as dt
import functools

from babel.dates import format_skeleton
from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from guidance import clock
from guidance.rules.deadlines import holiday_name
from guidance.rules.access import may
from guidance.services import absences
from guidance.labels import all_labels, money
from guidance.planning.wish import Wish
from guidance.web.navigation import current_entry, menu_for_current_user


def _instant(value: dt.datetime) -> dt.datetime:
    """Babel reads a naive datetime as UTC and shifts it to Oslo: a naive Oslo wall-clock time would
    show one hour late (two in summer). Only aware instants may reach a formatter."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise TypeError("naive datetime given to a date formatter; pass an aware instant")
    return value


def _memoized(formatter):
    """`formatter(value, fmt)` computed once per value, pattern, locale and time zone: a run's week lists
    200 sessions on a few dozen slot times, and Babel takes tens of microseconds a date. The text depends
    on nothing else (the type is in the key: a date and a datetime may hash alike)."""

    @functools.lru_cache(maxsize=4096)
    def cached(kind: type, value, fmt: str, locale: str, timezone: str) -> str:
        return formatter(value, fmt)

    def call(value, fmt: str) -> str:
        return cached(type(value), value, clock.pattern_for_language(fmt), str(get_locale()), str(get_timezone()))

    return call


def register_template_helpers(app: Flask) -> None:
    date_text = _memoized(format_date)
    datetime_text = _memoized(lambda value, fmt: format_datetime(_instant(value), fmt))
    app.jinja_env.globals["this_week_label"] = this_week_label
    app.jinja_env.filters["date"] = lambda value, fmt="medium": date_text(value, clock.year_shown(fmt, value)) \
        if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": datetime_text(
        value, clock.year_shown(fmt, _instant(value))) if value else ""
    app.jinja_env.filters["time"] = lambda value: datetime_text(value, "HH:mm") if value else ""
    # A date stored as ISO text ("2026-12-17": an outreach venue's single dates) as a date for `date`.
    app.jinja_env.filters["isodate"] = lambda text: dt.date.fromisoformat(text) if text else None
    # Dates as people write them: "4. desember" (this year) / "4. desember 2027", "uke 49".
    app.jinja_env.filters["day"] = day_text
    app.jinja_env.filters["week"] = week_text
    app.jinja_env.filters["can_come"] = can_come_text
    app.jinja_env.tests["can_come_limited"] = lambda referral: Wish.of_referral(referral).any
    # "1 234" and "1 234,50 kr" in nb and nn, "1,234" and "NOK 1,234.50" in en.
    app.jinja_env.filters["number"] = lambda value: format_decimal(value or 0, "#,##0")
    app.jinja_env.filters["decimal"] = lambda value: format_decimal(value or 0, "#,##0.##")
    app.jinja_env.filters["money"] = money
    # A reference whole on a line: "H-" over "PP3D-V9" on a phone read as two things.
    app.jinja_env.filters["ref"] = lambda value: Markup('<span class="ref">%s</span>') % value if value else ""
    app.jinja_env.filters["kroner"] = lambda nok: money(round((nok or 0) * 100))
    # "8.–10. desember", "8. desember, 10:00–12:00": one wording for an absence on every page and in the e-mail.
    app.jinja_env.filters["absence_period"] = absences.period_text

    app.jinja_env.globals["centre_contacts"] = centre_contacts
    # The public holiday a closed day is, in the page's language ("Langfredag"): "closed" alone did not say why.
    app.jinja_env.globals["holiday_name"] = lambda day: holiday_name(
        day, get_locale().language if get_locale() else None) if day else None
    # Whether the account menu offers "Notices": the user has notices to choose how to get (a lead who counsels too).
    from guidance.services.notices import kinds_for

    app.jinja_env.globals["notice_kinds"] = kinds_for

    @app.context_processor
    def inject():
        return {"may": lambda action, target: may(current_user, action, target), "current_locale": get_locale().language if get_locale() else "nb",
                "menu": menu_for_current_user,
                "current_entry": current_entry,
                **all_labels()}


def centre_contacts() -> list:
    """The phone numbers and e-mail addresses of the career centres of the signed-in referrer's county,
    the nearest first."""
    from guidance.services.setup import contacts_of

    municipality = getattr(current_user, "municipality", None)
    return contacts_of(municipality) if municipality is not None else []


def _oslo_date(value: dt.date | dt.datetime) -> dt.date:
    return clock.local_date(value) if isinstance(value, dt.datetime) else value


def day_text(value: dt.date | dt.datetime | None) -> str:
    """The Oslo date as people write it in the page's language: "4. desember" this year,
    "4. desember 2027" another year (a stored instant is read in Europe/Oslo)."""
    if value is None:
        return ""
    day = _oslo_date(value)
    if day.year == clock.today().year:
        return format_skeleton("MMMMd", day, locale=get_locale())
    return format_date(day, "long")


def week_text(value: dt.date | dt.datetime | None) -> str:
    """The ISO week of the Oslo date: "uke 49" (Norwegian weeks are ISO weeks)."""
    if value is None:
        return ""
    return _("week %(num)d", num=_oslo_date(value).isocalendar().week)


def can_come_text(referral) -> str:
    """When the referral says the participant can come, in words: "tysdag og onsdag, før 12:00"; "any working
    day" when it says nothing."""
    from babel.dates import get_day_names
    from babel.lists import format_list

    days = sorted(referral.can_come_weekdays or [])
    names = get_day_names("wide", locale=get_locale())
    part = {"morning": _("before 12:00"), "afternoon": _("from 12:00")}.get(referral.can_come_part or "")
    said = format_list([names[d - 1] for d in days], locale=get_locale()) if days else _("any working day")
    return _("%(days)s, %(part)s", days=said, part=part) if part else said


def this_week_label() -> str:
    """The words of the link to the week a week view opens on (rules.week): at the weekend that is the
    coming week, and the link must not call it "this week"."""
    from guidance.rules.week import opening_monday, opens_on_next_week

    today = clock.today()
    if opens_on_next_week(today):
        # "The coming week" beside "Next week" read as two names of one week: say which.
        return _("Week %(number)d, from Monday", number=opening_monday(today).isocalendar()[1])
    return _("This week")
