"""The solver checker's violations in the lead's words: one sentence per broken rule, on its form field.

`solver.check` decides whether a plan keeps the rules; its messages name solver ids ("counsellor C3
is absent on 2027-12-07"). This module reads those messages and says the same thing with the
county's names, dates and times ("Hanne Vik is absent 7.–8. des. 2027"), keyed by the form field
the lead would change. A message it does not recognise falls back to the rule's general sentence,
so a new checker message is never lost, only less precise.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from babel.dates import format_interval
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from guidance.rules.deadlines import holiday_name, norwegian_holidays
from solver.check import Violation

# Form fields of the session form (planning.SessionEditForm).
DAY, TIME, ROOM, COUNSELLOR, INTERPRETER, MODE = "day", "start_time", "room_id", "counsellor_id", "interpreter_id", \
    "interpreter_mode"
TAKES_PART = "mode"  # on site or by video (the participant's way)


class Words:
    """Names and times of one instance and plan, for sentences about one moved session."""

    def __init__(self, instance: dict, plan: dict, session_id: str, room_names: dict[str, str]):
        self.instance = instance
        self.session_id = session_id
        self.sessions = {s["id"]: s for s in plan["sessions"]}
        self.counsellors = {c["id"]: c for c in instance["counsellors"]}
        self.interpreters = {i["id"]: i for i in instance["interpreters"]}
        self.locations = {loc["id"]: loc for loc in instance["locations"]}
        self.room_names = room_names

    @property
    def session(self) -> dict:
        return self.sessions[self.session_id]

    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.session["start"][:10])

    def name(self, solver_id: str) -> str:
        person = self.counsellors.get(solver_id) or self.interpreters.get(solver_id)
        return person["name"] if person else solver_id

    def reference(self, participant_id: str) -> str:
        """The referral's reference a lead knows (the solver's participant id is the referral's)."""
        from guidance.extensions import db
        from guidance.models import Referral
        from guidance.planning import ids

        try:
            referral = db.session.get(Referral, ids.db_id(participant_id, "R"))
        except ValueError:
            referral = None
        return referral.reference if referral is not None else participant_id

    def language(self, code: str) -> str:
        from flask_babel import get_locale

        from guidance.languages import language_name

        locale = str(get_locale() or "nb")[:2]
        name = language_name(code, locale)
        return name.lower() if locale in ("nb", "nn") else name   # Norwegian language names are common nouns

    def location(self, solver_id: str) -> str:
        if solver_id == "home":  # solver.check names so the place someone takes a session from by video
            return _("home")
        return self.locations.get(solver_id, {}).get("name", solver_id)

    def room(self, solver_id: str) -> str:
        return self.room_names.get(solver_id, solver_id)

    def times(self, session_id: str) -> str:
        s = self.sessions.get(session_id)
        return f"{s['start'][11:16]}–{s['end'][11:16]}" if s else ""

    def place_of(self, session_id: str) -> str:
        """Where a session of the plan is (the clash may be at an outreach office, out of the week the lead views)."""
        s = self.sessions.get(session_id)
        return self.location(s["location"]) if s else ""

    def other(self, violation: Violation, named: str) -> str:
        """The session the moved one collides with: the checker blames the later of the two."""
        return named if violation.session == self.session_id else (violation.session or named)

    def absence(self, person: dict, day: dt.date) -> str:
        for first, last in person.get("absences", []):
            if first <= day.isoformat() <= last:
                return date_range(dt.date.fromisoformat(first), dt.date.fromisoformat(last))
        return date_text(day)

    def opening(self, location_id: str) -> str:
        return ", ".join(f"{a}–{b}" for a, b in self.locations.get(location_id, {}).get("opening", []))



def _page_language() -> str | None:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else None

def date_text(day: dt.date) -> str:
    return format_date(day, "d. MMM y") if str(get_locale()).startswith(("nb", "nn")) else format_date(day, "d MMM y")


def date_range(first: dt.date, last: dt.date) -> str:
    """"7.–8. des. 2027" (one day: "7. des. 2027")."""
    if first == last:
        return date_text(first)
    return format_interval(first, last, "yMMMd", locale=get_locale())


def _weekday(day: dt.date) -> str:
    return format_date(day, "EEEE")


def _hhmm(text: str) -> str:
    return text.replace("-", "–")


Explain = Callable[[Words, Violation, re.Match], tuple[str, str]]
# (rule, pattern over the checker's message, explanation) in the order they are tried.
PATTERNS: list[tuple[int, str, Explain]] = [
    (1, r"not on the \d+-minute grid",
     lambda w, v, m: (TIME, _("Start on the quarter hour, for example 09:15."))),
    (1, r"must end after it starts on the same day",
     lambda w, v, m: (TIME, _("The session must end on the day it starts."))),
    (1, r"outside the horizon (\S+)\.\.(\S+)",
     lambda w, v, m: (DAY, _("Choose a date from %(first)s to %(last)s.",
                            first=date_text(dt.date.fromisoformat(m[1])), last=date_text(dt.date.fromisoformat(m[2]))))),
    (1, r"is not a workday",
     lambda w, v, m: (DAY, _("%(date)s is not a working day.", date=date_text(w.day())))),
    # The instance's holidays hold the county's own closure days too (Christmas Eve is not a public holiday).
    (1, r"is a holiday",
     lambda w, v, m: (DAY, _("%(date)s is a public holiday: %(name)s.", date=date_text(w.day()),
                             name=holiday_name(w.day(), _page_language()))
                      if w.day() in norwegian_holidays(w.day().year) else
                      _("The centres are closed on %(date)s.", date=date_text(w.day())))),
    (1, r"^(\d\d:\d\d-\d\d:\d\d) is outside the opening hours of (\S+)",
     lambda w, v, m: (TIME, _("%(time)s is outside the location's opening hours (%(hours)s).",
                             time=_hhmm(m[1]), hours=w.opening(m[2])))),
    (1, r"^(\S+) is not open on",
     lambda w, v, m: (DAY, _("%(location)s is not open on %(date)s.", location=w.location(m[1]),
                            date=date_text(w.day())))),
    (2, r"is before earliest (\S+)",
     lambda w, v, m: (DAY, _("The participant can come from %(date)s at the earliest.",
                            date=date_text(dt.date.fromisoformat(m[1]))))),
    (2, r"is after deadline (\S+)",
     lambda w, v, m: (DAY, _("The participant's deadline is %(date)s.", date=date_text(dt.date.fromisoformat(m[1]))))),
    (2, r"^participant (\S+) cannot come \S*T(\d\d:\d\d)-(\d\d:\d\d)",
     lambda w, v, m: (TIME, _("The referrer has said that the participant of %(reference)s cannot come %(time)s.",
                             reference=w.reference(m[1]), time=f"{m[2]}–{m[3]}"))),
    (2, r"^participant \S+ is also in overlapping session (\S+)",
     lambda w, v, m: (TIME, _("The participant has another session %(time)s at %(place)s.",
                             time=w.times(w.other(v, m[1])), place=w.place_of(w.other(v, m[1]))))),
    (2, r"^participant \S+ has -?\d+ min from \S+ at (\S+) to (\S+); travel takes (\d+) min",
     lambda w, v, m: (TIME, _("The participant has another session that day and cannot get between %(first)s and "
                             "%(second)s in time: the journey takes %(minutes)s minutes.", first=w.location(m[1]),
                             second=w.location(m[2]), minutes=m[3]))),
    (3, r"^counsellor (\S+) does not work at (\S+)",
     lambda w, v, m: (COUNSELLOR, _("%(name)s does not work at %(location)s.", name=w.name(m[1]),
                                   location=w.location(m[2])))),
    (3, r"^counsellor (\S+) is not at (\S+) on",
     lambda w, v, m: (COUNSELLOR, _("%(name)s is not at %(location)s on %(weekday)s.", name=w.name(m[1]),
                                   location=w.location(m[2]), weekday=_weekday(w.day())))),
    (3, r"^counsellor (\S+) does not work (\d\d:\d\d-\d\d:\d\d)",
     lambda w, v, m: (COUNSELLOR, _("%(name)s does not work %(time)s on %(weekday)s.", name=w.name(m[1]),
                                   time=_hhmm(m[2]), weekday=_weekday(w.day())))),
    (3, r"^counsellor (\S+) is absent on",
     lambda w, v, m: (COUNSELLOR, _("%(name)s is absent %(dates)s.", name=w.name(m[1]),
                                   dates=w.absence(w.counsellors[m[1]], w.day())))),
    # `busy`: hours away that day, or a time the person said no to (planning/instance.py, said_no).
    (3, r"^counsellor (\S+) is busy \S*T(\d\d:\d\d)-(\d\d:\d\d)",
     lambda w, v, m: (COUNSELLOR, _("%(name)s cannot take a session %(time)s: away then, or said no to that time.",
                                   name=w.name(m[1]), time=f"{m[2]}–{m[3]}"))),
    (3, r"^counsellor (\S+) has (\d+) sessions on (\S+) \(max (\d+)\)",
     lambda w, v, m: (COUNSELLOR, _("%(name)s already has %(max)s sessions on %(date)s, the most they can take.",
                                   name=w.name(m[1]), max=m[4], date=date_text(dt.date.fromisoformat(m[3]))))),
    (3, r"^counsellor (\S+) is also in overlapping session (\S+)",
     lambda w, v, m: (COUNSELLOR, _("%(name)s has another session %(time)s at %(place)s.", name=w.name(m[1]),
                                   time=w.times(w.other(v, m[2])), place=w.place_of(w.other(v, m[2]))))),
    (3, r"^counsellor (\S+) has -?\d+ min from \S+ at (\S+) to (\S+); travel takes (\d+) min",
     lambda w, v, m: (COUNSELLOR, _("%(name)s cannot get between %(first)s and %(second)s in time: the journey takes "
                                   "%(minutes)s minutes.", name=w.name(m[1]), first=w.location(m[2]),
                                   second=w.location(m[3]), minutes=m[4]))),
    (4, r"^counsellor (\S+) lacks multicultural training",
     lambda w, v, m: (COUNSELLOR, _("%(name)s has not completed the multicultural-guidance training that "
                                   "participants under the Integration Act or the temporary act need.",
                                   name=w.name(m[1])))),
    (5, r"^participant (\S+) \((\S+)\) is not covered",
     lambda w, v, m: (INTERPRETER, _("%(name)s does not speak %(language)s, the language of %(reference)s, and the "
                                    "session has no interpreter for it: choose an interpreter for %(language)s, or "
                                    "another counsellor.", name=w.name(w.session["counsellor"]),
                                    language=w.language(m[2]), reference=w.reference(m[1])))),
    (5, r"is not covered",
     lambda w, v, m: (INTERPRETER, _("%(name)s does not speak the participant's language: choose an interpreter.",
                                    name=w.name(w.session["counsellor"])))),
    (6, r"^interpreter (\S+) does not interpret",
     lambda w, v, m: (INTERPRETER, _("%(name)s does not interpret the participant's language.", name=w.name(m[1])))),
    (6, r"^interpreter (\S+) does not work in mode",
     lambda w, v, m: (MODE, _("%(name)s does not interpret this way.", name=w.name(m[1])))),
    (6, r"^interpreter (\S+) is not available (\d\d:\d\d-\d\d:\d\d)",
     lambda w, v, m: (INTERPRETER, _("%(name)s does not work %(time)s on %(weekday)s.", name=w.name(m[1]),
                                    time=_hhmm(m[2]), weekday=_weekday(w.day())))),
    (6, r"^interpreter (\S+) is absent on",
     lambda w, v, m: (INTERPRETER, _("%(name)s is absent %(dates)s.", name=w.name(m[1]),
                                    dates=w.absence(w.interpreters[m[1]], w.day())))),
    (6, r"^interpreter (\S+) is busy \S*T(\d\d:\d\d)-(\d\d:\d\d)",
     lambda w, v, m: (INTERPRETER, _("%(name)s cannot interpret %(time)s: away then, or said no to that time.",
                                    name=w.name(m[1]), time=f"{m[2]}–{m[3]}"))),
    (6, r"^interpreter (\S+) is also in overlapping session (\S+)",
     lambda w, v, m: (INTERPRETER, _("%(name)s interprets in another session %(time)s.", name=w.name(m[1]),
                                    time=w.times(w.other(v, m[2]))))),
    (6, r"^interpreter (\S+) has -?\d+ min from \S+ at (?:home to (\S+)|(\S+) to home); travel takes (\d+) min",
     lambda w, v, m: (INTERPRETER, _("%(name)s interprets by video or phone from home and cannot get between home "
                                    "and %(location)s in time: the journey takes %(minutes)s minutes.",
                                    name=w.name(m[1]), location=w.location(m[2] or m[3]), minutes=m[4]))),
    (6, r"^interpreter (\S+) has -?\d+ min from \S+ at (\S+) to (\S+); travel takes (\d+) min",
     lambda w, v, m: (INTERPRETER, _("%(name)s cannot get between %(first)s and %(second)s in time: the journey "
                                    "takes %(minutes)s minutes.", name=w.name(m[1]), first=w.location(m[2]),
                                    second=w.location(m[3]), minutes=m[4]))),
    (7, r"^video session in room (\S+) without video",
     lambda w, v, m: (ROOM, _("%(room)s has no video equipment.", room=w.room(m[1])))),
    (7, r"^video interpreter in room (\S+) without video",
     lambda w, v, m: (MODE, _("%(room)s has no video equipment for a video interpreter.", room=w.room(m[1])))),
    (7, r"^participant (\S+) cannot take a video session",
     lambda w, v, m: (TAKES_PART, _("The referral of %(reference)s does not say the participant can take part by video: "
                                   "if they can, say so under \"Can come\" on the referral page, then move the session.",
                                   reference=w.reference(m[1])))),
    (7, r"video is only for individual sessions",
     lambda w, v, m: (TAKES_PART, _("A group session is held on site."))),
    (7, r"phone interpreting is only for individual sessions",
     lambda w, v, m: (MODE, _("Phone interpreting is only for individual sessions."))),
    (8, r"^room (\S+) is also used by overlapping session (\S+)",
     lambda w, v, m: (ROOM, _("%(room)s is taken %(time)s by another session.", room=w.room(m[1]),
                             time=w.times(w.other(v, m[2]))))),
    (8, r"do not fit room (\S+) \(capacity (\d+)\)",
     lambda w, v, m: (ROOM, _("%(room)s is too small: it takes %(capacity)s.", room=w.room(m[1]),
                             capacity=m[2]))),
    (9, r"travels (\d+) min to (\S+) \(max (\d+)\)",
     lambda w, v, m: (ROOM, _("%(location)s is too far from where the participant lives: %(minutes)s minutes each "
                             "way, at most %(max)s.", location=w.location(m[2]), minutes=m[1], max=m[3]))),
]


def explain(words: Words, violations: list[Violation], general: Callable[[int], str]) -> dict[str, list[str]]:
    """Field name -> the lead's sentences for `violations` (each sentence once)."""
    out: dict[str, list[str]] = {}
    for v in violations:
        field, sentence = TIME, general(v.rule)
        for rule, pattern, words_for in PATTERNS:
            match = re.search(pattern, v.message) if rule == v.rule else None
            if match:
                field, sentence = words_for(words, v, match)
                break
        if sentence not in out.setdefault(field, []):
            out[field].append(sentence)
    return {k: v for k, v in out.items() if v}
