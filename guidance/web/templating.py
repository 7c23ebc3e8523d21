"""Template helpers: dates (Europe/Oslo) and numbers through Babel in the page's locale, the role's navigation."""
from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from guidance.rules.access import may
from guidance.labels import all_labels
from guidance.web.navigation import menu_for_current_user


def _instant(value: dt.datetime) -> dt.datetime:
    """Babel reads a naive datetime as UTC and shifts it to Oslo: a naive Oslo wall-clock time would
    show one hour late (two in summer). Only aware instants may reach a formatter."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise TypeError("naive datetime given to a date formatter; pass an aware instant")
    return value


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(_instant(value), fmt) if value else ""
    app.jinja_env.filters["time"] = lambda value: format_datetime(_instant(value), "HH:mm") if value else ""
    # "1 234" and "1 234,50 kr" in nb and nn, "1,234" and "NOK 1,234.50" in en.
    app.jinja_env.filters["number"] = lambda value: format_decimal(value or 0, "#,##0")
    app.jinja_env.filters["money"] = lambda ore: format_currency((ore or 0) / 100, "NOK")

    @app.context_processor
    def inject():
        return {"may": lambda action, target: may(current_user, action, target), "current_locale": str(get_locale()),
                "menu": menu_for_current_user,
                **all_labels()}
