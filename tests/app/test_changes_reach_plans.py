"""Changes reach plans safely (issue 21, item 5): a saved change that breaks published sessions ahead
lists exactly those sessions (Oslo time, participant reference, what broke) on the page the lead lands
on, and offers the absence flow's re-plan. Sessions in the past are never affected."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import InterpreterLanguage, Location, Role, RunStatus, SessionParticipant
from tests.app import factories as f

WEDNESDAY = f.oslo(2027, 3, 10, 10, 0)  # winter time: Oslo is UTC+1


@pytest.fixture
def plan(travel_to):
    """A counsellor at Bergen's centre, an Arabic interpreter, and three published sessions:
    yesterday (past), Monday 15 March 09:00 with the interpreter in "Rom 1", Tuesday 16 March 13:00
    in "Grupperom" without one (its participant needs none)."""
    travel_to(WEDNESDAY)
    w = f.world()
    w.counsellor.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    past_ref, monday_ref, tuesday_ref = (f.referral(name=n) for n in ("Past Person", "Monday Person", "Tuesday Person"))
    tuesday_ref.participant.needs_interpreter = False  # the Tuesday session has no interpreter
    past = f.published_session(w.counsellor, past_ref, start=f.oslo(2027, 3, 9, 9), interpreter=w.interpreter)
    monday = f.published_session(w.counsellor, monday_ref, start=f.oslo(2027, 3, 15, 9), interpreter=w.interpreter)
    tuesday = f.published_session(w.counsellor, tuesday_ref, start=f.oslo(2027, 3, 16, 13), room_name="Grupperom")
    return w, {"past": past, "monday": monday, "tuesday": tuesday}


def broken_rows(page: str) -> list[tuple[str, str, str]]:
    """(time, participants, what broke) of each row of the broken-sessions table."""
    if 'id="broken-heading"' not in page:
        return []
    table = page[page.index('id="broken-caption"'):]
    table = table[:table.index("</table>")]
    rows = []
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.split(r"</t[hd]>", row)[:3]]
        rows.append(tuple(cells))
    return rows


def refs(plan_sessions, *names) -> list[str]:
    return [plan_sessions[n].participants[0].referral.reference for n in names]


def test_deactivating_a_room_lists_its_sessions_ahead_on_the_location_page(client, plan):
    w, s = plan
    room = s["monday"].room
    f.login(client, w.lead)
    response = client.post(f"/setup/rooms/{room.id}/active", data={}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.request.path == f"/setup/locations/{room.location_id}"
    assert "1 publisert time passer ikke lenger" in page
    assert broken_rows(page) == [("man. 15. mars 2027, 09:00", refs(s, "monday")[0], "Rommet Rom 1 er deaktivert.")]
    assert refs(s, "past")[0] not in page and refs(s, "tuesday")[0] not in page
    # each session can be moved or cancelled from its row, and the lead comes back here
    back = f"back=/setup/locations/{room.location_id}"
    assert f'href="/planning/sessions/{s["monday"].id}/edit?{back}"' in page
    assert f'href="/planning/sessions/{s["monday"].id}/cancel?{back}"' in page


def test_deactivating_a_location_lists_every_session_ahead_there_on_the_county_page(client, plan):
    w, s = plan
    location = s["monday"].location
    f.login(client, w.lead)
    response = client.post(f"/setup/locations/{location.id}/active", data={}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == f"/setup/counties/{w.lead.county_id}"
    assert broken_rows(page) == [
        ("man. 15. mars 2027, 09:00", refs(s, "monday")[0], f"{location.name} er deaktivert."),
        ("tir. 16. mars 2027, 13:00", refs(s, "tuesday")[0], f"{location.name} er deaktivert."),
    ]
    assert refs(s, "past")[0] not in page


def test_closing_a_location_on_a_weekday_lists_only_the_sessions_on_that_day(client, plan):
    w, s = plan
    location = s["monday"].location
    location.weekly_hours = {str(d): [["08:00", "16:00"]] for d in (2, 3, 4, 5)}  # closed on Mondays
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/setup/locations/{location.id}").get_data(as_text=True)
    assert broken_rows(page) == [("man. 15. mars 2027, 09:00", refs(s, "monday")[0],
                                  f"{location.name} er ikke åpent på dette tidspunktet.")]


def test_a_closure_day_lists_its_sessions_as_on_a_closed_day_not_outside_the_hours(client, plan):
    """After a Christmas closure, every session read "Karrieresenter Bergen is not open at this time"."""
    w, s = plan
    w.lead.county.closure_days = [s["monday"].start.date().isoformat()]
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/setup/counties/{w.lead.county_id}").get_data(as_text=True)
    assert broken_rows(page) == [("man. 15. mars 2027, 09:00", refs(s, "monday")[0], "Sentrene er stengt 15. mars 2027.")]


def test_shorter_counsellor_hours_list_the_sessions_outside_them(client, plan):
    w, s = plan
    profile = w.counsellor.counsellor
    profile.weekly = {**profile.weekly, "2": [["08:00", "12:00"]]}  # Tuesday afternoons off
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    assert broken_rows(page) == [("tir. 16. mars 2027, 13:00", refs(s, "tuesday")[0],
                                  f"{w.counsellor.name} arbeider ikke på dette tidspunktet.")]


def test_removing_a_counsellors_location_lists_their_sessions_ahead_there(client, plan):
    w, s = plan
    profile = w.counsellor.counsellor
    location = s["monday"].location
    profile.locations = []
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    reason = f"{w.counsellor.name} arbeider ikke lenger på {location.name}."
    assert broken_rows(page) == [("man. 15. mars 2027, 09:00", refs(s, "monday")[0], reason),
                                 ("tir. 16. mars 2027, 13:00", refs(s, "tuesday")[0], reason)]


def test_a_counsellors_last_working_day_lists_the_sessions_after_it(client, plan):
    w, s = plan
    profile = w.counsellor.counsellor
    f.login(client, w.lead)
    assert 'name="employment_end"' in client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    profile.employment_end = s["monday"].start.date()  # leaves after Monday 15 March
    db.session.commit()
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    assert broken_rows(page) == [("tir. 16. mars 2027, 13:00", refs(s, "tuesday")[0],
                                  f"Arbeidsforholdet til {w.counsellor.name} slutter 15. mars 2027.")]


def test_unticking_multicultural_training_lists_the_sessions_whose_participants_need_it(client, plan):
    w, s = plan
    profile = w.counsellor.counsellor
    profile.multicultural = False
    ordinary = s["tuesday"].participants[0].referral
    ordinary.legal_basis = "ordinary"  # no training needed for an ordinary participant
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    assert broken_rows(page) == [("man. 15. mars 2027, 09:00", refs(s, "monday")[0],
                                  f"{w.counsellor.name} har ikke registrert opplæring i flerkulturell veiledning, "
                                  "som hjemmelen til en deltaker krever.")]


def test_removing_an_interpreters_language_lists_only_their_sessions_ahead_in_it(client, plan):
    w, s = plan
    profile = w.interpreter.interpreter
    profile.languages.clear()
    profile.languages.append(InterpreterLanguage(language="so", category=2))
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/people/interpreters/{profile.id}").get_data(as_text=True)
    assert broken_rows(page) == [("man. 15. mars 2027, 09:00", refs(s, "monday")[0],
                                  f"{w.interpreter.name} tolker ikke lenger arabisk.")]
    # the county's readiness page lists every broken session ahead too
    assert broken_rows(client.get(f"/readiness/counties/{w.lead.county_id}").get_data(as_text=True)) == [
        ("man. 15. mars 2027, 09:00", refs(s, "monday")[0], f"{w.interpreter.name} tolker ikke lenger arabisk.")]


def test_shorter_interpreter_hours_list_their_sessions_outside_them(client, plan):
    w, s = plan
    profile = w.interpreter.interpreter
    profile.weekly = {str(d): [["12:00", "16:00"]] for d in range(1, 6)}  # afternoons only
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/people/interpreters/{profile.id}").get_data(as_text=True)
    assert broken_rows(page) == [("man. 15. mars 2027, 09:00", refs(s, "monday")[0],
                                  f"{w.interpreter.name} arbeider ikke på dette tidspunktet.")]


def test_a_counsellor_who_no_longer_speaks_the_language_nobody_interprets_is_listed(client, plan):
    w, s = plan
    tuesday = s["tuesday"].participants[0].referral.participant
    tuesday.needs_interpreter, tuesday.language = True, "ti"
    profile = w.counsellor.counsellor
    profile.languages = ["nb", "en", "ti"]
    db.session.commit()
    f.login(client, w.lead)
    assert broken_rows(client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)) == []
    profile.languages = ["nb", "en"]  # Tigrinya unticked: the Monday session has its Arabic interpreter
    db.session.commit()
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    assert broken_rows(page) == [("tir. 16. mars 2027, 13:00", refs(s, "tuesday")[0],
                                  f"{w.counsellor.name} snakker ikke tigrinja, og ingen tolk er bestilt for det.")]


def test_a_smaller_room_a_room_without_video_and_an_interpreter_without_the_mode_are_listed(client, plan):
    w, s = plan
    room = s["monday"].room
    room.capacity = 1
    second = f.referral(name="Second Person")
    s["monday"].participants.append(SessionParticipant(referral=second))
    s["tuesday"].mode = "video"
    s["tuesday"].room.video = False
    profile = w.interpreter.interpreter
    profile.modes = ["video", "phone"]
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/readiness/counties/{w.lead.county_id}").get_data(as_text=True)
    assert broken_rows(page) == [
        ("man. 15. mars 2027, 09:00", f"{refs(s, 'monday')[0]} , {second.reference}",
         f"Rommet Rom 1 har nå plass til 1; timen har 2 deltakere. {w.interpreter.name} tolker ikke lenger på denne måten: oppmøte."),
        ("tir. 16. mars 2027, 13:00", refs(s, "tuesday")[0], "Rommet Grupperom har ikke lenger videoutstyr."),
    ]


def test_a_participant_who_needs_step_free_access_at_a_location_with_steps_is_listed(client, plan):
    """A referral corrected to "needs step-free access", or a location whose step-free access was
    unticked: the session on site there is listed; recording the access clears it."""
    w, s = plan
    s["monday"].participants[0].referral.participant.needs_step_free = True
    location = s["monday"].location
    location.step_free = False
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/readiness/counties/{w.lead.county_id}").get_data(as_text=True)
    assert broken_rows(page) == [
        ("man. 15. mars 2027, 09:00", refs(s, "monday")[0],
         f"En deltaker trenger trinnfri tilgang, og {location.name} er ikke registrert med trinnfri tilgang."),
    ]
    location.step_free = True
    db.session.commit()
    assert broken_rows(client.get(f"/readiness/counties/{w.lead.county_id}").get_data(as_text=True)) == []


def test_nothing_is_listed_when_the_change_breaks_nothing(client, plan):
    w, s = plan
    location = s["monday"].location
    location.weekly_hours = {str(d): [["07:00", "17:00"]] for d in range(1, 6)}
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/setup/locations/{location.id}").get_data(as_text=True)
    assert 'id="broken-heading"' not in page and 'id="replan-heading"' not in page


def test_the_re_plan_offer_starts_a_run_that_plans_around_the_change(client, plan):
    from tests.app.planning.helpers import run_from_the_form

    w, s = plan
    room = s["monday"].room
    f.login(client, w.lead)
    page = client.post(f"/setup/rooms/{room.id}/active", data={}, follow_redirects=True).get_data(as_text=True)
    assert 'action="/planning/runs"' in page and "Planlegg på nytt nå" in page
    keep_until = re.search(r'name="keep_until"[^>]*value="([\d-]+)"|value="([\d-]+)"[^>]*name="keep_until"', page)
    assert keep_until is not None
    response, run = run_from_the_form(client, keep_until.group(1) or keep_until.group(2))
    assert response.status_code == 302 and response.headers["Location"] == f"/planning/runs/{run.id}"
    assert run.status is RunStatus.SUCCEEDED, run.message
    planned_rooms = {x.room_id for x in run.sessions}
    assert room.id not in planned_rooms


def test_an_admin_sees_the_broken_sessions_and_is_pointed_to_the_lead_for_the_re_plan(client, plan):
    w, s = plan
    s["monday"].room.active = False
    db.session.commit()
    admin = f.user(Role.ADMIN, county_number="46")
    f.login(client, admin)
    page = client.get(f"/setup/locations/{s['monday'].location_id}").get_data(as_text=True)
    assert len(broken_rows(page)) == 1
    assert 'action="/planning/runs"' not in page and "/planning/sessions/" not in page
    assert "Fylkets leder kan planlegge disse timene på nytt på planleggingssiden." in page


def test_another_countys_lead_sees_nothing_of_it(client, plan):
    w, s = plan
    s["monday"].room.active = False
    db.session.commit()
    f.login(client, w.other_county_lead)
    assert client.get(f"/setup/locations/{s['monday'].location_id}").status_code == 404
    assert client.get(f"/readiness/counties/{w.lead.county_id}").status_code == 404
