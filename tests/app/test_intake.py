"""The referral form, correction and withdrawal, attachments and duplicate detection."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import Attachment, AuditEvent, Participant, Referral, ReferralStatus, Role
from guidance.services import referrals
from guidance.services.attachments import Upload, sniff
from guidance.services.errors import DomainError
from guidance.services.referrals import ReferralData
from tests.app import factories as f
from guidance.planning.ids import local_today

PDF = b"%PDF-1.7\n" + b"x" * 200


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<Types><Override PartName="/word/document.xml" ContentType='
                         '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def form_data(**changes) -> dict:
    """A complete, valid referral form as a browser posts it (Bergen referrer, Bergen participant)."""
    bergen = f.municipality("4601")
    today = local_today()
    data = {
        "name": "Olena Kovalenko", "phone": "+47 412 34 567", "municipality_id": str(bergen.id),
        "legal_basis": "integration_act", "settlement_date": (today - dt.timedelta(days=10)).isoformat(),
        "programme_decision_date": "", "window_months": "3", "language": "uk", "needs_interpreter": "y",
        "needs": ["individual", "group"], "earliest_date": "", "accessibility_needs": "", "notes": "Ønsker helsefag.",
        "action": "send",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def valid_data(**changes) -> ReferralData:
    bergen = f.municipality("4601")
    values = dict(name="Olena Kovalenko", phone="+47 412 34 567", municipality_id=bergen.id, legal_basis="integration_act",
                  settlement_date=local_today() - dt.timedelta(days=10), language="uk")
    values.update(changes)
    return ReferralData(**values)


def upload_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


def files_in(app) -> list[str]:
    folder = upload_folder(app)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- the form, as a referrer uses it -------------------------------------------------------------

def test_referrer_submits_a_referral_with_a_pdf_plan(client, app):
    referrer = f.user(Role.REFERRER)
    f.login(client, referrer)
    data = form_data(attachments=(io.BytesIO(PDF), "plan.pdf"))
    response = client.post("/intake/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert referral.participant.name == "Olena Kovalenko"
    assert referral.deadline == referral.settlement_date + relativedelta(months=3)
    assert referral.referred_by_id == referrer.id
    assert [a.original_name for a in referral.attachments] == ["plan.pdf"]
    assert files_in(app) == [referral.attachments[0].stored_name]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert referral.reference in page and "plan.pdf" in page


def test_a_participant_who_needs_step_free_access_is_told_to_the_centre(client):
    """The tick reaches the referral (which the planner reads) and the pages the lead and referrer read."""
    f.login(client, f.user(Role.REFERRER))
    form = client.get("/intake/new").get_data(as_text=True)
    assert "Trenger trinnfri tilgang" in form and "rullestol eller med rullator" in form
    response = client.post("/intake/new", data=form_data(needs_step_free="y"))
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert referral.participant.needs_step_free is True
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<dt>Trenger trinnfri tilgang</dt><dd>Ja</dd>" in page


def test_a_date_typed_with_the_commas_of_a_phones_number_pad_is_read(client):
    f.login(client, f.user(Role.REFERRER))
    settled = local_today() - dt.timedelta(days=10)
    response = client.post("/intake/new", data=form_data(settlement_date=settled.strftime("%d,%m,%Y")))
    assert response.status_code == 302
    assert db.session.scalar(select(Referral)).settlement_date == settled


def test_the_form_is_norwegian_and_lists_common_languages_first(client):
    f.login(client, f.user(Role.REFERRER))
    page = client.get("/intake/new").get_data(as_text=True)
    assert "Ny henvisning" in page and "Integreringsloven" in page
    common = page.index('label="Vanlige språk"')
    assert common < page.index(">Ukrainsk<") < page.index('label="Alle språk"') < page.index(">Zulu<")
    # nobody is referred in Latin or Volapük, and bokmål and nynorsk are the Norwegian there is
    assert 'value="la"' not in page and 'value="vo"' not in page and 'value="no"' not in page


def test_bad_input_gets_a_message_beside_each_field_and_keeps_what_was_typed(client, app):
    f.login(client, f.user(Role.REFERRER))
    data = form_data(name="", settlement_date="31.02.2027", language="xx", needs=None, phone="12",
                     notes="Husk tolk", attachments=(io.BytesIO(PDF), "plan.pdf"))
    response = client.post("/intake/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Skriv deltakerens fulle navn.", "Skriv en gyldig dato", "Velg deltakerens språk fra listen.",
                    "Velg minst én type veiledning.", "minst 8 sifre"):
        assert message in page
    assert 'id="name-error"' in page and 'aria-describedby="name-error"' in page
    # The summary in the page's order (language comes before the dates), and the one date named.
    summary = page[page.index('class="error-summary"'):page.index("</ul>", page.index('class="error-summary"'))]
    assert re.findall(r'<a href="#(\w+)">', summary) == ["name", "phone", "language", "settlement_date", "needs", "attachments"], summary
    assert "Bosettingsdato: Skriv en gyldig dato" in summary
    assert "Husk tolk" in page and 'value="31.02.2027"' in page
    assert "velge vedleggene på nytt" in page
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
    assert files_in(app) == []


def test_files_to_choose_again_are_a_problem_in_the_summary_and_at_the_file_field(client):
    """The walk: a note under the error summary said files "are not kept", named none, and stood far from
    the file field; the referral was sent again without its plan. The browser cannot refill the field, so
    the page asks for the files by name where a problem is listed and where they are chosen."""
    import re

    f.login(client, f.user(Role.REFERRER))
    data = form_data(name="", attachments=[(io.BytesIO(PDF), "plan.pdf"), (io.BytesIO(PDF), "cv.pdf")])
    response = client.post("/intake/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    asked = "Du må velge vedleggene på nytt (plan.pdf, cv.pdf)"
    assert response.status_code == 400
    summary = page[page.index('class="error-summary"'):page.index("</div>", page.index('class="error-summary"'))]
    assert f'<a href="#attachments">{asked}' in summary
    assert re.search(r'<p class="error-message" id="attachments-error"><span>' + re.escape(asked), page)
    field = re.search(r'<input[^>]*id="attachments"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and "attachments-error" in field


def test_a_file_that_will_be_refused_is_named_the_first_time_the_form_comes_back(client):
    """The walk: a text file beside a mistake elsewhere was only asked for again, and refused on the second try."""
    f.login(client, f.user(Role.REFERRER))
    data = form_data(name="", attachments=[(io.BytesIO(PDF), "plan.pdf"), (io.BytesIO(b"hei"), "note.txt")])
    page = client.post("/intake/new", data=data, content_type="multipart/form-data").get_data(as_text=True)
    error = page[page.index('id="attachments-error"'):][:600]
    assert "note.txt er ikke et PDF" in error or "note.txt er ikke en PDF" in error, error
    assert "Du må velge vedleggene på nytt (plan.pdf)" in error


def test_two_fields_with_the_same_message_are_named_in_the_error_summary(client):
    """The summary listed "Skriv en gyldig dato" twice, without saying which date was meant."""
    import html as html_module

    f.login(client, f.user(Role.REFERRER))
    data = form_data(settlement_date="31.02.2027", earliest_date="99.99.2027")
    page = html_module.unescape(client.post("/intake/new", data=data, content_type="multipart/form-data")
                                .get_data(as_text=True))
    summary = page[page.index('class="error-summary"'):page.index("</ul>", page.index('class="error-summary"'))]
    links = re.findall(r'<a href="#(settlement_date|earliest_date)">([^<]+)</a>', summary)
    assert [anchor for anchor, _text in links] == ["settlement_date", "earliest_date"], summary
    assert all(text.startswith(label) for (_a, text), label in zip(links, ("Bosettingsdato: ", "Tidligste dato"))), links
    # The settlement date could not be read: the page does not say the answers give no statutory deadline.
    assert "Ingen lovfestet frist" not in page


def test_nothing_is_asked_again_when_no_file_was_chosen(client):
    f.login(client, f.user(Role.REFERRER))
    page = client.post("/intake/new", data=form_data(name=""), content_type="multipart/form-data").get_data(as_text=True)
    assert "vedleggene på nytt" not in page and 'id="attachments-error"' not in page


def test_the_form_shows_the_deadline_and_warns_when_few_working_days_remain(client):
    f.login(client, f.user(Role.REFERRER))
    today = local_today()
    settled = today - dt.timedelta(days=85)  # three months after falls within a week or so
    response = client.post("/intake/new", data=form_data(settlement_date=settled.isoformat(), action="preview"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Frist:" in page and "færre enn 10 arbeidsdager" in page
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
    # a warning, not a block: the same answers can be sent
    assert client.post("/intake/new", data=form_data(settlement_date=settled.isoformat())).status_code == 302


def test_a_distant_deadline_has_no_warning(client):
    f.login(client, f.user(Role.REFERRER))
    page = client.post("/intake/new", data=form_data(action="preview")).get_data(as_text=True)
    assert "Frist:" in page and "færre enn 10 arbeidsdager" not in page


def test_showing_the_deadline_of_an_unreadable_or_future_date_names_the_date_not_no_deadline(client):
    """The walk: "32.10.2026" previewed "no statutory deadline with these answers" for an Integration Act
    referral, which always has one; a future date previewed a deadline that sending then refused."""
    f.login(client, f.user(Role.REFERRER))
    for bad in ("32.10.2026", (local_today() + dt.timedelta(days=300)).isoformat()):
        response = client.post("/intake/new", data=form_data(settlement_date=bad, action="preview"))
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and 'id="settlement_date-error"' in page, bad
        assert "Ingen lovfestet frist" not in page and "Frist:" not in page


def test_home_municipality_must_be_own_or_in_the_same_county(client):
    f.login(client, f.user(Role.REFERRER))
    oslo = f.municipality("0301")
    page = client.post("/intake/new", data=form_data(municipality_id=str(oslo.id))).get_data(as_text=True)
    assert "Velg din egen kommune eller en i ditt fylke." in page
    voss = f.municipality("4621")
    assert client.post("/intake/new", data=form_data(municipality_id=str(voss.id))).status_code == 302


def test_referrer_sees_the_new_referral_in_their_list_with_its_deadline(client):
    f.login(client, f.user(Role.REFERRER))
    client.post("/intake/new", data=form_data())
    referral = db.session.scalar(select(Referral))
    listing = client.get("/referrals/").get_data(as_text=True)
    assert referral.reference in listing and "Olena Kovalenko" in listing
    assert str(referral.deadline.year) in listing


def test_the_list_marks_a_deadline_gone_by_without_a_session_as_passed(client, travel_to):
    travel_to(f.oslo(2027, 3, 1, 10))
    w = f.world()
    late = f.referral(name="Late Person", settlement=dt.date(2026, 11, 2))  # deadline 31 January
    kept = f.referral(name="Kept Person", settlement=dt.date(2026, 11, 2))
    f.published_session(w.counsellor, kept, start=f.oslo(2027, 1, 20, 9), status="completed")
    ahead = f.referral(name="Ahead Person", settlement=dt.date(2027, 2, 1))
    f.login(client, w.referrer)
    rows = {name: row for row in client.get("/referrals/").get_data(as_text=True).split("<tr>")
            for name in ("Late Person", "Kept Person", "Ahead Person") if name in row}
    assert "passert" in rows["Late Person"]
    assert "passert" not in rows["Kept Person"] and "passert" not in rows["Ahead Person"]
    assert late.deadline == dt.date(2027, 1, 31) and ahead.deadline > dt.date(2027, 3, 1)


# --- attachments -----------------------------------------------------------------------------------

@pytest.mark.parametrize("data,kind", [
    (PDF, "application/pdf"),
    (docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (odt_bytes(), "application/vnd.oasis.opendocument.text"),
    (xlsx_bytes(), None),
    (b"MZ\x90\x00 an executable", None),
    (b"PK\x03\x04 not really a zip", None),
])
def test_attachment_type_is_judged_by_content(data, kind):
    assert sniff(data) == kind


def test_an_executable_named_pdf_is_refused_and_nothing_is_written(client, app):
    f.login(client, f.user(Role.REFERRER))
    data = form_data(attachments=(io.BytesIO(b"MZ\x90\x00 evil"), "plan.pdf"))
    page = client.post("/intake/new", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "plan.pdf er ikke et PDF-, Word- (DOCX) eller OpenDocument-dokument (ODT)." in page
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 0
    assert files_in(app) == []


def test_a_file_over_10_mb_is_refused(client, app):
    f.login(client, f.user(Role.REFERRER))
    big = PDF + b"0" * (10 * 1024 * 1024)
    page = client.post("/intake/new", data=form_data(attachments=(io.BytesIO(big), "stor.pdf")),
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "stor.pdf er større enn 10 MB." in page
    assert files_in(app) == []


def test_more_than_five_attachments_are_refused(client, app):
    f.login(client, f.user(Role.REFERRER))
    files = [(io.BytesIO(PDF), f"plan{i}.pdf") for i in range(6)]
    page = client.post("/intake/new", data=form_data(attachments=files), content_type="multipart/form-data").get_data(as_text=True)
    assert "Høyst 5 vedlegg per henvisning." in page
    assert files_in(app) == []


def test_a_failed_commit_leaves_no_file_behind(app, monkeypatch):
    referrer = f.user(Role.REFERRER)

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        referrals.submit_referral(referrer, valid_data(), [Upload("plan.pdf", PDF)], referring=referrer.municipality)
    monkeypatch.undo()
    assert files_in(app) == []
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_attachment_is_served_as_a_download_to_the_referrer_and_the_lead(client, app):
    w = f.world()
    referrals.correct_referral(w.referrer, w.own_referral, ReferralData.from_referral(w.own_referral), [Upload("plan.pdf", PDF)])
    item = w.own_referral.attachments[0]
    url = f"/referrals/{w.own_referral.id}/attachments/{item.id}"
    for person in (w.referrer, w.lead):
        client = app.test_client()
        f.login(client, person)
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == PDF
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["Cache-Control"] == "no-store"
        assert response.mimetype == "application/pdf"


def test_a_referrer_removes_a_file_attached_by_mistake_and_it_is_gone_for_everyone(client, app):
    """Another participant's plan attached by mistake stayed on the referral, for the counsellor to read."""
    w = f.world()
    referrals.correct_referral(w.referrer, w.own_referral, ReferralData.from_referral(w.own_referral), [Upload("plan.pdf", PDF)])
    item = w.own_referral.attachments[0]
    stored, item_id = item.stored_name, item.id
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    action = f"/intake/referrals/{w.own_referral.id}/attachments/{item_id}/remove"
    assert f'action="{action}"' in page
    response = client.post(action)
    assert response.status_code == 302
    assert "plan.pdf er fjernet fra henvisningen." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.get(Attachment, item_id) is None and stored not in files_in(app)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.attachment_removed"))
    assert event is not None and "plan.pdf" not in (event.detail or "")
    assert client.get(f"/referrals/{w.own_referral.id}/attachments/{item_id}").status_code == 404


def test_a_closed_referrals_files_stay_and_another_municipality_cannot_remove_them(client, app):
    w = f.world()
    referrals.correct_referral(w.referrer, w.own_referral, ReferralData.from_referral(w.own_referral), [Upload("plan.pdf", PDF)])
    item_id = w.own_referral.attachments[0].id
    other = f.user(Role.REFERRER, municipality_number="4621")
    f.login(client, other)
    assert client.post(f"/intake/referrals/{w.own_referral.id}/attachments/{item_id}/remove").status_code == 404
    w.own_referral.status = ReferralStatus.NOTE_SHARED
    db.session.commit()
    f.login(client, w.referrer)
    assert 'attachments/%d/remove' % item_id not in client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    client.post(f"/intake/referrals/{w.own_referral.id}/attachments/{item_id}/remove")
    assert db.session.get(Attachment, item_id) is not None


def test_attachment_is_hidden_from_another_municipality_and_another_county(client, app):
    w = f.world()
    referrals.correct_referral(w.referrer, w.own_referral, ReferralData.from_referral(w.own_referral), [Upload("plan.pdf", PDF)])
    item = w.own_referral.attachments[0]
    for person in (w.other_referrer, w.other_county_lead, w.counsellor):
        client = app.test_client()
        f.login(client, person)
        assert client.get(f"/referrals/{w.own_referral.id}/attachments/{item.id}").status_code == 404
    # nor through a referral the user may see
    client = app.test_client()
    f.login(client, w.other_referrer)
    assert client.get(f"/referrals/{w.other_referral.id}/attachments/{item.id}").status_code == 404


def test_cross_municipality_pages_answer_404(client):
    w = f.world()
    f.login(client, w.other_referrer)
    assert client.get(f"/referrals/{w.own_referral.id}").status_code == 404
    assert client.get(f"/intake/referrals/{w.own_referral.id}/correct").status_code == 404
    assert client.post(f"/intake/referrals/{w.own_referral.id}/withdraw", data={"reason": "x"}).status_code == 404
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.RECEIVED


# --- duplicates ----------------------------------------------------------------------------------

def test_a_name_without_its_middle_part_is_asked_about_and_a_relative_with_another_language_is_not(client):
    """"Selam Gebremedhin" was sent a week after "Selam Tesfay Gebremedhin" (same language, no phone): it went
    straight through, and the participant was booked twice."""
    f.login(client, f.user(Role.REFERRER))
    assert client.post("/intake/new", data=form_data(name="Selam Tesfay Gebremedhin", language="ti")).status_code == 302
    again = client.post("/intake/new", data=form_data(name="Selam Gebremedhin", language="ti", phone=""))
    page = html.unescape(again.get_data(as_text=True))
    assert again.status_code == 400 and 'name="confirm_duplicate"' in page
    assert "gjelder Selam Tesfay Gebremedhin: samme fornavn og etternavn, språk og bostedskommune" in page
    assert "(mottatt)" in page
    other = client.post("/intake/new", data=form_data(name="Selam Gebremedhin", language="ar", phone=""))
    assert other.status_code == 302


def test_the_same_participant_twice_within_six_months_asks_for_confirmation(client):
    f.login(client, f.user(Role.REFERRER))
    assert client.post("/intake/new", data=form_data()).status_code == 302
    again = client.post("/intake/new", data=form_data(name="  olena   KOVALENKO ", phone=""))
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "har samme navn og bostedskommune" in page and 'name="confirm_duplicate"' in page
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1
    confirmed = client.post("/intake/new", data=form_data(name="olena kovalenko", confirm_duplicate="y"))
    assert confirmed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 2


def test_a_name_written_with_or_without_its_hyphen_is_the_same_name(client):
    """"Ahmad Alhassan" in a settlement wave's spreadsheet went through beside "Ahmad Al-Hassan" (the wave review)."""
    f.login(client, f.user(Role.REFERRER))
    assert client.post("/intake/new", data=form_data(name="Ahmad Al-Hassan", language="ar")).status_code == 302
    again = client.post("/intake/new", data=form_data(name="Ahmad Alhassan", language="ar", phone=""))
    assert again.status_code == 400 and 'name="confirm_duplicate"' in again.get_data(as_text=True)


def test_the_same_phone_number_in_another_format_counts_as_a_duplicate(app):
    referrer = f.user(Role.REFERRER)
    referrals.submit_referral(referrer, valid_data(phone="+47 412 34 567"), referring=referrer.municipality)
    with pytest.raises(referrals.DuplicateSuspected) as suspected:
        referrals.submit_referral(referrer, valid_data(name="Someone Else", phone="41234567"), referring=referrer.municipality)
    # The referrer is told why: the number, not the name (a family often shares one phone).
    assert "har samme telefonnummer" in suspected.value.field_errors["confirm_duplicate"][0]


def test_a_referral_older_than_six_months_or_from_another_municipality_is_no_duplicate(app):
    referrer = f.user(Role.REFERRER)
    other = f.user(Role.REFERRER, municipality_number="4621")
    first = referrals.submit_referral(referrer, valid_data(), referring=referrer.municipality).referral
    # another municipality referring the same person is its own decision
    referrals.submit_referral(other, valid_data(municipality_id=other.municipality_id), referring=other.municipality)
    first.created_at = first.created_at - dt.timedelta(days=200)
    db.session.commit()
    referrals.submit_referral(referrer, valid_data(), referring=referrer.municipality)
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 3


# --- correction and withdrawal ------------------------------------------------------------------

def test_referrer_corrects_a_mistake_and_the_lead_sees_what_changed(client, app):
    w = f.world()
    f.login(client, w.referrer)
    page = client.get(f"/intake/referrals/{w.own_referral.id}/correct").get_data(as_text=True)
    assert 'value="Amal Haddad"' in page
    data = form_data(name="Amal Haddad", language="ar", phone="+47 400 00 000", notes="",
                     settlement_date=w.own_referral.settlement_date.isoformat(), video_ok="y")
    data["needs"] = ["individual", "group"]
    response = client.post(f"/intake/referrals/{w.own_referral.id}/correct", data=data)
    assert response.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.corrected"))
    assert event.actor_id == w.referrer.id
    assert "Amal" not in (event.detail or "") and "video_ok" in event.detail
    lead = app.test_client()
    f.login(lead, w.lead)
    detail = lead.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "Korrigert av henviser" in detail and "Video mulig" in detail


def test_correction_recomputes_the_deadline_from_the_programme_decision(app):
    referrer = f.user(Role.REFERRER)
    referral = referrals.submit_referral(referrer, valid_data(settlement_date=local_today()), referring=referrer.municipality).referral
    data = ReferralData.from_referral(referral)
    data.programme_decision_date = local_today() + dt.timedelta(days=40)
    assert referrals.correct_referral(referrer, referral, data) == ["programme_decision_date"]
    assert referral.deadline == local_today() + dt.timedelta(days=39)


def test_a_booked_referral_can_no_longer_be_corrected(client):
    w = f.world()
    w.own_referral.status = ReferralStatus.BOOKED
    db.session.commit()
    with pytest.raises(DomainError):
        referrals.correct_referral(w.referrer, w.own_referral, ReferralData.from_referral(w.own_referral))
    f.login(client, w.referrer)
    response = client.get(f"/intake/referrals/{w.own_referral.id}/correct")
    assert response.status_code == 302


def test_withdrawal_needs_a_reason_and_works_even_when_booked(client):
    w = f.world()
    w.own_referral.status = ReferralStatus.BOOKED
    db.session.commit()
    f.login(client, w.referrer)
    url = f"/intake/referrals/{w.own_referral.id}/withdraw"
    empty = client.post(url, data={"reason": "  "})
    assert empty.status_code == 400 and "Skriv hvorfor henvisningen trekkes." in empty.get_data(as_text=True)
    assert client.post(url, data={"reason": "Flyttet til Oslo"}).status_code == 302
    referral = db.session.get(Referral, w.own_referral.id)
    assert referral.status is ReferralStatus.WITHDRAWN and referral.withdrawn_reason == "Flyttet til Oslo"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.withdrawn"))
    assert "Oslo" not in (event.detail or "")


def test_a_withdrawn_referral_cannot_be_withdrawn_again(app):
    w = f.world()
    referrals.withdraw_referral(w.referrer, w.own_referral, "Startet i jobb")
    with pytest.raises(DomainError):
        referrals.withdraw_referral(w.referrer, w.own_referral, "Igjen")


def test_the_withdraw_form_of_a_closed_referral_says_so_before_a_reason_is_typed(client):
    """An old link opened the form for a referral already closed, and it said so only after the reason was typed."""
    w = f.world()
    w.own_referral.status = ReferralStatus.NOTE_SHARED
    db.session.commit()
    f.login(client, w.referrer)
    response = client.get(f"/intake/referrals/{w.own_referral.id}/withdraw")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/referrals/{w.own_referral.id}")
    assert "Denne henvisningen er allerede avsluttet." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_audit_details_never_carry_personal_data(app):
    referrer = f.user(Role.REFERRER)
    result = referrals.submit_referral(referrer, valid_data(name="Unik Navnesen", phone="+47 999 88 777", notes="hemmelig"),
                                       [Upload("Unik Navnesen plan.pdf", PDF)], referring=referrer.municipality)
    data = ReferralData.from_referral(result.referral)
    data.notes = "enda mer hemmelig"
    referrals.correct_referral(referrer, result.referral, data)
    referrals.withdraw_referral(referrer, result.referral, "Unik Navnesen flyttet")
    details = " ".join(e.detail or "" for e in db.session.scalars(select(AuditEvent)))
    for secret in ("Unik", "Navnesen", "99988777", "999 88 777", "hemmelig", "flyttet"):
        assert secret not in details


# --- validation in the service ---------------------------------------------------------------------

@pytest.mark.parametrize("changes,field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"phone": "abc"}, "phone"),
    ({"municipality_id": None}, "municipality_id"),
    ({"legal_basis": "other"}, "legal_basis"),
    ({"settlement_date": None}, "settlement_date"),
    ({"settlement_date": local_today() + dt.timedelta(days=400)}, "settlement_date"),
    ({"programme_decision_date": local_today() - dt.timedelta(days=20)}, "programme_decision_date"),
    ({"legal_basis": "temporary_act", "window_months": 13}, "window_months"),
    ({"language": "klingon"}, "language"),
    ({"needs": []}, "needs"),
    ({"needs": ["individual", "coaching"]}, "needs"),
    ({"earliest_date": local_today() + dt.timedelta(days=200)}, "earliest_date"),
    ({"earliest_date": local_today() - dt.timedelta(days=1)}, "earliest_date"),  # "not before" a day gone by
    ({"legal_basis": "temporary_act", "window_months": 0}, "window_months"),  # not read as the default 3
    ({"settlement_date": dt.date(2019, 1, 1)}, "settlement_date"),  # before the Integration Act
    ({"accessibility_needs": "x" * 2001}, "accessibility_needs"),
    ({"notes": "x" * 5001}, "notes"),
])
def test_each_rule_names_its_field(app, changes, field):
    referrer = f.user(Role.REFERRER)
    with pytest.raises(DomainError) as refused:
        referrals.submit_referral(referrer, valid_data(**changes), referring=referrer.municipality)
    assert field in refused.value.field_errors
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_needs_default_by_legal_basis(app):
    referrer = f.user(Role.REFERRER)
    ordinary = referrals.submit_referral(referrer, valid_data(legal_basis="ordinary", needs=None), referring=referrer.municipality)
    assert ordinary.referral.needs == ["individual"] and ordinary.referral.deadline is None
    act = referrals.submit_referral(referrer, valid_data(name="B", phone=None, needs=None), referring=referrer.municipality)
    assert act.referral.needs == ["individual", "group"]


def test_temporary_act_uses_the_window_the_referrer_set(app):
    referrer = f.user(Role.REFERRER)
    today = dt.date(2027, 1, 10)
    result = referrals.submit_referral(referrer, valid_data(legal_basis="temporary_act", window_months=2, settlement_date=None),
                                       referring=referrer.municipality, today=today)
    assert result.referral.deadline == dt.date(2027, 3, 10) and result.referral.window_months == 2



# --- the Oslo date, not the machine's (UTC) date ---------------------------------------------------

# 23:30 UTC on Thursday 14 January 2027 is already 00:30 on Friday 15 January in Oslo (UTC+1 in winter).
LATE_EVENING_UTC = dt.datetime(2027, 1, 14, 23, 30, tzinfo=dt.timezone.utc)
OSLO_DAY = dt.date(2027, 1, 15)


@pytest.fixture
def late_evening(travel_to):
    travel_to(LATE_EVENING_UTC)
    return LATE_EVENING_UTC


def test_a_referral_sent_late_in_the_evening_gets_the_oslo_date_and_its_deadline(client, late_evening):
    from guidance.planning.ids import local_date

    referrer = f.user(Role.REFERRER)
    f.login(client, referrer)
    response = client.post("/intake/new", data=form_data(legal_basis="temporary_act", settlement_date="",
                                                          window_months="3"))

    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert local_date(referral.created_at) == OSLO_DAY  # the referral date
    assert referral.earliest_date == OSLO_DAY  # "earliest: today" by default
    assert referral.deadline == dt.date(2027, 4, 15)  # three months from the Oslo date, not from 14 January

    # A correction computes the deadline from the same referral date.
    data = ReferralData.from_referral(referral)
    data.window_months = 2
    referrals.correct_referral(referrer, referral, data)
    assert db.session.get(Referral, referral.id).deadline == dt.date(2027, 3, 15)


def test_the_queue_counts_working_days_from_the_oslo_date(client, late_evening):
    lead = f.user(Role.LEAD)
    referral = f.referral(deadline=dt.date(2027, 1, 29))
    referral.created_at = late_evening
    db.session.commit()
    f.login(client, lead)

    text = client.get("/queue/export.csv").data.decode("utf-8-sig")

    header, row = text.splitlines()[:2]
    cells = dict(zip(header.split(";"), row.split(";")))
    assert cells["Mottatt"] == OSLO_DAY.isoformat()
    # Monday 18 to Friday 29 January: ten working days from Friday 15 (eleven from Thursday 14).
    assert cells["Arbeidsdager igjen"] == "10"


def test_a_participant_whose_deadline_has_passed_can_still_be_referred(client):
    """Settled five months ago, referred today: the deadline is behind us, the referral is late and
    the most urgent in the queue, never refused because "earliest" (today) is after the deadline."""
    referrer = f.user(Role.REFERRER)
    f.login(client, referrer)
    settled = local_today() - relativedelta(months=5)
    response = client.post("/intake/new", data=form_data(settlement_date=settled.isoformat()))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    referral = db.session.scalar(select(Referral))
    assert referral.deadline == settled + relativedelta(months=3) < local_today()
    assert referral.earliest_date == local_today()


def test_an_overdue_referral_can_be_corrected(app):
    referrer = f.user(Role.REFERRER)
    settled = local_today() - relativedelta(months=4)
    referral = referrals.submit_referral(referrer, valid_data(settlement_date=settled),
                                         referring=referrer.municipality).referral
    data = ReferralData.from_referral(referral)
    data.phone = "+47 400 00 001"
    assert referrals.correct_referral(referrer, referral, data) == ["phone"]


def test_a_correction_keeps_an_earliest_date_that_has_passed_since(app, travel_to):
    referrer = f.user(Role.REFERRER)
    travel_to(f.oslo(2027, 1, 11, 10))
    referral = referrals.submit_referral(referrer, valid_data(settlement_date=dt.date(2027, 1, 4)),
                                         referring=referrer.municipality).referral
    travel_to(f.oslo(2027, 2, 1, 10))
    data = ReferralData.from_referral(referral)
    data.phone = "+47 400 00 001"
    assert referrals.correct_referral(referrer, referral, data) == ["phone"]
    assert referral.earliest_date == dt.date(2027, 1, 11)


def test_an_earliest_date_after_a_deadline_still_ahead_is_refused(app):
    referrer = f.user(Role.REFERRER)
    data = valid_data(settlement_date=local_today() - dt.timedelta(days=10),
                      earliest_date=local_today() + dt.timedelta(days=100))
    with pytest.raises(DomainError) as refused:
        referrals.submit_referral(referrer, data, referring=referrer.municipality)
    assert "earliest_date" in refused.value.field_errors


def test_the_language_is_not_chosen_for_the_referrer(client):
    """A new referral's language starts empty: sent without choosing, the form asks for it and keeps
    everything else (a preselected Ukrainian went unnoticed for an Arabic speaker)."""
    f.login(client, f.user(Role.REFERRER))
    page = client.get("/intake/new").get_data(as_text=True)
    import re

    menu = re.search(r'<select[^>]*id="language"[^>]*>.*?</select>', page, re.S).group(0)
    assert '<option value="" selected>Velg språk</option>' in menu
    assert menu.count(" selected") == 1
    response = client.post("/intake/new", data=form_data(language=""))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Velg deltakerens språk fra listen." in body and 'value="Olena Kovalenko"' in body
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_a_booked_referral_still_takes_a_plan_sent_later(client, app):
    """The introduction programme's plan often comes after the booking: the referrer attaches it on the
    referral page; a bad file is refused and nothing is stored."""
    w = f.world()
    w.own_referral.status = ReferralStatus.BOOKED
    db.session.commit()
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert f'action="/intake/referrals/{w.own_referral.id}/attachments"' in page
    assert page.count('id="attachments"') == 1 and '<label class="label" for="attachments">' in page   # the input's own label
    url = f"/intake/referrals/{w.own_referral.id}/attachments"
    refused = client.post(url, data={"attachments": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "plan.pdf")},
                          content_type="multipart/form-data")
    # The message at the field, not in a flash at the top of the page the browser had scrolled past.
    assert refused.status_code == 400 and 'id="attachments-error"' in refused.get_data(as_text=True)
    error = refused.get_data(as_text=True).split('id="attachments-error"')[1][:300]
    assert "plan.pdf" in error and not db.session.get(Referral, w.own_referral.id).attachments
    # Said at the top too, where the page opens (the field is far down a booked referral's page), and the menu
    # marks the referrals, not "New referral".
    body = refused.get_data(as_text=True)
    summary = body[body.index('class="error-summary"'):body.index("</div>", body.index('class="error-summary"'))]
    assert 'href="#attachments"' in summary and "plan.pdf" in summary
    assert body.index('class="error-summary"') < body.index("<h1>")
    assert 'href="/referrals/" aria-current="page"' in body or 'aria-current="page" href="/referrals/"' in body
    assert files_in(app) == []
    response = client.post(url, data={"attachments": (io.BytesIO(PDF), "plan.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    referral = db.session.get(Referral, w.own_referral.id)
    assert [a.original_name for a in referral.attachments] == ["plan.pdf"]
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "Filer lagt ved av henviser" in page and "1 vedlegg lagt til" in page
    lead = app.test_client()
    f.login(lead, w.lead)
    lead_page = lead.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "plan.pdf" in lead_page and f'action="{url}"' not in lead_page   # the lead reads, the referrer attaches


def test_date_fields_bring_up_a_phones_number_pad(client):
    f.login(client, f.user(Role.REFERRER))
    page = client.get("/intake/new").get_data(as_text=True)
    for name in ("settlement_date", "programme_decision_date", "earliest_date"):
        field = page[page.index(f'name="{name}"') - 200:page.index(f'name="{name}"') + 200]
        assert 'inputmode="decimal"' in field, name


def test_when_the_participant_can_come_is_kept_shown_and_offered_again_for_correction(client):
    """A referrer wrote "kan berre kome 09–14, barnehage" in the notes; the planner does not read notes, and the
    participant was booked at 14:00. The weekdays and part of the day are fields the planner keeps to."""
    f.login(client, f.user(Role.REFERRER))
    form = client.get("/intake/new").get_data(as_text=True)
    assert "Dager deltakeren kan komme (valgfritt)" in form
    response = client.post("/intake/new", data=form_data(can_come_weekdays=["2", "3"], can_come_part="morning"))
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert referral.can_come_weekdays == [2, 3] and referral.can_come_part == "morning"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<dt id="can-come">Kan komme</dt><dd>tirsdag og onsdag, før kl. 12' in page
    again = client.get(f"/intake/referrals/{referral.id}/correct").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="2"|<input[^>]*value="2"[^>]*checked', again)
    assert '<option selected value="morning">' in again


def test_every_weekday_ticked_is_no_limit_and_a_forged_part_of_day_is_refused(client):
    f.login(client, f.user(Role.REFERRER))
    client.post("/intake/new", data=form_data(can_come_weekdays=["1", "2", "3", "4", "5"]))
    referral = db.session.scalar(select(Referral))
    assert referral.can_come_weekdays is None and referral.can_come_part is None
    response = client.post("/intake/new", data=form_data(name="Amal Haddad", can_come_part="night"))
    assert response.status_code == 400
    assert "Velg før kl. 12, fra kl. 12 eller hele dagen." in response.get_data(as_text=True)
