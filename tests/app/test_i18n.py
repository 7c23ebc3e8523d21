"""Norwegian bokmål by default, nynorsk and English too; the county's language form; dates in Europe/Oslo."""
import datetime as dt

import pytest

from guidance.models import Role
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # catalogues, formats and the language choice are decided in Python


def test_login_page_is_norwegian_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="nb">' in page
    assert "Logg inn" in page and "E-postadresse" in page


def test_browser_language_english_is_honoured(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page


def test_switcher_changes_language_and_returns_to_the_page(client):
    response = client.post("/language", data={"language": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert "E-mail address" in client.get("/login").get_data(as_text=True)


def test_user_preference_wins_over_the_browser(client):
    person = f.user(Role.LEAD, language="en")
    f.login(client, person)
    page = client.get("/", headers={"Accept-Language": "nb"}).get_data(as_text=True)
    assert "Career centre – Vestland" in page


def test_switching_language_while_logged_in_is_remembered(client, app):
    person = f.user(Role.LEAD)
    f.login(client, person)
    client.post("/language", data={"language": "en", "next": "/"})
    again = app.test_client()
    f.login(again, person)
    assert "Career centre" in again.get("/").get_data(as_text=True)


def test_dates_are_formatted_in_norwegian(client):
    w = f.world()
    w.own_referral.deadline = dt.date(2027, 3, 3)
    from guidance.extensions import db

    db.session.commit()
    f.login(client, w.referrer)
    assert "3. mars 2027" in client.get("/referrals/").get_data(as_text=True)


@pytest.mark.parametrize("locale", ["nb", "nn"])
def test_every_string_in_code_and_templates_has_a_translation(locale):
    """Extract exactly as scripts/update-translations does, and compare with the nb and nn catalogues."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).parents[2]
    method_map = [("guidance/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
                "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
    in_code = {
        (context, message if isinstance(message, str) else message[0])
        for _file, _line, message, _comments, context in extract_from_dir(str(root), method_map, keywords=keywords)
    }
    with (root / f"guidance/translations/{locale}/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
    }
    assert sorted(in_code - translated) == []


@pytest.mark.parametrize("locale", ["nb", "nn"])
def test_each_string_is_translated_once(locale):
    """Branches append to the catalogues and merge by union: a string entered twice gets one of two
    translations at random (whichever the compiler keeps), so a second entry fails here."""
    import re
    from collections import Counter
    from pathlib import Path

    text = (Path(__file__).parents[2] / f"guidance/translations/{locale}/LC_MESSAGES/messages.po").read_text("utf-8")
    entries = [block for block in re.split(r"\n\s*\n", text) if "\nmsgid " in "\n" + block]
    keys = []
    for block in entries:
        if block.lstrip().startswith("#~"):
            continue  # obsolete entries are not compiled
        context = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        keys.append(((context.group(1) if context else ""), msgid.group(1).strip()))
    assert [key for key, count in Counter(keys).items() if count > 1 and key[1] != '""'] == []


def test_a_date_shown_again_reads_in_each_pages_language_and_oslo_time(app):
    """Date texts are remembered (a week lists the same slot times 200 times): per language, so the
    same instant still reads in the language of each page that shows it."""
    from flask import render_template_string
    from flask_babel import force_locale

    winter = dt.datetime(2027, 1, 11, 8, 0, tzinfo=dt.timezone.utc)  # 09:00 in Oslo
    summer = dt.datetime(2027, 6, 14, 8, 0, tzinfo=dt.timezone.utc)  # 10:00 in Oslo
    texts = []
    from guidance import clock

    with app.test_request_context(), clock.moved_to(dt.datetime(2027, 1, 4, 9, tzinfo=dt.timezone.utc)):
        for language, instant in (("nb", winter), ("en", winter), ("nb", winter), ("nb", summer)):
            with force_locale(language):
                texts.append(render_template_string("{{ t | date('EEEE d. MMMM') }} {{ t | time }}", t=instant))
    assert texts == ["mandag 11. januar 09:00", "Monday 11 January 09:00", "mandag 11. januar 09:00",
                     "mandag 14. juni 10:00"]


@pytest.mark.parametrize("language, counsellor, interpreter", [
    ("nb", "(karriereveileder)", "(tolk)"), ("nn", "(karriererettleiar)", "(tolk)"), ("en", "(counsellor)", "(interpreter)")])
def test_the_absence_form_names_who_is_a_counsellor_and_who_an_interpreter_in_the_pages_language(
        client, language, counsellor, interpreter):
    w = f.world()
    f.login(client, w.lead, language=language)
    page = client.get("/planning/absences").get_data(as_text=True)
    assert f"{w.counsellor.name} {counsellor}" in page and f"{w.interpreter.name} {interpreter}" in page


@pytest.mark.parametrize("locale", ["nb", "nn", "en"])
def test_every_language_a_participant_may_speak_has_a_name_of_its_own(app, locale):
    # "Norsk" twice (the bokmål label and CLDR's "no") left a referrer guessing which to pick.
    from flask_babel import force_locale

    from guidance.languages import choices

    with app.test_request_context(), force_locale(locale):
        common, others = choices(locale)
        names = [name.casefold() for _, name in common + others]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
