"""The career centre's phone and e-mail: the lead enters them in the set-up, the referrer finds them where
the pages say "call the career centre", and the participant's letter prints the phone under the centre's
name (a walk of the demo found "ring karrieresenteret" with no number anywhere)."""
import html
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import AuditEvent, CareerCentre, ReferralStatus, Role
from guidance.services import workbook
from tests.app import factories as f
from tests.app.page_text import words

pytestmark = pytest.mark.one_database  # forms, pages and a PDF over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


@pytest.fixture(autouse=True)
def english(client):
    client.post("/language", data={"language": "en", "next": "/login"})


def _centre() -> CareerCentre:
    return db.session.scalar(select(CareerCentre).order_by(CareerCentre.id))


def test_the_lead_enters_the_centres_phone_and_the_referrer_finds_it_on_their_pages(client):
    w = f.world()
    centre = _centre()
    f.login(client, w.lead)
    county_page = client.get(f"/setup/counties/{w.lead.county_id}").get_data(as_text=True)
    assert "no phone number or e-mail address yet" in county_page
    saved = client.post(f"/setup/centres/{centre.id}", data={
        "name": "Karrieresenter Vestland", "phone": "55 30 60 00", "email": "karriere@vlfk.no"})
    assert saved.status_code == 302
    db.session.expire_all()
    centre = db.session.get(CareerCentre, centre.id)
    # One written form for a Norwegian number, as the referrer dials it.
    assert (centre.name, centre.phone, centre.email) == ("Karrieresenter Vestland", "+47 55 30 60 00", "karriere@vlfk.no")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "centre.updated"))
    assert "+47" not in event.detail and "email" in event.detail

    client.post("/logout")
    f.login(client, w.referrer)
    w.own_referral.status = ReferralStatus.BOOKED   # its name and phone are then corrected on a page of their own
    db.session.commit()
    for path in ("/", f"/referrals/{w.own_referral.id}", "/intake/new", "/intake/bulk",
                 f"/intake/referrals/{w.own_referral.id}/contact"):
        page = client.get(path)
        text = words(page.get_data(as_text=True))
        assert "Contact the career centre" in text, path
        assert "Karrieresenter Vestland, phone +47 55 30 60 00" in text and "e-mail karriere@vlfk.no" in text, path
        assert 'href="tel:+4755306000"' in page.get_data(as_text=True)


def test_a_referrer_in_another_county_does_not_see_this_countys_centre(client):
    w = f.world()
    centre = _centre()
    centre.phone = "+47 55 30 60 00"
    other = f.user(Role.REFERRER, municipality_number="1804")  # Bodø, Nordland
    db.session.commit()
    f.login(client, other)
    assert "+47 55 30 60 00" not in client.get("/").get_data(as_text=True)
    assert "Contact the career centre" not in client.get("/").get_data(as_text=True)


def test_a_referrer_sees_the_centre_nearest_their_municipality_first(client):
    w = f.world()   # Bergen's centre
    _centre().phone = "+47 55 30 60 00"
    voss = f.centre(town="4621")
    voss.phone = "+47 56 50 00 00"
    db.session.commit()
    f.login(client, w.other_referrer)   # Voss
    text = words(client.get("/").get_data(as_text=True))
    assert text.index("Karrieresenter Voss, phone") < text.index("Karrieresenter Bergen, phone")
    client.post("/logout")
    f.login(client, w.referrer)   # Bergen
    text = words(client.get("/").get_data(as_text=True))
    assert text.index("Karrieresenter Bergen, phone") < text.index("Karrieresenter Voss, phone")


def test_bad_contact_details_are_shown_per_field_and_nothing_is_written(client):
    w = f.world()
    centre = _centre()
    before = (centre.name, centre.phone, centre.email)
    f.login(client, w.lead)
    refused = client.post(f"/setup/centres/{centre.id}", data={"name": " ", "phone": "55 30", "email": "karriere.vlfk.no"})
    assert refused.status_code == 400
    text = html.unescape(words(refused.get_data(as_text=True)))
    assert "Enter the career centre's name." in text
    assert "Enter a phone number of 8 to 15 digits, like +47 400 00 000." in text
    assert "Enter a valid e-mail address, like name@example.no." in text
    page = refused.get_data(as_text=True)
    assert 'value="55 30"' in page and 'value="karriere.vlfk.no"' in page   # what was typed stays
    db.session.expire_all()
    assert (db.session.get(CareerCentre, centre.id).name,) + before[1:] == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "centre.updated")) == 0


def test_two_centres_of_one_county_cannot_share_a_name(client):
    w = f.world()
    bergen = _centre()
    voss = CareerCentre(county_id=bergen.county_id, name="Karrieresenter Voss")
    db.session.add(voss)
    db.session.commit()
    f.login(client, w.lead)
    refused = client.post(f"/setup/centres/{voss.id}", data={"name": bergen.name.upper(), "phone": "", "email": ""})
    assert refused.status_code == 400
    assert f"The county already has a career centre called {bergen.name.upper()}." in words(refused.get_data(as_text=True))


def test_another_countys_lead_cannot_open_or_change_the_centre(client):
    w = f.world()
    centre = _centre()
    f.login(client, w.other_county_lead)
    assert client.get(f"/setup/centres/{centre.id}").status_code == 404
    assert client.post(f"/setup/centres/{centre.id}", data={"name": "X", "phone": "", "email": ""}).status_code == 404
    db.session.expire_all()
    assert db.session.get(CareerCentre, centre.id).name != "X"


def test_a_short_deadline_warning_gives_the_number_to_call(client):
    from dateutil.relativedelta import relativedelta

    from guidance.planning.ids import local_today
    from tests.app.test_intake import form_data

    w = f.world()
    _centre().phone = "+47 55 30 60 00"
    f.centre(town="4621").phone = "+47 56 50 00 00"   # Voss: farther from the Bergen referrer
    db.session.commit()
    f.login(client, w.referrer)
    settled = local_today() - relativedelta(months=5)   # the deadline is behind us
    sent = client.post("/intake/new", data=form_data(settlement_date=settled.isoformat()), follow_redirects=True)
    text = words(sent.get_data(as_text=True))
    assert "Call the career centre" in text
    warning = text[text.index("Call the career centre"):text.index("Contact the career centre")]
    assert f"{_centre().name}: +47 55 30 60 00." in warning and "+47 56 50 00 00" not in warning   # the nearest only


def test_the_letter_prints_the_centres_phone_under_its_name(client):
    w = f.world()
    centre = _centre()
    centre.phone = "+47 55 30 60 00"
    referral = w.own_referral
    referral.referred_by = w.referrer
    db.session.commit()
    day = f.future_weekday(3)
    f.published_session(w.counsellor, referral, start=f.oslo(day.year, day.month, day.day, 9))
    f.login(client, w.referrer)
    response = client.get(f"/referrals/{referral.id}/letters.pdf")
    assert response.status_code == 200
    first_page = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    head = first_page.split("\n")[:3]
    assert head[0] == centre.name
    assert "+47 55 30 60 00" in head[1]


def test_the_workbook_carries_the_centres_contact_details_both_ways(app):
    w = f.world()
    centre = _centre()
    centre.phone, centre.email = "+47 55 30 60 00", "karriere@vlfk.no"
    db.session.commit()
    book = workbook.export(w.lead.county)
    assert book["centres"] == [["name", "phone", "email"], [centre.name, "+47 55 30 60 00", "karriere@vlfk.no"]]

    workbook.import_workbook(w.lead, w.lead.county, {"centres": [["name", "phone"], [centre.name.lower(), "55 30 60 01"]]})
    db.session.expire_all()
    centre = db.session.get(CareerCentre, centre.id)
    # The left-out column is left alone; the name finds the centre whatever its case.
    assert (centre.phone, centre.email) == ("+47 55 30 60 01", "karriere@vlfk.no")

    with pytest.raises(workbook.WorkbookRejected) as refused:
        workbook.import_workbook(w.lead, w.lead.county, {"centres": [["name", "phone", "email"],
                                                                     [centre.name, "55 30 60 02", ""],
                                                                     ["Karrieresenter Atlantis", "", ""],
                                                                     [centre.name + " ", "", "no-at-sign"]]})
    problems = {(p.row, p.column): p.message for p in refused.value.problems}
    assert problems[(3, "name")].startswith("Ingen steder hører til et karrieresenter som heter Karrieresenter Atlantis.")
    assert (4, "name") in problems   # the same centre twice
    db.session.expire_all()
    assert db.session.get(CareerCentre, centre.id).phone == "+47 55 30 60 01"   # all or nothing
