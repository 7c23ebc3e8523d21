"""An account an administrator made before the lead entered the person's details: a counsellor without
locations and hours, an interpreter without languages and rates. The walk: the new counsellor's home was an
error page and "My week" a page not found, and the lead's lists did not show them."""
import html

import pytest

from guidance.extensions import db
from guidance.models import CounsellorProfile, InterpreterProfile, Role
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # pages only: nothing a second database decides


def _bare(role: Role, name: str):
    person = f.user(role, name=name)
    profile = person.counsellor if role is Role.COUNSELLOR else person.interpreter
    db.session.delete(profile)
    db.session.commit()
    db.session.expire_all()
    return person


def test_a_counsellor_without_details_reads_that_the_lead_sets_them_up(client):
    knut = _bare(Role.COUNSELLOR, "Knut Rettleiar")
    f.login(client, knut)
    home = client.get("/")
    assert home.status_code == 200
    text = html.unescape(home.get_data(as_text=True))
    assert "Karrieresenteret har ikke lagt inn arbeidsstedene, arbeidstiden og språkene dine ennå" in text
    week = client.get("/week/")
    assert week.status_code == 200
    assert "Karrieresenteret har ikke lagt inn arbeidsstedene" in html.unescape(week.get_data(as_text=True))


def test_an_interpreter_without_details_reads_that_the_lead_sets_them_up(client):
    tolk = _bare(Role.INTERPRETER, "Tolk Uten Profil")
    f.login(client, tolk)
    home = client.get("/")
    assert home.status_code == 200
    assert "Karrieresenteret har ikke lagt inn språkene, kategoriene og prisene dine ennå" in html.unescape(home.get_data(as_text=True))
    assert client.get("/bookings/").status_code == 200


def test_the_lead_sees_the_accounts_waiting_for_their_details_and_adds_them(client):
    knut = _bare(Role.COUNSELLOR, "Knut Rettleiar")
    tolk = _bare(Role.INTERPRETER, "Tolk Uten Profil")
    lead = f.user(Role.LEAD)
    f.login(client, lead)
    page = html.unescape(client.get("/people/counsellors").get_data(as_text=True))
    assert "Knut Rettleiar" in page and "venter på opplysningene sine" in page
    assert f"/people/counsellors/new?email={knut.email}" in page.replace("%40", "@")
    form = html.unescape(client.get(f"/people/counsellors/new?email={knut.email}").get_data(as_text=True))
    assert f'value="{knut.email}"' in form and 'value="Knut Rettleiar"' in form
    page = html.unescape(client.get("/people/interpreters").get_data(as_text=True))
    assert "Tolk Uten Profil" in page and f"/people/interpreters/new?email={tolk.email}" in page.replace("%40", "@")
    assert db.session.query(CounsellorProfile).filter_by(user_id=knut.id).count() == 0
    assert db.session.query(InterpreterProfile).filter_by(user_id=tolk.id).count() == 0


def test_a_counsellor_without_participants_is_not_told_the_county_has_no_referrals(client):
    f.referral(name="Someone Else's")
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, counsellor)
    page = html.unescape(client.get("/referrals/").get_data(as_text=True))
    assert "Ingen av deltakerne dine ennå." in page and "Det er ingen henvisninger ennå" not in page
