"""The county workbook (issue 21): a county's set-up exported, imported (all rows or none) and
round-tripped, through the service, the lead's page and `flask county export/import`."""
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import (
    AuditEvent,
    CareerCentre,
    CounsellorProfile,
    InterpreterProfile,
    Location,
    Role,
    Room,
    User,
)
from guidance.services import sheets, workbook
from guidance.services.demo import seed_demo
from tests.app import factories as f
from tests.conftest import _empty_tables


def _county(number="46"):
    return f.county(number)


def _counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (CareerCentre, Location, Room, User, CounsellorProfile, InterpreterProfile, AuditEvent)}


def _set(book, sheet, column, value, row=1):
    """Put `value` in `column` of data row `row` (1 = the first row under the header)."""
    header = book[sheet][0]
    book[sheet][row][header.index(column)] = value
    return book


def _own(book):
    """The template with its example rows made a county's own entries (the import refuses the
    examples themselves): other e-mails, another address and phone number."""
    _set(book, "counsellors", "email", "kari.nordmann@karriere.example.no")
    _set(book, "interpreters", "email", "ola.tolk@tolk.example.no")
    _set(book, "locations", "address", "Strandgata 3")
    _set(book, "centres", "phone", "+47 55 30 60 00")
    return book


def _problems(book, county_number="46"):
    with pytest.raises(workbook.WorkbookRejected) as refused:
        workbook.import_workbook(None, _county(county_number), book)
    return [(p.sheet, p.row, p.column, p.message) for p in refused.value.problems]


def test_export_then_import_into_an_empty_database_then_export_is_identical(app):
    seed_demo("46", referrals=3, today=dt.date(2027, 1, 4), password="demo-password-1")
    county = _county()
    county.closure_days = ["2027-05-18", "2027-12-24"]
    # A deactivated location keeps its counsellors (as the set-up page leaves them), and so does the import.
    outreach = db.session.scalars(select(Location).where(Location.outreach).order_by(Location.name)).first()
    outreach.active = False
    outreach_name = outreach.name
    linked = sorted(p.user.email for p in db.session.scalars(select(CounsellorProfile)) if outreach in p.locations)
    assert linked
    first = workbook.export(county)
    assert len(first["locations"]) > 5 and len(first["counsellors"]) > 12 and len(first["interpreters"]) > 25
    raw = sheets.write_xlsx(first)

    db.session.remove()
    _empty_tables(db)
    assert db.session.scalar(select(func.count()).select_from(Location)) == 0

    result = workbook.import_workbook(None, _county(), sheets.read(raw, "county-46.xlsx"))
    assert result.created["locations"] == len(first["locations"]) - 1
    assert result.created["interpreters"] == len(first["interpreters"]) - 1
    again = workbook.export(_county())
    for name in workbook.COLUMNS:
        assert again[name] == first[name], name
    assert sheets.write_xlsx(again) == raw
    outreach = db.session.scalar(select(Location).where(Location.name == outreach_name))
    assert outreach.active is False
    assert sorted(p.user.email for p in db.session.scalars(select(CounsellorProfile)) if outreach in p.locations) == linked
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "county.workbook_imported"))
    assert event is not None and "@" not in (event.detail or "")


def test_template_imports_into_an_empty_county(app):
    book = _own(sheets.read(workbook.template_xlsx(_county()), "template.xlsx"))
    result = workbook.import_workbook(None, _county(), book)
    assert dict(result.created) == {"locations": 1, "rooms": 1, "counsellors": 1, "interpreters": 1}
    counsellor = db.session.scalar(select(CounsellorProfile))
    assert [loc.name for loc in counsellor.locations] == ["Karrieresenter Bergen"]
    interpreter = db.session.scalar(select(InterpreterProfile))
    assert {(lang.language, lang.category) for lang in interpreter.languages} == {("uk", 1), ("ru", 3)}
    assert interpreter.hourly_rate_ore == 72000


BAD_CELLS = [
    ("locations", "municipality", "Atlantis", "locations", "municipality", "Vestland"),
    ("locations", "mon", "08:00-12:00, 11:00-16:00", "locations", "mon", "overlap"),
    ("interpreters", "languages", "uk F", "interpreters", "languages", "A til E"),
    ("rooms", "capacity", "0", "rooms", "capacity", "1 eller flere"),
    ("counsellors", "employment_start", "31.02.2027", "counsellors", "employment_start", "gyldig dato"),
    ("counsellors", "multicultural", "maybe", "counsellors", "multicultural", "ja eller nei"),
    ("interpreters", "hourly_rate", "lots", "interpreters", "hourly_rate", "kroner"),
    ("locations", "weekly_pattern", "someday", "locations", "weekly_pattern", "every, even eller odd"),
    ("settings", "group_min_size", "1", "settings", "group_min_size", "mellom 2 og 50"),
    ("closure_days", "date", "2027-13-01", "closure_days", "date", "gyldig dato"),
]


@pytest.mark.parametrize("sheet,column,value,at_sheet,at_column,words", BAD_CELLS)
def test_a_bad_cell_is_reported_by_sheet_row_and_column_and_nothing_is_written(app, sheet, column, value, at_sheet,
                                                                                 at_column, words):
    before = _counts()
    book = _set(_own(workbook.template(_county())), sheet, column, value)
    problems = _problems(book)
    assert any(p[0] == at_sheet and p[1] == 2 and p[2] == at_column and words in p[3] for p in problems), problems
    db.session.remove()
    assert _counts() == before


def test_a_counsellor_at_another_countys_location_is_refused(app):
    f.centre(county_number="18", town="1804")  # Karrieresenter Bodø, in Nordland
    book = _set(_own(workbook.template(_county())), "counsellors", "locations", "Karrieresenter Bodø")
    problems = _problems(book)
    assert ("counsellors", 2, "locations",
            "Det finnes ikke noe kontorsted med dette navnet i fylket eller i arket locations.") in problems


def test_a_missing_required_column_is_reported_on_the_header_row(app):
    book = _own(workbook.template(_county()))
    book["rooms"] = [[cell for i, cell in enumerate(row) if i != 2] for row in book["rooms"]]  # no capacity
    problems = _problems(book)
    assert [(p[0], p[1], p[2]) for p in problems] == [("rooms", 1, "capacity")]
    assert "mangler" in problems[0][3]


def test_an_unknown_column_is_named_with_the_rows_problems_not_alone(app):
    """One extra "notes" column hid the ten mistakes in the rows until it was removed, an upload later."""
    before = _counts()
    book = _own(workbook.template(_county()))
    book["interpreters"] = [row + (["notes"] if i == 0 else ["ring før 9"]) for i, row in enumerate(book["interpreters"])]
    book["rooms"].append(["Karrieresenter Bergen", "Grupperom", "0", "no", "yes"])
    problems = _problems(book)
    assert ("interpreters", 1, "notes") in [(p[0], p[1], p[2]) for p in problems]
    assert ("rooms", 3, "capacity") in [(p[0], p[1], p[2]) for p in problems]
    db.session.remove()
    assert _counts() == before


def test_good_sheets_and_one_bad_row_write_nothing(app):
    before = _counts()
    book = _own(workbook.template(_county()))
    book["rooms"].append(["Karrieresenter Bergen", "Grupperom", "0", "no", "yes"])
    book["rooms"].append(["Nowhere", "Rom 9", "2", "no", "yes"])
    problems = _problems(book)
    assert [(p[0], p[1], p[2]) for p in problems] == [("rooms", 3, "capacity"), ("rooms", 4, "location")]
    db.session.remove()
    assert _counts() == before
    assert db.session.scalar(select(Location).where(Location.name == "Karrieresenter Bergen")) is None


def test_import_updates_by_natural_key_deactivates_and_leaves_absent_rows_alone(app):
    county = _county()
    workbook.import_workbook(None, county, _own(workbook.template(county)))
    kept = db.session.scalar(select(Location).where(Location.name == "Karrieresenter Bergen"))
    book = workbook.export(_county())
    # Change one location's address, deactivate one counsellor, and leave the rooms sheet out.
    _set(book, "locations", "address", "Kaigaten 4")
    _set(book, "counsellors", "active", "no")
    _set(book, "interpreters", "email", "ny.adresse@example.no")  # found by its register ID instead
    del book["rooms"]
    rooms_before = db.session.scalar(select(func.count()).select_from(Room))
    result = workbook.import_workbook(None, _county(), book)
    assert result.created == {}
    assert db.session.get(Location, kept.id).address == "Kaigaten 4"
    assert db.session.scalar(select(CounsellorProfile)).active is False
    interpreters = db.session.scalars(select(InterpreterProfile)).all()
    assert [p.user.email for p in interpreters] == ["ny.adresse@example.no"]
    assert db.session.scalar(select(func.count()).select_from(Room)) == rooms_before


def test_the_same_key_twice_in_a_sheet_is_refused(app):
    book = _own(workbook.template(_county()))
    book["counsellors"].append(list(book["counsellors"][1]))
    problems = _problems(book)
    assert [(p[0], p[1], p[2]) for p in problems] == [("counsellors", 3, "email")]


def test_single_csv_and_zip_of_csvs_are_read_as_their_sheets(app):
    county = _county()
    workbook.import_workbook(None, county, _own(workbook.template(county)))
    csv_rooms = "location;name;capacity;video;active\r\nKarrieresenter Bergen;Grupperom;10;nei;ja\r\n".encode()
    workbook.import_workbook(None, _county(), workbook.read_upload(csv_rooms, "rooms.csv"))
    assert {r.name for r in db.session.scalars(select(Room))} == {"Samtalerom 1", "Grupperom"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("closure_days.csv", "date\n24.12.2027\n2027-12-31\n")
    workbook.import_workbook(None, _county(), workbook.read_upload(buffer.getvalue(), "county.zip"))
    assert _county().closure_days == ["2027-12-24", "2027-12-31"]


def test_an_unknown_sheet_and_a_file_that_is_not_a_workbook_are_refused(app):
    problems = _problems({"people": [["email"], ["a@example.no"]]})
    assert problems[0][:2] == ("people", 1)
    with pytest.raises(workbook.WorkbookRejected):
        workbook.read_upload(b"PK\x03\x04 not really a zip", "county.xlsx")


def _excel_like_workbook() -> bytes:
    """A workbook as Excel saves it: text in a shared-strings table, numbers and a date cell as
    numbers (the date as its serial), a sheet target given relative to xl/, cells without a row."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    strings = ["location", "name", "capacity", "video", "Karrieresenter Bergen", "Grupperom"]
    buffer = io.BytesIO()
    types = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml",
                         '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                         '<Default Extension="xml" ContentType="application/xml"/>'
                         f'<Override PartName="/xl/workbook.xml" ContentType="{types}.sheet.main+xml"/>'
                         f'<Override PartName="/xl/worksheets/data.xml" ContentType="{types}.worksheet+xml"/>'
                         f'<Override PartName="/xl/sharedStrings.xml" ContentType="{types}.sharedStrings+xml"/></Types>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                                            f'<sheet name="Rooms" sheetId="1" r:id="rId7"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels",
                         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                         f'<Relationship Id="rId7" Type="{rel}/worksheet" Target="worksheets/data.xml"/></Relationships>')
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}">'
                         + "".join(f"<si><t>{t}</t></si>" for t in strings) + "</sst>")
        archive.writestr("xl/worksheets/data.xml", f'<worksheet xmlns="{main}"><sheetData>'
                         '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
                         '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>'
                         '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="s"><v>5</v></c>'
                         '<c r="C3"><v>12</v></c><c r="D3" t="b"><v>1</v></c><c r="F3"><v>46082</v></c>'
                         '<c r="G3" t="d"><v>2026-03-01T00:00:00</v></c></row>'
                         '</sheetData></worksheet>')
    return buffer.getvalue()


def test_a_workbook_saved_by_excel_is_read_cell_by_cell(app):
    book = sheets.read(_excel_like_workbook(), "fra-excel.xlsx")
    assert book == {"rooms": [["location", "name", "capacity", "video"], [],
                              ["Karrieresenter Bergen", "Grupperom", "12", "yes", "", "46082", "2026-03-01"]]}
    assert sheets.excel_serial_date("46082") == dt.date(2026, 3, 1)
    county = _county()
    workbook.import_workbook(None, county, _own(workbook.template(county)))
    book["rooms"][2] = book["rooms"][2][:4]
    workbook.import_workbook(None, _county(), book)
    room = db.session.scalar(select(Room).where(Room.name == "Grupperom"))
    assert room.capacity == 12 and room.video is True


def _saved_by_openpyxl(book) -> bytes:
    """The sheets as a person's Excel saves them: cells of their own type, text in shared strings."""
    saved = openpyxl.Workbook()
    saved.remove(saved.active)
    for name, rows in book.items():
        sheet = saved.create_sheet(name.capitalize())
        for row in rows:
            sheet.append(row)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "dd.mm.yyyy"
    buffer = io.BytesIO()
    saved.save(buffer)
    return buffer.getvalue()


def test_a_workbook_with_number_date_and_true_false_cells_imports(app):
    county = _county()
    book = _own(workbook.template(county))
    header = book["settings"][0]
    book["settings"][1] = [{"individual_minutes": 45, "group_minutes": 90.0, "group_min_size": 3,
                            "group_max_size": 8, "max_travel_minutes": 90, "booking_answer_hours": 48,
                            "category_step_nok": 300.0, "interpreter_late_cancel_hours": 24.0, "reminder_working_days": 4, "publish_notice_days": 2, "session_idle_minutes": 45}[c]
                           for c in header]
    book["closure_days"][1] = [dt.date(2027, 12, 24)]
    book["closure_days"].append([dt.datetime(2027, 12, 31)])
    _set(book, "rooms", "capacity", 12)
    _set(book, "rooms", "video", False)
    _set(book, "rooms", "active", True)
    _set(book, "counsellors", "multicultural", True)
    _set(book, "counsellors", "multicultural_completed_on", dt.datetime(2024, 3, 1))
    _set(book, "counsellors", "max_sessions_per_day", 5)
    _set(book, "interpreters", "register_checked_on", dt.date(2026, 1, 5))
    _set(book, "interpreters", "hourly_rate", 720.5)
    _set(book, "interpreters", "min_billed_minutes", 60)
    raw = _saved_by_openpyxl(book)

    read = workbook.read_upload(raw, "fra-excel.xlsx")
    assert read["rooms"][1][2:5] == ["12", "no", "yes"]
    assert read["closure_days"] == [["date"], ["2027-12-24"], ["2027-12-31"]]
    result = workbook.import_workbook(None, _county(), read)
    assert dict(result.created) == {"locations": 1, "rooms": 1, "counsellors": 1, "interpreters": 1}
    county = _county()
    assert (county.individual_minutes, county.group_minutes, county.group_min_size, county.reminder_working_days,
            county.category_step_nok, county.interpreter_late_cancel_hours) == (45, 90, 3, 4, 300, 24)
    assert county.closure_days == ["2027-12-24", "2027-12-31"]
    room = db.session.scalar(select(Room))
    assert (room.capacity, room.video, room.active) == (12, False, True)
    counsellor = db.session.scalar(select(CounsellorProfile))
    assert counsellor.multicultural_completed_on == dt.date(2024, 3, 1) and counsellor.max_sessions_per_day == 5
    interpreter = db.session.scalar(select(InterpreterProfile))
    assert interpreter.register_checked_on == dt.date(2026, 1, 5) and interpreter.hourly_rate_ore == 72050


def test_the_reminder_days_notice_days_and_idle_minutes_make_the_round_trip(app):
    county = _county()
    county.reminder_working_days, county.publish_notice_days, county.session_idle_minutes = 5, 4, 30
    raw = workbook.template_xlsx(county)
    assert sheets.read(raw, "t.xlsx")["settings"][0][-3:] == ["reminder_working_days", "publish_notice_days",
                                                              "session_idle_minutes"]
    county.reminder_working_days, county.publish_notice_days, county.session_idle_minutes = 2, 3, None
    workbook.import_workbook(None, county, _own(sheets.read(raw, "t.xlsx")))
    assert (_county().reminder_working_days, _county().publish_notice_days, _county().session_idle_minutes) \
        == (5, 4, 30)
    # An older workbook without the columns keeps the county's values.
    book = _own(workbook.template(_county()))
    book["settings"] = [row[:-3] for row in book["settings"]]
    workbook.import_workbook(None, _county(), book)
    assert (_county().reminder_working_days, _county().publish_notice_days, _county().session_idle_minutes) \
        == (5, 4, 30)
    _set(book := _own(workbook.template(_county())), "settings", "publish_notice_days", "21")
    assert ("settings", 2, "publish_notice_days") in [p[:3] for p in _problems(book)]
    # An empty idle-minutes cell means the installation's standard, as on the settings page.
    _set(book := _own(workbook.template(_county())), "settings", "session_idle_minutes", "")
    workbook.import_workbook(None, _county(), book)
    assert _county().session_idle_minutes is None
    _set(book := _own(workbook.template(_county())), "settings", "reminder_working_days", "11")
    assert ("settings", 2, "reminder_working_days") in [p[:3] for p in _problems(book)]
    _set(book := _own(workbook.template(_county())), "settings", "session_idle_minutes", "2")
    assert ("settings", 2, "session_idle_minutes") in [p[:3] for p in _problems(book)]


def test_a_written_workbook_keeps_text_as_text_with_a_bold_frozen_header_and_a_fixed_date(app):
    raw = sheets.write_xlsx({"rooms": [["location", "name", "capacity"], ["=HYPERLINK(1)", "0800", "12"]]})
    saved = openpyxl.load_workbook(io.BytesIO(raw))
    sheet = saved["rooms"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b and not sheet["A2"].font.b
    assert [(c.value, c.data_type, c.number_format) for c in sheet[2]] == [
        ("=HYPERLINK(1)", "s", "@"), ("0800", "s", "@"), ("12", "s", "@")]
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["C"].width
    assert saved.properties.modified == saved.properties.created == sheets.FIXED_TIME
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(raw)).infolist()} == {(2020, 1, 1, 0, 0, 0)}
    assert sheets.read(raw, "x.xlsx") == {"rooms": [["location", "name", "capacity"], ["=HYPERLINK(1)", "0800", "12"]]}


def test_a_broken_workbook_and_a_zip_bomb_are_refused_without_unpacking(app):
    good = zipfile.ZipFile(io.BytesIO(workbook.template_xlsx(_county())))
    for broken_part in ("xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for info in good.infolist():
                archive.writestr(info.filename, b"<not xml" if info.filename == broken_part else good.read(info))
        with pytest.raises(workbook.WorkbookRejected):
            workbook.read_upload(buffer.getvalue(), "county.xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (sheets.MAX_UNZIPPED + 1))
    with pytest.raises(sheets.Unreadable, match="too large"):
        sheets.read(buffer.getvalue(), "county.xlsx")


def test_a_sheet_with_too_many_rows_is_refused_on_the_first_row_too_many(app):
    book = _own(workbook.template(_county()))
    book["closure_days"] += [["2027-12-24"]] * sheets.MAX_ROWS
    read = sheets.read(sheets.write_xlsx(book), "big.xlsx")
    assert len(read["closure_days"]) == sheets.MAX_ROWS + 1  # reading stops there
    problems = _problems(read)
    assert ("closure_days", sheets.MAX_ROWS + 1, "") in [p[:3] for p in problems]


# ---------------------------------------------------------------------------- the page


def _upload(client, county_id, content: bytes, name="county.xlsx"):
    return client.post(f"/setup/counties/{county_id}/workbook",
                       data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_lead_uploads_a_workbook_with_bad_rows_and_sees_a_problem_per_row_and_column(app, client):
    w = f.world()
    f.login(client, w.lead)
    before = _counts()
    book = _set(_own(workbook.template(_county())), "rooms", "capacity", "0")
    _set(book, "interpreters", "languages", "uk F")
    response = _upload(client, w.lead.county_id, sheets.write_xlsx(book))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Ingenting ble importert" in page
    assert "<td>rooms</td><td>2</td><td>capacity</td>" in page
    assert "<td>interpreters</td><td>2</td><td>languages</td>" in page
    db.session.remove()
    assert _counts() == before


def test_lead_downloads_the_template_uploads_it_and_exports_the_county(app, client):
    w = f.world()
    f.login(client, w.lead)
    county_id = w.lead.county_id
    assert "workbook" in client.get(f"/setup/counties/{county_id}").get_data(as_text=True)
    template = client.get(f"/setup/counties/{county_id}/workbook/template.xlsx")
    assert template.status_code == 200 and template.mimetype.endswith("spreadsheetml.sheet")
    # Uploaded as it is, its example people and place would become real ones: refused, with the reason.
    before = _counts()
    refused = _upload(client, county_id, template.data)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert page.count("Dette er eksempelraden fra malen") == 5   # location, its room, its centre, counsellor, interpreter
    db.session.remove()
    assert _counts() == before
    # the downloads list every language code with its name, to look up; it is not read back
    codes = {row[0]: row[1] for row in sheets.read(template.data, "t.xlsx")["language_codes"][1:]}
    assert codes["kmr"] == "Kurmanji" and codes["ti"] == "Tigrinja" and codes["prs"] == "Dari"
    response = _upload(client, county_id, sheets.write_xlsx(_own(sheets.read(template.data, "t.xlsx"))))
    assert response.status_code == 302
    exported = client.get(f"/setup/counties/{county_id}/workbook/export.xlsx")
    assert exported.status_code == 200 and exported.headers["Cache-Control"] == "no-store"
    rows = sheets.read(exported.data, "x.xlsx")
    assert "kari.nordmann@karriere.example.no" in [r[0] for r in rows["counsellors"]]
    assert "language_codes" in rows and _upload(client, county_id, exported.data).status_code == 302  # round trip
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "county.workbook_exported")) is not None


def test_another_countys_lead_gets_404_and_a_referrer_403(app, client):
    w = f.world()
    county_id = w.lead.county_id
    f.login(client, w.other_county_lead)
    for url in ("", "/export.xlsx", "/template.xlsx"):
        assert client.get(f"/setup/counties/{county_id}/workbook{url}").status_code == 404
    assert _upload(client, county_id, workbook.template_xlsx(_county())).status_code == 404
    client.post("/logout")
    f.login(client, w.referrer)
    assert client.get(f"/setup/counties/{county_id}/workbook").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Location)) == 1  # the world's own


# ---------------------------------------------------------------------------- the commands


def test_county_import_command_refuses_bad_input_with_exit_code_2_and_writes_nothing(app, tmp_path):
    before = _counts()
    path = tmp_path / "bad.xlsx"
    path.write_bytes(sheets.write_xlsx(_set(_own(workbook.template(_county())), "rooms", "capacity", "0")))
    result = app.test_cli_runner().invoke(args=["county", "import", str(path), "--county", "46"])
    assert result.exit_code == 2
    assert "rooms, row 2, capacity:" in result.output
    db.session.remove()
    assert _counts() == before


def test_county_commands_export_and_import(app, tmp_path):
    runner = app.test_cli_runner()
    template = tmp_path / "template.xlsx"
    template.write_bytes(sheets.write_xlsx(_own(workbook.template(_county()))))
    result = runner.invoke(args=["county", "import", str(template), "--county", "46"])
    assert result.exit_code == 0, result.output
    assert "created 1 counsellors, 1 interpreters, 1 locations, 1 rooms" in result.output
    assert "invitations e-mailed to 2 new account(s)" in result.output
    out = tmp_path / "export.xlsx"
    result = runner.invoke(args=["county", "export", str(out), "--county", "46"])
    assert result.exit_code == 0, result.output
    assert sheets.read(out.read_bytes(), out.name)["rooms"][1][:3] == ["Karrieresenter Bergen", "Samtalerom 1", "1"]
    assert runner.invoke(args=["county", "export", str(out), "--county", "99"]).exit_code == 2


def test_closure_days_the_sheet_drops_are_named_after_the_import(app, client):
    """The sheet replaces the list: a closure day set on the settings page and missing from the sheet
    went without a word (the go-live review)."""
    w = f.world()
    county = _county()
    county.closure_days = ["2027-04-01", "2026-12-24"]
    db.session.commit()
    f.login(client, w.lead)
    book = {"closure_days": [["date"], ["2026-12-24"], ["2026-12-31"]]}
    response = _upload(client, w.lead.county_id, sheets.write_xlsx(book))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1. apr. 2027 er ikke lenger en stengt dag" in page
    assert sorted(_county().closure_days) == ["2026-12-24", "2026-12-31"]


def test_norwegian_words_and_language_names_are_read_and_a_wrong_one_names_what_to_write(app):
    """The review typed "oppmøte, video", "byrå" and "Somali B": refused with messages that repeated the
    words the sheet did not take."""
    book = _own(workbook.template(_county()))
    _set(book, "interpreters", "modes", "oppmøte, video")
    _set(book, "interpreters", "booking_channel", "byrå")
    _set(book, "interpreters", "agency_name", "Tolkebyrå Vest AS")
    _set(book, "interpreters", "languages", "Somali B, arabisk A")
    _set(book, "counsellors", "languages", "norsk, Engelsk, ukrainsk")
    workbook.import_workbook(None, _county(), book)
    interpreter = db.session.scalar(select(InterpreterProfile))
    assert interpreter.modes == ["onsite", "video"] and interpreter.booking_channel == "agency"
    assert {(lang.language, lang.category) for lang in interpreter.languages} == {("so", 2), ("ar", 1)}
    assert db.session.scalar(select(CounsellorProfile)).languages == ["nb", "en", "uk"]

    wrong = _own(workbook.template(_county()))
    _set(wrong, "interpreters", "modes", "tolk på stedet")
    _set(wrong, "interpreters", "booking_channel", "rammeavtale")
    _set(wrong, "counsellors", "languages", "nb, klingon")
    problems = {(p[0], p[2]): p[3] for p in _problems(wrong)}
    assert problems[("interpreters", "modes")].startswith("Skriv onsite, video eller phone (eller oppmøte")
    assert problems[("interpreters", "booking_channel")] == "Skriv direct eller agency (eller direkte, byrå)."
    assert problems[("counsellors", "languages")].startswith("klingon er ikke et språk vi kjenner. Skriv koden")
    assert problems[("counsellors", "languages")].endswith("arket language_codes har kodene.")


def test_one_bad_location_row_is_named_on_its_rooms_and_counsellors_rows(app):
    book = _own(workbook.template(_county()))
    _set(book, "locations", "mon", "8-16")
    problems = _problems(book)
    assert ("locations", 2, "mon") in [p[:3] for p in problems]
    follow_on = [p for p in problems if p[0] in ("rooms", "counsellors")]
    assert follow_on and all(p[3].startswith("Karrieresenter Bergen har en feil i sin egen rad (rad 2 i arket "
                                             "locations)") for p in follow_on), follow_on


def test_a_counsellors_daily_break_makes_the_round_trip_and_must_be_one_break(app):
    book = _own(workbook.template(_county()))
    _set(book, "counsellors", "mon", "08:00-11:30, 12:00-15:30")
    _set(book, "counsellors", "tue", "08:00-11:30, 12:00-15:30")
    workbook.import_workbook(None, _county(), book)
    profile = db.session.scalar(select(CounsellorProfile))
    assert profile.weekly["1"] == [["08:00", "11:30"], ["12:00", "15:30"]] and profile.weekly["2"] == profile.weekly["1"]
    exported = workbook.export(_county())
    header = exported["counsellors"][0]
    assert exported["counsellors"][1][header.index("mon")] == "08:00-11:30, 12:00-15:30"
    workbook.import_workbook(None, _county(), exported)
    assert workbook.export(_county()) == exported
    _set(book, "counsellors", "tue", "08:00-11:00, 11:30-15:30")
    assert ("counsellors", 2, "tue") in [p[:3] for p in _problems(book)]


def test_a_years_interpreter_budgets_come_in_one_sheet(app):
    """A county sets its budget month by month on the settings page; a year's plan is one sheet."""
    from guidance.models import InterpreterBudget
    from guidance.services import setup

    county = _county()
    book = _own(workbook.template(county))
    book["interpreter_budgets"] += [["2027-01", "160 000"], ["2027-02", "155000"], [dt.datetime(2027, 3, 1), "150000"]]
    read = workbook.read_upload(_saved_by_openpyxl(book), "budsjett.xlsx")
    result = workbook.import_workbook(None, _county(), read)
    assert result.updated["interpreter_budgets"] == 3
    budgets = {b.month: b.amount_ore // 100 for b in setup.budgets_of(_county())}
    assert budgets == {dt.date(2027, 1, 1): 160_000, dt.date(2027, 2, 1): 155_000, dt.date(2027, 3, 1): 150_000}
    # The county's workbook gives them back; a bad month is named and nothing is written.
    assert workbook.export(_county())["interpreter_budgets"][1:] == [["2027-01", "160000"], ["2027-02", "155000"],
                                                                     ["2027-03", "150000"]]
    bad = workbook.export(_county())
    bad["interpreter_budgets"].append(["mars 2027", "1000"])
    bad["interpreter_budgets"][1][1] = "170000"
    try:
        workbook.import_workbook(None, _county(), bad)
    except workbook.WorkbookRejected as error:
        assert [(p.sheet, p.row, p.column) for p in error.problems] == [("interpreter_budgets", 5, "month")]
    else:
        raise AssertionError("a month that is not a month was accepted")
    assert db.session.scalar(select(InterpreterBudget).where(InterpreterBudget.month == dt.date(2027, 1, 1))
                             ).amount_ore == 16_000_000


def test_a_counsellors_days_at_a_location_make_the_round_trip_and_an_unreadable_day_is_named(app):
    """"Tuesdays in Voss": the sheet writes the days in brackets after the location, as the counsellor page
    ticks them; a location without brackets is every day."""
    book = _own(workbook.template(_county()))
    workbook.import_workbook(None, _county(), book)   # the example location first
    name = db.session.scalar(select(Location.name))
    exported = workbook.export(_county())
    header = exported["counsellors"][0]
    column = header.index("locations")
    assert exported["counsellors"][1][column] == name
    exported["counsellors"][1][column] = f"{name} (tirsdag, tor)"
    workbook.import_workbook(None, _county(), exported)
    profile = db.session.scalar(select(CounsellorProfile))
    location_id = db.session.scalar(select(Location.id))
    assert profile.location_days == {str(location_id): [2, 4]}
    again = workbook.export(_county())
    assert again["counsellors"][1][column] == f"{name} (tue, thu)"
    workbook.import_workbook(None, _county(), again)
    assert workbook.export(_county()) == again

    again["counsellors"][1][column] = f"{name} (someday)"
    problems = _problems(again)
    assert [(p[0], p[1], p[2]) for p in problems] == [("counsellors", 2, "locations")]
    assert "Utekontor Voss (tir, tor)" in problems[0][3]
    db.session.expire_all()
    assert db.session.scalar(select(CounsellorProfile)).location_days == {str(location_id): [2, 4]}


def test_a_leads_own_row_makes_them_a_counsellor_and_a_fellow_leads_row_stays_theirs(app):
    """A small centre's lead who holds sessions enters their own row in the counsellors sheet, as on the
    counsellor form: they keep the role lead and are planned. A fellow lead's row is theirs: the exported sheet
    lists it and an unchanged row passes, a changed one is refused and nothing is written; nor does a fellow
    lead's e-mail make them a counsellor."""
    county = _county()
    lead, fellow = f.user(Role.LEAD, name="Liv Leder"), f.user(Role.LEAD, name="Frode Fellesleder")
    book = _own(workbook.template(county))
    _set(book, "counsellors", "email", lead.email)
    _set(book, "counsellors", "name", lead.name)
    result = workbook.import_workbook(lead, county, book)
    assert result.created["counsellors"] == 1 and lead not in result.new_users   # no second account, no invitation
    db.session.expire_all()
    assert lead.role is Role.LEAD and lead.counsellor is not None and lead.counsellor.active

    # The fellow lead imports the county's own export, their colleague's row unchanged: it passes.
    exported = workbook.export(county)
    workbook.import_workbook(fellow, county, exported)
    # ... and changed: refused on that row, nothing written.
    row = next(i for i, r in enumerate(exported["counsellors"]) if r[0] == lead.email)
    changed = [list(r) for r in exported["counsellors"]]
    changed[row][changed[0].index("max_sessions_per_day")] = "1"
    before = _counts()
    with pytest.raises(workbook.WorkbookRejected) as refused:
        workbook.import_workbook(fellow, county, {**exported, "counsellors": changed})
    assert [(p.sheet, p.row, p.column) for p in refused.value.problems] == [("counsellors", row + 1, "email")]
    assert lead.name in refused.value.problems[0].message
    db.session.expire_all()
    assert lead.counsellor.max_sessions_per_day != 1 and _counts() == before

    # The fellow lead's e-mail in a row of their colleague's import: refused, not linked.
    added = [list(r) for r in exported["counsellors"]] + [list(exported["counsellors"][row])]
    added[-1][0], added[-1][1] = fellow.email, fellow.name
    with pytest.raises(workbook.WorkbookRejected):
        workbook.import_workbook(lead, county, {**exported, "counsellors": added})
    db.session.expire_all()
    assert fellow.counsellor is None


def test_an_example_row_is_named_together_with_every_other_problem(app):
    """A workbook that still held the template's counsellor row was refused for that row alone; the bad
    date of another sheet came one upload later."""
    book = workbook.template(_county())
    _set(book, "interpreters", "email", "ola.tolk@tolk.example.no")   # the interpreter row made the county's own
    _set(book, "locations", "address", "Strandgata 3")
    _set(book, "centres", "phone", "+47 55 30 60 00")
    _set(book, "counsellors", "employment_start", "31.02.2027")     # still Kari Nordmann, the example
    _set(book, "interpreters", "hourly_rate", "lots")
    before = _counts()
    found = {(sheet, column) for sheet, _row, column, _message in _problems(book)}
    assert ("counsellors", "email") in found and ("interpreters", "hourly_rate") in found, found
    db.session.expire_all()
    assert _counts() == before


def test_a_counsellors_locations_may_be_separated_by_commas_as_the_languages_are():
    """"Karrieresenter Bergen, Utekontor Voss" was refused as one unknown location: only ";" separated them."""
    from guidance.services.workbook import _location_items

    known = {"karrieresenter bergen": 1, "utekontor voss": 2, "bergen, avd. nord": 3}
    assert _location_items("Karrieresenter Bergen, Utekontor Voss", known) == ["Karrieresenter Bergen", "Utekontor Voss"]
    assert _location_items("Karrieresenter Bergen; Utekontor Voss (tue, thu)", known) == [
        "Karrieresenter Bergen", "Utekontor Voss (tue, thu)"]
    assert _location_items("Karrieresenter Bergen, Utekontor Voss (tue, thu)", known) == [
        "Karrieresenter Bergen", "Utekontor Voss (tue, thu)"]
    assert _location_items("Bergen, avd. Nord", known) == ["Bergen, avd. Nord"]      # a name with a comma
    assert _location_items("Karrieresenter Bergen, Nowhere", known) == ["Karrieresenter Bergen, Nowhere"]   # named as typed


def test_known_travel_times_come_in_their_own_sheet_and_replace_the_countys(app, client):
    """A ferry the straight line misses ("Bergen – Stord: 120") could only be typed on the settings page: a
    county that keeps its set-up in the workbook lost it (the set-up review). The sheet replaces the list, and the
    page names the journeys it dropped."""
    w = f.world()
    county = _county()
    county.known_travel = [{"from": "4601", "to": "4614", "minutes": 110}, {"from": "4601", "to": "4621", "minutes": 80}]
    db.session.commit()
    exported = workbook.export(county)
    assert exported["known_travel"] == [["from", "to", "minutes"], ["Bergen", "Stord", "110"], ["Bergen", "Voss", "80"]]
    assert workbook.template(county)["known_travel"] == [["from", "to", "minutes"]]

    f.login(client, w.lead)
    book = {"known_travel": [["from", "to", "minutes"], ["Bergen", "Stord", "120"], ["4647", "bergen", "200"]]}
    response = _upload(client, w.lead.county_id, sheets.write_xlsx(book))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bergen – Voss er ikke lenger blant dem" in page
    assert _county().known_travel == [{"from": "4601", "to": "4614", "minutes": 120},
                                      {"from": "4601", "to": "4647", "minutes": 200}]
    assert "Bergen – Sunnfjord: 200" in client.get(f"/setup/counties/{county.id}").get_data(as_text=True)


def test_a_known_travel_row_that_cannot_be_read_is_named_on_its_cell_with_what_it_holds(app, client):
    w = f.world()
    county = _county()
    county.known_travel = [{"from": "4601", "to": "4614", "minutes": 110}]
    db.session.commit()
    book = {"known_travel": [["from", "to", "minutes"], ["Førde", "Bergen", "200"], ["Bergen", "Stord", "0"],
                             ["Stord", "Stord", "30"], ["Voss", "Bergen", "80"], ["bergen", "voss", "85"]]}
    problems = _problems(book)
    assert ("known_travel", 2, "from", "«Førde» er ikke en kommune i fylket: skriv kommunens navn eller nummer "
            "(et tettsted regnes som kommunen sin).") in problems
    assert ("known_travel", 3, "minutes", "Skriv minutter én vei, 1 til 600.") in problems
    assert ("known_travel", 4, "to", "En reise går mellom to kommuner.") in problems
    assert ("known_travel", 6, "from", "Den samme reisen står allerede i rad 5.") in problems
    assert len(problems) == 4
    assert _county().known_travel == [{"from": "4601", "to": "4614", "minutes": 110}]

    f.login(client, w.lead)
    page = _upload(client, w.lead.county_id, sheets.write_xlsx(book)).get_data(as_text=True)
    assert "<td>known_travel</td><td>2</td><td>from</td><td>Førde</td>" in page


def test_the_settings_page_names_a_town_that_is_not_a_municipality(app, client):
    """"Førde – Bergen: 200" was refused with the rule alone; the lead could not tell that Førde is in Sunnfjord."""
    w = f.world()
    county = _county()
    f.login(client, w.lead, language="en")
    page = client.get(f"/setup/counties/{county.id}/settings", headers={"Accept-Language": "en"}).get_data(as_text=True)
    import re

    data = {name: value for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page)}
    data.update(known_travel="Bergen – Stord: 120\nFørde–Bergen: 200\nStord – Odda: 100", budget_amount="160 000")
    response = client.post(f"/setup/counties/{county.id}/settings", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    import html

    text = html.unescape(response.get_data(as_text=True))
    assert "These are not municipalities of the county: Førde, Odda. A town counts as the municipality it is in." in text
    assert "Bergen – Stord: 120\nFørde–Bergen: 200" in text   # what the lead typed stays
