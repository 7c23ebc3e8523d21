"""Week grids (issue 24, item 2): a counsellor's, room's or location's week as a calendar, for the
published plan, a planning run under review and the counsellor's own week."""
import datetime as dt
import re

import pytest
from sqlalchemy import event, select

from guidance.extensions import db
from guidance.models import BookingStatus, CareerCentre, InterpreterBooking, Location, Role, Room
from guidance.services import week_grid
from tests.app import factories as f
from tests.app.planning.helpers import draft_run, draft_session

pytestmark = pytest.mark.one_database  # pages over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

SEASONS = {
    # a Monday 09:00 in Oslo is 08:00 UTC in winter and 07:00 UTC in summer
    "winter": dt.date(2027, 1, 18),
    "summer": dt.date(2027, 6, 14),
}


def _week(day: dt.date) -> str:
    year, week, _d = day.isocalendar()
    return f"{year}-W{week:02d}"


def _block_texts(page: str) -> list[str]:
    """The text of each session block of the grid (tags stripped, spaces squeezed)."""
    blocks = re.findall(r'<li class="grid-block[^"]*">(.*?)</li>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", b).split()) for b in blocks]


def _grid(page: str) -> str:
    """The grid table only (the page's select lists every counsellor, room and location): a counsellor's or
    room's time grid, or a location's rooms by days."""
    start = page.index('<table class="week-grid"' if '<table class="week-grid"' in page else '<table class="room-week"')
    return page[start:page.index("</table>", start)]


@pytest.mark.parametrize("season", sorted(SEASONS))
def test_a_published_session_shows_at_its_oslo_time_in_winter_and_summer(client, travel_to, season):
    day = SEASONS[season]
    travel_to(f.oslo(day.year, day.month, day.day - 10, 12))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 9, 0))
    f.login(client, w.lead)
    response = client.get(f"/grids/?week={_week(day)}&of=counsellor-{w.counsellor.counsellor.id}")
    assert response.status_code == 200
    blocks = _block_texts(response.get_data(as_text=True))
    assert len(blocks) == 1
    assert blocks[0].startswith("09:00–10:30")
    assert w.own_referral.reference in blocks[0]
    assert "Booket" in blocks[0]  # the status as a word, not only a colour
    # placed on the grid at 09:00: the frame starts at 08:00, four quarter-hour rows an hour
    assert 'class="grid-block grid-booked gs-5 gn-6 lane-1"' in response.get_data(as_text=True)
    assert f'href="/referrals/{w.own_referral.id}"' in response.get_data(as_text=True)  # the lead opens the referral


def test_a_draft_run_has_a_week_view_beside_its_table(client):
    w = f.world()
    day = dt.date(2027, 1, 19)
    run = draft_run(w.lead, today=dt.date(2027, 1, 8))
    draft_session(run, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 19, 13, 15))
    f.login(client, w.lead)
    table = client.get(f"/planning/runs/{run.id}/sessions").get_data(as_text=True)
    assert f"/planning/runs/{run.id}/week" in table  # the "Week" view beside the table
    page = client.get(f"/planning/runs/{run.id}/week").get_data(as_text=True)  # the run's first week by default
    assert "uke 3" in page
    blocks = _block_texts(page)
    assert len(blocks) == 1 and blocks[0].startswith("13:15–14:45") and "Utkast" in blocks[0]
    # the table view of the same sessions, and the week navigation
    assert f"/planning/runs/{run.id}/sessions?week={day - dt.timedelta(days=1)}" in page
    assert "week=2027-W02" in page and "week=2027-W04" in page


def test_blocks_belong_to_the_chosen_counsellor_room_or_location_only(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    other_counsellor = f.user(Role.COUNSELLOR)
    second = f.referral(name="Lina Haddad")
    mine = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 19, 9))
    theirs = f.published_session(other_counsellor, second, start=f.oslo(2027, 1, 20, 12), room_name="Grupperom")
    f.login(client, w.lead)
    base = "/grids/?week=2027-W03&of="

    page = _grid(client.get(base + f"counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True))
    assert w.own_referral.reference in page and second.reference not in page
    page = _grid(client.get(base + f"counsellor-{other_counsellor.counsellor.id}").get_data(as_text=True))
    assert second.reference in page and w.own_referral.reference not in page

    page = _grid(client.get(base + f"room-{mine.room_id}").get_data(as_text=True))
    assert w.own_referral.reference in page and second.reference not in page
    page = _grid(client.get(base + f"room-{theirs.room_id}").get_data(as_text=True))
    assert second.reference in page and w.own_referral.reference not in page

    page = _grid(client.get(base + f"location-{mine.location_id}").get_data(as_text=True))
    assert w.own_referral.reference in page and second.reference in page  # both rooms of the location
    other_location = Location(centre=db.session.scalar(select(CareerCentre)), municipality=f.municipality("4621"),
                              name="Utekontor Voss")
    other_location.rooms.append(Room(name="Voss-1"))
    db.session.add(other_location)
    db.session.commit()
    page = client.get(base + f"location-{other_location.id}").get_data(as_text=True)
    assert _block_texts(page) == []
    assert "Ingen timer i uke 3 for Utekontor Voss." in page


def test_a_locations_week_has_a_row_per_room_with_its_sessions_and_its_own_free_time(client, travel_to):
    """Four rooms side by side in five day columns were twenty lanes: at 1280 px the lead saw two days and
    cut-off blocks. A location's week is its rooms by days; "free" is the room's own free time."""
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    other_counsellor = f.user(Role.COUNSELLOR)
    a = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 19, 9))
    lina = f.referral(name="Lina Haddad")
    f.published_session(other_counsellor, lina, start=f.oslo(2027, 1, 19, 10), room_name="Grupperom")
    f.login(client, w.lead)
    page = _grid(client.get(f"/grids/?week=2027-W03&of=location-{a.location_id}").get_data(as_text=True))
    rows = {re.sub(r"<[^>]+>", "", row.split("</th>")[0]).strip(): row.split("</th>", 1)[1]
            for row in page.split('<th scope="row">')[1:]}
    room = a.room.name
    assert set(rows) >= {room, "Grupperom"}
    assert w.own_referral.reference in rows[room] and lina.reference not in rows[room]
    assert lina.reference in rows["Grupperom"] and w.own_referral.reference not in rows["Grupperom"]
    tuesday = {name: row.split("<td>")[2] for name, row in rows.items()}   # Monday's cell is the first
    # The group room is free on Tuesday until its 10:00 session, the other room until 09:00.
    assert re.search(r"Ledig</span> \d\d:\d\d–10:00", tuesday["Grupperom"]), tuesday["Grupperom"]
    assert re.search(r"Ledig</span> \d\d:\d\d–09:00", tuesday[room]), tuesday[room]
    assert "10:00–11:30" in tuesday["Grupperom"] and "09:00–10:30" in tuesday[room]


def test_an_empty_week_says_so_and_shows_the_free_time(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    f.login(client, w.lead)
    page = client.get(f"/grids/?week=2027-W05&of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert f"Ingen timer i uke 5 for {w.counsellor.name}." in page
    assert _block_texts(page) == []
    # the counsellor works 08:00-15:30 Monday to Friday: each day is free
    assert page.count("Ledig</span> 08:00–15:30") == 5


def test_free_time_is_the_working_hours_no_session_takes(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 19, 10))
    f.login(client, w.lead)
    page = client.get(f"/grids/?week=2027-W03&of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert "Ledig</span> 08:00–10:00" in page and "Ledig</span> 11:30–15:30" in page
    assert page.count("Ledig</span> 08:00–15:30") == 4  # the other four days


def test_time_gone_by_is_not_free(client, travel_to):
    """Monday afternoon, Monday morning still read "Free" (and last week all of it)."""
    travel_to(f.oslo(2027, 1, 18, 12, 10))  # Monday 12:10 of week 3
    w = f.world()
    f.login(client, w.lead)
    page = client.get(f"/grids/?week=2027-W03&of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert "Ledig</span> 12:15–15:30" in page and page.count("Ledig</span> 08:00–15:30") == 4
    last_week = client.get(f"/grids/?week=2027-W02&of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert "Ledig</span>" not in last_week


def test_status_tags_say_interpreter_asked_cancelled_and_held(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    asked = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 18, 9), interpreter=w.interpreter)
    db.session.add(InterpreterBooking(session=asked, interpreter_id=w.interpreter.interpreter.id,
                                      status=BookingStatus.REQUESTED, answer_deadline=f.oslo(2027, 1, 15, 12),
                                      mode="onsite", language="ar", billed_minutes=90, cost_ore=0))
    db.session.commit()
    f.published_session(w.counsellor, f.referral(name="Lina Haddad"), start=f.oslo(2027, 1, 19, 9), status="cancelled")
    f.published_session(w.counsellor, f.referral(name="Sara Haddad"), start=f.oslo(2027, 1, 20, 9), status="completed")
    f.login(client, w.lead)
    blocks = _block_texts(client.get(f"/grids/?week=2027-W03&of=counsellor-{w.counsellor.counsellor.id}")
                          .get_data(as_text=True))
    assert [b.split(" ")[0] for b in blocks] == ["09:00–10:30"] * 3
    assert "Tolk spurt" in blocks[0] and "Avlyst" in blocks[1] and "Holdt" in blocks[2]


def test_the_table_view_lists_the_same_sessions(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 6, 15, 9))
    f.login(client, w.lead)
    page = client.get(f"/grids/?week=2027-W24&of=counsellor-{w.counsellor.counsellor.id}&layout=table").get_data(as_text=True)
    assert '<table class="week-grid"' not in page
    assert "09:00–10:30" in page and w.own_referral.reference in page


def test_another_countys_counsellor_room_location_and_run_answer_404(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 19, 9))
    run = draft_run(w.lead, today=dt.date(2027, 1, 8))
    f.login(client, w.other_county_lead)
    for of in (f"counsellor-{w.counsellor.counsellor.id}", f"room-{session.room_id}", f"location-{session.location_id}",
               "counsellor-999999", "nonsense"):
        assert client.get(f"/grids/?week=2027-W03&of={of}").status_code == 404, of
    assert client.get(f"/planning/runs/{run.id}/week").status_code == 404
    own = client.get("/grids/?week=2027-W03").get_data(as_text=True)  # their own county: nothing of ours
    assert w.own_referral.reference not in own
    assert client.get("/grids/?week=not-a-week").status_code == 404


def test_an_installation_admin_chooses_the_county_and_sees_its_week(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 19, 9))
    f.login(client, w.admin)
    chooser = client.get("/grids/").get_data(as_text=True)
    assert 'name="county"' in chooser
    page = client.get(f"/grids/?county=46&week=2027-W03&of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert [b[:11] for b in _block_texts(page)] == ["09:00–10:30"]
    assert f'href="/referrals/{w.own_referral.id}"' not in page  # admins do not read referrals


def test_roles_outside_the_county_plan_are_refused(client):
    w = f.world()
    for person in (w.referrer, w.interpreter):
        f.login(client, person)
        assert client.get("/grids/").status_code == 403
        client.post("/logout")
    f.login(client, w.counsellor)
    assert client.get("/grids/").status_code == 403


def test_a_counsellor_sees_their_own_week_as_a_grid(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    other_counsellor = f.user(Role.COUNSELLOR)
    mine = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 19, 9))
    f.published_session(other_counsellor, f.referral(name="Lina Haddad"), start=f.oslo(2027, 1, 19, 12),
                        room_name="Grupperom")
    f.login(client, w.counsellor)
    week = client.get("/week/2027/3").get_data(as_text=True)
    assert "/week/grid?week=2027-W03" in week
    page = client.get("/week/grid?week=2027-W03").get_data(as_text=True)
    blocks = _block_texts(page)
    assert len(blocks) == 1 and blocks[0].startswith("09:00–10:30")
    assert f"/week/sessions/{mine.id}" in page
    assert client.get("/week/grid?of=counsellor-1&week=2027-W03").status_code == 200  # "of" is ignored: always their own


def test_a_week_costs_a_few_queries_however_many_sessions(app, client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    for i in range(25):
        referral = f.referral(name=f"Deltaker {i}")
        day, hour = 18 + i % 5, 8 + i // 5
        f.published_session(w.counsellor, referral, start=f.oslo(2027, 1, day, hour), minutes=45,
                            interpreter=w.interpreter if i % 2 else None)
    f.login(client, w.lead)
    url = f"/grids/?week=2027-W03&of=counsellor-{w.counsellor.counsellor.id}"
    client.get(url)
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = client.get(url).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(_block_texts(page)) == 25
    assert len(statements) <= 20, len(statements)


def test_week_keys_read_iso_weeks_and_dates():
    assert week_grid.parse_week("2026-W49") == dt.date(2026, 11, 30)
    assert week_grid.parse_week("2026-12-03") == dt.date(2026, 11, 30)
    assert week_grid.parse_week("2026-W54") is None and week_grid.parse_week("x") is None
    assert week_grid.week_key(dt.date(2027, 1, 4)) == "2027-W01"


def test_holidays_and_absences_leave_no_free_time(client, travel_to):
    from guidance.models import Absence

    travel_to(f.oslo(2027, 3, 1, 12))
    w = f.world()
    # Easter 2027: Maundy Thursday 25 March and Good Friday 26 March are public holidays
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 3, 23), end_date=dt.date(2027, 3, 23)))
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/grids/?week=2027-W12&of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert page.count("Ledig</span> 08:00–15:30") == 2  # Monday and Wednesday
    assert page.count('<p class="grid-unavailable">Stengt</p>') == 2
    assert page.count('<p class="grid-unavailable">Borte</p>') == 1


def test_a_day_away_with_sessions_still_on_it_says_so_in_its_heading_not_above_the_blocks(client, travel_to):
    """A banner above the sessions of a day away pushed each block 15-20 minutes below its hour on the time axis."""
    import re

    from guidance.models import Absence

    travel_to(f.oslo(2027, 3, 1, 12))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 30, 8))
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 3, 30), end_date=dt.date(2027, 3, 30)))
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/grids/?week=2027-W13&of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert re.search(r'<th scope="col">tirsdag 30\. mars <span class="tag">Borte</span></th>', page), \
        re.findall(r'<th scope="col">[^<]*(?:<span[^<]*</span>)?</th>', page)
    assert '<p class="grid-unavailable">' not in page[page.index("<tbody>"):].split('<td class="grid-day')[2]


def test_the_lead_moves_or_cancels_a_booked_session_ahead_from_its_block(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    ahead = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 18, 9))
    cancelled = f.published_session(w.counsellor, f.referral(name="Lina Haddad"), start=f.oslo(2027, 1, 19, 9),
                                    status="cancelled")
    f.login(client, w.lead)
    page = client.get(f"/grids/?week=2027-W03&of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    # Each link brings the lead back to this week afterwards.
    assert re.search(rf'href="/planning/sessions/{ahead.id}/edit\?back=/grids/\?week%3D2027-W03[^"]*">Flytt', page)
    assert re.search(rf'href="/planning/sessions/{ahead.id}/cancel\?back=[^"]+">Avlys', page)
    assert f"/sessions/{cancelled.id}/edit" not in page and f"/sessions/{cancelled.id}/cancel" not in page
    assert client.get(f"/planning/sessions/{ahead.id}/edit").status_code == 200  # the link leads to the move form
    travel_to(f.oslo(2027, 1, 18, 9, 30))  # once it has started, it is not moved from the grid
    page = client.get(f"/grids/?week=2027-W03&of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert f"/sessions/{ahead.id}/edit" not in page


def test_the_week_plan_opens_on_the_location_with_most_sessions_that_week(client, travel_to):
    """It opened on the first counsellor (by name) with a session: an arbitrary person's week."""
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 19, 10))
    f.published_session(w.counsellor, f.referral(name="Lina Haddad"), start=f.oslo(2027, 1, 20, 10))
    location = db.session.scalar(select(Location).order_by(Location.id))
    f.login(client, w.lead)
    page = client.get("/grids/?week=2027-W03").get_data(as_text=True)
    assert f'<option value="location-{location.id}" selected>' in page
    assert f'<option value="counsellor-{w.counsellor.counsellor.id}" selected>' not in page


def test_the_week_the_view_opens_on_is_marked_not_linked_beside_the_next_week(client, travel_to):
    """On a Sunday the week plan opens on the coming week; its pager offered "The coming week" and "Next week"
    as two links, to weeks 50 and 51, and read as two ways to the same week."""
    travel_to(f.oslo(2026, 12, 6, 12))   # a Sunday: the view opens on week 50
    w = f.world()
    f.login(client, w.lead)
    page = client.get(f"/grids/?of=counsellor-{w.counsellor.counsellor.id}").get_data(as_text=True)
    pager = page[page.index('class="pager"'):page.index("</nav>", page.index('class="pager"'))]
    assert '<span aria-current="page"><strong>Uke 50, fra mandag</strong></span>' in pager
    assert "2026-W51" in pager and "2026-W49" in pager
    other = client.get(f"/grids/?of=counsellor-{w.counsellor.counsellor.id}&week=2026-W51").get_data(as_text=True)
    pager = other[other.index('class="pager"'):other.index("</nav>", other.index('class="pager"'))]
    assert "Uke 50, fra mandag</a>" in pager and 'aria-current="page"' not in pager
