"""Language and time zone selection for pages; the order is documented in rules.language."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user

from guidance.rules import language as forms


# English pages write dates and times as people in Norway read them: day before month, a 24-hour
# clock ("18/12/2026, 08:00", not "12/18/26, 8:00 AM"); the translations are the "en" catalogue.
FORMATTING = {"en": "en_GB"}


def select_locale() -> str:
    code = _chosen_language()
    return FORMATTING.get(code, code)


def _chosen_language() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # services called from the CLI, jobs or tests: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.blueprint == "api":
        # The case systems' developers read the API's answers: English, as its field names and document are,
        # unless the request asks for Norwegian (its errors then come in the intake's own words).
        best = request.accept_languages.best_match(languages + ["no"], default="en")
        return forms.BOKMAL if best == "no" else best
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    # A page opened from an e-mailed link (an invitation, an interpreter's request) speaks the
    # e-mail's language to the person it was for, whatever their browser asks for.
    recipient = g.get("link_recipient")
    if recipient is not None and not (current_user and current_user.is_authenticated):
        return forms.for_recipient(recipient)
    # While the database is unreachable the user cannot be loaded: session and browser only.
    if not g.get("database_unavailable") and current_user and current_user.is_authenticated:
        if current_user.language in languages:
            return current_user.language
        followed = forms.default_for_user(current_user)
        if followed in languages:
            return followed
    # "no" (Norwegian, unspecified) reads as bokmål.
    best = request.accept_languages.best_match(languages + ["no"], default=forms.BOKMAL)
    return forms.BOKMAL if best == "no" else best


def speak_to(user) -> None:
    """This request's page is for `user`, who came by a link in an e-mail written in their language."""
    from flask_babel import refresh

    g.link_recipient = user
    refresh()


def keep_speaking_to(user) -> None:
    """The pages after this one (the login an invitation leads to) stay in `user`'s language: the login page
    had followed the browser, English under a nynorsk "Your password is saved"."""
    session["language"] = forms.for_recipient(user)


def select_timezone() -> str:
    return "Europe/Oslo"


class FormMessages:
    """WTForms' own messages ("Not a valid date value.", "Field cannot be longer than ...") through the
    app's catalogs: WTForms ships no nynorsk, so a nynorsk page said them in English. The msgids are
    WTForms' own (guidance/translations: "WTForms' messages")."""

    def gettext(self, string: str) -> str:
        from flask_babel import get_translations

        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        from flask_babel import get_translations

        return get_translations().ungettext(singular, plural, n)


def use_app_catalogs_for_forms() -> None:
    """Every FlaskForm asks FormMessages for WTForms' built-in messages."""
    import flask_wtf.form

    flask_wtf.form.translations = FormMessages()
