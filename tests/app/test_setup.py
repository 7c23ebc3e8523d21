"""Centre set-up (issue 21): the lead types in the county's locations, rooms and settings, and the
next plan is built from exactly what was typed."""
from __future__ import annotations

import datetime as dt
import html

import pytest
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import AuditEvent, County, InterpreterBudget, Location, Room
from guidance.planning import InstanceOptions, build_instance
from tests.app import factories as f
from tests.app.page_text import words
from tests.app.planning.helpers import TODAY  # Friday 8 January 2027: the horizon is 11 January - 11 April

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

@pytest.fixture(autouse=True)
def english(client):
    """The messages below are asserted in English: chosen with the switcher, which wins over the
    user's saved language (rules/language.py)."""
    client.post("/language", data={"language": "en", "next": "/login"})


EMPTY_HOURS = {f"h{d}_{p}_{e}": "" for d in range(1, 6) for p in (1, 2) for e in ("from", "to")}


def location_form(**changes) -> dict:
    """A location open Monday and Tuesday 08:00-11:30 and 12:00-16:00, in Voss."""
    form = {**EMPTY_HOURS, "name": "Karrieresenter Voss", "centre_id": "0",
            "municipality_id": str(f.municipality("4621").id), "address": "Uttrågata 9, 5700 Voss",
            "directions": "Inngang frå parkeringsplassen.", "step_free": "y",
            "h1_1_from": "08:00", "h1_1_to": "11:30", "h1_2_from": "12:00", "h1_2_to": "16:00",
            "h2_1_from": "08:00", "h2_1_to": "11:30", "h2_2_from": "12:00", "h2_2_to": "16:00",
            "open_dates": "", **{f"pattern_{n}_weekday": "0" for n in (1, 2, 3)},
            **{f"pattern_{n}_weeks": "every" for n in (1, 2, 3)}}
    form.update(changes)
    return form


def settings_form(**changes) -> dict:
    form = {"individual_minutes": "90", "group_minutes": "90", "group_min_size": "3", "group_max_size": "8",
            "max_travel_minutes": "150", "closure_days": "", "booking_answer_hours": "48",
            "budget_month": "", "budget_amount": ""}
    form.update(changes)
    return form


def days(start: dt.date, end: dt.date, weekdays: set[int], skip=()) -> list[str]:
    out, day = [], start
    while day <= end:
        if day.isoweekday() in weekdays and day not in skip:
            out.append(day.isoformat())
        day += dt.timedelta(days=1)
    return out


def instance_location(lead, location_id: int) -> dict | None:
    instance = build_instance(lead.county, InstanceOptions(today=TODAY))
    return next((loc for loc in instance["locations"] if loc["id"] == f"L{location_id}"), None)


def audit_changes() -> int:
    """Audit events of changes: sign-ins and recorded refusals are not changes."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.notin_(("access.refused", "auth.logged_in"))))


def audit_actions(object_type: str) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == object_type)
                                   .order_by(AuditEvent.id)))


def new_location(client, county_id: int, **changes) -> Location:
    response = client.post(f"/setup/counties/{county_id}/locations/new", data=location_form(**changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(Location).order_by(Location.id.desc()))


def test_lead_types_in_a_location_with_a_room_and_the_plan_uses_exactly_that(client):
    w = f.world()
    f.login(client, w.lead)

    location = new_location(client, w.lead.county_id)
    response = client.post(f"/setup/locations/{location.id}/rooms/new",
                           data={"name": "Samtalerom 1", "capacity": "1", "video": "y"})
    assert response.status_code == 302
    room = db.session.scalar(select(Room).where(Room.location_id == location.id))

    assert (location.name, location.municipality.number, location.address, location.step_free) == (
        "Karrieresenter Voss", "4621", "Uttrågata 9, 5700 Voss", True)
    assert location.centre.county_id == w.lead.county_id
    placed = instance_location(w.lead, location.id)
    easter_monday = dt.date(2027, 3, 29)
    assert placed == {
        "id": f"L{location.id}", "name": "Karrieresenter Voss", "place": "4621",
        "opening": [["08:00", "11:30"], ["12:00", "16:00"]],
        "open_dates": days(dt.date(2027, 1, 11), dt.date(2027, 4, 11), {1, 2}, skip={easter_monday}),
        "rooms": [{"id": f"room{room.id}", "capacity": 1, "video": True}], "step_free": True,
    }
    assert audit_actions("location") == ["location.created"]
    assert audit_actions("room") == ["room.created"]


def test_each_weekdays_own_hours_reach_the_plan_when_the_days_differ(client):
    """A short Monday shortened every day of the plan (one set of hours, the overlap of all days), and a
    location open Monday mornings and Tuesday afternoons had no hours in common and was left out."""
    w = f.world()
    f.login(client, w.lead)
    location = new_location(client, w.lead.county_id, h1_1_to="10:00", h1_2_from="", h1_2_to="",
                            h2_1_from="13:00", h2_1_to="16:00", h2_2_from="", h2_2_to="")
    client.post(f"/setup/locations/{location.id}/rooms/new", data={"name": "Samtalerom 1", "capacity": "1"})
    placed = instance_location(w.lead, location.id)
    assert placed is not None and placed["opening"] == []
    assert placed["weekly_opening"] == {"1": [["08:00", "10:00"]], "2": [["13:00", "16:00"]]}
    page = client.get(f"/readiness/counties/{w.lead.county_id}").get_data(as_text=True)
    assert "har ingen åpningstider" not in page


def test_a_location_open_every_weekday_has_no_date_list(client):
    w = f.world()
    f.login(client, w.lead)
    hours = {f"h{d}_1_{e}": t for d in range(1, 6) for e, t in (("from", "08:30"), ("to", "15:00"))}
    location = new_location(client, w.lead.county_id, **{**EMPTY_HOURS, **hours})
    client.post(f"/setup/locations/{location.id}/rooms/new", data={"name": "Grupperom", "capacity": "12"})

    placed = instance_location(w.lead, location.id)
    assert (placed["opening"], placed["open_dates"]) == ([["08:30", "15:00"]], None)
    assert placed["rooms"][0]["capacity"] == 12 and placed["rooms"][0]["video"] is False


def test_outreach_venue_open_in_even_weeks_and_on_a_single_date_minus_closure_days(client):
    w = f.world()
    f.login(client, w.lead)
    # Tuesdays in even ISO weeks (12 Jan 2027 is in week 2), and Tuesday 2 March (week 9) besides.
    location = new_location(client, w.lead.county_id, **{
        **EMPTY_HOURS, "name": "Utekontor Ulvik", "municipality_id": str(f.municipality("4620").id),
        "outreach": "y", "h2_1_from": "09:00", "h2_1_to": "15:00", "h1_1_from": "09:00", "h1_1_to": "15:00",
        "pattern_1_weekday": "2", "pattern_1_weeks": "even", "open_dates": "02.03.2027"})
    client.post(f"/setup/locations/{location.id}/rooms/new", data={"name": "Møterom", "capacity": "8"})
    # The county's list says when it is open: its pattern's Tuesdays and its date, not every day it has hours for.
    row = words(client.get(f"/setup/counties/{w.lead.county_id}").get_data(as_text=True))
    row = row[row.index("Utekontor Ulvik (outreach venue)"):][:200]
    assert "Tuesday (even weeks) 09:00–15:00" in row and "Also on 2 Mar 2027" in row and "Monday" not in row, row
    response = client.post(f"/setup/counties/{w.lead.county_id}/settings",
                           data=settings_form(closure_days="2027-01-26\n2027-12-24"))
    assert response.status_code == 302

    assert location.open_pattern == [{"weekday": 2, "weeks": "even"}]
    even_tuesdays = [d for d in days(dt.date(2027, 1, 11), dt.date(2027, 4, 11), {2})
                     if dt.date.fromisoformat(d).isocalendar().week % 2 == 0]
    assert "2027-01-26" in even_tuesdays
    expected = sorted((set(even_tuesdays) - {"2027-01-26"}) | {"2027-03-02"})
    placed = instance_location(w.lead, location.id)
    assert (placed["opening"], placed["open_dates"]) == ([["09:00", "15:00"]], expected)
    instance = build_instance(w.lead.county, InstanceOptions(today=TODAY))
    assert "2027-01-26" in instance["calendar"]["holidays"]  # the county's own closure day
    assert "2027-03-29" in instance["calendar"]["holidays"]  # and Norway's Easter Monday


def test_county_settings_reach_the_plan(client, travel_to):
    travel_to(f.oslo(2027, 1, 8, 9))   # February's budget is ahead
    w = f.world()
    f.login(client, w.lead)
    response = client.post(f"/setup/counties/{w.lead.county_id}/settings", data=settings_form(
        individual_minutes="60", group_minutes="120", group_min_size="4", group_max_size="6",
        max_travel_minutes="90", booking_answer_hours="24", budget_month="2027-02", budget_amount="50000",
        publish_notice_days="5", category_step_nok="400"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "5 working days after publishing" in page  # the notice a published plan keeps
    assert "Interpreter budgets February 2027: 50,000 NOK" in words(page)   # saved here, and said in the summary
    assert "Extra cost allowed per better interpreter category" in page and "400 NOK" in words(page)

    instance = build_instance(w.lead.county, InstanceOptions(today=TODAY))
    assert instance["session_types"] == {"individual": {"minutes": 60},
                                         "group": {"minutes": 120, "min_size": 4, "max_size": 6}}
    assert instance["max_participant_travel_minutes"] == 90
    assert instance["category_step_nok"] == 400  # what the plan pays for a better interpreter category
    county = db.session.get(County, w.lead.county_id)
    assert county.booking_answer_hours == 24 and county.publish_notice_days == 5
    budget = db.session.scalar(select(InterpreterBudget).where(InterpreterBudget.county_id == county.id))
    assert (budget.month, budget.amount_ore) == (dt.date(2027, 2, 1), 5_000_000)
    assert audit_actions("county") == ["county.settings_updated"]


def test_the_settings_page_lists_budgets_by_month_name_in_kroner(client):
    w = f.world()
    f.login(client, w.lead)
    client.post(f"/setup/counties/{w.lead.county_id}/settings", data=settings_form(
        individual_minutes="60", group_minutes="120", group_min_size="4", group_max_size="6",
        max_travel_minutes="90", booking_answer_hours="24", budget_month="2027-02", budget_amount="45000",
        publish_notice_days="5"))
    page = words(client.get(f"/setup/counties/{w.lead.county_id}/settings").get_data(as_text=True))
    assert "February 2027 45,000 NOK" in page and "2027-02:" not in page
    client.post("/language", data={"language": "nb", "next": "/"})
    page = words(client.get(f"/setup/counties/{w.lead.county_id}/settings").get_data(as_text=True))
    assert "februar 2027 45 000 kr" in page


def test_deactivated_locations_and_rooms_are_left_out_of_new_plans(client):
    w = f.world()
    f.login(client, w.lead)
    location = new_location(client, w.lead.county_id)
    for name in ("Rom A", "Rom B"):
        client.post(f"/setup/locations/{location.id}/rooms/new", data={"name": name, "capacity": "1"})
    room_a, room_b = location.rooms

    assert client.post(f"/setup/rooms/{room_a.id}/active", data={}).status_code == 302
    assert [r["id"] for r in instance_location(w.lead, location.id)["rooms"]] == [f"room{room_b.id}"]
    assert client.post(f"/setup/locations/{location.id}/active", data={}).status_code == 302
    assert instance_location(w.lead, location.id) is None
    assert db.session.get(Location, location.id) is not None  # never deleted

    client.post(f"/setup/locations/{location.id}/active", data={"active": "y"})
    assert instance_location(w.lead, location.id) is not None
    assert audit_actions("location") == ["location.created", "location.deactivated", "location.activated"]
    assert audit_actions("room") == ["room.created", "room.created", "room.deactivated"]


def test_lead_edits_a_location_and_a_room(client):
    w = f.world()
    f.login(client, w.lead)
    location = new_location(client, w.lead.county_id)
    client.post(f"/setup/locations/{location.id}/rooms/new", data={"name": "Rom", "capacity": "1"})
    room = location.rooms[0]

    page = client.get(f"/setup/locations/{location.id}").get_data(as_text=True)
    assert 'value="11:30"' in page and "Uttrågata 9" in page
    response = client.post(f"/setup/locations/{location.id}", data=location_form(
        name="Karrieresenter Voss sentrum", h2_1_from="", h2_1_to="", h2_2_from="", h2_2_to=""))
    assert response.status_code == 302
    response = client.post(f"/setup/rooms/{room.id}", data={"name": "Grupperom", "capacity": "10"})
    assert response.status_code == 302

    db.session.expire_all()
    assert location.name == "Karrieresenter Voss sentrum"
    assert location.weekly_hours == {"1": [["08:00", "11:30"], ["12:00", "16:00"]]}
    assert (room.name, room.capacity, room.video) == ("Grupperom", 10, False)
    placed = instance_location(w.lead, location.id)
    assert placed["open_dates"] == days(dt.date(2027, 1, 11), dt.date(2027, 4, 11), {1}, skip={dt.date(2027, 3, 29)})
    updated = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "location.updated")).one()
    assert '"name"' in updated.detail and '"weekly_hours"' in updated.detail


@pytest.mark.parametrize("changes, field, message", [
    ({"h1_2_from": "11:00"}, "h1_2_from", "Monday: the two opening periods overlap."),
    ({"h2_1_from": "12:00", "h2_1_to": "09:00"}, "h2_1_to", "Tuesday: the closing time must be after the opening time."),
    ({"h1_1_from": "08:10"}, "h1_1_from", "Monday: use whole quarter hours"),
    ({"h1_1_to": ""}, "h1_1_to", "Monday: enter both the opening and the closing time."),
    ({"municipality_id": "BODO"}, "municipality_id", "Choose a municipality in Vestland."),
    ({"name": ""}, "name", "Enter the location&#39;s name."),
    ({"outreach": "y"}, "open_dates", "Enter the days the outreach venue is open"),
    ({"outreach": "y", "pattern_1_weekday": "3"}, "pattern_1_weekday", "Enter opening hours for this weekday first."),
    ({"name": "karrieresenter bergen"}, "name", "The county already has a location called karrieresenter bergen."),
], ids=["overlap", "from-after-to", "off-grid", "half-pair", "other-county", "no-name", "outreach-no-days",
        "pattern-closed-day", "same-name"])
def test_bad_location_input_is_shown_per_field_and_nothing_is_written(client, changes, field, message):
    w = f.world()
    f.login(client, w.lead)
    if changes.get("municipality_id") == "BODO":
        changes["municipality_id"] = str(f.municipality("1804").id)  # Bodø is in Nordland
    before = db.session.scalar(select(func.count()).select_from(Location))

    response = client.post(f"/setup/counties/{w.lead.county_id}/locations/new", data=location_form(**changes))

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert f'id="{field}-error"' in page and f'href="#{field}"' in page  # on the field, linked from the summary
    assert 'value="Uttrågata 9, 5700 Voss"' in page  # the user's input is kept
    assert db.session.scalar(select(func.count()).select_from(Location)) == before
    assert audit_actions("location") == []


def test_a_room_needs_a_name_of_its_own_at_its_location(client):
    """Two rooms of one name could not be told apart in a plan, and the workbook round trip refused them."""
    w = f.world()
    f.login(client, w.lead)
    location = db.session.scalars(select(Location)).first()
    first, second = location.rooms[0], location.rooms[1]
    response = client.post(f"/setup/locations/{location.id}/rooms/new", data={"name": f" {first.name.upper()} ", "capacity": "2"})
    assert response.status_code == 400 and "already has a room called" in response.get_data(as_text=True)
    assert f"called {first.name}." in response.get_data(as_text=True)   # the room's own name, not the typing
    response = client.post(f"/setup/rooms/{second.id}", data={"name": first.name, "capacity": "2"})
    assert response.status_code == 400 and 'id="name-error"' in response.get_data(as_text=True)
    response = client.post(f"/setup/rooms/{first.id}", data={"name": first.name, "capacity": "3"})  # itself
    assert response.status_code == 302


def test_a_room_needs_a_capacity_of_at_least_one(client):
    w = f.world()
    f.login(client, w.lead)
    location = db.session.scalars(select(Location)).first()
    rooms = len(location.rooms)

    response = client.post(f"/setup/locations/{location.id}/rooms/new", data={"name": "Skap", "capacity": "0"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter how many participants the room seats: 1 or more." in page and 'id="capacity-error"' in page
    assert 'value="Skap"' in page
    db.session.expire_all()
    assert len(location.rooms) == rooms


def test_bad_settings_are_shown_per_field(client):
    w = f.world()
    f.login(client, w.lead)
    response = client.post(f"/setup/counties/{w.lead.county_id}/settings", data=settings_form(
        individual_minutes="50", group_min_size="9", group_max_size="4", closure_days="2027-02-30",
        publish_notice_days="21", category_step_nok="-5"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for field in ("individual_minutes", "group_min_size", "group_max_size", "closure_days", "publish_notice_days",
                  "category_step_nok"):
        assert f'id="{field}-error"' in page
    assert db.session.get(County, w.lead.county_id).individual_minutes == 90


def test_a_value_that_is_not_a_number_does_not_hide_the_other_problems(client):
    """"1e9" showed only "Not a valid integer": the lead corrected it and met the next problem on the next round."""
    w = f.world()
    f.login(client, w.lead)
    response = client.post(f"/setup/counties/{w.lead.county_id}/settings", data=settings_form(
        booking_answer_hours="1e9", individual_minutes="50", max_travel_minutes="5"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for field in ("booking_answer_hours", "individual_minutes", "max_travel_minutes"):
        assert f'id="{field}-error"' in page
    assert 'value="1e9"' in page and 'value="50"' in page
    assert page.count('id="booking_answer_hours-error"') == 1
    assert db.session.get(County, w.lead.county_id).individual_minutes == 90


def test_another_countys_lead_gets_404_and_nothing_changes(client):
    w = f.world()
    location = db.session.scalars(select(Location)).first()
    room = location.rooms[0]
    f.login(client, w.other_county_lead)
    before = (location.name, location.active, room.name, room.active, room.capacity)
    audit_before = audit_changes()

    county_id = w.lead.county_id
    for url, data in [
        (f"/setup/counties/{county_id}", None),
        (f"/setup/counties/{county_id}/settings", settings_form(individual_minutes="60")),
        (f"/setup/counties/{county_id}/locations/new", location_form()),
        (f"/setup/locations/{location.id}", location_form(name="Kapret")),
        (f"/setup/locations/{location.id}/active", {}),
        (f"/setup/locations/{location.id}/rooms/new", {"name": "X", "capacity": "1"}),
        (f"/setup/rooms/{room.id}", {"name": "Kapret", "capacity": "3"}),
        (f"/setup/rooms/{room.id}/active", {}),
    ]:
        if data is None:
            assert client.get(url).status_code == 404, url
        else:
            assert client.post(url, data=data).status_code == 404, url

    db.session.expire_all()
    assert (location.name, location.active, room.name, room.active, room.capacity) == before
    assert db.session.get(County, county_id).individual_minutes == 90
    assert audit_changes() == audit_before
    # Their own county's page lists only their own locations.
    assert location.name not in client.get("/setup/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["counsellor", "referrer", "interpreter"])
def test_other_roles_are_refused(client, role):
    w = f.world()
    location = db.session.scalars(select(Location)).first()
    f.login(client, getattr(w, role))
    assert client.post(f"/setup/locations/{location.id}", data=location_form(name="X")).status_code == 403
    assert client.post(f"/setup/counties/{w.lead.county_id}/settings", data=settings_form()).status_code == 403
    assert audit_changes() == 0


def test_admin_sets_up_any_county(client):
    w = f.world()
    f.login(client, w.admin)
    nordland = f.county("18")
    # By the county's number as the workbook's file, the people pages and the command line name it: the address
    # holds the row id, and /setup/counties/11 opened Agder for an administrator of Rogaland (11).
    assert "Nordland (18)" in client.get("/setup/").get_data(as_text=True)
    assert "<h1>Centre set-up: Nordland (18)</h1>" in client.get(f"/setup/counties/{nordland.id}").get_data(as_text=True)
    location = new_location(client, nordland.id, name="Karrieresenter Bodø",
                            municipality_id=str(f.municipality("1804").id))
    assert location.centre.county_id == nordland.id and location.centre.name == "Karrieresenter Bodø"


def test_messages_name_the_weekday_in_bokmal_by_default(app):
    w = f.world()
    norwegian = app.test_client()
    f.login(norwegian, w.lead)
    response = norwegian.post(f"/setup/counties/{w.lead.county_id}/locations/new",
                              data=location_form(h1_2_from="11:00"))
    assert response.status_code == 400
    assert "Mandag: de to åpningsperiodene overlapper." in response.get_data(as_text=True)


def test_closure_days_read_as_dates_in_the_users_language_and_the_field_keeps_iso(client):
    w = f.world()
    f.login(client, w.lead)
    client.post(f"/setup/counties/{w.lead.county_id}/settings",
                data=settings_form(closure_days="2027-12-24\n2027-01-26"))
    page = words(client.get(f"/setup/counties/{w.lead.county_id}").get_data(as_text=True))
    assert "Closure days 26 Jan 2027, 24 Dec 2027" in page and "2027-12-24" not in page
    client.post("/language", data={"language": "nb", "next": "/"})
    page = words(client.get(f"/setup/counties/{w.lead.county_id}").get_data(as_text=True))
    assert "26. jan. 2027, 24. des. 2027" in page
    # The form itself stays as it is typed: one ISO date per line.
    form = client.get(f"/setup/counties/{w.lead.county_id}/settings").get_data(as_text=True)
    assert "2027-12-24" in form


def test_a_summer_closure_is_typed_as_one_period_and_read_as_one(client):
    """Three weeks of fellesferie took fifteen lines, and "2027-07-12 – 2027-07-30" was refused (its message cut the
    line it quoted to "2027-07-12 – 2027-07")."""
    from guidance.models import County
    from guidance.rules.deadlines import working_days_between

    w = f.world()
    f.login(client, w.lead, language="en")
    url = f"/setup/counties/{w.lead.county_id}/settings"
    bad = client.post(url, data=settings_form(closure_days="2027-07-30 – 2027-07-12\n2027-12-24"))
    assert bad.status_code == 400
    said = html.unescape(bad.get_data(as_text=True))
    assert "or a period on one line as 2027-07-12 – 2027-07-30" in said and ": 2027-07-30 – 2027-07-12" in said
    assert "2027-07-30 – 2027-07-12" in said   # what was typed is kept
    for typo in ("9999-12-20 – 9999-12-31", "31.12.9999 til 31.12.9999"):   # a 500 before (the date arithmetic)
        refused = client.post(url, data=settings_form(closure_days=typo))
        assert refused.status_code == 400 and typo in html.unescape(refused.get_data(as_text=True)), typo
    saved = client.post(url, data=settings_form(closure_days="12.07.2027 til 30.07.2027\n2027-12-24"))
    assert saved.status_code == 302
    county = db.session.get(County, w.lead.county_id)
    assert len(county.closure_days) == 20 and {"2027-07-12", "2027-07-21", "2027-07-30", "2027-12-24"} <= set(
        county.closure_days)
    # Every working day of the period is closed: from Friday 9 July, the next working day is Monday 2 August.
    closed = set(county.closure_dates)
    assert working_days_between(dt.date(2027, 7, 9), dt.date(2027, 8, 2), closed) == 1
    form = client.get(url).get_data(as_text=True)
    assert "2027-07-12 – 2027-07-30\n2027-12-24" in html.unescape(form)
    page = words(client.get(f"/setup/counties/{w.lead.county_id}").get_data(as_text=True))
    assert "Closure days 12 Jul 2027–30 Jul 2027, 24 Dec 2027" in page, page[page.index("Closure days"):][:120]


def test_a_new_location_asks_for_its_career_centre_and_an_existing_one_can_move(client):
    """With centres in the county nothing is chosen for the lead (Førde joined Bergen's centre unseen
    and its letters went out in Bergen's name); a location put under the wrong centre can be moved."""
    from guidance.models import CareerCentre

    w = f.world()   # Bergen's centre and its location
    f.login(client, w.lead)
    county_id = w.lead.county_id
    form_page = client.get(f"/setup/counties/{county_id}/locations/new").get_data(as_text=True)
    assert '<option value="-1">Choose the career centre</option>' in form_page
    refused = client.post(f"/setup/counties/{county_id}/locations/new",
                          data=location_form(name="Førde karrieresenter", centre_id="-1"))
    assert refused.status_code == 400
    assert "Choose the career centre the location belongs to" in refused.get_data(as_text=True)
    bergen = db.session.scalar(select(CareerCentre).order_by(CareerCentre.id))
    created = client.post(f"/setup/counties/{county_id}/locations/new",
                          data=location_form(name="Førde karrieresenter", centre_id=str(bergen.id)))
    assert created.status_code == 302
    forde = db.session.scalar(select(Location).where(Location.name == "Førde karrieresenter"))
    assert forde.centre_id == bergen.id
    moved = client.post(f"/setup/locations/{forde.id}", data=location_form(name="Førde karrieresenter", centre_id="0"))
    assert moved.status_code == 302
    db.session.expire_all()
    forde = db.session.get(Location, forde.id)
    assert forde.centre.name == "Førde karrieresenter" and forde.centre_id != bergen.id
    assert "centre_id" in db.session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == "location.updated")).all()[-1]
    # saving it again does not make yet another centre
    client.post(f"/setup/locations/{forde.id}", data=location_form(name="Førde karrieresenter", centre_id="0"))
    assert db.session.scalar(select(func.count()).select_from(CareerCentre)
                             .where(CareerCentre.name == "Førde karrieresenter")) == 1


def test_settings_save_with_the_budget_amount_empty_and_keep_the_budgets(client):
    """The month field opens on this month: saving only a new notice asked for a budget amount ("Enter an
    amount of 0 NOK or more"), though the form says an empty amount keeps the budgets as they are."""
    w = f.world()
    f.login(client, w.lead)
    url = f"/setup/counties/{w.lead.county_id}/settings"
    first = dict(individual_minutes="60", group_minutes="120", group_min_size="4", group_max_size="6",
                 max_travel_minutes="90", booking_answer_hours="24", publish_notice_days="5")
    assert client.post(url, data=settings_form(**first, budget_month="2027-02", budget_amount="45000")).status_code == 302
    saved = client.post(url, data=settings_form(**{**first, "publish_notice_days": "3"}, budget_month="2027-03",
                                                budget_amount=""))
    assert saved.status_code == 302, words(saved.get_data(as_text=True))[:300]
    county = db.session.get(County, w.lead.county_id)
    assert county.publish_notice_days == 3
    budgets = db.session.scalars(select(InterpreterBudget).where(InterpreterBudget.county_id == county.id)).all()
    assert [(b.month, b.amount_ore) for b in budgets] == [(dt.date(2027, 2, 1), 4_500_000)]


def test_known_travel_times_replace_the_straight_line_for_the_county(client):
    """Bergen-Stord counted 72 minutes (a straight line at 60 km/h), about two hours with the ferry: the lead
    writes the journeys the rule gets wrong, and plans, journeys and interpreters' travel use them."""
    from guidance.models import County
    from guidance.planning.instance import travel_minutes

    w = f.world()
    f.login(client, w.lead)
    url = f"/setup/counties/{w.lead.county_id}/settings"
    bergen, stord, voss = f.municipality("4601"), f.municipality("4614"), f.municipality("4621")
    assert travel_minutes(bergen, stord) < 90
    refused = client.post(url, data=settings_form(known_travel="Bergen – Stord: 120\nBergen – Oslo: 400"))
    page = words(refused.get_data(as_text=True))
    assert refused.status_code == 400 and "Not read: Bergen – Oslo: 400" in page   # Oslo is not Vestland's
    assert "Bergen – Stord: 120" in page   # what was typed stays
    twice = client.post(url, data=settings_form(known_travel="Bergen – Stord: 110\nStord – Bergen: 120"))
    assert twice.status_code == 400 and "Not read: Stord – Bergen: 120" in words(twice.get_data(as_text=True))
    for junk in ("Bergen – : 5", "– –: 1", ":::", "Bergen – Stord: 99999", "Bergen – Bergen: 10", "Bergen–Stord:0",
                 "Oslo – Bergen: 30", "Bergen – Stord", "\x00 – Stord: 5"):
        assert client.post(url, data=settings_form(known_travel=junk)).status_code == 400, junk
    db.session.expire_all()
    assert not db.session.get(County, w.lead.county_id).known_travel
    saved = client.post(url, data=settings_form(known_travel="Bergen – Stord: 120\n4621/Bergen: 95 min"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert (travel_minutes(bergen, stord), travel_minutes(stord, bergen), travel_minutes(voss, bergen)) == (120, 120, 95)
    assert "Bergen – Stord: 120" in words(client.get(f"/setup/counties/{w.lead.county_id}").get_data(as_text=True))
    assert "Bergen – Voss: 95" in client.get(url).get_data(as_text=True)
    # The plan's instance carries the pairs whose places it holds.
    f.referral(municipality_number="4621", name="Voss Person")
    instance = build_instance(w.lead.county, InstanceOptions(today=TODAY))
    assert instance["travel"]["overrides"] == [["4601", "4621", 95]]


def test_opening_hours_are_read_as_norwegians_type_them(client):
    """"0900" and "8" were refused here while the move form and the hours of people read them."""
    w = f.world()
    f.login(client, w.lead)
    location = new_location(client, w.lead.county_id, h1_1_from="0800", h1_1_to="11.30", h1_2_from="kl. 12",
                            h1_2_to="16")
    assert location.weekly_hours["1"] == [["08:00", "11:30"], ["12:00", "16:00"]]
