"""Spreadsheets as plain rows of text: .xlsx read and written with openpyxl, and CSV (one sheet per
file, or a zip of CSV files named after their sheets) with the standard library.

Every value comes back as a string: a whole number as "12", a date as "2027-03-01", a time as
"08:00", yes/no cells as "yes"/"no". Written workbooks hold every cell as text, so "0800" and "12"
keep their form when a person edits and saves them.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import zipfile
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.writer.excel import ExcelWriter

MAX_ROWS = 5000
MAX_UNZIPPED = 50 * 1024 * 1024  # a zip bomb is refused, not unpacked
FIXED_TIME = dt.datetime(2020, 1, 1)  # the workbook's created/modified stamp: the same input gives the same bytes

Sheets = dict[str, list[list[str]]]  # sheet name -> rows of cell text (the header is the first row)


class Unreadable(ValueError):
    """The file is not a workbook we can read (the message says why, in English for logs)."""


# ---------------------------------------------------------------------------- writing


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose members all carry one fixed time (openpyxl would stamp the time of saving)."""

    def writestr(self, name, data, *args, **kwargs):
        if isinstance(name, str):
            name = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            name.compress_type, name.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
        super().writestr(name, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):  # openpyxl hands over each worksheet as a file
        with open(filename, "rb") as source:
            self.writestr(arcname or posixpath.basename(str(filename)), source.read())


def write_xlsx(sheets: Sheets) -> bytes:
    """An .xlsx file with one worksheet per entry: every cell as text, a bold and frozen header row,
    columns as wide as their text (within reason); the same input gives the same bytes."""
    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "Veiled"
    book.properties.created = book.properties.modified = FIXED_TIME
    bold = Font(bold=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(title=name)
        widths: dict[int, int] = {}
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
                if not text:
                    continue
                cell = sheet.cell(row=r, column=c, value=text)
                cell.data_type = "s"  # text, even when it starts with "=" (never a formula)
                cell.number_format = "@"
                if r == 1:
                    cell.font = bold
                widths[c] = max(widths.get(c, 0), len(text))
        for c, width in widths.items():
            sheet.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()  # not `book.save`, which stamps the time of saving
    return buffer.getvalue()


# ---------------------------------------------------------------------------- reading


def csv_text(header: list[str], rows) -> str:
    """A CSV file as a Norwegian Excel opens it in columns: semicolons, a BOM for UTF-8; and a cell
    that would start a formula (CSV injection) starts with an apostrophe instead."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows([_safe_cell(v) for v in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


def _safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not text.lstrip("-").replace(",", "").isdigit() \
        else text


def is_zip(raw: bytes) -> bool:
    return raw[:4] == b"PK\x03\x04"


def read(raw: bytes, filename: str = "") -> Sheets:
    """The sheets of an .xlsx, a zip of CSV files (`rooms.csv` is the sheet `rooms`), or one CSV
    file named after its sheet (`rooms.csv`). Raises `Unreadable`."""
    if not is_zip(raw):
        if filename.lower().endswith(".xlsx"):
            raise Unreadable("not a zip file")
        return {_stem(filename): read_csv(raw)}
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as error:
        raise Unreadable("not a zip file") from error
    if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED:
        raise Unreadable("too large when unpacked")
    names = archive.namelist()
    if "xl/workbook.xml" in names:
        return _read_xlsx(raw)
    csvs = [n for n in names if n.lower().endswith(".csv") and not n.startswith("__MACOSX")]
    if not csvs:
        raise Unreadable("neither a workbook nor CSV files")
    return {_stem(n): read_csv(archive.read(n)) for n in csvs}


def _stem(path: str) -> str:
    name = posixpath.basename(path.replace("\\", "/"))
    return name.rsplit(".", 1)[0].strip().lower()


def read_csv(raw: bytes) -> list[list[str]]:
    """One sheet from CSV: UTF-8 (with or without BOM) or Windows-1252; semicolons or commas."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as error:
        raise Unreadable("broken CSV") from error
    return rows[: MAX_ROWS + 1]


# openpyxl reports a broken file in many ways: a missing part, bad XML, a bad value in a cell or style.
_BROKEN = (InvalidFileException, zipfile.BadZipFile, KeyError, ParseError, ValueError, TypeError, IndexError,
           AttributeError, EOFError, OSError)


def _read_xlsx(raw: bytes) -> Sheets:
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except _BROKEN as error:
        raise Unreadable(f"broken workbook ({type(error).__name__})") from error
    try:
        sheets: Sheets = {}
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # trust the cells, not the size the file claims
            rows = []
            for values in sheet.iter_rows(max_row=MAX_ROWS + 1, values_only=True):
                rows.append(_trim([_text(v) for v in values]))
            sheets[sheet.title.strip().lower()] = _trim(rows)
        return sheets
    except _BROKEN as error:
        raise Unreadable(f"broken worksheet ({type(error).__name__})") from error
    finally:
        book.close()


def _trim(items: list) -> list:
    """Without the empty cells (or rows) at the end."""
    while items and not items[-1]:
        items.pop()
    return items


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def excel_serial_date(text: str) -> dt.date | None:
    """Excel stores a date as days since 1899-12-30 ("46082"); a date cell that lost its date format
    reads as that number. None if `text` is not such a number."""
    if re.fullmatch(r"\d{5}(\.\d+)?", text or ""):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))
    return None
