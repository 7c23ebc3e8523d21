"""Spreadsheets as plain rows of text: .xlsx (Office Open XML) read and written with the standard
library, and CSV (one sheet per file, or a zip of CSV files named after their sheets).

Only what a county workbook needs: cell text, numbers and booleans; no formulas, no styles beyond
a bold header row. Every value comes back as a string (a whole number as "12", Excel's date
numbers as their serial, which `excel_serial_date` turns into a date).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS = {"m": MAIN}
MAX_ROWS = 5000
MAX_UNZIPPED = 50 * 1024 * 1024  # a zip bomb is refused, not unpacked

Sheets = dict[str, list[list[str]]]  # sheet name -> rows of cell text (the header is the first row)


class Unreadable(ValueError):
    """The file is not a workbook we can read (the message says why, in English for logs)."""


# ---------------------------------------------------------------------------- writing


def write_xlsx(sheets: Sheets) -> bytes:
    """An .xlsx file with one worksheet per entry, every cell as text; the same input gives the same bytes."""
    names = list(sheets)
    files = {
        "[Content_Types].xml": _content_types(len(names)),
        "_rels/.rels": (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}">'
                        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" '
                            f'xmlns:r="{REL}"><sheets>'
                            + "".join(f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                                      for i, n in enumerate(names, start=1))
                            + "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(names) + 1))
            + f'<Relationship Id="rId{len(names) + 1}" Type="{REL}/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": _STYLES,
    }
    for i, name in enumerate(names, start=1):
        files[f"xl/worksheets/sheet{i}.xml"] = _worksheet(sheets[name])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


_STYLES = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN}">'
           '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
           '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
           '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
           '</styleSheet>')


def _content_types(count: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                     f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, count + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' + sheets + "</Types>")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _worksheet(rows: list[list[str]]) -> str:
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}"><sheetData>']
    for r, row in enumerate(rows, start=1):
        out.append(f'<row r="{r}">')
        for c, value in enumerate(row):
            text = _CONTROL.sub("", str(value if value is not None else ""))
            if text == "":
                continue
            style = 1 if r == 1 else 2  # bold header; the rest formatted as text, so Excel keeps "0800" and dates as typed
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            out.append(f'<c r="{_column_letter(c)}{r}" t="inlineStr" s="{style}"><is><t{space}>{escape(text)}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


# ---------------------------------------------------------------------------- reading


def is_zip(raw: bytes) -> bool:
    return raw[:4] == b"PK\x03\x04"


def read(raw: bytes, filename: str = "") -> Sheets:
    """The sheets of an .xlsx, a zip of CSV files (`rooms.csv` is the sheet `rooms`), or one CSV
    file named after its sheet (`rooms.csv`). Raises `Unreadable`."""
    if is_zip(raw):
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
        except zipfile.BadZipFile as error:
            raise Unreadable("not a zip file") from error
        if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED:
            raise Unreadable("too large when unpacked")
        names = archive.namelist()
        if "xl/workbook.xml" in names:
            return _read_xlsx(archive)
        csvs = [n for n in names if n.lower().endswith(".csv") and not n.startswith("__MACOSX")]
        if not csvs:
            raise Unreadable("neither a workbook nor CSV files")
        return {_stem(n): read_csv(archive.read(n)) for n in csvs}
    if filename.lower().endswith(".xlsx"):
        raise Unreadable("not a zip file")
    return {_stem(filename): read_csv(raw)}


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


def _read_xlsx(archive: zipfile.ZipFile) -> Sheets:
    try:
        workbook = ET.fromstring(archive.read("xl/workbook.xml"))
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        shared = _shared_strings(archive)
        sheets: Sheets = {}
        for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
            target = targets.get(sheet.get(f"{{{REL}}}id"), "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            sheets[(sheet.get("name") or "").strip().lower()] = _read_sheet(archive.read(path), shared)
        return sheets
    except (KeyError, ET.ParseError, ValueError) as error:
        raise Unreadable("broken workbook") from error


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    try:
        root = ET.fromstring(archive.read("xl/sharedStrings.xml"))
    except KeyError:
        return []
    return ["".join(t.text or "" for t in si.iter(f"{{{MAIN}}}t")) for si in root.iterfind("m:si", NS)]


_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _read_sheet(xml: bytes, shared: list[str]) -> list[list[str]]:
    root = ET.fromstring(xml)
    rows: dict[int, dict[int, str]] = {}
    next_row = 1
    for row in root.iterfind("m:sheetData/m:row", NS):
        r = int(row.get("r") or next_row)
        next_row = r + 1
        if r > MAX_ROWS + 1:
            break
        cells, next_col = {}, 0
        for cell in row.iterfind("m:c", NS):
            match = _REF.match(cell.get("r") or "")
            col = _column_index(match.group(1)) if match else next_col
            next_col = col + 1
            cells[col] = _cell_text(cell, shared)
        rows[r] = cells
    if not rows:
        return []
    out = []
    for r in range(1, max(rows) + 1):
        cells = rows.get(r, {})
        out.append([cells.get(c, "") for c in range(max(cells) + 1)] if cells else [])
    return out


def _cell_text(cell, shared: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{{{MAIN}}}t"))
    value = cell.findtext("m:v", default="", namespaces=NS)
    if kind == "s":
        return shared[int(value)] if value.isdigit() and int(value) < len(shared) else ""
    if kind == "b":
        return "yes" if value == "1" else "no"
    if kind == "d":  # an ISO 8601 date cell (strict Open XML): the date, or the date and time
        return value[:10] if value.endswith("T00:00:00") or len(value) == 10 else value
    if kind in ("str", "e"):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else repr(number)


def excel_serial_date(text: str) -> dt.date | None:
    """Excel stores a date as days since 1899-12-30 ("46082"); None if `text` is not such a number."""
    if re.fullmatch(r"\d{5}(\.\d+)?", text or ""):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))
    return None
