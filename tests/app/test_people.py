"""A county's lead sets up its counsellors and interpreters (issue 21), and plans use exactly that."""
from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import AuditEvent, CounsellorProfile, InterpreterProfile, Location, Role, User
from guidance.planning.instance import InstanceOptions, build_instance
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def _counsellor_form(location: Location, **overrides) -> dict:
    data = {"name": "Kari Nordmann", "email": "kari@karriere.example.no", "multicultural": "y",
            "multicultural_completed_on": "2025-05-20", "languages": ["nb", "uk"], "location_ids": [str(location.id)],
            "max_sessions_per_day": "3", "employment_start": "2026-01-01", "employment_end": "",
            "day1_start": "08:00", "day1_end": "15:30", "day3_start": "09:15", "day3_end": "12:00"}
    data.update(overrides)
    return data


def _interpreter_form(**overrides) -> dict:
    data = {"name": "Olena Kovalenko", "email": "olena@tolk.example.no", "phone": "+47 400 11 222",
            "municipality_id": str(f.municipality("4621").id),
            "lang0_code": "uk", "lang0_category": "A", "lang1_code": "ru", "lang1_category": "C",
            "register_id": "T-12345", "register_checked_on": "2026-11-30", "modes": ["onsite", "phone"],
            "hourly_rate": "720,50", "min_billed_minutes": "60", "travel_rate": "360",
            "booking_channel": "agency", "agency_name": "Tolkebyrå AS",
            "day2_start": "10:00", "day2_end": "14:00"}
    data.update(overrides)
    return data


@pytest.fixture
def county_world(client):
    w = f.world()
    location = db.session.scalar(select(Location).order_by(Location.id))
    f.login(client, w.lead)
    return w, location


def _instance(county_number="46", today=dt.date(2026, 12, 3)):
    return build_instance(f.county(county_number), InstanceOptions(today=today))


def _audit(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_lead_creates_a_counsellor_and_the_plan_gets_exactly_what_was_typed(client, county_world, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc))
    w, location = county_world
    response = client.post("/people/counsellors/new", data=_counsellor_form(location))
    assert response.status_code == 302
    profile = db.session.scalar(select(CounsellorProfile).join(User).where(User.email == "kari@karriere.example.no"))
    assert profile.user.role is Role.COUNSELLOR and profile.user.county_id == w.lead.county_id
    assert response.headers["Location"].endswith(f"/people/counsellors/{profile.id}")
    [event] = _audit("counsellor.created")
    assert event.actor_id == w.lead.id and event.object_id == profile.id
    assert "Kari" not in (event.detail or "")

    [entry] = [c for c in _instance()["counsellors"] if c["id"] == f"C{profile.id}"]
    assert entry == {
        "id": f"C{profile.id}", "name": "Kari Nordmann", "locations": [f"L{location.id}"], "multicultural": True,
        "languages": ["nb", "uk"], "weekly": {"1": [["08:00", "15:30"]], "3": [["09:15", "12:00"]]},
        "absences": [], "busy": [], "max_sessions_per_day": 3,
    }
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    assert 'value="09:15"' in page and 'value="2025-05-20"' in page


def test_a_counsellor_saved_without_a_location_is_told_at_once_that_plans_leave_them_out(client, county_world):
    w, location = county_world
    data = _counsellor_form(location)
    data.pop("location_ids")
    response = client.post("/people/counsellors/new", data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "er lagret" in page
    assert "Kari Nordmann arbeider ikke på noe sted ennå, så planene gir ingen timer til Kari Nordmann" in page


def test_lead_edits_a_counsellor_and_the_audit_names_the_changed_fields(client, county_world, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc))
    w, location = county_world
    profile = w.counsellor.counsellor
    form = _counsellor_form(location, name=w.counsellor.name, email=w.counsellor.email, languages=["nb", "ar"],
                            other_language0="is", other_language1="ar", max_sessions_per_day="2", employment_end="2027-01-29",
                            day3_start="", day3_end="", day5_start="12:00", day5_end="16:45")
    assert client.post(f"/people/counsellors/{profile.id}", data=form).status_code == 302
    db.session.expire_all()
    # Ticked among the common languages, or chosen from the whole list (Icelandic), each once.
    assert profile.languages == ["nb", "ar", "is"] and profile.max_sessions_per_day == 2
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    assert re.search(r'<input checked id="languages-\d+" name="languages" type="checkbox" value="ar">', page)
    assert re.search(r'<option selected value="is">', page) and 'name="other_language3"' not in page
    assert profile.weekly == {"1": [["08:00", "15:30"]], "5": [["12:00", "16:45"]]}
    [event] = _audit("counsellor.updated")
    fields = json.loads(event.detail)["fields"]
    assert set(fields) >= {"languages", "max_sessions_per_day", "weekly", "employment_end"} and "name" not in fields

    # Employment that ends inside the horizon is unavailability in the plan, to the horizon's end.
    instance = _instance()
    [entry] = [c for c in instance["counsellors"] if c["id"] == f"C{profile.id}"]
    assert entry["absences"] == [["2027-01-30", instance["horizon"]["end"]]]


@pytest.mark.parametrize("overrides, field, message", [
    ({"day1_start": "15:00", "day1_end": "09:00"}, "day1_end", "Monday must end after it starts."),
    ({"day1_start": "08:10"}, "day1_start", "Monday: Use quarter hours"),   # which day, in the summary too
    ({"day2_start": "08:00"}, "day2_end", "Enter when the day ends"),
    ({"languages": ["nb", "xx"]}, "languages", "xx is not a known language code."),
    ({"languages": []}, "languages", "Choose at least one language"),
    ({"max_sessions_per_day": "0"}, "max_sessions_per_day", "from 1 to 12"),
    ({"max_sessions_per_day": "many"}, "max_sessions_per_day", "Enter a whole number."),
    ({"employment_start": "2027-02-01", "employment_end": "2027-01-01"}, "employment_end", "cannot be before"),
    ({"employment_start": "31.02.2027"}, "employment_start", "Enter a real date"),
    ({"multicultural": "", "multicultural_completed_on": "2025-05-20"}, "multicultural_completed_on", "tick the box"),
    ({"location_ids": ["999999"]}, "location_ids", "Choose locations of your county"),
    ({"email": "not-an-address"}, "email", "Enter a valid e-mail address"),
    ({"video_link": "http://meet.example.no/kari"}, "video_link", "starting with https://"),
    ({"video_link": "teams-rommet til Kari"}, "video_link", "starting with https://"),
    ({"video_link": "https://meet.example.no/kari nordmann"}, "video_link", "starting with https://"),
])
def test_a_bad_counsellor_field_is_refused_beside_it_and_nothing_is_written(client, county_world, overrides, field,
                                                                             message):
    _w, location = county_world
    client.post("/language", data={"language": "en", "next": "/"})
    before = db.session.scalar(select(func.count()).select_from(CounsellorProfile))
    response = client.post("/people/counsellors/new", data=_counsellor_form(location, **overrides))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert f'id="{field}-error"' in page
    assert message in page
    assert 'value="Kari Nordmann"' in page
    assert db.session.scalar(select(func.count()).select_from(CounsellorProfile)) == before
    assert db.session.scalar(select(User).where(User.email == "kari@karriere.example.no")) is None
    assert not _audit("counsellor.created")


def test_a_counsellor_at_another_countys_location_is_refused(client, county_world):
    _w, location = county_world
    foreign = f.centre("18", "1804").locations[0]
    response = client.post("/people/counsellors/new", data=_counsellor_form(location, location_ids=[str(foreign.id)]))
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "kari@karriere.example.no")) is None


def test_deactivated_counsellor_and_interpreter_are_left_out_of_new_plans(client, county_world):
    w, _location = county_world
    counsellor, interpreter = w.counsellor.counsellor, w.interpreter.interpreter
    assert f"C{counsellor.id}" in {c["id"] for c in _instance()["counsellors"]}
    assert client.post(f"/people/counsellors/{counsellor.id}/active", data={}).status_code == 302
    assert client.post(f"/people/interpreters/{interpreter.id}/active", data={}).status_code == 302
    db.session.expire_all()
    assert counsellor.active is False and interpreter.active is False
    assert db.session.get(User, w.counsellor.id) is not None  # never deleted
    instance = _instance()
    assert f"C{counsellor.id}" not in {c["id"] for c in instance["counsellors"]}
    assert f"I{interpreter.id}" not in {i["id"] for i in instance["interpreters"]}
    assert len(_audit("counsellor.deactivated")) == 1 and len(_audit("interpreter.deactivated")) == 1
    # ... and back again.
    assert client.post(f"/people/counsellors/{counsellor.id}/active", data={"active": "y"}).status_code == 302
    assert f"C{counsellor.id}" in {c["id"] for c in _instance()["counsellors"]}


def test_lead_creates_an_interpreter_and_the_plan_gets_exactly_what_was_typed(client, county_world, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc))
    w, _location = county_world
    response = client.post("/people/interpreters/new", data=_interpreter_form(phone="40011222"))
    assert response.status_code == 302
    profile = db.session.scalar(select(InterpreterProfile).join(User).where(User.email == "olena@tolk.example.no"))
    # Written as every other number in Veiled, whatever way it was typed.
    assert profile.user.role is Role.INTERPRETER and profile.user.phone == "+47 400 11 222"
    assert profile.register_id == "T-12345" and profile.register_checked_on == dt.date(2026, 11, 30)
    assert profile.booking_channel == "agency" and profile.agency_name == "Tolkebyrå AS"
    assert len(_audit("interpreter.created")) == 1

    [entry] = [i for i in _instance()["interpreters"] if i["id"] == f"I{profile.id}"]
    assert entry == {
        "id": f"I{profile.id}", "name": "Olena Kovalenko", "languages": {"ru": 3, "uk": 1},
        "modes": ["onsite", "phone"], "place": "4621", "weekly": {"2": [["10:00", "14:00"]]}, "absences": [], "busy": [],
        "hourly_rate": 720.5, "min_billed_minutes": 60, "travel_rate": 360.0,
    }
    page = client.get(f"/people/interpreters/{profile.id}").get_data(as_text=True)
    assert 'value="720,50"' in page
    assert '<option selected value="A">A</option>' in page and '<option selected value="C">C</option>' in page


def test_lead_edits_an_interpreters_languages(client, county_world):
    w, _location = county_world
    profile = w.interpreter.interpreter
    form = _interpreter_form(name=w.interpreter.name, email=w.interpreter.email, lang0_code="ar", lang0_category="B",
                             lang1_code="ti", lang1_category="E", booking_channel="direct", agency_name="")
    assert client.post(f"/people/interpreters/{profile.id}", data=form).status_code == 302
    db.session.expire_all()
    assert {lang.language: lang.category for lang in profile.languages} == {"ar": 2, "ti": 5}
    assert profile.agency_name is None
    [event] = _audit("interpreter.updated")
    assert "languages" in json.loads(event.detail)["fields"]


@pytest.mark.parametrize("overrides, field, message", [
    ({"lang0_category": "F"}, "lang0_category", "The register's categories are A to E; F is not one of them."),
    ({"lang0_category": ""}, "lang0_category", "Choose the interpreter's category in the national register, A to E."),
    ({"lang1_category": "3"}, "lang1_category", "3 is not one of them"),
    ({"lang1_code": "zz"}, "lang1_code", "zz is not a known language code."),
    ({"lang1_code": "uk"}, "lang1_code", "already listed"),
    ({"day2_start": "14:00", "day2_end": "10:00"}, "day2_end", "Tuesday must end after it starts."),
    ({"modes": ["teleport"]}, "modes", "Choose how the interpreter works"),
    ({"modes": []}, "modes", "Choose how the interpreter works"),   # none ticked: not saved as every way
    ({"hourly_rate": "lots"}, "hourly_rate", "Enter an amount in kroner"),
    ({"hourly_rate": "1e30"}, "hourly_rate", "Enter an amount in kroner"),
    ({"travel_rate": "-5"}, "travel_rate", "from 0 to 10 000"),
    ({"travel_rate": ""}, "travel_rate", "Enter an amount in kroner"),  # asked, never assumed to be 0
    ({"min_billed_minutes": ""}, "min_billed_minutes", "Enter a whole number."),
    ({"municipality_id": "0"}, "municipality_id", "Choose the municipality"),
    ({"agency_name": ""}, "agency_name", "Name the agency"),
    ({"register_checked_on": "2099-01-01"}, "register_checked_on", "cannot be in the future"),
    ({"phone": "call me"}, "phone", "Enter a phone number"),
    ({"phone": "123 45"}, "phone", "Enter a phone number of 8 to 15 digits"),   # was saved: no number that rings
    ({"phone": ""}, "phone", "Enter the phone number the counsellor calls: the interpreter works by phone."),
])
def test_a_bad_interpreter_field_is_refused_beside_it_and_nothing_is_written(client, county_world, overrides, field,
                                                                              message, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc))
    client.post("/language", data={"language": "en", "next": "/"})
    before = db.session.scalar(select(func.count()).select_from(InterpreterProfile))
    response = client.post("/people/interpreters/new", data=_interpreter_form(**overrides))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert f'id="{field}-error"' in page
    assert message in page
    assert db.session.scalar(select(func.count()).select_from(InterpreterProfile)) == before
    assert db.session.scalar(select(User).where(User.email == "olena@tolk.example.no")) is None


def test_other_countys_lead_gets_404_and_writes_nothing(app, county_world):
    w, location = county_world
    other = app.test_client()
    f.login(other, w.other_county_lead)
    counsellor, interpreter = w.counsellor.counsellor, w.interpreter.interpreter
    before = (counsellor.max_sessions_per_day, counsellor.languages, [l.category for l in interpreter.languages])
    urls = [f"/people/counsellors/{counsellor.id}", f"/people/counsellors/{counsellor.id}/active",
            f"/people/interpreters/{interpreter.id}", f"/people/interpreters/{interpreter.id}/active"]
    for url in urls:
        assert other.get(url).status_code in (404, 405)
        data = _counsellor_form(location, max_sessions_per_day="1") if "counsellors" in url else _interpreter_form()
        assert other.post(url, data=data).status_code == 404
    db.session.expire_all()
    assert (counsellor.max_sessions_per_day, counsellor.languages,
            [l.category for l in interpreter.languages]) == before
    assert counsellor.active and interpreter.active
    # Their own lists show only their county's people.
    assert w.counsellor.name not in other.get("/people/counsellors").get_data(as_text=True)
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("counsellor.%"))).all()


def test_other_roles_are_refused_and_nothing_is_written(app, county_world, client):
    w, location = county_world
    for person in (w.counsellor, w.interpreter, w.referrer):
        other = app.test_client()
        f.login(other, person)
        assert other.get("/people/counsellors").status_code == 403
        assert other.post("/people/counsellors/new", data=_counsellor_form(location)).status_code == 403
        assert other.post(f"/people/counsellors/{w.counsellor.counsellor.id}/active", data={}).status_code == 403
    assert db.session.scalar(select(User).where(User.email == "kari@karriere.example.no")) is None
    assert w.counsellor.counsellor.active


def test_installation_admin_chooses_the_county_then_sets_up_its_people(app, county_world):
    w, location = county_world
    admin = app.test_client()
    f.login(admin, w.admin)
    assert 'name="county"' in admin.get("/people/counsellors").get_data(as_text=True)
    assert w.counsellor.name in admin.get("/people/counsellors?county=46").get_data(as_text=True)
    response = admin.post("/people/counsellors/new?county=46", data=_counsellor_form(location))
    assert response.status_code == 302
    created = db.session.scalar(select(User).where(User.email == "kari@karriere.example.no"))
    assert created.county.number == "46" and created.counsellor is not None


def test_creating_a_counsellor_links_an_existing_counsellor_user_without_a_profile(client, county_world):
    w, location = county_world
    user = User(email="kari@karriere.example.no", name="Kari N.", role=Role.COUNSELLOR, county_id=w.lead.county_id)
    user.set_password("x" * 20)
    db.session.add(user)
    db.session.commit()
    assert client.post("/people/counsellors/new", data=_counsellor_form(location)).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "kari@karriere.example.no")) == 1
    db.session.expire_all()
    assert user.counsellor is not None and user.check_password("x" * 20)


def test_a_user_of_another_role_is_not_turned_into_a_counsellor(client, county_world):
    w, location = county_world
    response = client.post("/people/counsellors/new", data=_counsellor_form(location, email=w.referrer.email))
    assert response.status_code == 400
    assert w.referrer.counsellor is None


def test_an_absence_shows_on_the_counsellors_page_with_a_link(client, county_world, travel_to):
    from guidance.models import Absence

    travel_to(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc))
    w, _location = county_world
    absence = Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 1, 8))
    db.session.add(absence)
    db.session.commit()
    page = client.get(f"/people/counsellors/{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert f"/planning/absences/{absence.id}" in page
    assert f"/planning/absences?user_id={w.counsellor.id}" in page
    form_page = client.get(f"/planning/absences?user_id={w.counsellor.id}").get_data(as_text=True)
    assert f'<option selected value="{w.counsellor.id}">' in form_page
    # The absence reaches the plan too.
    [entry] = [c for c in _instance()["counsellors"] if c["id"] == f"C{w.counsellor.counsellor.id}"]
    assert entry["absences"] == [["2027-01-04", "2027-01-08"]]


def test_an_admin_bound_to_a_county_reaches_only_that_countys_people(app, county_world):
    w, _location = county_world
    admin = f.user(Role.ADMIN, county_number=None)
    admin.county = f.county("18")
    db.session.commit()
    client = app.test_client()
    f.login(client, admin)
    assert client.get(f"/people/counsellors/{w.counsellor.counsellor.id}").status_code == 404
    assert client.post(f"/people/interpreters/{w.interpreter.interpreter.id}/active", data={}).status_code == 404
    # Their list is their own county's, whatever the query asks for.
    assert w.counsellor.name not in client.get("/people/counsellors?county=46").get_data(as_text=True)
    db.session.expire_all()
    assert w.interpreter.interpreter.active


def test_employment_dates_become_unavailability_and_a_finished_employment_leaves_the_plan(app):
    w = f.world()
    profile = w.counsellor.counsellor
    options = InstanceOptions(today=dt.date(2026, 12, 3))
    start, end = options.horizon_start, options.horizon_end
    profile.employment_start = start + dt.timedelta(days=14)
    db.session.commit()
    [entry] = [c for c in _instance()["counsellors"] if c["id"] == f"C{profile.id}"]
    assert entry["absences"] == [[start.isoformat(), (start + dt.timedelta(days=13)).isoformat()]]
    profile.employment_start, profile.employment_end = None, start - dt.timedelta(days=1)
    db.session.commit()
    assert f"C{profile.id}" not in {c["id"] for c in _instance()["counsellors"]}
    profile.employment_start, profile.employment_end = end + dt.timedelta(days=1), None
    db.session.commit()
    assert f"C{profile.id}" not in {c["id"] for c in _instance()["counsellors"]}


@pytest.mark.parametrize("junk", ["", " ", "x" * 5000, "24:00", "-1", "0x10", "NaN", "\u00a0", "2027-13-45", "99:99"])
def test_junk_in_every_field_is_a_form_message_never_a_500(client, county_world, junk):
    w, location = county_world
    counsellor_fields = list(_counsellor_form(location)) + [f"day{d}_{p}" for d in range(1, 8) for p in ("start", "end")]
    interpreter_fields = list(_interpreter_form()) + [f"lang{i}_{p}" for i in range(6) for p in ("code", "category")]
    for url, fields in ((f"/people/counsellors/{w.counsellor.counsellor.id}", counsellor_fields),
                        ("/people/interpreters/new", interpreter_fields)):
        response = client.post(url, data={name: junk for name in fields})
        assert response.status_code == 400, (url, junk)


def test_a_counsellor_whose_role_an_admin_changed_is_no_longer_planned(app, county_world):
    """Made the county's lead, the counsellor goes on counselling (a lead who counsels, rules.access.counsels:
    switching them off had broken their booked sessions); given a role that does not counsel they are not
    planned (their profile is deactivated), and made a counsellor again they are."""
    w, _location = county_world
    admin = app.test_client()
    f.login(admin, w.admin)

    county_id = w.counsellor.county_id

    def change_role(role: str, municipality_id: int = 0):
        response = admin.post(f"/admin/users/{w.counsellor.id}", data={
            "name": w.counsellor.name, "email": w.counsellor.email, "role": role,
            "county_id": str(county_id) if role != "referrer" else "0",
            "municipality_id": str(municipality_id), "active": "y"})
        assert response.status_code == 302, response.get_data(as_text=True)

    planned = lambda: f"C{w.counsellor.counsellor.id}" in {c["id"] for c in _instance()["counsellors"]}  # noqa: E731
    change_role("lead")
    assert planned()
    change_role("referrer", f.municipality("4601").id)
    assert not planned()
    change_role("counsellor")
    assert planned()


def test_the_menu_marks_the_one_list_a_person_page_belongs_to(client, county_world):
    """Counsellors and Interpreters share a blueprint; the menu marked both as the current page."""
    import re

    w, _location = county_world
    pages = {"Karriereveiledere": ["/people/counsellors", f"/people/counsellors/{w.counsellor.counsellor.id}",
                                   "/people/counsellors/new"],
             "Tolker": ["/people/interpreters", f"/people/interpreters/{w.interpreter.interpreter.id}"]}
    for label, urls in pages.items():
        for url in urls:
            page = client.get(url).get_data(as_text=True)
            assert re.findall(r'aria-current="page">([^<]+)<', page) == [label], url



def test_an_interpreter_who_does_not_work_by_phone_may_leave_the_number_empty(client, county_world):
    form = _interpreter_form(phone="", modes=["onsite", "video"])
    assert client.post("/people/interpreters/new", data=form).status_code == 302
    assert db.session.scalar(select(User).where(User.email == "olena@tolk.example.no")).phone is None


def test_a_counsellors_daily_break_keeps_the_plan_off_it_and_reads_back_in_the_form(client, county_world, travel_to):
    """Four 90-minute sessions back to back, 09:00-15:00 (the go-live review): a daily break is cut out
    of every working day it falls inside, and the form shows it again."""
    travel_to(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc))
    w, location = county_world
    response = client.post("/people/counsellors/new", data=_counsellor_form(
        location, lunch_start="11:30", lunch_end="12:00", day3_start="12:30", day3_end="15:00"))
    assert response.status_code == 302
    profile = db.session.scalar(select(CounsellorProfile).join(User).where(User.email == "kari@karriere.example.no"))
    assert profile.weekly == {"1": [["08:00", "11:30"], ["12:00", "15:30"]],   # Monday: split around the break
                              "3": [["12:30", "15:00"]]}                      # Wednesday starts after it
    counsellor = next(c for c in _instance()["counsellors"] if c["id"] == f"C{profile.id}")
    assert counsellor["weekly"]["1"] == [["08:00", "11:30"], ["12:00", "15:30"]]
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    assert '<input id="lunch_start" name="lunch_start" step="900" type="time" value="11:30">' in page
    assert '<input id="day1_end" name="day1_end" step="900" type="time" value="15:30">' in page   # the whole day
    refused = client.post("/people/counsellors/new", data=_counsellor_form(
        location, email="ola@karriere.example.no", lunch_start="12:00", lunch_end="11:30"))
    assert refused.status_code == 400 and "Pausen må slutte etter at den begynner." in refused.get_data(as_text=True)


def test_the_counsellor_list_says_who_has_not_started_yet_and_who_has_left(client, county_world, travel_to):
    """The walk of 8 December: a counsellor starting in January read "Active" beside the others."""
    travel_to(dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.timezone.utc))
    w, location = county_world
    for email, start, end in (("ny@karriere.example.no", "2027-01-04", ""),
                              ("slutta@karriere.example.no", "2025-01-06", "2026-11-30"),
                              ("vikar@karriere.example.no", "2026-08-01", "2027-06-30")):
        assert client.post("/people/counsellors/new", data=_counsellor_form(
            location, email=email, name=email.split("@")[0].title(), employment_start=start,
            employment_end=end)).status_code == 302
    page = client.get("/people/counsellors").get_data(as_text=True)
    rows = {row.split("</a>")[0].rsplit(">", 1)[1]: row.split("</tr>")[0] for row in page.split('<th scope="row">')[1:]}
    assert "Begynner 4. januar" in rows["Ny"] and "Aktiv" not in rows["Ny"]
    assert "Sluttet 30. november" in rows["Slutta"]
    assert "Aktiv til 30. juni 2027" in rows["Vikar"]


def test_a_new_counsellors_hours_start_from_the_week_most_colleagues_work(client, county_world):
    """The walk: a new counsellor's form had seven empty weekday rows to type in, for the hours everyone works."""
    w, _location = county_world
    for _ in range(2):   # two colleagues on 08:15-15:45 with a break 11:30-12:00; the world's counsellor 08:00-15:30
        colleague = f.user(Role.COUNSELLOR)
        colleague.counsellor.weekly = {str(d): [["08:15", "11:30"], ["12:00", "15:45"]] for d in range(1, 6)}
    outside = f.user(Role.COUNSELLOR, county_number="03")   # Oslo's counsellors are not this county's
    outside.counsellor.weekly = {str(d): [["10:00", "14:00"]] for d in range(1, 8)}
    db.session.commit()
    page = client.get("/people/counsellors/new").get_data(as_text=True)
    assert "Fylt ut med tidene og den daglige pausen de fleste karriereveilederne i fylket har" in page
    for day in range(1, 6):
        assert f'id="day{day}_start" name="day{day}_start" step="900" type="time" value="08:15"' in page
        assert f'id="day{day}_end" name="day{day}_end" step="900" type="time" value="15:45"' in page
    assert 'name="day6_start" step="900" type="time" value=""' in page
    assert 'name="lunch_start"' in page and 'value="11:30"' in page


def test_the_first_counsellor_of_a_county_starts_from_an_empty_week(client, travel_to):
    w = f.world()
    for profile in db.session.scalars(select(CounsellorProfile)):
        profile.weekly = {}
    db.session.commit()
    f.login(client, w.lead)
    page = client.get("/people/counsellors/new").get_data(as_text=True)
    assert "Fylt ut med tidene" not in page
    assert 'name="day1_start" step="900" type="time" value=""' in page


def _second_location():
    from guidance.models import CareerCentre, Room

    voss = Location(centre=db.session.scalar(select(CareerCentre)), municipality=f.municipality("4621"),
                    name="Utekontor Voss")
    voss.rooms.append(Room(name="Voss-1"))
    db.session.add(voss)
    db.session.commit()
    return voss


def test_the_lead_says_which_days_a_counsellor_is_at_each_location_and_plans_get_it(client, county_world, travel_to):
    """"Tuesdays in Voss, the rest of the week in Bergen": the planner put a counsellor of two locations at
    either on any day, and the lead could not say otherwise."""
    travel_to(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc))
    w, location = county_world
    voss = _second_location()
    data = _counsellor_form(location, location_ids=[str(location.id), str(voss.id)], days_shown="1",
                            **{f"days_{location.id}": ["1", "2", "3", "4", "5"], f"days_{voss.id}": ["2"]})
    response = client.post("/people/counsellors/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    profile = db.session.scalar(select(CounsellorProfile).join(User).where(User.email == "kari@karriere.example.no"))
    assert profile.location_days == {str(voss.id): [2]}   # the whole week at the centre is no restriction
    [entry] = [c for c in _instance()["counsellors"] if c["id"] == f"C{profile.id}"]
    assert entry["location_days"] == {f"L{voss.id}": [2]}

    listing = client.get("/people/counsellors").get_data(as_text=True)
    assert 'Utekontor Voss <span class="muted">(tirsdag)</span>' in listing
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    ticked = set(re.findall(r'id="days_(\d+)_(\d)" name="days_\d+" value="\d" checked', page))
    assert ticked == {(str(location.id), str(d)) for d in range(1, 6)} | {(str(voss.id), "2")}

    # No day ticked at a chosen location: refused, with the message on the days and the rest kept as typed.
    data[f"days_{voss.id}"] = []
    data["name"] = "Kari Nordmann-Vik"
    refused = client.post(f"/people/counsellors/{profile.id}", data=data)
    assert refused.status_code == 400
    text = html.unescape(refused.get_data(as_text=True))
    assert "Kryss av minst én dag på Utekontor Voss, eller ta bort krysset for kontorstedet." in text
    assert 'href="#location_days"' in text and 'value="Kari Nordmann-Vik"' in text
    db.session.expire_all()
    assert db.session.get(CounsellorProfile, profile.id).location_days == {str(voss.id): [2]}

    # A form that does not show the days (an older page, a script) keeps what is stored.
    data.pop("days_shown")
    data["name"] = "Kari Nordmann"
    assert client.post(f"/people/counsellors/{profile.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(CounsellorProfile, profile.id).location_days == {str(voss.id): [2]}


def test_a_booked_session_on_a_day_the_counsellor_is_no_longer_there_is_named_on_their_page(client, county_world, travel_to):
    """Restricted to Tuesdays at the centre, a counsellor's booked Monday session there is broken: their page
    says why (the re-plan prompt), as for a location they no longer work at. A day that is not a weekday
    number is no day (a crafted "²" answered 500)."""
    travel_to(dt.datetime(2027, 1, 4, 10, 0, tzinfo=dt.timezone.utc))
    w, location = county_world
    monday = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 11, 9))
    profile = w.counsellor.counsellor
    client.post("/logout")
    f.login(client, w.lead)   # after the clock moved on (the idle sign-out ended the fixture's login)
    data = _counsellor_form(location, name=w.counsellor.name, email=w.counsellor.email, days_shown="1",
                            **{f"days_{location.id}": ["2", "²", "9" * 5000]})
    response = client.post(f"/people/counsellors/{profile.id}", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/counsellors/{profile.id}")
    db.session.expire_all()
    assert db.session.get(CounsellorProfile, profile.id).location_days == {str(location.id): [2]}
    page = html.unescape(client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True))
    assert f"{w.counsellor.name} er ikke på {location.name} på mandag." in page, monday.id


def test_an_account_an_administrator_deactivated_is_said_so_to_the_lead(client, county_world):
    """The interpreter list said "Active" of an interpreter whose account the administrator had deactivated,
    and the page offered only "Deactivate"; the lead cannot switch the account on."""
    w, _location = county_world
    w.interpreter.active = False
    db.session.commit()
    listing = html.unescape(client.get("/people/interpreters").get_data(as_text=True))
    row = listing[listing.index(w.interpreter.name):]
    assert "Kontoen er deaktivert" in row[:800]
    page = html.unescape(client.get(f"/people/interpreters/{w.interpreter.interpreter.id}").get_data(as_text=True))
    status = page[page.index('id="status-heading"'):]
    status = status[:status.index("</section>")]
    assert "En administrator har deaktivert kontoen" in status and "<button" not in status


def test_deactivating_a_counsellor_with_sessions_ahead_asks_first(client, county_world):
    """One click switched off a counsellor with three published sessions; the sessions it broke came after."""
    w, _location = county_world
    day = f.future_weekday(1)
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 9))
    profile = w.counsellor.counsellor
    asked = client.post(f"/people/counsellors/{profile.id}/active", data={})
    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 200 and "har 1 publisert time framover" in page and 'name="confirm"' in page
    db.session.refresh(profile)
    assert profile.active
    assert client.post(f"/people/counsellors/{profile.id}/active", data={"confirm": "1"}).status_code == 302
    db.session.refresh(profile)
    assert not profile.active
