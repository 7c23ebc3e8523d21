"""Sick leave: the affected published sessions are listed at once; a re-plan moves only them."""
import pytest
import datetime as dt
import json

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Location, Role, Session
from guidance.planning import ids
from guidance.planning.review import changes
from guidance.services import planning as planning_service
from tests.app import factories as f
from tests.app.planning.helpers import planning_world, solved_run

pytestmark = pytest.mark.one_database  # the solver decides these; the PostgreSQL pass keeps publishing, runs in the queue and the bridge's queries (test_publish, test_safe_publish, test_jobs, test_bridge)


def test_sick_leave_lists_affected_sessions_and_a_replan_moves_only_those(client):
    w = planning_world()
    for name in ("Rania Saleh", "Omar Khalil", "Layla Nasser"):
        f.referral(municipality_number="4601", name=name)
    stand_in = f.user(Role.COUNSELLOR, name="Stand In")
    stand_in.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    first = solved_run(w.lead, time_limit=5)
    planning_service.publish_run(w.lead, first)
    published = db.session.scalars(select(Session).where(Session.run_id == first.id)).all()
    hit = published[0]
    day = ids.to_local(hit.start).date()
    absent = db.session.get(type(w.counsellor.counsellor), hit.counsellor_id).user

    f.login(client, w.lead)
    response = client.post("/planning/absences", data={"user_id": absent.id, "start_date": day.isoformat(),
                                                       "end_date": day.isoformat(), "reason": ""})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    affected = [s for s in published if s.counsellor_id == hit.counsellor_id and ids.to_local(s.start).date() == day]
    for s in affected:
        assert s.participants[0].referral.reference in page

    second = solved_run(w.lead, time_limit=5)

    moved = {c.old["id"] for c in changes(second) if c.kind != "kept" and c.old}
    assert moved == {ids.session_id(s.id) for s in affected}
    new_sessions = [c for c in changes(second) if c.kind == "new"]
    assert new_sessions == []
    # The changes page says why each of them changes: the counsellor is away that day (and says it of no other).
    page = client.get(f"/planning/runs/{second.id}/changes?kept=1").get_data(as_text=True)
    rows = page[page.index("<tbody>"):page.index("</tbody>")].split("<tr>")[1:]
    away = f'<strong class="tag tag-red">{absent.name} er borte</strong>'
    flagged = [row for row in rows if away in row]
    assert len(flagged) == len(affected) and len(rows) > len(affected)
    for s in affected:
        assert any(s.participants[0].referral.reference in row for row in flagged)


def test_after_an_absence_a_free_qualified_colleague_takes_the_session_at_its_own_time(client):
    """Colleague first: the participant keeps the appointment; only the counsellor changes."""
    w = planning_world()
    f.referral(municipality_number="4601", name="Rania Saleh")
    stand_in = f.user(Role.COUNSELLOR, name="Stand In")
    stand_in.counsellor.locations = list(db.session.scalars(select(Location)))
    db.session.commit()
    first = solved_run(w.lead, time_limit=5)
    planning_service.publish_run(w.lead, first)
    published = db.session.scalars(select(Session).where(Session.run_id == first.id)).all()
    hit = next(s for s in published if s.counsellor_id == w.counsellor.counsellor.id)
    day = ids.to_local(hit.start).date()
    absent = w.counsellor
    f.login(client, w.lead)
    response = client.post("/planning/absences", data={"user_id": absent.id, "start_date": day.isoformat(),
                                                       "end_date": day.isoformat(), "reason": ""})
    assert response.status_code == 302
    affected = [s for s in published if s.counsellor_id == hit.counsellor_id and ids.to_local(s.start).date() == day]
    theirs = [s for s in published if s.counsellor_id == stand_in.counsellor.id]

    def colleague_busy(s) -> bool:
        return any(o.start < s.end and s.start < o.end for o in theirs)

    second = solved_run(w.lead, time_limit=5)

    by_old = {c.old["id"]: c for c in changes(second) if c.old}
    for s in affected:
        change = by_old[ids.session_id(s.id)]
        if colleague_busy(s):
            continue  # the colleague is booked then: the session may move
        assert change.kind == "restaffed", (change.kind, change.old, change.new)
        assert change.new["start"] == change.old["start"] and change.new["location"] == change.old["location"]
        assert change.new["counsellor"] == ids.counsellor_id(stand_in.counsellor.id)
    assert any(not colleague_busy(s) for s in affected)
    # The run page says so in the lead's words.
    restaffed = json.loads(second.plan_json)["stats"]["terms"]["changes"]["restaffed"]
    assert restaffed >= 1
    f.login(client, w.lead, language="en")
    page = client.get(f"/planning/runs/{second.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"{restaffed} at the same time with another counsellor, interpreter or room" in page


def test_the_absence_re_plan_keeps_every_unbroken_published_session_by_default(client):
    from guidance.models import RunStatus
    from tests.app.planning.helpers import run_from_the_form

    w, published, day, page = _published_then_absent(client)
    keep_until = _keep_until(page)
    assert keep_until == max(ids.to_local(s.start).date() for s in published).isoformat()

    _response, run = run_from_the_form(client, keep_until)
    assert run.status is RunStatus.SUCCEEDED, run.message
    broken = {ids.session_id(s.id) for s in published if ids.to_local(s.start).date() == day
              and s.counsellor_id == w.counsellor.counsellor.id}
    changed = {c.old["id"] for c in changes(run) if c.kind != "kept" and c.old}
    assert broken and changed == broken


def test_a_repair_re_plan_mends_what_the_absence_broke_and_books_nobody_new(client):
    """The absence page offers a repair by default: the waiting queue is left for the planning page
    (a full re-plan after one sick day booked the whole queue and its interpreters)."""
    import re

    from guidance.models import RunStatus
    from tests.app.planning.helpers import run_from_the_form

    w, published, day, page = _published_then_absent(client)
    waiting = w.waiting
    assert re.search(r'<input[^>]*checked[^>]*value="repair"|<input[^>]*value="repair"[^>]*checked', page)
    keep_until = max(ids.to_local(s.start).date() for s in published).isoformat()

    _response, run = run_from_the_form(client, keep_until, scope="repair")
    assert run.status is RunStatus.SUCCEEDED, run.message
    instance = json.loads(run.instance_json)
    assert ids.participant_id(waiting.id) not in {p["id"] for p in instance["participants"]}
    broken = {ids.session_id(s.id) for s in published if ids.to_local(s.start).date() == day
              and s.counsellor_id == w.counsellor.counsellor.id}
    assert broken and {c.old["id"] for c in changes(run) if c.kind != "kept" and c.old} == broken
    assert [c for c in changes(run) if c.kind == "new"] == []
    run_page = re.sub(r"\s+", " ", client.get(f"/planning/runs/{run.id}").get_data(as_text=True))
    assert "booker ingen fra køen" in run_page
    # Its figures ("all participants planned in full") are of the published plan's participants: the walk read
    # them as all clear with 59 referrals waiting. The page says who is left out, and where to plan them.
    left = run_page[run_page.index('id="left-in-queue"'):].split("</p>")[0]
    from guidance.models import Referral, ReferralStatus

    received = db.session.scalars(select(Referral).where(Referral.status == ReferralStatus.RECEIVED,
                                                         Referral.county_id == w.lead.county_id)).all()
    assert waiting in received
    assert f"{len(received)} henvisninger i køen har ingenting booket og er ikke med i dette planforslaget" in left
    assert 'href="/planning/"' in left
    assert "Tid brukt (sekunder)" in run_page and "Tid brukt til nå" not in run_page   # the run is over
    planning_service.publish_run(w.lead, run)
    db.session.expire_all()
    assert waiting.status.value == "received"
    # The absence's page, once mended, had only "No published session is affected": it links what moved.
    from guidance.models import Absence

    absence = db.session.scalars(select(Absence)).one()
    absence_page = client.get(f"/planning/absences/{absence.id}").get_data(as_text=True)
    since = absence_page[absence_page.index('id="published-since"'):]
    assert f'href="/planning/runs/{run.id}/changes"' in since.split("</ul>")[0]
    assert not db.session.scalars(select(Session).where(Session.run_id == run.id, Session.status == "booked")
                                  .where(Session.participants.any(referral_id=waiting.id))).all()

    # The full re-plan, chosen on the same form, plans the waiting referral too.
    _response, full = run_from_the_form(client, keep_until, scope="all")
    assert ids.participant_id(waiting.id) in {p["id"] for p in json.loads(full.instance_json)["participants"]}


def test_the_planning_page_keeps_every_published_session_by_default(client):
    """A full plan of the queue keeps the published sessions (their letters are out) unless the lead
    picks an earlier date: the walk's full plan moved two published groups to fit a fourth member."""
    w = planning_world()
    first = solved_run(w.lead, time_limit=3)
    planning_service.publish_run(w.lead, first)
    last = max(ids.to_local(s.start).date() for s in db.session.scalars(select(Session).where(Session.run_id == first.id)))
    f.login(client, w.lead)
    assert _keep_until(client.get("/planning/").get_data(as_text=True)) == last.isoformat()


def test_a_session_booked_years_ahead_does_not_make_the_planning_form_refuse_its_own_default(client, travel_to):
    """The default stops at the last date the field takes (two years ahead), and a run starts with it."""
    travel_to(f.oslo(2027, 1, 8, 12))
    w = planning_world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2031, 3, 3, 9))
    f.login(client, w.lead)
    default = _keep_until(client.get("/planning/").get_data(as_text=True))
    assert default == "2029-01-08"
    response = client.post("/planning/runs", data={"time_limit": "60", "keep_until": default})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _published_then_absent(client):
    """Two referrals planned and published, one more waiting in the queue, and the lead registers the
    counsellor away on the first session's day: (world with .waiting, published sessions, the day, the
    absence page)."""
    w = planning_world()
    for name in ("Rania Saleh", "Omar Khalil"):
        f.referral(municipality_number="4601", name=name)
    first = solved_run(w.lead, time_limit=5)
    planning_service.publish_run(w.lead, first)
    published = db.session.scalars(select(Session).where(Session.run_id == first.id)).all()
    day = ids.to_local(published[0].start).date()
    w.waiting = f.referral(municipality_number="4601", name="Waiting Person")
    f.login(client, w.lead)
    response = client.post("/planning/absences", data={"user_id": w.counsellor.id, "start_date": day.isoformat(),
                                                       "end_date": day.isoformat(), "reason": ""})
    return w, published, day, client.get(response.headers["Location"]).get_data(as_text=True)


def _keep_until(page: str) -> str:
    """The date the page's re-plan form keeps published sessions up to."""
    import re

    found = re.search(r'name="keep_until"[^>]*value="([\d-]+)"|value="([\d-]+)"[^>]*name="keep_until"', page)
    return found.group(1) or found.group(2)


def test_the_absence_note_is_shown_in_the_list_and_on_the_persons_page(client):
    """The lead typed "Kurs i Oslo" and found it nowhere afterwards."""
    w = f.world()
    f.login(client, w.lead)
    day = f.future_weekday()
    response = client.post("/planning/absences", data={"user_id": w.counsellor.id, "start_date": day.isoformat(),
                                                       "end_date": day.isoformat(), "reason": "Kurs i Oslo"})
    assert response.status_code == 302
    listing = client.get("/planning/absences").get_data(as_text=True)
    assert "<td>Kurs i Oslo</td>" in listing
    assert "Kurs i Oslo" in client.get(f"/people/counsellors/{w.counsellor.counsellor.id}").get_data(as_text=True)


def test_a_re_plan_after_some_hours_away_moves_only_the_sessions_in_those_hours(client):
    """The dentist from the first session's start for an hour: that session is re-staffed or moved out of
    the hours, and the counsellor's other sessions that day stay where they are."""
    from guidance.models import RunStatus
    from tests.app.planning.helpers import run_from_the_form

    w = planning_world()
    for name in ("Rania Saleh", "Omar Khalil", "Layla Nasser"):
        f.referral(municipality_number="4601", name=name)
    first = solved_run(w.lead, time_limit=5)
    planning_service.publish_run(w.lead, first)
    published = db.session.scalars(select(Session).where(Session.run_id == first.id)
                                   .order_by(Session.start)).all()
    hit = published[0]
    begin = ids.to_local(hit.start)  # Oslo wall clock, as the form takes it
    hours_away = (hit.start, hit.start + dt.timedelta(hours=1))
    f.login(client, w.lead)
    response = client.post("/planning/absences", data={
        "user_id": w.counsellor.id, "start_date": begin.date().isoformat(), "end_date": begin.date().isoformat(),
        "from_time": begin.strftime("%H:%M"), "until_time": (begin + dt.timedelta(hours=1)).strftime("%H:%M"),
        "reason": ""})
    assert response.status_code == 302
    overlapping = {ids.session_id(s.id) for s in published if s.counsellor_id == w.counsellor.counsellor.id
                   and s.start < hours_away[1] and hours_away[0] < s.end}
    assert ids.session_id(hit.id) in overlapping

    _response, run = run_from_the_form(client, max(ids.to_local(s.start).date() for s in published).isoformat(),
                                       scope="repair")
    assert run.status is RunStatus.SUCCEEDED, run.message
    changed = [c for c in changes(run) if c.kind != "kept" and c.old]
    assert {c.old["id"] for c in changed} == overlapping
    for c in changed:  # re-staffed, or with this counsellor outside the hours away
        starts, ends = (ids.from_plan_minute(c.new[k]) for k in ("start", "end"))
        assert c.new["counsellor"] != ids.counsellor_id(w.counsellor.counsellor.id) or \
            not (starts < hours_away[1] and hours_away[0] < ends)
    # The changes page says why: the counsellor cannot then (hours away are not a whole day away).
    page = client.get(f"/planning/runs/{run.id}/changes").get_data(as_text=True)
    assert page.count(f'<strong class="tag tag-red">{w.counsellor.name} kan ikke da</strong>') == len(overlapping)
    assert f"{w.counsellor.name} er borte" not in page


def test_a_session_today_whose_counsellor_is_away_is_named_on_the_run_and_publish_pages(client, travel_to):
    """The re-plan after a sick call starts on the next working day: today's sessions with the absent counsellor
    stayed booked after publishing, and neither page said so."""
    from guidance.models import Absence

    travel_to(f.oslo(2027, 1, 11, 8))   # Monday morning
    w = planning_world()
    today_session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 11, 13))
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 1, 11), end_date=dt.date(2027, 1, 12)))
    db.session.commit()
    run = solved_run(w.lead, today=dt.date(2027, 1, 11))
    f.login(client, w.lead)
    for url in (f"/planning/runs/{run.id}", f"/planning/runs/{run.id}/publish"):
        page = client.get(url).get_data(as_text=True)
        assert 'id="not-covered"' in page, url
        block = page[page.index('id="not-covered"'):].split("</div>")[0]
        assert "1 booket time holder ikke lenger, og planen lar den stå som den er" in block
        assert f"{w.counsellor.name} er borte" in block
        assert "mandag 11. januar 13:00" in block and w.own_referral.reference in block
        assert f'href="/planning/sessions/{today_session.id}/edit?back=' in block


def test_a_session_the_re_plan_moves_is_not_named_among_those_it_leaves(client, travel_to):
    """Today's session with the counsellor off sick is left as it is and named; tomorrow's, inside the notice, the
    run moves to the first day a new time may be given (rule 10), so it is not named."""
    from guidance.models import Absence

    travel_to(f.oslo(2027, 1, 11, 8))   # Monday morning; the run's first day is Tuesday, new times from Thursday
    w = planning_world()
    today = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 11, 13))
    tomorrow = f.published_session(w.counsellor, f.referral(name="Ny Deltaker"), start=f.oslo(2027, 1, 12, 10))
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 1, 11), end_date=dt.date(2027, 1, 12)))
    db.session.commit()
    run = solved_run(w.lead, today=dt.date(2027, 1, 11))
    moved = db.session.scalar(select(Session).where(Session.run_id == run.id, Session.uid == tomorrow.uid))
    assert moved is not None and ids.to_local(moved.start).date() == dt.date(2027, 1, 14)
    f.login(client, w.lead)
    page = client.get(f"/planning/runs/{run.id}").get_data(as_text=True)
    block = page[page.index('id="not-covered"'):].split("</div>")[0]
    assert "mandag 11. januar 13:00" in block and f"{w.counsellor.name} er borte" in block
    assert f'/planning/sessions/{today.id}/edit' in block and f"/planning/sessions/{tomorrow.id}/edit" not in block
