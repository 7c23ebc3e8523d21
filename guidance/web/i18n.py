"""Language and time zone selection: user preference, then the switcher, then the browser."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # services called from the CLI, jobs or tests: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    # While the database is unreachable the user cannot be loaded: fall back to session and browser.
    if not g.get("database_unavailable") and current_user and current_user.is_authenticated \
            and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages + ["no", "nn"], default="nb").replace("no", "nb").replace("nn", "nb")


def select_timezone() -> str:
    return "Europe/Oslo"
