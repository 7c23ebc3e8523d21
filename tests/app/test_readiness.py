"""Before the next plan (issue 21, item 4): each thing that stops a plan is listed in the lead's words
with a link to the page that fixes it, and goes once it is fixed; the home and the run start page
show them; blockers stop a run, warnings do not."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, select

from guidance.extensions import db
from guidance.models import InterpreterLanguage, Location, PlanningRun, Role, Room
from tests.app import factories as f

WEDNESDAY = f.oslo(2027, 3, 10, 10, 0)


@pytest.fixture
def world(travel_to):
    """world(): Bergen's centre, a counsellor working there, an Arabic interpreter, and two open
    integration-act referrals: Arabic in Bergen, Tigrinya in Voss."""
    travel_to(WEDNESDAY)
    w = f.world()
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    for location in w.counsellor.counsellor.locations:
        location.centre.phone = "+47 55 30 60 00"
    db.session.commit()
    return w


def readiness_page(client, w) -> str:
    response = client.get(f"/readiness/counties/{w.lead.county_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def items(page: str) -> list[str]:
    """The listed problems as 'kind: text' (the kind is the item's class)."""
    found = re.findall(r'<li class="task-list-item readiness-(\w+)">\s*<span class="task-list-name">(.*?)</span>',
                       page, re.S)
    return [f"{kind}: {' '.join(re.sub(r'<[^>]+>', ' ', text).split())}" for kind, text in found]


def test_a_ready_county_says_nothing_stops_the_next_plan(client, world):
    world.other_referral.participant.language = "ar"
    db.session.commit()
    f.login(client, world.lead)
    page = readiness_page(client, world)
    assert items(page) == []
    assert "Ingenting stopper neste plan." in page


def test_a_language_nobody_speaks_is_listed_with_its_link_until_an_interpreter_speaks_it(client, world):
    f.login(client, world.lead)
    page = readiness_page(client, world)
    assert items(page) == ["language: 1 henvisning på tigrinja venter, og ingen tolk eller veileder snakker "
                           "tigrinja. Legg til en tolk for tigrinja"]
    assert 'href="/people/interpreters?county=46">Legg til en tolk for tigrinja</a>' in page

    world.interpreter.interpreter.languages.append(InterpreterLanguage(language="ti", category=3))
    db.session.commit()
    assert items(readiness_page(client, world)) == []


def test_a_counsellor_who_speaks_the_language_is_enough(client, world):
    world.counsellor.counsellor.languages = ["nb", "ti"]
    db.session.commit()
    f.login(client, world.lead)
    assert items(readiness_page(client, world)) == []


def test_a_location_without_rooms_or_hours_is_listed_with_a_link_to_it(client, world):
    centre = db.session.scalar(select(Location)).centre
    bare = Location(centre=centre, municipality=f.municipality("4601"), name="Loddefjord", weekly_hours={})
    db.session.add(bare)
    world.other_referral.participant.language = "ar"
    db.session.commit()
    f.login(client, world.lead)
    page = readiness_page(client, world)
    assert items(page) == [
        "location_rooms: Loddefjord har ikke noe rom i bruk. Legg til et rom i Loddefjord",
        "location_hours: Loddefjord har ingen åpningstider de neste 13 ukene. Sett åpningstidene til Loddefjord",
    ]
    assert page.count(f'href="/setup/locations/{bare.id}"') == 2

    bare.rooms.append(Room(name="Rom A", capacity=2))
    bare.weekly_hours = {"2": [["09:00", "15:00"]]}
    db.session.commit()
    assert items(readiness_page(client, world)) == []


def test_a_counsellor_without_hours_or_locations_is_listed_with_a_link_to_their_page(client, world):
    world.other_referral.participant.language = "ar"
    colleague = f.user(Role.COUNSELLOR, name="Kari Nes")
    colleague.counsellor.weekly = {}
    db.session.commit()
    f.login(client, world.lead)
    page = readiness_page(client, world)
    assert items(page) == [
        "counsellor_hours: Kari Nes har ingen arbeidstid. Sett arbeidstiden til Kari Nes",
        "counsellor_locations: Kari Nes arbeider ikke på noe sted som er åpent og har rom. Velg stedene til Kari Nes",
    ]
    assert page.count(f'href="/people/counsellors/{colleague.counsellor.id}"') == 2

    colleague.counsellor.weekly = {"1": [["08:00", "15:00"]]}
    colleague.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    assert items(readiness_page(client, world)) == []


def test_a_phone_interpreter_without_a_number_is_listed_and_gets_no_phone_assignments(client, world):
    from guidance.planning import InstanceOptions, build_instance, ids

    world.other_referral.participant.language = "ar"
    interpreter = world.interpreter.interpreter
    interpreter.modes = ["onsite", "phone"]
    db.session.commit()
    f.login(client, world.lead)
    page = readiness_page(client, world)
    name = world.interpreter.name
    assert items(page) == [f"interpreter_phone: {name} tolker på telefon, men har ikke noe telefonnummer, så planen "
                           f"gir ingen telefonoppdrag til {name}. Legg til telefonnummeret til {name}"]
    assert f'href="/people/interpreters/{interpreter.id}"' in page
    planned = {i["id"]: i["modes"] for i in build_instance(world.lead.county, InstanceOptions(today=dt.date(2027, 3, 10)))
               ["interpreters"]}
    assert planned[ids.interpreter_id(interpreter.id)] == ["onsite"]

    world.interpreter.phone = "+47 400 00 001"
    db.session.commit()
    assert items(readiness_page(client, world)) == []
    planned = {i["id"]: i["modes"] for i in build_instance(world.lead.county, InstanceOptions(today=dt.date(2027, 3, 10)))
               ["interpreters"]}
    assert planned[ids.interpreter_id(interpreter.id)] == ["onsite", "phone"]


def test_an_interpreter_not_checked_in_the_register_for_a_year_is_listed_until_checked(client, world):
    world.other_referral.participant.language = "ar"
    interpreter = world.interpreter.interpreter
    interpreter.register_checked_on = dt.date(2026, 3, 10)  # a year before this Wednesday
    db.session.commit()
    f.login(client, world.lead)
    name = world.interpreter.name
    assert items(readiness_page(client, world)) == [
        f"interpreter_register: 1 tolk er ikke sjekket i Nasjonalt tolkeregister det siste året ({name}): "
        "kategoriene kan ha endret seg, og planene foretrekker bedre kategori. Se tolkene"]
    page = client.get("/people/interpreters?county=46").get_data(as_text=True)
    assert "10. mars 2026 <strong>sjekk på nytt</strong>" in page

    interpreter.register_checked_on = dt.date(2026, 3, 11)
    db.session.commit()
    assert items(readiness_page(client, world)) == []
    assert "sjekk på nytt" not in client.get("/people/interpreters?county=46").get_data(as_text=True)

    # Never checked: said so, not "Never check again" (the date's "never" beside "check again").
    interpreter.register_checked_on = None
    db.session.commit()
    page = client.get("/people/interpreters?county=46").get_data(as_text=True)
    assert "<strong>Ikke sjekket ennå</strong>" in page and "Aldri" not in page


def test_integration_act_referrals_without_a_trained_counsellor_are_listed(client, world):
    world.other_referral.participant.language = "ar"
    world.counsellor.counsellor.multicultural = False
    db.session.commit()
    f.login(client, world.lead)
    page = readiness_page(client, world)
    assert items(page) == [
        "training: 2 henvisninger etter integreringsloven eller den midlertidige loven venter, og ingen veileder "
        "med flerkulturell opplæring kan ta dem. Registrer flerkulturell opplæring for en veileder"]
    assert 'href="/people/counsellors?county=46"' in page

    world.counsellor.counsellor.multicultural = True
    db.session.commit()
    assert items(readiness_page(client, world)) == []


def test_a_municipality_beyond_the_travel_limit_of_every_location_is_listed(client, world):
    world.other_referral.participant.language = "ar"
    county = f.county("46")
    county.max_travel_minutes = 60  # Voss is 88 minutes from Bergen by the plans' own rule
    db.session.commit()
    f.login(client, world.lead)
    page = readiness_page(client, world)
    assert items(page) == [
        "travel: 1 henvisning fra Voss venter, og alle steder ligger mer enn 60 minutter unna (det nærmeste 88 "
        "minutter). Endre reisegrensen eller legg til et sted nær Voss"]
    assert f'href="/setup/counties/{county.id}/settings"' in page

    county.max_travel_minutes = 120
    db.session.commit()
    assert items(readiness_page(client, world)) == []


def test_the_travel_minutes_are_the_planners_own(app, world):
    from guidance.planning.instance import TRAVEL, travel_minutes
    from solver.travel import travel_minutes as solver_travel

    bergen, voss = f.municipality("4601"), f.municipality("4621")
    assert travel_minutes(bergen, voss) == solver_travel((bergen.lat, bergen.lon), (voss.lat, voss.lon),
                                                         TRAVEL["road_factor"], TRAVEL["speed_kmh"]) == 88


def test_the_home_shows_the_block_with_links_while_referrals_wait(client, world):
    world.counsellor.counsellor.multicultural = False
    db.session.commit()
    f.login(client, world.lead)
    page = client.get("/").get_data(as_text=True)
    block = page[page.index('id="today-readiness"'):page.index('<div class="cards">')]
    assert "Før neste plan: 2 ting å rette" in block
    assert 'href="/people/interpreters?county=46"' in block and 'href="/people/counsellors?county=46"' in block
    assert f'href="/readiness/counties/{world.lead.county_id}"' in block
    assert "Ingenting venter på deg i dag" not in page


def test_the_home_has_no_block_when_no_referral_waits(client, travel_to):
    travel_to(WEDNESDAY)
    f.centre()
    counsellor = f.user(Role.COUNSELLOR)   # a county that is set up (else the home leads to the set-up)
    counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    lead = f.user(Role.LEAD)
    f.login(client, lead)
    page = client.get("/").get_data(as_text=True)
    assert 'id="today-readiness"' not in page


def test_the_run_start_page_shows_warnings_and_a_run_still_starts(client, world):
    f.login(client, world.lead)
    page = client.get("/planning/").get_data(as_text=True)
    assert "Før neste plan: 1 ting å rette" in page and "Legg til en tolk for tigrinja" in page
    response = client.post("/planning/runs", data={"time_limit": "60"})
    assert response.status_code == 302
    assert db.session.query(PlanningRun).count() == 1


def test_a_blocker_is_explained_on_the_run_start_page_and_stops_the_run(client, world):
    location = db.session.scalar(select(Location))
    for room in location.rooms:
        room.active = False
    db.session.commit()
    f.login(client, world.lead)
    page = client.get("/planning/").get_data(as_text=True)
    assert "Rett dette før planleggingen" in page
    assert "Ingen steder har både rom og åpningstider, så ingen time kan planlegges." in page
    response = client.post("/planning/runs", data={"time_limit": "60"})
    refused = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Planforslaget ble ikke laget." in refused and f'href="/setup/counties/{location.centre.county_id}"' in refused
    assert db.session.query(PlanningRun).count() == 0

    location.rooms[0].active = True
    db.session.commit()
    assert client.post("/planning/runs", data={"time_limit": "60"}).status_code == 302


def test_the_check_is_a_few_queries_whatever_the_number_of_referrals(app, world):
    from guidance.services import readiness

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            db.session.expire_all()
            readiness.check(f.county("46"))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    for n in range(60):
        f.referral(municipality_number=("4601", "4621", "4640")[n % 3], name=f"Person {n}",
                   language=("ar", "ti", "so")[n % 3])
    assert statements() == few <= 13   # one per kind of thing read (locations, their rooms, places and centres, ...)


def test_other_roles_and_other_counties_cannot_see_a_countys_readiness(client, world):
    url = f"/readiness/counties/{world.lead.county_id}"
    for person, status in ((world.other_county_lead, 404), (world.counsellor, 403), (world.referrer, 403),
                           (world.interpreter, 403), (world.admin, 200), (world.lead, 200)):
        other = client.application.test_client()
        f.login(other, person)
        assert other.get(url).status_code == status, person.role
    assert client.get(url).status_code == 302  # anonymous: to the login page


def test_a_lead_who_follows_the_county_reads_the_block_in_nynorsk(client, world):
    lead = f.user(Role.LEAD, language=None)  # Vestland writes nynorsk
    f.login(client, lead)
    page = client.get("/").get_data(as_text=True)
    assert "Før neste plan: 1 ting å rette" in page
    assert "1 tilvising på tigrinja ventar, og ingen tolk eller rettleiar snakkar tigrinja." in page
    assert "Legg til ein tolk for tigrinja" in page


def test_the_page_counts_only_referrals_still_waiting_for_a_session(client, world):
    """A booked referral with its session ahead does not wait (the review: "7 wait for a plan" with
    every one booked); one whose session is held and whose group session is not booked yet does."""
    from guidance.models import Outcome
    from guidance.services import outcomes

    f.login(client, world.lead)

    def figure() -> str:
        page = client.get(f"/readiness/counties/{world.lead.county_id}").get_data(as_text=True)
        return page.split('<p class="lead">')[1].split("</p>")[0].strip()

    assert figure() == "2 henvisninger venter på en time."     # the world's two open referrals
    day = f.future_weekday()
    session = f.published_session(world.counsellor, world.own_referral, start=f.oslo(day.year, day.month, day.day, 10))
    assert figure() == "1 henvisning venter på en time."
    yesterday = WEDNESDAY.date() - dt.timedelta(days=1)
    held = f.published_session(world.counsellor, world.own_referral,
                               start=f.oslo(yesterday.year, yesterday.month, yesterday.day, 10))
    session.status = type(session.status)("cancelled")
    db.session.commit()
    outcomes.record_outcomes(world.counsellor, held, {world.own_referral.id: Outcome.ATTENDED})
    world.own_referral.needs = ["individual", "group"]
    db.session.commit()
    assert figure() == "2 henvisninger venter på en time."


def test_a_counsellor_who_never_works_when_their_location_is_open_is_named(client, world):
    """Tuesdays only, at a venue open on Wednesdays: saved without a word and 'ready' before (the review)."""
    location = db.session.scalar(select(Location).order_by(Location.id))
    location.weekly_hours = {"3": [["09:00", "15:00"]]}
    counsellor = world.counsellor.counsellor
    counsellor.locations = [location]
    counsellor.weekly = {"2": [["09:00", "15:00"]]}
    db.session.commit()
    f.login(client, world.lead)
    assert ("counsellor_days: " + world.counsellor.name + " jobber aldri når kontorstedene sine er åpne ("
            + location.name + ")") in " ".join(items(readiness_page(client, world)))
    # Wednesday mornings are enough: one 90-minute session fits 09:00-10:30
    counsellor.weekly = {"2": [["09:00", "15:00"]], "3": [["09:00", "10:30"]]}
    db.session.commit()
    assert not [i for i in items(readiness_page(client, world)) if i.startswith("counsellor_days")]


def test_saving_such_a_counsellor_says_so_at_once(client, world):
    location = db.session.scalar(select(Location).order_by(Location.id))
    location.weekly_hours = {"3": [["09:00", "15:00"]]}
    db.session.commit()
    f.login(client, world.lead)
    form = {"name": "Eirik Stordal", "email": "eirik@karriere.example.no", "languages": ["nb"],
            "location_ids": [str(location.id)], "max_sessions_per_day": "4", "day2_start": "09:00", "day2_end": "15:00"}
    page = client.post("/people/counsellors/new", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Eirik Stordal jobber aldri på en dag og et klokkeslett når kontorstedene sine er åpne" in page


def test_a_location_where_no_counsellor_has_the_training_is_listed(client, world):
    """Harstad's only counsellor had no multicultural training: every Harstad resident under the act was planned
    two hours away, and nothing said why she stayed idle."""
    world.other_referral.participant.language = "ar"
    first = db.session.scalar(select(Location).order_by(Location.id))
    harstad = Location(centre=first.centre, municipality=f.municipality("4621"), name="Utekontor Voss")
    harstad.rooms.append(Room(name="Møterom", capacity=1))
    db.session.add(harstad)
    world.counsellor.counsellor.locations = [first]
    siri = f.user(Role.COUNSELLOR, name="Siri Hansen")
    siri.counsellor.multicultural = False
    siri.counsellor.locations = [harstad]
    db.session.commit()
    f.login(client, world.lead)
    listed = [i for i in items(readiness_page(client, world)) if i.startswith("training_location")]
    assert listed == [
        "training_location: Ingen veileder med flerkulturell opplæring jobber ved Utekontor Voss, så deltakere etter "
        "integreringsloven eller den midlertidige loven planlegges andre steder (Siri Hansen tar bare ordinær "
        "karriereveiledning). Registrer flerkulturell opplæring for en veileder"]
    siri.counsellor.multicultural = True
    db.session.commit()
    assert not [i for i in items(readiness_page(client, world)) if i.startswith("training_location")]


def test_a_centre_without_a_phone_number_is_listed_with_a_link_to_it(client, world):
    """Letters print the centre's phone under its name for a participant to call; the set-up review found the
    missing number flagged on the set-up page only, not on the lead's list of what is still missing."""
    centre = db.session.scalar(select(Location)).centre
    centre.phone = None
    world.other_referral.participant.language = "ar"
    db.session.commit()
    f.login(client, world.lead)
    page = readiness_page(client, world)
    assert items(page) == [f"centre_contact: {centre.name} har ikke telefonnummer: brevene til deltakerne og "
                           f"henvisernes sider oppgir senterets nummer å ringe. Legg inn telefonnummeret til {centre.name}"]
    assert f'href="/setup/centres/{centre.id}"' in page
