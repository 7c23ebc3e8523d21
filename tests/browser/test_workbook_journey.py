"""The lead uploads the county workbook in Norwegian: a bad row is reported by sheet, row and column
with nothing written; corrected, the workbook is imported (issue 21)."""
from __future__ import annotations

from sqlalchemy import select

from tests.browser.conftest import login, new_context, screenshot
from tests.browser.test_accessibility import axe_violations


def test_lead_uploads_a_workbook_and_corrects_a_bad_row_nb(browser, live, tmp_path):
    from playwright.sync_api import expect

    from guidance.extensions import db
    from guidance.models import Room
    from guidance.services import sheets

    def workbook_file(capacity: str):
        # A room kept out of plans (active no), so the shared browser world plans as before.
        path = tmp_path / f"fylke-{capacity}.xlsx"
        path.write_bytes(sheets.write_xlsx({"rooms": [["location", "name", "capacity", "video", "active"],
                                                      ["Karrieresenter Bergen", "Stillerom", capacity, "nei", "nei"]]}))
        return str(path)

    ctx = new_context(browser)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live, live.world.lead)
        page.get_by_role("navigation").get_by_role("link", name="Oppsett").click()
        page.get_by_role("link", name="Importer eller eksporter fylket som arbeidsbok").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Import og eksport")
        assert axe_violations(page, "workbook-nb-1-page") == []

        page.get_by_label("Arbeidsbok (.xlsx), CSV-fil eller zip-fil med CSV-filer").set_input_files(workbook_file("0"))
        with page.expect_navigation():
            page.get_by_role("button", name="Kontroller og importer").click()
        screenshot(page, "workbook-nb-2-problems")
        expect(page.get_by_role("alert")).to_contain_text("Ingenting ble importert")
        row = page.get_by_role("row").filter(has_text="capacity")
        expect(row).to_contain_text("rooms")
        expect(row).to_contain_text("2")
        assert axe_violations(page, "workbook-nb-2-problems") == []
        with live.app_context():
            assert db.session.scalar(select(Room).where(Room.name == "Stillerom")) is None

        page.get_by_label("Arbeidsbok (.xlsx), CSV-fil eller zip-fil med CSV-filer").set_input_files(workbook_file("2"))
        with page.expect_navigation():
            page.get_by_role("button", name="Kontroller og importer").click()
        screenshot(page, "workbook-nb-3-imported")
        expect(page.locator(".flash").first).to_contain_text("Arbeidsboken ble importert. Nye oppføringer: 1")
        with live.app_context():
            room = db.session.scalar(select(Room).where(Room.name == "Stillerom"))
            assert (room.capacity, room.video, room.active) == (2, False, False)
    finally:
        ctx.close()
