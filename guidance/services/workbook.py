"""A county as one workbook: export, template, and an all-or-nothing import (issue 21).

The sheets and their columns are documented in docs/county-workbook.md. Reading a cell (a date,
a whole number, yes/no) happens here; every rule about what a location, room, counsellor,
interpreter or setting may be is the set-up pages' own (`services.setup`, `services.people`):
their field errors are reported against the sheet's row and column.

Import updates entries by a natural key (location name; room name within its location;
counsellor e-mail; interpreter e-mail, else register id) and never deletes: rows left out stay as
they are, and the `active` column deactivates. One transaction; nothing is written if any row
is wrong; one audit event with the counts.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from guidance import clock, languages
from guidance.extensions import db
from guidance.models import (
    CareerCentre,
    County,
    CounsellorProfile,
    InterpreterProfile,
    Location,
    Municipality,
    Role,
    Room,
    User,
)
from guidance.rules.access import may
from guidance.services import audit, invitations, mail, people, setup, sheets
from guidance.services.errors import DomainError
from guidance.services.unit_of_work import unit_of_work

LOCATION_DAYS = ("mon", "tue", "wed", "thu", "fri")
PERSON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NUMBER = {name: n for n, name in enumerate(PERSON_DAYS, start=1)}
# A weekday as leads write it in `counsellors.locations` ("Utekontor Voss (tue, thu)" or "(tirsdag)"): English,
# bokmål and nynorsk, whole or by their first three letters; Monday to Friday, as the counsellor page asks them.
DAY_WORDS = {**{name: n for name, n in WEEKDAY_NUMBER.items() if n <= 5},
             "man": 1, "mån": 1, "tir": 2, "tys": 2, "ons": 3, "tor": 4, "fre": 5}

COLUMNS: dict[str, list[str]] = {
    "settings": ["individual_minutes", "group_minutes", "group_min_size", "group_max_size", "max_travel_minutes",
                 "booking_answer_hours", "category_step_nok", "interpreter_late_cancel_hours", "reminder_working_days", "publish_notice_days", "session_idle_minutes"],
    "closure_days": ["date"],
    # Journeys the straight-line travel rule gets wrong (a ferry, a mountain pass), one way, between two municipalities.
    "known_travel": ["from", "to", "minutes"],
    "interpreter_budgets": ["month", "amount_nok"],
    "locations": ["name", "centre", "municipality", "address", "directions", "step_free", "outreach",
                  *LOCATION_DAYS, "weekly_pattern", "open_dates", "active"],
    "rooms": ["location", "name", "capacity", "video", "active"],
    # How referrers and participants reach each centre (a centre is made by naming it in `locations`).
    "centres": ["name", "phone", "email"],
    "counsellors": ["email", "name", "multicultural", "multicultural_completed_on", "languages", *PERSON_DAYS,
                    "locations", "max_sessions_per_day", "employment_start", "employment_end", "video_link", "active"],
    "interpreters": ["email", "name", "phone", "municipality", "languages", "register_id", "register_checked_on",
                     "modes", "hourly_rate", "min_billed_minutes", "travel_rate", *PERSON_DAYS, "booking_channel",
                     "agency_name", "active"],
}
LANGUAGE_SHEET = "language_codes"  # in the downloads only: every code the languages columns take, with its name

REQUIRED = {
    "settings": [], "closure_days": ["date"], "known_travel": ["from", "to", "minutes"],
    "interpreter_budgets": ["month", "amount_nok"],
    "locations": ["name", "municipality"],
    "rooms": ["location", "name", "capacity"], "centres": ["name"], "counsellors": ["email", "name", "languages"],
    "interpreters": ["email", "name", "municipality", "languages", "modes", "hourly_rate"],
}
YES = {"yes", "y", "ja", "j", "true", "1", "x"}
NO = {"no", "n", "nei", "false", "0"}


@dataclass
class Problem:
    sheet: str
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str
    value: str = ""  # what the cell holds, shown beside the problem (a long cell cut short)


class WorkbookRejected(DomainError):
    """Nothing was written: every problem found, by sheet, row and column."""

    def __init__(self, problems: list[Problem]):
        super().__init__(_("Nothing was imported. Correct the workbook and upload it again."))
        self.problems = sorted(problems, key=lambda p: (list(COLUMNS).index(p.sheet) if p.sheet in COLUMNS else 99,
                                                        p.row, p.column))


@dataclass
class Imported:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    new_users: list = field(default_factory=list)   # accounts the import made (invited by import_workbook)
    closure_days_removed: list = field(default_factory=list)   # the sheet replaces the list: what it dropped
    known_travel_removed: list = field(default_factory=list)   # likewise: "Bergen – Stord" no longer known
    invited: int = 0


# ---------------------------------------------------------------------------- export and template


def export(county: County) -> dict[str, list[list[str]]]:
    """Every sheet of the county, rows sorted by their natural key (the header first)."""
    out = {name: [list(columns)] for name, columns in COLUMNS.items()}
    out["settings"].append([_whole(getattr(county, c)) for c in COLUMNS["settings"]])
    out["closure_days"] += [[d] for d in county.closure_days or []]
    names = {m.number: _municipality_label(m) for m in county.municipalities}
    out["known_travel"] += [[names.get(t["from"], t["from"]), names.get(t["to"], t["to"]), str(t["minutes"])]
                            for t in county.known_travel or []]
    out["interpreter_budgets"] += [[b.month.strftime("%Y-%m"), _whole(b.amount_ore // 100)]
                                   for b in sorted(setup.budgets_of(county), key=lambda b: b.month)]
    locations = sorted(setup.locations_of(county), key=lambda loc: (loc.name.lower(), loc.id))
    for loc in locations:
        hours = [", ".join(f"{a}-{b}" for a, b in (loc.weekly_hours or {}).get(str(d), []))
                 for d in range(1, len(LOCATION_DAYS) + 1)]
        pattern = ", ".join(f"{PERSON_DAYS[int(p['weekday']) - 1]} {p.get('weeks', 'every')}"
                            for p in loc.open_pattern or [])
        out["locations"].append([loc.name, loc.centre.name, _municipality_label(loc.municipality), loc.address or "",
                                 loc.directions or "", _yes(loc.step_free), _yes(loc.outreach), *hours, pattern,
                                 ", ".join(loc.open_dates or []), _yes(loc.active)])
        for room in sorted(loc.rooms, key=lambda r: (r.name.lower(), r.id)):
            out["rooms"].append([loc.name, room.name, str(room.capacity), _yes(room.video), _yes(room.active)])
    for centre in sorted(setup.centres_of(county), key=lambda c: (c.name.lower(), c.id)):
        out["centres"].append([centre.name, centre.phone or "", centre.email or ""])
    for p in sorted(people.counsellors_of(county.id), key=lambda p: p.user.email):
        out["counsellors"].append([
            p.user.email, p.user.name, _yes(p.multicultural), _iso(p.multicultural_completed_on),
            ", ".join(p.languages or []), *_person_days(p.weekly),
            "; ".join(_with_days(p, loc) for loc in sorted(p.locations, key=lambda loc: loc.name)),
            str(p.max_sessions_per_day),
            _iso(p.employment_start), _iso(p.employment_end), p.video_link or "", _yes(p.active)])
    for p in sorted(people.interpreters_of(county.id), key=lambda p: p.user.email):
        out["interpreters"].append([
            p.user.email, p.user.name, p.user.phone or "", _municipality_label(p.municipality),
            ", ".join(f"{lang.language} {people.category_letter(lang.category)}"
                      for lang in sorted(p.languages, key=lambda lang: lang.language)),
            p.register_id or "", _iso(p.register_checked_on), ", ".join(p.modes or []), _kroner(p.hourly_rate_ore),
            str(p.min_billed_minutes), _kroner(p.travel_rate_ore), *_person_days(p.weekly), p.booking_channel,
            p.agency_name or "", _yes(p.active)])
    return out


def export_xlsx(actor, county: County) -> bytes:
    """The county's workbook as an .xlsx file; the download is audited (it names the county's people)."""
    content = sheets.write_xlsx(_with_language_codes(export(county)))
    audit.record(actor, "county.workbook_exported", county)
    db.session.commit()
    return content


def template_xlsx(county: County) -> bytes:
    return sheets.write_xlsx(_with_language_codes(template(county)))


def template(county: County) -> dict[str, list[list[str]]]:
    """The sheets with one example row each. The example people and place are refused when uploaded as
    they are (`_refuse_examples`): they show the format, they are not the county's."""
    today = clock.today()
    if not county.municipalities:
        return {name: [list(columns)] for name, columns in COLUMNS.items()}   # nothing to make an example of
    town = max(county.municipalities, key=lambda m: m.population)
    place = _municipality_label(town)
    out = {name: [list(columns)] for name, columns in COLUMNS.items()}
    out["settings"].append([_whole(getattr(county, c)) for c in COLUMNS["settings"]])
    out["closure_days"].append([f"{today.year}-12-24"])
    out["locations"].append([f"Karrieresenter {town.name}", f"Karrieresenter {town.name}", place, "Strandgata 1",
                             "2. etasje", "yes", "no", "08:00-11:30, 12:00-16:00", "08:00-16:00", "08:00-16:00",
                             "08:00-16:00", "08:00-14:00", "", "", "yes"])
    out["rooms"].append([f"Karrieresenter {town.name}", "Samtalerom 1", "1", "yes", "yes"])
    out["centres"].append([f"Karrieresenter {town.name}", "+47 400 00 000", "karrieresenter@example.no"])
    out["counsellors"].append(["kari.nordmann@example.no", "Kari Nordmann", "yes", "2024-03-01", "nb, en, uk",
                               "08:00-15:30", "08:00-15:30", "08:00-15:30", "08:00-15:30", "08:00-15:30", "", "",
                               f"Karrieresenter {town.name}", "4", "", "", "https://meet.example.no/kari-nordmann",
                               "yes"])
    out["interpreters"].append(["tolk@example.no", "Ola Tolk", "+47 400 00 000", place, "uk A, ru C", "T12345",
                                (today.replace(day=1)).isoformat(), "onsite, video, phone", "720", "60", "360",
                                "08:00-16:00", "08:00-16:00", "08:00-16:00", "08:00-16:00", "08:00-16:00", "", "",
                                "direct", "", "yes"])
    return out


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _whole(value: int | None) -> str:
    return "" if value is None else str(value)


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _kroner(ore: int | None) -> str:
    if ore is None:
        return ""
    return str(ore // 100) if ore % 100 == 0 else f"{ore // 100},{ore % 100:02d}"


def _person_days(weekly: dict | None) -> list[str]:
    return [", ".join(f"{a}-{b}" for a, b in (weekly or {}).get(str(d), [])) for d in range(1, len(PERSON_DAYS) + 1)]


def _municipality_label(m: Municipality) -> str:
    """The name, or the number where two municipalities share the name (Herøy, Våler)."""
    same = db.session.scalar(select(db.func.count()).select_from(Municipality).where(Municipality.name == m.name))
    return m.name if same == 1 else m.number


# ---------------------------------------------------------------------------- import


def import_workbook(actor, county: County, book: dict[str, list[list[str]]]) -> Imported:
    """Apply the workbook and commit, or raise `WorkbookRejected` with nothing written. Every
    account the import made gets an invitation (services/invitations.py) in the same transaction."""
    with unit_of_work() as uow:
        result = apply_workbook(actor, county, book)
        messages = [m for user in result.new_users for m in invitations.queue_if_usable(actor, user)]
        result.invited = len(messages)
        uow.after_commit(mail.deliver_later, messages)
    return result


def apply_workbook(actor, county: County, book: dict[str, list[list[str]]]) -> Imported:
    """Apply the workbook in the current transaction (the caller commits); on any problem roll back
    and raise `WorkbookRejected`. Adds the audit event."""
    problems: list[Problem] = []
    readable: list[Problem] = []
    tables = _tables(book, problems, readable)
    if problems:   # sheets or columns the rows cannot be read without
        raise WorkbookRejected(problems + readable)
    # A column the import does not know is named with the rows' problems, not alone (one "notes" column hid the
    # ten mistakes in the rows until it was removed).
    problems.extend(readable)
    # The template's example rows are named with every other problem of the rows (named alone, the other
    # problems came one upload later); the import then rolls back as for any problem.
    _refuse_examples(county, tables, problems)
    result = Imported()
    _Import(actor, county, tables, problems, result).run()
    if problems:
        db.session.rollback()
        raise WorkbookRejected(problems)
    audit.record(actor, "county.workbook_imported", county,
                 {"created": dict(result.created), "updated": dict(result.updated)})
    db.session.flush()
    return result


def read_upload(raw: bytes, filename: str) -> dict[str, list[list[str]]]:
    """The sheets of an uploaded file, or `WorkbookRejected` when it cannot be read at all."""
    try:
        return sheets.read(raw, filename)
    except sheets.Unreadable:
        raise WorkbookRejected([Problem("", 1, "", _("The file could not be read. Upload an .xlsx workbook, a CSV "
                                                     "file named after its sheet, or a zip of such CSV files."))]) from None


@dataclass
class _Table:
    name: str
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row, column -> stripped text)
    columns: set[str]


def _with_language_codes(book: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """A sheet that lists every language code with its name, to look codes up in (not read back)."""
    named = sorted(([code, languages.language_name(code, "nb")] for code in languages.all_codes()),
                   key=lambda row: row[1].casefold())
    return {**book, LANGUAGE_SHEET: [["code", "name"], *named]}


def _tables(book: dict[str, list[list[str]]], problems: list[Problem], readable: list[Problem]) -> dict[str, _Table]:
    """The sheets as tables. `problems`: what the rows cannot be read without (an unknown sheet, a missing or doubled
    column); `readable`: what is wrong but leaves the rows readable (an unknown column, left out of them)."""
    tables = {}
    for raw_name, rows in book.items():
        name = raw_name.strip().lower().replace(" ", "_")
        if name == LANGUAGE_SHEET:
            continue  # a reference, not the county's data
        if name not in COLUMNS:
            problems.append(Problem(raw_name, 1, "", _("Unknown sheet. The sheets are: %(names)s.",
                                                       names=", ".join(COLUMNS))))
            continue
        if not rows or not any(c.strip() for c in rows[0]):
            continue
        header = [c.strip().lower() for c in rows[0]]
        missing = [c for c in REQUIRED[name] if c not in header]
        unknown = [c for c in header if c and c not in COLUMNS[name]]
        twice = sorted({c for c in header if c and header.count(c) > 1})
        for cols, message, into in ((missing, _("These columns are missing. Start from the template."), problems),
                                    (unknown, _("These columns are unknown. Start from the template."), readable),
                                    (twice, _("These columns appear twice."), problems)):
            if cols:
                into.append(Problem(name, 1, ", ".join(cols), message))
        if len(rows) > sheets.MAX_ROWS:
            problems.append(Problem(name, sheets.MAX_ROWS + 1, "", _("At most %(max)d rows per file.", max=sheets.MAX_ROWS)))
        body = []
        for number, row in enumerate(rows[1:], start=2):
            cells = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header) if h and h not in unknown}
            if any(cells.values()):
                body.append((number, cells))
        tables[name] = _Table(name, body, set(header))
    return tables


# The words a cell may use, to the stored value: the export writes the English codes, and a lead who
# types Norwegian gets what they meant (the review wrote "oppmøte, video" and "byrå").
MODE_WORDS = {"onsite": "onsite", "on site": "onsite", "oppmøte": "onsite", "frammøte": "onsite", "fremmøte": "onsite",
              "video": "video", "phone": "phone", "telefon": "phone"}
CHANNEL_WORDS = {"direct": "direct", "direkte": "direct", "agency": "agency", "byrå": "agency", "tolkebyrå": "agency"}

# The template's example people, by their key: a real county never has them.
_EXAMPLE_KEYS = {"counsellors": "email", "interpreters": "email"}


def _refuse_examples(county: County, tables: dict[str, _Table], problems: list[Problem]) -> None:
    """A row left from the template's examples (Kari Nordmann, Ola Tolk, the example location and its
    room) would become a real entry, and an account: refused with the reason (the go-live review
    uploaded the template with them)."""
    refused_example_location = False
    for name, rows in template(county).items():
        table = tables.get(name)
        if table is None or name in ("settings", "closure_days", "known_travel") or len(rows) < 2:
            continue
        if name == "rooms" and not refused_example_location:
            continue   # "Samtalerom 1" may well be a real room: only with the example location itself
        example = {c: v for c, v in zip(rows[0], rows[1])}
        key = _EXAMPLE_KEYS.get(name)
        known = {p.user.email.lower() for p in (people.counsellors_of(county.id) if name == "counsellors" else
                                                  people.interpreters_of(county.id) if name == "interpreters" else [])}
        for number, cells in table.rows:
            if key is not None and cells.get(key, "").lower() in known:
                continue   # imported before the examples were refused: the county's own entry now
            same_key = key is not None and cells.get(key, "").lower() == example[key].lower()
            same_row = all(cells.get(c, "") == v for c, v in example.items() if c in table.columns) and \
                any(c in table.columns for c in example)
            if same_key or same_row:
                refused_example_location = refused_example_location or name == "locations"
                problems.append(Problem(name, number, key or "", _(
                    "This is the template's example row. Replace it with your own entry or delete the row.")))


class _Row:
    """One row's cells, and its problems as they are found."""

    def __init__(self, table: _Table, number: int, cells: dict[str, str], problems: list[Problem]):
        self.table, self.number, self.cells, self.problems, self.bad = table, number, cells, problems, False

    def has(self, column: str) -> bool:
        return column in self.table.columns

    def text(self, column: str) -> str:
        return self.cells.get(column, "")

    def fail(self, column: str, message: str) -> None:
        self.bad = True
        if not any(p.row == self.number and p.column == column and p.sheet == self.table.name for p in self.problems):
            value = self.cells.get(column, "")
            self.problems.append(Problem(self.table.name, self.number, column, message,
                                         value if len(value) <= 80 else value[:79] + "…"))

    def refused(self, error: DomainError, column_of) -> None:
        for key, messages in error.field_errors.items():
            for message in messages:
                self.fail(column_of(key), message)
        if not error.field_errors:
            self.fail("", error.message)

    def flag(self, column: str) -> bool | None:
        raw = self.text(column).lower()
        if not raw:
            return None
        if raw in YES:
            return True
        if raw not in NO:
            self.fail(column, _("Write yes or no."))
        return False

    def whole(self, column: str) -> int | None:
        raw = self.text(column)
        if not raw:
            return None
        if not re.fullmatch(r"-?\d{1,6}(\.0+)?", raw):
            self.fail(column, _("Enter a whole number."))
            return None
        return int(float(raw))

    def date(self, column: str) -> dt.date | None:
        raw = self.text(column)
        if not raw:
            return None
        serial = sheets.excel_serial_date(raw)
        if serial is not None:
            return serial
        for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d 00:00:00"):
            try:
                return dt.datetime.strptime(raw, pattern).date()
            except ValueError:
                continue
        self.fail(column, _("Enter a real date, like 17.03.2027."))
        return None

    def ore(self, column: str, blank: int | None = None) -> int | None:
        raw = self.text(column).replace(" ", "").replace("\u00a0", "").replace(",", ".")
        if not raw:
            return blank
        if not re.fullmatch(r"-?\d{1,9}(\.\d{1,2})?", raw):
            self.fail(column, _("Enter an amount in kroner, like 720 or 720,50."))
            return None
        return int(Decimal(raw) * 100)


def _split_pair(part: str) -> tuple[str, str]:
    pieces = re.split(r"\s*[-–]\s*", part.strip(), maxsplit=1)
    return (pieces[0], pieces[1]) if len(pieces) == 2 else (pieces[0], "")


def _spans(row: _Row, column: str) -> list[tuple[str, str]]:
    return [_split_pair(p) for p in re.split(r"[,;]", row.text(column)) if p.strip()]


def _person_weekly(row: _Row) -> dict[int, tuple[str, str]]:
    """One from/to pair per weekday (the people's rule); a second period reads as a wrong time."""
    weekly = {}
    for day, column in enumerate(PERSON_DAYS, start=1):
        text = row.text(column)
        start, end = _split_pair(text) if text else ("", "")
        weekly[day] = (start, end)
    return weekly


def _location_and_days(item: str) -> tuple[str, list[int] | None]:
    """"Utekontor Voss (tue, thu)" -> ("Utekontor Voss", [2, 4]); a name alone -> (name, []): every working day;
    days that cannot be read -> (name, None)."""
    found = re.fullmatch(r"(.*?)\s*\(([^()]*)\)", item)
    if found is None:
        return item, []
    days = []
    for word in (w.strip().lower() for w in re.split(r"[,\s]+", found[2]) if w.strip()):
        day = DAY_WORDS.get(word[:3])
        if day is None:
            return found[1], None
        days.append(day)
    return found[1], sorted(set(days)) or None


def _location_items(text: str, known: dict) -> list[str]:
    """A counsellor's `locations` cell as its items: separated by ";" as the template writes them, or by ","
    as the `languages` column is ("Karrieresenter Bergen, Utekontor Voss" was refused as one unknown name).
    A comma inside a location's days ("(tue, thu)") or in a known location's own name does not separate."""
    out = []
    for item in (n.strip() for n in text.split(";")):
        if not item:
            continue
        parts = [p.strip() for p in re.split(r",(?![^()]*\))", item)]
        if item.lower() not in known and len(parts) > 1 and all(
                p.lower() in known or _location_and_days(p)[0].lower() in known for p in parts):
            out.extend(parts)
        else:
            out.append(item)
    return out


def _with_days(profile: CounsellorProfile, location) -> str:
    """A counsellor's location as the sheet writes it: its name, and its days when they are named."""
    days = profile.days_at(location.id)
    return f"{location.name} ({', '.join(PERSON_DAYS[d - 1] for d in days)})" if days else location.name


def _counsellor_weekly(row: _Row) -> tuple[dict[int, tuple[str, str]], tuple[str, str]]:
    """A counsellor's day and daily break: a cell of two periods ("08:00-11:30, 12:00-15:30", as the
    export writes a day with a break) is the day from the first start to the last end and the break
    between; the break must be the same on every day that has one (the pages keep one break)."""
    weekly, breaks = {}, {}
    for day, column in enumerate(PERSON_DAYS, start=1):
        spans = _spans(row, column)
        if len(spans) == 2:
            weekly[day] = (spans[0][0], spans[1][1])
            breaks[column] = (spans[0][1], spans[1][0])
        else:
            text = row.text(column)
            weekly[day] = _split_pair(text) if text else ("", "")
    if len(set(breaks.values())) > 1:
        row.fail(sorted(breaks, key=PERSON_DAYS.index)[1], _(
            "A counsellor has one daily break: write the same break on every day, like 08:00-11:30, 12:00-15:30."))
    return weekly, next(iter(breaks.values()), ("", ""))


def _location_column(key: str) -> str:
    match = re.fullmatch(r"h(\d)_\d+_(from|to)", key)
    if match:
        return LOCATION_DAYS[int(match.group(1)) - 1]
    if key.startswith("pattern_"):
        return "weekly_pattern"
    return {"municipality_id": "municipality", "centre_id": "centre"}.get(key, key)


def _person_column(key: str) -> str:
    match = re.fullmatch(r"day(\d)_(start|end)", key)
    if match:
        return PERSON_DAYS[int(match.group(1)) - 1]
    if key.startswith("lang"):
        return "languages"
    return {"municipality_id": "municipality", "location_ids": "locations", "hourly_rate": "hourly_rate",
            "travel_rate": "travel_rate", "lunch_start": "mon", "lunch_end": "mon"}.get(key, key)


class _Import:
    def __init__(self, actor, county: County, tables: dict[str, _Table], problems: list[Problem], result: Imported):
        # the actor: a lead's own row in the counsellors sheet links their account, as on the form
        self.actor, self.county, self.tables, self.problems, self.result = actor, county, tables, problems, result
        self.locations = {loc.name.strip().lower(): loc for loc in setup.locations_of(county)}
        self.bad_locations: dict[str, int] = {}   # location name -> the row of the locations sheet that failed
        self.places = self._place_lookup()
        self.deactivate: list[Location] = []
        self.budgets: dict | None = None  # month -> amount (øre) as stored, read at the first budget row

    def rows(self, name: str):
        table = self.tables.get(name)
        seen: dict[str, int] = {}
        for number, cells in table.rows if table else []:
            row = _Row(table, number, cells, self.problems)
            key = self._key(name, row)
            if key:
                if key in seen:
                    row.fail(KEY_COLUMN[name], _("The same entry is already in row %(row)d.", row=seen[key]))
                    continue
                seen[key] = number
            yield row

    @staticmethod
    def _key(name: str, row: _Row) -> str:
        if name == "rooms":
            return f"{row.text('location').lower()}\x00{row.text('name').lower()}"
        column = KEY_COLUMN.get(name)
        return row.text(column).lower() if column else ""

    def run(self) -> None:
        self.settings()
        for row in self.rows("interpreter_budgets"):
            self.budget(row)
        for row in self.rows("locations"):
            self.location(row)
        for row in self.rows("rooms"):
            self.room(row)
        for row in self.rows("centres"):
            self.centre(row)
        for row in self.rows("counsellors"):
            self.counsellor(row)
        for row in self.rows("interpreters"):
            self.interpreter(row)
        for location in self.deactivate:
            location.active = False

    # ------------------------------------------------------------------ lookups

    def _place_lookup(self) -> dict[str, int]:
        """Number and lower-case name -> municipality id; a name shared by two counties' municipalities
        means the one in this county."""
        found: dict[str, int] = {}
        for m in db.session.scalars(select(Municipality).order_by(Municipality.county_id != self.county.id)):
            found.setdefault(m.number, m.id)
            found.setdefault(m.name.lower(), m.id)
        return found

    def place(self, row: _Row, column: str) -> int:
        text = row.text(column)
        return self.places.get(text.lower()) or self.places.get(text.zfill(4)) or 0 if text else 0

    # ------------------------------------------------------------------ settings and closure days

    def settings(self) -> None:
        table, closures = self.tables.get("settings"), self.tables.get("closure_days")
        journeys = self.tables.get("known_travel")
        if table is None and closures is None and journeys is None:
            return
        county = self.county
        data = setup.SettingsData(**{c: getattr(county, c) for c in COLUMNS["settings"]},
                                  closure_days="\n".join(county.closure_days or []),
                                  known_travel=setup.known_travel_text(county))
        number = 2
        if table is not None and table.rows:
            if len(table.rows) > 1:
                row = _Row(table, table.rows[1][0], table.rows[1][1], self.problems)
                row.fail("", _("The settings sheet has one row."))
            number, cells = table.rows[0]
            row = _Row(table, number, cells, self.problems)
            for column in COLUMNS["settings"]:
                if row.has(column):
                    setattr(data, column, row.whole(column))
            if row.bad:
                return
        if closures is not None:
            days = []
            for number_c, cells in closures.rows:
                day = _Row(closures, number_c, cells, self.problems).date("date")
                if day is not None:
                    days.append(day.isoformat())
            data.closure_days = "\n".join(days)
            self.result.closure_days_removed = sorted(set(county.closure_days or []) - set(days))
        if journeys is not None:
            lines = self.known_travel(journeys)
            if lines is None:
                return
            data.known_travel = "\n".join(lines)
        before = setup.known_travel_text(county).splitlines()
        try:
            values, _month = setup.validate_settings(data, county)
        except DomainError as error:
            for key, messages in error.field_errors.items():
                sheet = key if key in ("closure_days", "known_travel") else "settings"
                for message in messages:
                    self.problems.append(Problem(sheet, number if sheet == "settings" else 2, key, message))
            return
        changed = [k for k, v in values.items() if getattr(county, k) != v]
        for key, value in values.items():
            setattr(county, key, value)
        if changed:
            self.result.updated["settings"] += 1
        if journeys is not None:
            now = {line.rsplit(":", 1)[0] for line in setup.known_travel_text(county).splitlines()}
            self.result.known_travel_removed = [line.rsplit(":", 1)[0] for line in before
                                                if line.rsplit(":", 1)[0] not in now]

    def known_travel(self, table: _Table) -> list[str] | None:
        """The sheet's rows as the settings page's lines ("Bergen – Stord: 120"), each place and time checked on
        its own cell; None when a row is wrong (its problems are listed). The sheet replaces the county's list."""
        places, (low, high) = setup.travel_places(self.county), setup.KNOWN_TRAVEL_MINUTES
        lines, seen, ok = [], {}, True
        for number, cells in table.rows:
            row = _Row(table, number, cells, self.problems)
            ends = []
            for column in ("from", "to"):
                place = places.get(row.text(column).casefold())
                if place is None:
                    row.fail(column, _("“%(value)s” is not a municipality of the county: write a municipality's name "
                                       "or number (a town counts as its municipality).", value=row.text(column)))
                ends.append(place)
            minutes = row.whole("minutes")
            if minutes is not None and not low <= minutes <= high:
                row.fail("minutes", _("Enter the minutes one way, %(low)d to %(high)d.", low=low, high=high))
            elif minutes is None and not row.bad:
                row.fail("minutes", _("Enter the minutes one way, %(low)d to %(high)d.", low=low, high=high))
            if None not in ends and ends[0] == ends[1]:
                row.fail("to", _("A journey is between two municipalities."))
            pair = tuple(sorted(ends)) if None not in ends else None
            if pair is not None and pair in seen and not row.bad:
                row.fail("from", _("The same journey is already in row %(row)d.", row=seen[pair]))
            if row.bad:
                ok = False
                continue
            seen[pair] = number
            lines.append(f"{ends[0]} – {ends[1]}: {minutes}")
        return lines if ok else None

    def budget(self, row: _Row) -> None:
        """One month's interpreter budget (NOK), as the settings page sets it; a month not in the sheet
        keeps its budget."""
        raw = row.text("month")
        found = re.fullmatch(r"(\d{4})-(\d{2})(-01)?( 00:00:00)?", raw)
        month = None
        if found:
            try:
                month = dt.date(int(found.group(1)), int(found.group(2)), 1)
            except ValueError:
                month = None
        if month is None:
            row.fail("month", _("Enter the month as 2027-03."))
        amount = re.sub(r"[\s\u00a0]", "", row.text("amount_nok"))
        if not re.fullmatch(r"\d{1,9}(\.0+)?", amount) or not 0 <= float(amount) <= 100_000_000:
            row.fail("amount_nok", _("Enter an amount of 0 NOK or more."))
            return
        if month is None:
            return
        kroner = int(float(amount))
        if self.budgets is None:  # read once for the sheet
            self.budgets = {b.month: b.amount_ore for b in setup.budgets_of(self.county)}
        if self.budgets.get(month) != kroner * 100:
            if problem := setup.budget_month_problem(month):   # a month kept as it is passes (the round trip)
                row.fail("month", problem)
                return
            setup.set_budget(None, self.county, month, kroner)
            self.result.updated["interpreter_budgets"] += 1

    # ------------------------------------------------------------------ locations and rooms

    def location(self, row: _Row) -> None:
        name = row.text("name")
        existing = self.locations.get(name.lower())
        centres = {c.name.strip().lower(): c for c in setup.centres_of(self.county)}
        centre_name = row.text("centre")
        centre = centres.get(centre_name.lower()) if centre_name else (existing.centre if existing else None)
        pattern = self._pattern(row)
        flags = {c: row.flag(c) for c in ("step_free", "outreach", "active")}
        data = setup.LocationData(
            name=name, municipality_id=self.place(row, "municipality"), centre_id=centre.id if centre and centre.id else 0,
            address=row.text("address") if row.has("address") else (existing.address or "" if existing else ""),
            directions=row.text("directions") if row.has("directions") else (existing.directions or "" if existing else ""),
            step_free=_pick(flags["step_free"], existing and existing.step_free),
            outreach=_pick(flags["outreach"], existing and existing.outreach),
            hours={d: _spans(row, c) for d, c in enumerate(LOCATION_DAYS, start=1)},
            pattern=pattern, open_dates=row.text("open_dates"))
        try:
            values = setup._validate_location(self.county, data, existing)
        except DomainError as error:
            row.refused(error, _location_column)
            self.bad_locations[name.lower()] = row.number
            return
        if row.bad:
            self.bad_locations[name.lower()] = row.number
            return
        if centre is None:
            centre = CareerCentre(county=self.county, name=(centre_name or name)[:200])
            db.session.add(centre)
        if existing is None:
            existing = Location(centre=centre, **values)
            db.session.add(existing)
            self.locations[name.lower()] = existing
            self.result.created["locations"] += 1
        else:
            changed = [k for k, v in values.items() if getattr(existing, k) != v] or existing.centre is not centre
            for key, value in values.items():
                setattr(existing, key, value)
            existing.centre = centre
            if changed or (flags["active"] is not None and flags["active"] != existing.active):
                self.result.updated["locations"] += 1
        if flags["active"] is False and existing.active is not False:
            # Deactivated after the people sheets: a counsellor may still be linked to it, as the
            # export writes such links (a location is deactivated without unlinking its counsellors).
            self.deactivate.append(existing)
        elif flags["active"] is not None:
            existing.active = flags["active"]
        db.session.flush()

    def _pattern(self, row: _Row) -> list[tuple[int, str]]:
        """"tue even, thu every" as (weekday, weeks) pairs."""
        out = []
        for part in re.split(r"[,;]", row.text("weekly_pattern")):
            words = part.strip().lower().split()
            if not words:
                continue
            day = WEEKDAY_NUMBER.get(words[0][:3]) if not words[0].isdigit() else int(words[0])
            weeks = words[1] if len(words) > 1 else "every"
            if not day or day > len(LOCATION_DAYS) or len(words) > 2:
                row.fail("weekly_pattern", _("Write the weekly pattern as a weekday and every, even or odd, "
                                             "like: tue even, thu every."))
                return []
            out.append((day, weeks))
        return out

    def centre(self, row: _Row) -> None:
        """A centre's phone and e-mail; the centre itself is the one a location names (found by name)."""
        name = row.text("name")
        centre = next((c for c in setup.centres_of(self.county) if c.name.strip().lower() == name.lower()), None)
        if centre is None:
            row.fail("name", _("No location belongs to a career centre called %(name)s. Name the centre in the "
                               "locations sheet's centre column.", name=name))
            return
        data = setup.CentreData(name=centre.name,
                                phone=row.text("phone") if row.has("phone") else centre.phone,
                                email=row.text("email") if row.has("email") else centre.email)
        try:
            values = setup.validate_centre(centre, data)
        except DomainError as error:
            row.refused(error, lambda key: key)
            return
        if any(getattr(centre, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(centre, key, value)
            self.result.updated["centres"] += 1

    def room(self, row: _Row) -> None:
        location = self.locations.get(row.text("location").lower())
        capacity, video, active = row.whole("capacity"), row.flag("video"), row.flag("active")
        if location is None:
            row.fail("location", self.missing_location(row.text("location")))
            return
        existing = next((r for r in location.rooms if r.name.strip().lower() == row.text("name").lower()), None)
        try:
            values = setup._validate_room(setup.RoomData(name=row.text("name"), capacity=capacity,
                                                         video=_pick(video, existing and existing.video)),
                                          location, existing)
        except DomainError as error:
            row.refused(error, lambda key: key)
            return
        if row.bad:
            return
        if existing is None:
            existing = Room(location=location, **values)
            db.session.add(existing)
            self.result.created["rooms"] += 1
        else:
            if any(getattr(existing, k) != v for k, v in values.items()) or (active is not None and active != existing.active):
                self.result.updated["rooms"] += 1
            for key, value in values.items():
                setattr(existing, key, value)
        if active is not None:
            existing.active = active
        db.session.flush()

    # ------------------------------------------------------------------ people

    def counsellor(self, row: _Row) -> None:
        email = row.text("email").lower()
        existing = db.session.scalar(select(CounsellorProfile).join(CounsellorProfile.user).where(
            db.func.lower(User.email) == email, User.county_id == self.county.id)) if email else None
        location_ids, location_days = [], {}
        for item in _location_items(row.text("locations"), self.locations):
            # a location whose own name ends in brackets is that location, every day
            name, days = (item, []) if item.lower() in self.locations else _location_and_days(item)
            if days is None:
                row.fail("locations", _("Write the days at a location after its name, Monday to Friday, like: Utekontor Voss (tue, thu)."))
            location = self.locations.get(name.lower())
            if location is None:
                row.fail("locations", self.missing_location(name))
            location_id = location.id if location is not None and location.id else -1
            location_ids.append(location_id)
            location_days[location_id] = days or sorted(people.WORKING_WEEK)
        multicultural, active = row.flag("multicultural"), row.flag("active")
        weekly, lunch = _counsellor_weekly(row)
        data = people.CounsellorData(
            name=row.text("name"), email=email, weekly=weekly, lunch=lunch,
            multicultural=bool(multicultural), multicultural_completed_on=row.date("multicultural_completed_on"),
            languages=self.language_codes(row, [c for c in row.text("languages").split(",") if c.strip()]),
            location_ids=location_ids, location_days=location_days,
            max_sessions_per_day=row.whole("max_sessions_per_day") if row.text("max_sessions_per_day") else 4,
            employment_start=row.date("employment_start"), employment_end=row.date("employment_end"),
            video_link=row.text("video_link") if row.has("video_link") else (existing.video_link or "" if existing else ""))
        errors: people.Errors = {}
        if existing is not None:
            people._check_user_fields(data, errors, exclude=existing.user)
            user, before_name = existing.user, existing.user.name
        else:
            user = people._user_for_new_profile(data, self.county, Role.COUNSELLOR, errors, actor=self.actor)
        values = people._counsellor_values(data, self.county, errors)
        if errors:
            row.refused(DomainError("", errors), _person_column)
        if row.bad:
            return
        if existing is None:
            existing = CounsellorProfile(user=user or self.new_user(data, Role.COUNSELLOR))
            people._apply_counsellor(existing, values)
            db.session.add(existing)
            self.result.created["counsellors"] += 1
        else:
            before = people._snapshot_counsellor(existing)
            user.name, user.email = data.name.strip(), email
            people._apply_counsellor(existing, values)
            changed = before != people._snapshot_counsellor(existing) or (active is not None and active != existing.active)
            if changed and self.actor is not None and not may(self.actor, "manage", existing):
                # A fellow lead who counsels keeps their own row, as on the form (the exported sheet lists them,
                # so an unchanged row passes); the whole import rolls back on this problem.
                row.fail("email", _("%(name)s is a lead: only they or an administrator change their row.",
                                    name=before_name))
                return
            if changed:
                self.result.updated["counsellors"] += 1
        if active is not None:
            existing.active = active
        db.session.flush()

    def missing_location(self, name: str) -> str:
        """Why a room or counsellor row names no location: one typo in a location's row said "no
        location with this name" on each of its rooms and counsellors (the go-live review)."""
        if name.lower() in self.bad_locations:
            return _("%(name)s has a problem in its own row (row %(row)d of the locations sheet): correct that row first.",
                     name=name, row=self.bad_locations[name.lower()])
        return _("No location with this name in the county or in the locations sheet.")

    def language_codes(self, row: _Row, texts: list[str]) -> list[str]:
        """Codes for languages written as codes or names; an unknown one fails its cell with the way to write it."""
        out = []
        for text in texts:
            code = languages.code_for(text)
            if code is None:
                row.fail("languages", _("%(text)s is not a language we know. Write its code (ar, so, ti, prs, uk) "
                                        "or its name (arabisk, somali); the sheet %(sheet)s lists the codes.",
                                        text=text.strip(), sheet=LANGUAGE_SHEET))
                code = text.strip()
            out.append(code)
        return out

    @staticmethod
    def words(row: _Row, column: str, known: dict[str, str], message: str) -> list[str]:
        """A list cell's values through their accepted words (English codes and Norwegian words)."""
        out = []
        for word in (w.strip().lower() for w in row.text(column).split(",")):
            if not word:
                continue
            if word not in known:
                row.fail(column, message)
                return out
            out.append(known[word])
        return out

    def one_word(self, row: _Row, column: str, known: dict[str, str], message: str) -> str | None:
        """A cell that holds one of the accepted words (or nothing)."""
        found = self.words(row, column, known, message)
        if len(found) > 1:
            row.fail(column, message)
        return found[0] if found else None

    def new_user(self, data, role: Role):
        user = people._new_user(data, self.county, role)
        self.result.new_users.append(user)
        return user

    def interpreter(self, row: _Row) -> None:
        email, register_id = row.text("email").lower(), row.text("register_id")
        own = people.interpreters_of(self.county.id)
        existing = (next((p for p in own if p.user.email.lower() == email), None) if email else None) or (
            next((p for p in own if register_id and (p.register_id or "").lower() == register_id.lower()), None))
        languages = []
        for part in row.text("languages").split(","):
            words = part.replace(":", " ").split()
            if words:
                # "uk A", "Somali B", "norsk bokmål A": the last word is the category when it is one letter
                category = words[-1] if len(words) > 1 and len(words[-1]) == 1 else ""
                name = " ".join(words[:-1] if category else words)
                languages.append((self.language_codes(row, [name])[0], category))
        active = row.flag("active")
        data = people.InterpreterData(
            name=row.text("name"), email=email, weekly=_person_weekly(row), phone=row.text("phone"),
            municipality_id=self.place(row, "municipality") or None, languages=languages, register_id=register_id,
            register_checked_on=row.date("register_checked_on"),
            modes=self.words(row, "modes", MODE_WORDS, _("Write onsite, video or phone (or oppmøte, video, telefon), "
                                                           "separated by commas.")),
            hourly_rate_ore=row.ore("hourly_rate"), min_billed_minutes=row.whole("min_billed_minutes")
            if row.text("min_billed_minutes") else 60,
            travel_rate_ore=row.ore("travel_rate", blank=0), booking_channel=self.one_word(row, "booking_channel", CHANNEL_WORDS, _(
                "Write direct or agency (or direkte, byrå).")) or "direct",
            agency_name=row.text("agency_name"))
        errors: people.Errors = {}
        if existing is not None:
            people._check_user_fields(data, errors, exclude=existing.user)
        else:
            user = people._user_for_new_profile(data, self.county, Role.INTERPRETER, errors)
        values = people._interpreter_values(data, errors)
        if errors:
            row.refused(DomainError("", errors), _person_column)
        if row.bad:
            return
        if existing is None:
            existing = InterpreterProfile(user=user or self.new_user(data, Role.INTERPRETER))
            people._apply_interpreter(existing, values)
            db.session.add(existing)
            self.result.created["interpreters"] += 1
        else:
            before = people._snapshot_interpreter(existing)
            existing.user.name, existing.user.email = data.name.strip(), email
            people._apply_interpreter(existing, values)
            if before != people._snapshot_interpreter(existing) or (active is not None and active != existing.active):
                self.result.updated["interpreters"] += 1
        if active is not None:
            existing.active = active
        db.session.flush()


KEY_COLUMN = {"locations": "name", "rooms": "name", "centres": "name", "counsellors": "email", "interpreters": "email",
              "interpreter_budgets": "month"}


def _pick(value: bool | None, current) -> bool:
    return bool(current) if value is None else value


__all__ = ["export", "export_xlsx", "template", "template_xlsx", "import_workbook", "apply_workbook", "read_upload", "WorkbookRejected", "Problem",
           "Imported", "COLUMNS"]
