"""Referrals as CSV: the template a municipality fills in Excel, and reading it back.

Excel in Norway writes semicolon-separated files, in UTF-8 with a BOM ("CSV UTF-8") or in
Windows-1252 ("CSV (semikolondelt)"); we accept either, and commas too.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from guidance import languages
from guidance.extensions import db
from guidance.models import Municipality
from guidance.services.referrals import ReferralData, parse_typed_date

MAX_ROWS = 500

# (column header, ReferralData attribute) in template order. Headers are Norwegian: the
# people filling the sheet work in Norwegian; nynorsk (NYNORSK_COLUMNS) and English headers are accepted too.
COLUMNS = [
    ("navn", "name"), ("telefon", "phone"), ("bostedskommune", "municipality_id"), ("hjemmel", "legal_basis"),
    ("bosettingsdato", "settlement_date"), ("vedtaksdato", "programme_decision_date"),
    ("frist_maaneder", "window_months"), ("spraak", "language"), ("tolk", "needs_interpreter"),
    ("video", "video_ok"), ("trinnfri_tilgang", "needs_step_free"), ("individuell", "needs_individual"), ("gruppe", "needs_group"),
    ("tidligste_dato", "earliest_date"), ("kan_komme_dager", "can_come_weekdays"), ("kan_komme_tid", "can_come_part"),
    ("tilrettelegging", "accessibility_needs"), ("programraadgiver_deltar", "adviser_attends"), ("merknader", "notes"),
]
# A nynorsk municipality gets the template in its own words (bokmål headers had come with a nynorsk page).
NYNORSK_COLUMNS = [
    ("namn", "name"), ("telefon", "phone"), ("bustadkommune", "municipality_id"), ("heimel", "legal_basis"),
    ("busetjingsdato", "settlement_date"), ("vedtaksdato", "programme_decision_date"),
    ("frist_maanader", "window_months"), ("spraak", "language"), ("tolk", "needs_interpreter"),
    ("video", "video_ok"), ("trinnfri_tilgang", "needs_step_free"), ("individuell", "needs_individual"),
    ("gruppe", "needs_group"), ("tidlegaste_dato", "earliest_date"), ("kan_kome_dagar", "can_come_weekdays"),
    ("kan_kome_tid", "can_come_part"), ("tilrettelegging", "accessibility_needs"),
    ("programraadgjevar_deltek", "adviser_attends"), ("merknader", "notes"),
]
ALIASES = {header: attr for header, attr in COLUMNS + NYNORSK_COLUMNS} | {attr: attr for _h, attr in COLUMNS} | {
    "språk": "language", "frist_måneder": "window_months", "programrådgiver_deltar": "adviser_attends",
    "frist_månader": "window_months", "programrådgjevar_deltek": "adviser_attends",
    # what case systems and hand-made sheets call the same things
    "telefonnummer": "phone", "telefonnr": "phone", "tlf": "phone", "mobil": "phone", "mobilnummer": "phone",
    "kommune": "municipality_id", "morsmål": "language", "morsmaal": "language", "tolkebehov": "needs_interpreter",
}
HEADER_OF = {attr: header for header, attr in COLUMNS} | {"needs": "individuell"}
# A header this close to a known one is taken for a typing error and refused with the known one named
# ("telefonnr" would otherwise drop every phone number); anything else (a case number, the case system's
# own columns) is not read, not kept, and named to the referrer.
NEAR_MISS = 0.75
# Bokmål, nynorsk (a municipality writing nynorsk fills in its own words) and the API's values.
BASIS = {"integreringsloven": "integration_act", "integreringslova": "integration_act", "integration_act": "integration_act",
         "midlertidig lov": "temporary_act", "midlertidig": "temporary_act", "mellombels lov": "temporary_act",
         "mellombels": "temporary_act", "temporary_act": "temporary_act",
         "ordinær": "ordinary", "ordinar": "ordinary", "ordinary": "ordinary"}
YES = {"ja", "j", "yes", "y", "x", "1", "true", "sant"}
NO = {"nei", "n", "no", "0", "false", "usant", ""}
# When the participant can come: weekdays by the start of their name (bokmål, nynorsk, English) or number, and a
# part of the day in the words people write.
WEEKDAY_STARTS = {"man": 1, "mon": 1, "tir": 2, "tys": 2, "tue": 2, "ons": 3, "wed": 3, "tor": 4, "thu": 4,
                  "fre": 5, "fri": 5}
PARTS = {"før 12": "morning", "for 12": "morning", "formiddag": "morning", "morgen": "morning", "morning": "morning",
         "etter 12": "afternoon", "fra 12": "afternoon", "frå 12": "afternoon", "ettermiddag": "afternoon",
         "afternoon": "afternoon"}
EXAMPLE = ["Olena Kovalenko", "+47 412 34 567", "4601", "integreringsloven", None, "", "", "uk", "ja", "nei",
           "nei", "ja", "ja", "", "", "", "", "nei", ""]   # None: the settlement date, two weeks before the day it is downloaded


@dataclass
class CellError:
    row: int  # as Excel numbers it: the header is row 1
    column: str
    message: str
    value: str = ""  # what the cell holds: "Enter a real date" beside "31.02.2026" is found at once
    may_send_anyway: bool = False  # a possible duplicate: "send the rows anyway" lets it through


@dataclass
class Parsed:
    items: list[ReferralData]
    rows: list[int]  # the sheet row of each item
    errors: list[CellError]
    not_read: list[str] = field(default_factory=list)  # headers of columns left out (not the template's)
    headers: dict[str, str] = field(default_factory=dict)  # attribute -> its header as the file writes it
    cells: list[dict[str, str]] = field(default_factory=list)  # each item's cells as written, for its problems

    def column_of(self, attr: str) -> str:
        return _written(self.headers, attr)

    def value_of(self, index: int, attr: str) -> str:
        """What item `index` has in the column of `attr`: a rule's problem shows it beside the message, as a
        problem the reading finds does (a phone number refused beside an empty cell read as a missing one)."""
        return self.cells[index].get(attr, "")[:100] if index < len(self.cells) else ""


def template(today: dt.date, nynorsk: bool = False, municipality: str | None = None) -> str:
    """The template: UTF-8 with a BOM (so Excel keeps æøå), semicolons, one example row that the
    import accepts as it stands (a settlement date in the past, as every real one is); in nynorsk
    words for a referrer who reads nynorsk; the example lives in the referrer's `municipality` (its number: a
    Troms referrer's template had Bergen's 4601)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _attr in (NYNORSK_COLUMNS if nynorsk else COLUMNS)])
    settled = (today - dt.timedelta(days=14)).strftime("%d.%m.%Y")
    example = [settled if cell is None else cell for cell in EXAMPLE]
    if nynorsk:
        example[3] = "integreringslova"
    if municipality:
        example[2] = municipality
    writer.writerow(example)
    return "\ufeff" + buffer.getvalue()


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def parse(raw: bytes, county_id: int) -> Parsed:
    """Rows of the file as ReferralData; cell errors for what cannot even be read."""
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        # An Excel workbook (xlsx is a zip, xls an OLE file): it read as "unknown columns PK".
        return Parsed([], [], [CellError(1, "", _("This is an Excel workbook, not a CSV file. In Excel choose "
                                                  "Save as, CSV UTF-8 (semicolon-separated), and upload that file."))])
    # Old Mac Excel ends lines with a lone CR; the csv module refuses those outside quotes.
    text = decode(raw).replace("\r\n", "\n").replace("\r", "\n")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return _parse_rows(reader, county_id)
    except csv.Error:
        # A cell over the csv module's limit (128 KiB) or a broken quote: the file, not a row, is wrong.
        return Parsed([], [], [CellError(reader.line_num or 1, "", _("The file could not be read as CSV. Start from the template."))])


def _parse_rows(reader, county_id: int) -> Parsed:
    errors: list[CellError] = []
    try:
        header = next(reader)
    except StopIteration:
        return Parsed([], [], [CellError(1, "", _("The file is empty."))])
    names = [ALIASES.get(h.strip().lower()) for h in header]
    missing = [h for h, attr in COLUMNS if attr not in names and attr in ("name", "municipality_id", "legal_basis", "language")]
    not_read = []
    for h, n in zip(header, names):
        if n is not None or not h.strip():
            continue
        near = difflib.get_close_matches(h.strip().lower(), ALIASES, n=1, cutoff=NEAR_MISS)
        if near and ALIASES[near[0]] not in names:
            errors.append(CellError(1, h.strip(), _("Did you mean the column %(column)s? Write its name as in the "
                                                    "template.", column=near[0]), h.strip()))
        else:
            not_read.append(h.strip())
    if missing:
        errors.append(CellError(1, ", ".join(missing), _("These columns are missing. Start from the template.")))
        return Parsed([], [], errors, not_read)
    # A misspelt header is refused, and the rows are still read (without it): every problem at once, not the
    # header in one upload and a duplicate in the next.
    headers = {n: h.strip() for h, n in zip(header, names) if n is not None}
    municipalities = _municipality_lookup(county_id)
    items, rows, written = [], [], []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(items) >= MAX_ROWS:
            errors.append(CellError(number, "", _("At most %(max)d rows per file.", max=MAX_ROWS)))
            break
        cells = {n: (values[i].strip() if i < len(values) else "") for i, n in enumerate(names) if n is not None}
        if cells.get("name") == EXAMPLE[0] and cells.get("phone") == EXAMPLE[1]:
            # Left in, the template's example became a real referral of a person nobody referred.
            errors.append(CellError(number, HEADER_OF["name"], _("This is the template's example row: write a real "
                                                                 "participant over it, or delete the row.")))
        items.append(_row(cells, number, municipalities, errors, headers))
        rows.append(number)
        written.append(cells)
    if not items and not errors:
        errors.append(CellError(2, "", _("The file has no rows to send.")))
    return Parsed(items, rows, errors, not_read, headers, written)


def _row(cells: dict[str, str], number: int, municipalities: dict[str, int], errors: list[CellError],
         headers: dict[str, str]) -> ReferralData:
    def fail(attr: str, message: str) -> None:
        errors.append(CellError(number, _written(headers, attr), message, cells.get(attr, "")[:100]))

    def date(attr: str) -> dt.date | None:
        raw = cells.get(attr, "")
        if not raw:
            return None
        day = parse_typed_date(raw)
        if day is None:
            fail(attr, _("Enter a real date, like 17.03.2027."))   # 31.11.2026 is written right and is no date
        return day

    def flag(attr: str, default: bool) -> bool:
        raw = cells.get(attr, "").lower()
        if attr not in cells or raw == "":
            return default
        if raw in YES:
            return True
        if raw not in NO:
            fail(attr, _("Write ja or nei."))
        return False

    municipality = cells.get("municipality_id", "")
    municipality_id = municipalities.get(municipality.lower()) or municipalities.get(municipality.zfill(4))
    if municipality and municipality_id is None:
        fail("municipality_id", _("Unknown municipality in your county: write its number (like 4601) or name."))
    basis = BASIS.get(cells.get("legal_basis", "").lower())
    if basis is None:
        fail("legal_basis", _("Write integreringsloven, midlertidig or ordinær."))
    language = languages.code_for(cells.get("language", ""))
    if cells.get("language") and language is None:
        fail("language", _("Unknown language: write its name (like tigrinja) or its code (like ti)."))
    window = None
    if cells.get("window_months"):
        try:
            window = int(cells["window_months"])
        except ValueError:
            fail("window_months", _("Enter a whole number of months."))
    days = []
    for word in re.findall(r"[^\W_]+", cells.get("can_come_weekdays", "").lower()):
        day = int(word) if word.isdigit() and 1 <= int(word) <= 5 else WEEKDAY_STARTS.get(word[:3])
        if day is None and word not in ("og", "and"):
            fail("can_come_weekdays", _("Write the weekdays like man, tir, ons, or leave it empty for any working day."))
            break
        if day is not None:
            days.append(day)
    part_written = " ".join(cells.get("can_come_part", "").lower().replace("kl.", "").split())
    part = PARTS.get(part_written)
    if part_written and part is None:
        fail("can_come_part", _("Write før 12 or etter 12, or leave it empty for any time of day."))
    individual, group = flag("needs_individual", True), flag("needs_group", basis != "ordinary")
    needs = [n for n, wanted in (("individual", individual), ("group", group)) if wanted]
    return ReferralData(
        name=cells.get("name", ""), phone=cells.get("phone") or None, municipality_id=municipality_id,
        legal_basis=basis or "", settlement_date=date("settlement_date"),
        programme_decision_date=date("programme_decision_date"), window_months=window,
        language=language or cells.get("language", "").lower(), needs_interpreter=flag("needs_interpreter", True),
        video_ok=flag("video_ok", False), needs_step_free=flag("needs_step_free", False), needs=needs, earliest_date=date("earliest_date"),
        accessibility_needs=cells.get("accessibility_needs") or None, adviser_attends=flag("adviser_attends", False),
        notes=cells.get("notes") or None, can_come_weekdays=days, can_come_part=part,
    )


def _municipality_lookup(county_id: int) -> dict[str, int]:
    """Number and lower-case name of each municipality in the county -> id."""
    found = {}
    for m in db.session.scalars(select(Municipality).where(Municipality.county_id == county_id)):
        found[m.number] = m.id
        found[m.name.lower()] = m.id
    return found


def column_of(attr: str) -> str:
    return HEADER_OF.get(attr, attr)


def _written(headers: dict[str, str], attr: str) -> str:
    """The column of `attr` as the file writes it, else as the template does."""
    return headers.get(attr) or column_of(attr)


__all__ = ["template", "parse", "column_of", "CellError", "Parsed", "MAX_ROWS"]
