"""Template helpers: dates (Europe/Oslo) and numbers through Babel in the page's locale, the role's navigation."""
from __future__ import annotations

from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from guidance.rules.access import may
from guidance.labels import all_labels
from guidance.web.navigation import menu_for_current_user


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["time"] = lambda value: format_datetime(value, "HH:mm") if value else ""
    # "1 234" and "1 234,50 kr" in nb and nn, "1,234" and "NOK 1,234.50" in en.
    app.jinja_env.filters["number"] = lambda value: format_decimal(value or 0, "#,##0")
    app.jinja_env.filters["money"] = lambda ore: format_currency((ore or 0) / 100, "NOK")

    @app.context_processor
    def inject():
        return {"may": lambda action, target: may(current_user, action, target), "current_locale": str(get_locale()),
                "menu": menu_for_current_user,
                **all_labels()}
