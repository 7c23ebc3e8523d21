"""Bulk upload: a template Excel keeps æøå in, comma or semicolon, every row checked, all or nothing."""
from __future__ import annotations

import html
import datetime as dt
import io

from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import AuditEvent, Referral, Role
from guidance.services import referral_csv
from tests.app import factories as f
from guidance.planning.ids import local_today

# The header of sheets filled before the step-free column came (they still import: every test below).
HEADER = "navn;telefon;bostedskommune;hjemmel;bosettingsdato;vedtaksdato;frist_maaneder;spraak;tolk;video;individuell;gruppe;tidligste_dato;tilrettelegging;programraadgiver_deltar;merknader"


def settled() -> str:
    return (local_today() - dt.timedelta(days=5)).strftime("%d.%m.%Y")


def upload(client, text: str, encoding: str = "utf-8-sig", **extra):
    data = {"file": (io.BytesIO(text.encode(encoding)), "gruppe.csv"), **extra}
    return client.post("/intake/bulk", data=data, content_type="multipart/form-data")


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Referral))


def test_template_is_utf8_with_bom_and_semicolons(client):
    f.login(client, f.user(Role.REFERRER))
    response = client.get("/intake/bulk/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert response.data.decode("utf-8-sig").splitlines()[0] == HEADER.replace(";video;", ";video;trinnfri_tilgang;") \
        .replace(";tidligste_dato;", ";tidligste_dato;kan_komme_dager;kan_komme_tid;")


def test_the_page_says_what_each_of_the_templates_columns_takes_in_the_pages_language(client):
    """On the English page the template's Norwegian headers (bosettingsdato, frist_maaneder) were explained nowhere.
    Each column of the template the page offers is named with what to write in it."""
    f.login(client, f.user(Role.REFERRER), language="en")
    page = html.unescape(client.get("/intake/bulk").get_data(as_text=True))
    guide = page[page.index('class="column-guide"'):]
    template = client.get("/intake/bulk/template.csv").data.decode("utf-8-sig").splitlines()[0].split(";")
    for header in template:
        assert f"<code>{header}</code>" in guide, header
    assert '<code>bosettingsdato</code></th><td data-label="What to write">Settlement date, like 17.03.2027.' in guide
    client.post("/language", data={"language": "nn", "next": "/"})
    nynorsk = html.unescape(client.get("/intake/bulk").get_data(as_text=True))
    assert '<code>busetjingsdato</code></th><td data-label="Kva du skriv">Busetjingsdato, som 17.03.2027.' in nynorsk


def test_a_participant_who_needs_step_free_access_says_so_in_its_column(client):
    f.login(client, f.user(Role.REFERRER))
    header = HEADER.replace(";video;", ";video;trinnfri_tilgang;")
    text = "\n".join([header, f"Amal Haddad;;4601;integreringsloven;{settled()};;;ar;ja;nei;ja;ja;ja;;;nei;",
                      f"Selam Tesfay;;4601;integreringsloven;{settled()};;;ti;ja;nei;;ja;ja;;;nei;"])
    assert upload(client, text).status_code == 302
    made = {r.participant.name: r.participant.needs_step_free for r in db.session.scalars(select(Referral))}
    assert made == {"Amal Haddad": True, "Selam Tesfay": False}


def test_the_templates_own_example_row_is_named_and_never_becomes_a_referral(client):
    """A referrer first tries the template unchanged: nothing else in its example row is wrong (no settlement
    date in the future), but the example must not become a real referral: it had been planned, booked with an
    interpreter and sent letters, for a person nobody referred."""
    f.login(client, f.user(Role.REFERRER, municipality_number="4601"))
    text = client.get("/intake/bulk/template.csv").data.decode("utf-8-sig")
    response = upload(client, text, confirm_duplicates="y")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and count() == 0
    assert "Dette er eksempelraden fra malen" in page
    assert page.count('<td>2</td>') == 1   # that, and nothing else wrong with the row
    # a real participant written over it goes through
    real = text.replace("Olena Kovalenko", "Iryna Bondar").replace("+47 412 34 567", "+47 412 34 999")
    assert upload(client, real).status_code == 302
    (made,) = db.session.scalars(select(Referral)).all()
    assert made.settlement_date == local_today() - dt.timedelta(days=14)


def test_an_excel_workbook_is_named_as_such(client):
    """An .xlsx read as "unknown columns: PK"."""
    f.login(client, f.user(Role.REFERRER))
    response = client.post("/intake/bulk", data={"file": (io.BytesIO(b"PK\x03\x04" + b"\0" * 200), "henvisninger.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "Dette er en Excel-arbeidsbok, ikke en CSV-fil" in response.get_data(as_text=True)


def test_a_filled_template_sends_every_row(client):
    f.login(client, f.user(Role.REFERRER))
    text = "\n".join([HEADER,
                      f"Bjørn Ærlig Åsen;+47 412 34 567;4601;integreringsloven;{settled()};;;uk;ja;nei;ja;ja;;;nei;",
                      f"Amal Haddad;;Voss;ordinær;;;;ar;ja;nei;;;;Rullestol;ja;Har CV",
                      f"Selam Tesfay;;4601;midlertidig;;;2;ti;ja;nei;ja;nei;;;nei;"])
    response = upload(client, text)
    assert response.status_code == 302
    made = {r.participant.name: r for r in db.session.scalars(select(Referral))}
    assert set(made) == {"Bjørn Ærlig Åsen", "Amal Haddad", "Selam Tesfay"}
    assert made["Amal Haddad"].needs == ["individual"] and made["Amal Haddad"].deadline is None
    assert made["Amal Haddad"].participant.municipality.name == "Voss"
    assert made["Selam Tesfay"].window_months == 2 and made["Selam Tesfay"].needs == ["individual"]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.submitted")).all()
    assert len(events) == 3 and all('"csv"' in e.detail for e in events)
    # The list that follows is by deadline: the message names the new ones, so the referrer finds them.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 henvisninger ble sendt til karrieresenteret: " in page
    assert all(r.reference in page[page.index("ble sendt til karrieresenteret"):][:200] for r in made.values())


def test_comma_separated_windows_1252_from_excel_is_read(client):
    f.login(client, f.user(Role.REFERRER))
    text = "\r\n".join([HEADER.replace(";", ","), f"Bjørn Åsen,,4601,integreringsloven,{settled()},,,uk,ja,nei,ja,ja,,,nei,"])
    assert upload(client, text, encoding="cp1252").status_code == 302
    assert db.session.scalar(select(Referral)).participant.name == "Bjørn Åsen"


def test_one_bad_row_sends_nothing_and_the_report_names_row_and_column(client):
    f.login(client, f.user(Role.REFERRER))
    text = "\n".join([HEADER,
                      f"Bjørn Åsen;;4601;integreringsloven;{settled()};;;uk;ja;nei;ja;ja;;;nei;",
                      f";;4601;integreringsloven;32.13.2027;;;xx;kanskje;nei;ja;ja;;;nei;",
                      f"Amal Haddad;;0301;integreringsloven;{settled()};;;ar;ja;nei;ja;ja;;;nei;"])
    response = upload(client, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert count() == 0
    assert "<td>3</td><td>bosettingsdato</td><td>Skriv en gyldig dato, som 17.03.2027.</td>" in page
    assert "<td>3</td><td>tolk</td><td>Skriv ja eller nei.</td>" in page
    # what the cell holds, beside what is wrong with it
    assert "<td>3</td><td>bosettingsdato</td><td>Skriv en gyldig dato, som 17.03.2027.</td><td><bdi>32.13.2027</bdi></td>" in page
    assert "<td>3</td><td>tolk</td><td>Skriv ja eller nei.</td><td><bdi>kanskje</bdi></td>" in page
    assert "<td>3</td><td>navn</td><td>Skriv deltakerens fulle navn.</td>" in page
    assert "<td>3</td><td>spraak</td>" in page
    assert "<td>4</td><td>bostedskommune</td>" in page


def test_the_same_participant_twice_in_a_file_is_refused_whatever_the_box_says(client):
    """Ticked "send anyway" (meant for earlier referrals), a row copied in the file went through: one woman
    got two referrals, two sessions, two interpreter bookings and two letters with different times."""
    f.login(client, f.user(Role.REFERRER))
    row = f"Bjørn Åsen;;4601;integreringsloven;{settled()};;;uk;ja;nei;ja;ja;;;nei;"
    page = upload(client, "\n".join([HEADER, row, row])).get_data(as_text=True)
    assert "Rad 2 har samme deltaker: fjern den ene av de to radene." in page and count() == 0
    assert "ser ut som en deltaker som er henvist før" not in page   # no box helps here: correct the file
    refused = upload(client, "\n".join([HEADER, row, row]), confirm_duplicates="y")
    assert refused.status_code == 400 and count() == 0


def test_a_familys_one_phone_in_two_rows_is_asked_about_and_may_be_sent(client):
    """Family members often share a phone: two names with one number are flagged, and the box lets them go."""
    f.login(client, f.user(Role.REFERRER))
    rows = [f"{name};+47 400 12 345;4601;integreringsloven;{settled()};;;uk;ja;nei;ja;ja;;;nei;"
            for name in ("Bjørn Åsen", "Sara Åsen")]
    page = html.unescape(upload(client, "\n".join([HEADER, *rows])).get_data(as_text=True))
    assert "Ser ut som samme deltaker som rad 2." in page and count() == 0
    # Not "correct the problems": a possible duplicate is not a mistake, and the page says how to send it.
    assert "1 rad ser ut som en deltaker som er henvist før. Er det en ny henvisning, kryss av for «" in page
    assert "Rett" not in page[page.index("Ingenting ble sendt"):page.index("Feil per rad")]
    assert upload(client, "\n".join([HEADER, *rows]), confirm_duplicates="y").status_code == 302
    assert count() == 2


def test_a_file_without_the_required_columns_is_refused(client):
    f.login(client, f.user(Role.REFERRER))
    page = upload(client, "name;x\nA;b").get_data(as_text=True)
    assert "bostedskommune, hjemmel, spraak" in page and "Disse kolonnene mangler." in page and count() == 0


def test_a_case_systems_own_columns_are_left_out_and_named_and_a_misspelt_one_is_refused(client):
    """A sheet exported from the case system carries its own columns (a case number, a national identity
    number): the whole file was refused as "unknown columns", and the referrer had to delete them by hand. They
    are now left out (nothing in them is kept) and named. A header one letter off a known one is a typing
    error, not another column: "telefonnr" is read as the phone, "merknad" is refused with the right name
    (left out, every note in it would have been lost without a word)."""
    f.login(client, f.user(Role.REFERRER, municipality_number="4601"))
    header = "saksnummer;" + HEADER.replace("telefon;", "telefonnr;") + ";fødselsnummer"
    row = f"2026/1234;Amal Haddad;+47 412 34 567;4601;integreringsloven;{settled()};;;ar;ja;nei;ja;ja;;;nei;;01019012345"
    response = upload(client, "\n".join([header, row]))
    assert response.status_code == 302 and count() == 1
    referral = db.session.scalars(select(Referral)).one()
    assert referral.participant.phone == "+47 412 34 567"
    notice = client.get("/referrals/").get_data(as_text=True)
    assert "Kolonnene saksnummer, fødselsnummer er ikke i malen: de ble ikke lest, og ingenting i dem lagres." in notice
    stored = " ".join(str(v) for v in vars(referral).values()) + " ".join(str(v) for v in vars(referral.participant).values())
    assert "01019012345" not in stored and "2026/1234" not in stored

    misspelt = upload(client, "\n".join([header.replace("merknader", "merknad"), row.replace("Amal", "Selam")]))
    page = misspelt.get_data(as_text=True)
    assert misspelt.status_code == 400 and count() == 1
    assert "<td>1</td><td>merknad</td><td>Mente du kolonnen merknader?" in page
    # The rows are read all the same: a bad date below is reported in the same answer, not after the fix.
    late = upload(client, "\n".join([header.replace("merknader", "merknad"),
                                     row.replace("Amal", "Selam").replace(settled(), "31.02.2026")]))
    page = late.get_data(as_text=True)
    assert "Mente du kolonnen merknader?" in page and "<td>2</td><td>bosettingsdato</td>" in page and count() == 1


def test_a_nynorsk_referrer_gets_the_template_in_nynorsk_and_it_reads_back(client):
    """The template's headers were bokmål on a nynorsk page ("navn", "bostedskommune"); a problem names the
    column as the file writes it."""
    f.login(client, f.user(Role.REFERRER, municipality_number="4601"), language="nn")
    response = client.get("/intake/bulk/template.csv")
    assert "tilvisingar-mal.csv" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    header, example = text.splitlines()
    assert header.startswith("namn;telefon;bustadkommune;heimel;busetjingsdato;") and "integreringslova" in example
    assert example.split(";")[2] == "4601"   # the referrer's own municipality
    filled = "\n".join([header, example.replace("Olena Kovalenko", "Selam Tesfay").replace(";uk;", ";tigrinja;"),
                        example.replace("Olena Kovalenko", "Ali Hassan").replace(";uk;", ";klingon;")])
    page = upload(client, filled).get_data(as_text=True)
    assert "<td>3</td><td>spraak</td>" in page and count() == 0
    assert upload(client, "\n".join(filled.splitlines()[:2])).status_code == 302 and count() == 1


def test_an_empty_file_is_refused(client):
    f.login(client, f.user(Role.REFERRER))
    assert upload(client, "").status_code == 400
    assert upload(client, HEADER + "\n").status_code == 400
    assert count() == 0


def test_parse_accepts_english_headers_and_values(app):
    bergen = f.municipality("4601")
    text = "name;home_municipality;legal_basis;language\nA B;Bergen;integration_act;UK\n"
    text = text.replace("home_municipality", "municipality_id")
    parsed = referral_csv.parse(text.encode(), bergen.county_id)
    assert not parsed.errors
    assert parsed.items[0].municipality_id == bergen.id and parsed.items[0].language == "uk"
    assert parsed.rows == [2]


def test_old_mac_line_endings_and_a_huge_cell_are_handled(client):
    f.login(client, f.user(Role.REFERRER))
    text = "\r".join([HEADER, f"Bjørn Åsen;;4601;integreringsloven;{settled()};;;uk;ja;nei;ja;ja;;;nei;"])
    assert upload(client, text).status_code == 302
    huge = upload(client, HEADER + "\n" + "x" * 200_000 + ";" * 15)
    assert huge.status_code == 400 and "Filen kunne ikke leses som CSV." in huge.get_data(as_text=True)


def test_a_nynorsk_sheet_with_language_names_is_read_as_its_words_say(client):
    """A nynorsk municipality wrote "integreringslova" and "mellombels" as the nynorsk error message told
    it to, and "Tigrinja" for the language: every row was refused, in a loop it could not get out of."""
    f.login(client, f.user(Role.REFERRER), language="nn")
    text = "\n".join([HEADER,
                      f"Selam Tesfay;;4601;integreringslova;{settled()};;;Tigrinja;ja;nei;ja;ja;;;nei;",
                      f"Olena Kovalenko;;4601;mellombels;{settled()};;;ukrainsk;ja;nei;ja;ja;;;nei;"])
    assert upload(client, text).status_code == 302
    made = {r.participant.name: r for r in db.session.scalars(select(Referral))}
    assert made["Selam Tesfay"].legal_basis.value == "integration_act"
    assert made["Selam Tesfay"].participant.language == "ti"
    assert (made["Olena Kovalenko"].legal_basis.value, made["Olena Kovalenko"].participant.language) == \
        ("temporary_act", "uk")

    unknown = upload(client, "\n".join([HEADER, f"Ali Hassan;;4601;integreringslova;{settled()};;;klingon;ja;nei;ja;ja;;;nei;"]))
    assert unknown.status_code == 400
    assert "<td>2</td><td>spraak</td><td>Ukjend språk: skriv namnet (som tigrinja) eller koden (som ti).</td>" in \
        unknown.get_data(as_text=True)


def test_a_name_written_without_its_marks_is_still_the_same_participant(client):
    """Case systems often strip letters' marks: "Ahmed Ovrebo" went through beside "Ahmed Øvrebø"."""
    f.login(client, f.user(Role.REFERRER))
    first = f"Ahmed Øvrebø;;4601;integreringsloven;{settled()};;;ar;ja;nei;ja;ja;;;nei;"
    assert upload(client, "\n".join([HEADER, first])).status_code == 302
    again = f"Ahmed Ovrebo;;4601;integreringsloven;{settled()};;;ar;ja;nei;ja;ja;;;nei;"
    response = upload(client, "\n".join([HEADER, again]))
    assert response.status_code == 400 and "har samme navn og bostedskommune" in response.get_data(as_text=True)
    assert count() == 1


def test_the_templates_example_lives_in_the_referrers_own_municipality(client):
    """A Troms referrer's template had Bergen (4601) in its example row."""
    f.login(client, f.user(Role.REFERRER, municipality_number="5501"))
    example = client.get("/intake/bulk/template.csv").data.decode("utf-8-sig").splitlines()[1]
    assert example.split(";")[2] == "5501"


def test_a_number_the_intake_refuses_is_shown_beside_its_problem(client):
    """The phone rule is the intake's, not the file reader's: its problem came with an empty "In the file" cell,
    and the referrer looked for a number they had written."""
    f.login(client, f.user(Role.REFERRER))
    text = "\n".join([HEADER, f"Bjørn Åsen;123;4601;integreringsloven;{settled()};;;uk;ja;nei;ja;ja;;;nei;"])
    response = upload(client, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and count() == 0
    row = page[page.index("<td>2</td><td>telefon</td>"):]
    assert row[:row.index("</tr>")].endswith("<td><bdi>123</bdi></td>")


def test_the_days_and_time_of_day_a_participant_can_come_are_read_in_the_words_people_write(client):
    f.login(client, f.user(Role.REFERRER))
    header = HEADER + ";kan_komme_dager;kan_komme_tid"
    text = "\n".join([header,
                      f"Bjørn Åsen;;4601;integreringsloven;{settled()};;;uk;ja;nei;ja;ja;;;nei;;man, tir og Onsdag;før kl. 12",
                      f"Amal Haddad;;4601;integreringsloven;{settled()};;;ar;ja;nei;ja;ja;;;nei;;;etter 12"])
    assert upload(client, text).status_code == 302
    made = {r.participant.name: r for r in db.session.scalars(select(Referral))}
    assert (made["Bjørn Åsen"].can_come_weekdays, made["Bjørn Åsen"].can_come_part) == ([1, 2, 3], "morning")
    assert (made["Amal Haddad"].can_come_weekdays, made["Amal Haddad"].can_come_part) == (None, "afternoon")
    wrong = upload(client, "\n".join([header, f"Selam Tesfay;;4601;integreringsloven;{settled()};;;ti;ja;nei;ja;ja;;;nei;;"
                                               f"lørdag;kveld"]))
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 400
    assert "<td>2</td><td>kan_komme_dager</td><td>Skriv ukedagene som man, tir, ons" in page
    assert "<td>2</td><td>kan_komme_tid</td><td>Skriv før 12 eller etter 12" in page

