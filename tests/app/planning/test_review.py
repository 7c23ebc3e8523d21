"""Reviewing a finished run: figures, sessions by week/location/counsellor, changes, unscheduled."""
import pytest
import json
import re

from guidance.models import RunStatus
from tests.app import factories as f
from tests.app.planning.helpers import planning_world, solved_run

pytestmark = pytest.mark.one_database  # pages over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

EN = {"Accept-Language": "en"}


def test_a_finished_run_shows_its_figures_sessions_and_what_could_not_be_planned(client):
    w = planning_world()
    run = solved_run(w.lead)
    assert run.status is RunStatus.SUCCEEDED, run.message
    f.login(client, w.lead, language="en")

    page = client.get(f"/planning/runs/{run.id}", headers=EN).get_data(as_text=True)
    assert "Checked against every rule" in page
    # In the lead's words, from the plan's named terms; solver words only under "Details for support staff",
    # and no command lines at all (a walkthrough: they meant nothing to a lead).
    terms = json.loads(run.plan_json)["stats"]["terms"]
    assert f"{terms['sessions_placed']} of the {terms['sessions_needed']} that participants need" in page
    assert f"{terms['participants_complete']} of {terms['participants']} participants" in page
    assert "Deadlines kept" in page and "Counsellors' load" in page
    assert "minutes one way in total" in page and "NOK" in page
    curious = page.index("Details for support staff")
    assert "python -m" not in page and "solver check" not in page
    assert page.index("Download the data the plan was made from (JSON file)") > curious
    assert "objective" not in page.lower() and "Bound" not in page   # solver numbers stay in the files
    assert page.index("Coverage") > curious

    f.login(client, w.lead, language="nb")
    nb = client.get(f"/planning/runs/{run.id}").get_data(as_text=True)
    assert f"{terms['sessions_placed']} av de {terms['sessions_needed']} som deltakerne trenger" in nb
    assert "Detaljer for brukerstøtte" in nb and "kr" in nb
    f.login(client, w.lead, language="en")

    sessions = client.get(f"/planning/runs/{run.id}/sessions", headers=EN).get_data(as_text=True)
    assert w.own_referral.reference in sessions and "Amal" not in sessions
    counsellor_filter = client.get(f"/planning/runs/{run.id}/sessions?counsellor={w.counsellor.counsellor.id}",
                                   headers=EN).get_data(as_text=True)
    assert w.own_referral.reference in counsellor_filter

    unscheduled = client.get(f"/planning/runs/{run.id}/unscheduled", headers=EN).get_data(as_text=True)
    # Two referrals cannot make a group of three; Tigrinya has no interpreter in this county.
    assert "Too few participants can meet" in unscheduled
    assert "Book an interpreter for Tigrinya" in unscheduled
    assert "<bdi>Amal Haddad</bdi>" in unscheduled   # whom to act on, by name (references only, before)
    # "Find a time" books one need around the published plan: offered once this plan is the published one.
    assert "/times" not in unscheduled
    from guidance.services import planning as planning_service

    planning_service.publish_run(w.lead, run, confirm_stale=True)
    published = client.get(f"/planning/runs/{run.id}/unscheduled", headers=EN).get_data(as_text=True)
    assert re.search(r'href="/referrals/\d+/times">Find a time', published)

    changes = client.get(f"/planning/runs/{run.id}/changes", headers=EN).get_data(as_text=True)
    assert "New" in changes and w.own_referral.reference in changes

    # The runs list counts the sessions the publish page will book (it counted each member of a group: here
    # a plan whose groups make 317 participants' sessions of 186 sessions).
    from guidance.extensions import db

    run.metrics = {**run.metrics, "scheduled": 317, "sessions": 186}
    db.session.commit()
    listing = re.sub(r"\s+", " ", client.get("/planning/", headers=EN).get_data(as_text=True))
    row = listing[listing.index(f'href="/planning/runs/{run.id}"'):]
    assert "<td>186</td>" in row[:600] and "317" not in row[:600], row[:600]


def test_review_pages_of_an_unfinished_run_answer_not_found(client):
    from guidance.extensions import db
    from guidance.models import PlanningRun

    w = planning_world()
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.RUNNING, progress={})
    db.session.add(run)
    db.session.commit()
    f.login(client, w.lead)
    assert client.get(f"/planning/runs/{run.id}/sessions").status_code == 404


def test_the_session_filters_list_only_the_countys_own_counsellors_and_locations(client):
    from guidance.models import Role

    w = planning_world()
    run = solved_run(w.lead)
    assert run.status is RunStatus.SUCCEEDED, run.message
    elsewhere = f.centre("18", "1804")  # Bodø, Nordland
    f.user(Role.COUNSELLOR, county_number="18", name="Nordland Rettleiar")
    f.login(client, w.lead, language="en")
    page = client.get(f"/planning/runs/{run.id}/sessions", headers=EN).get_data(as_text=True)
    assert w.counsellor.name in page
    assert elsewhere.locations[0].name not in page and "Nordland Rettleiar" not in page
    # The row's link is the verb: "Endring" (a change, the noun) read as a label.
    client.post("/language", data={"language": "nb", "next": "/"})
    assert ">Endre<span" in client.get(f"/planning/runs/{run.id}/sessions").get_data(as_text=True)


def test_a_run_without_the_checkers_figures_shows_dashes_not_none(client):
    from tests.app.planning.helpers import draft_run

    w = planning_world()
    run = draft_run(w.lead)
    f.login(client, w.lead, language="nb")
    page = client.get(f"/planning/runs/{run.id}").get_data(as_text=True)
    assert "Dekning" in page and "None" not in page


def _statements(client, url: str) -> tuple[int, str]:
    """The number of SQL statements one GET of `url` costs, and the page."""
    from sqlalchemy import event

    from guidance.extensions import db

    seen = []
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url, headers=EN)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True)


def test_the_run_review_pages_cost_the_same_queries_however_many_sessions(client):
    """The sessions and unscheduled pages read the names of the rows they show in one query each:
    no query per session, per participant or per unscheduled need."""
    import datetime as dt

    from guidance.extensions import db
    from tests.app.planning.helpers import draft_run, draft_session

    w = planning_world()
    run = draft_run(w.lead)
    f.login(client, w.lead, language="en")
    sessions_url, unscheduled_url = f"/planning/runs/{run.id}/sessions", f"/planning/runs/{run.id}/unscheduled"

    def add(count: int, first: int) -> list:
        referrals = [f.referral(name=f"Person {first + n}", deadline=dt.date(2027, 3, 1) + dt.timedelta(days=first + n))
                     for n in range(count)]
        for n, r in enumerate(referrals):
            draft_session(run, w.counsellor, [r], start=f.oslo(2027, 1, 11 + n % 5, 8 + n // 5))
        plan = json.loads(run.plan_json)
        plan["unscheduled"] += [{"participant": f"R{r.id}", "type": "group", "reason": "group_too_small"}
                                for r in referrals]
        run.plan_json = json.dumps(plan)
        db.session.commit()
        return referrals

    first = add(2, 0)
    few = _statements(client, sessions_url)[0], _statements(client, unscheduled_url)[0]
    more = first + add(20, 2)
    many_sessions, sessions = _statements(client, sessions_url)
    many_unscheduled, unscheduled = _statements(client, unscheduled_url)
    assert (many_sessions, many_unscheduled) == few
    assert all(r.reference in sessions for r in more) and "Person" not in sessions
    # Nearest deadline first, each with its reason.
    assert [unscheduled.index(r.reference) for r in more] == sorted(unscheduled.index(r.reference) for r in more)
    assert unscheduled.count("Too few participants can meet") == len(more)


def test_an_overdue_participant_left_unplanned_is_not_told_of_time_before_the_deadline(client):
    import datetime as dt

    from guidance.extensions import db
    from tests.app.planning.helpers import TODAY, draft_run

    w = planning_world()
    late = f.referral(name="Hodan Warsame", settlement=TODAY - dt.timedelta(days=200), deadline=TODAY - dt.timedelta(days=5))
    run = draft_run(w.lead)  # the run's instance marks the late referral overdue_since its deadline
    run.plan_json = json.dumps({"format": "guidance-plan/1", "sessions": [], "stats": {}, "unscheduled": [
        {"participant": f"R{r.id}", "type": "individual", "reason": "no_capacity_before_deadline", "detail": ""}
        for r in (late, w.own_referral)]})
    db.session.commit()
    f.login(client, w.lead, language="en")
    page = client.get(f"/planning/runs/{run.id}/unscheduled", headers=EN).get_data(as_text=True)
    assert page.count("There is no free room and counsellor time before the deadline.") == 1  # the one on time
    assert page.count("The deadline has passed, and there is no free room and counsellor time in the planning period.") == 1
    # Each "what you can do" leads to the page where it is done.
    assert page.count('<a href="/people/counsellors">Go to the counsellors</a>') == 2


def test_a_group_need_without_an_interpreter_is_not_sent_after_phone_interpreters(client):
    """The walk: a Swahili group need read "book an interpreter, also by video or phone" while the county's
    Swahili interpreters took video only and no group room had video; a phone interpreter never serves a group."""
    from guidance.extensions import db
    from tests.app.planning.helpers import draft_run

    w = planning_world()
    run = draft_run(w.lead)
    swahili = f.referral(name="Amani Juma", language="sw")
    plan = json.loads(run.plan_json)
    plan["unscheduled"] += [{"participant": f"R{swahili.id}", "type": t, "reason": "no_interpreter_for_language"}
                            for t in ("individual", "group")]
    run.plan_json = json.dumps(plan)
    db.session.commit()
    f.login(client, w.lead, language="en")
    page = client.get(f"/planning/runs/{run.id}/unscheduled", headers=EN).get_data(as_text=True)
    assert page.count("Book an interpreter for Swahili, also by video or phone") == 1  # the individual need
    assert "No interpreter for Swahili can take part in a group session in time" in page
    assert "give a group room video" in page


def test_the_changes_page_names_each_participants_journey_and_marks_a_long_one(client):
    """A re-plan for a sick day sent Bergen residents to Stord, 86 minutes each way: the changes page
    showed times and rooms only, so the lead could not see what the plan asked of the participants."""
    from guidance.planning.instance import travel_minutes

    w = planning_world()
    far = f.referral(municipality_number="4621", name="Voss Person", language="nb")   # Voss; the centre is in Bergen
    run = solved_run(w.lead)
    assert run.status is RunStatus.SUCCEEDED, run.message
    f.login(client, w.lead, language="en")
    changes = client.get(f"/planning/runs/{run.id}/changes", headers=EN).get_data(as_text=True)
    minutes = travel_minutes(f.municipality("4621"), f.municipality("4601"))
    assert minutes > 60
    # Times in words: "07/12/2026" reads as 12 July to many English readers.
    import re

    assert not re.search(r"\d\d/\d\d/\d{4}", changes) and re.search(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} 2027, \d\d:\d\d", changes)
    row = changes[changes.index(far.reference):].split("</td>")[0]
    assert f'<strong class="tag tag-orange">participant\'s journey {minutes} min each way</strong>' in row
    # Bergen's own participant travels no distance: nothing is said.
    own = changes[changes.index(w.own_referral.reference):].split("</td>")[0]
    assert "journey" not in own


def test_the_changes_page_names_a_deadline_close_to_the_session_and_not_a_distant_one(client, travel_to):
    """The sick-day re-plan moved a Bergen group to Stord two days on: one member's deadline was that Friday.
    The page said "86 min journey" and not why; now the member whose deadline is near has it beside them."""
    import datetime as dt

    w = planning_world()
    settled = dt.date(2027, 1, 10)
    urgent = f.referral(name="Near Deadline", language="nb", settlement=settled, deadline=settled + dt.timedelta(days=10))
    # Past its deadline before the run: the bridge plans it as overdue (the instance has no deadline for it).
    late = f.referral(name="Past Deadline", language="nb", settlement=dt.date(2026, 10, 1), deadline=dt.date(2027, 1, 5))
    run = solved_run(w.lead)
    assert run.status is RunStatus.SUCCEEDED, run.message
    travel_to(dt.datetime(2027, 1, 8, 9, tzinfo=dt.timezone.utc))   # the run's today: a date this year has no year
    f.login(client, w.lead, language="en")
    changes = client.get(f"/planning/runs/{run.id}/changes", headers=EN).get_data(as_text=True)
    row = changes[changes.index(urgent.reference):].split("</li>")[0]   # the participant's line
    assert '<span class="tag tag-blue">deadline 20 January</span>' in row
    row = changes[changes.index(late.reference):].split("</li>")[0]   # the participant's line
    assert '<span class="tag tag-red">past the deadline since 5 January</span>' in row
    # The world's own referral has 90 days: nothing is said of it.
    own = changes[changes.index(w.own_referral.reference):].split("</li>")[0]   # the participant's line
    assert "deadline" not in own
    assert "at most 14 days after the session" in changes

    f.login(client, w.lead, language="nn")
    nynorsk = client.get(f"/planning/runs/{run.id}/changes").get_data(as_text=True)
    assert "frist 20. januar" in nynorsk


def test_the_changes_page_says_who_joins_and_who_leaves_a_group(client):
    """A group split read "Moved" for every member, by reference: the lead could not tell who now meets whom.
    Each participant is named, a new member is marked, and those who left the group are listed under it."""
    from guidance.extensions import db
    from tests.app.planning.helpers import draft_run

    w = planning_world()
    a, b, c, d = (f.referral(name=n, language="nb") for n in ("Anna Berg", "Bilal Omar", "Chen Li", "Dina Aziz"))
    run = draft_run(w.lead)

    def group(sid, members):
        return {"id": sid, "type": "group", "participants": [f"R{r.id}" for r in members], "counsellor": "C1",
                "location": "L1", "room": "room1", "start": "2027-01-20T09:00", "end": "2027-01-20T10:30",
                "mode": "onsite", "language": None, "interpreter": None, "interpreter_mode": None}

    instance = json.loads(run.instance_json)
    instance["previous_plan"] = {"format": "guidance-plan/1", "sessions": [group("S1", [a, b, c])], "unscheduled": []}
    run.instance_json = json.dumps(instance)
    run.plan_json = json.dumps({"format": "guidance-plan/1", "sessions": [group("S2", [a, b, d])], "unscheduled": [],
                                "stats": {}})
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/planning/runs/{run.id}/changes").get_data(as_text=True)
    row = page[page.index("<bdi>Anna Berg"):].split("</tr>")[0]
    assert "<bdi>Anna Berg</bdi>" in row and a.reference in row
    dina = row[row.index("Dina Aziz"):].split("</li>")[0]
    assert "ny i gruppen" in dina and "ny i gruppen" not in row[:row.index("Dina Aziz")]
    assert "Ikke lenger i gruppen: <bdi>Chen Li</bdi>" in row
    assert f'href="/planning/runs/{run.id}/publish">Se over og publiser</a>' in page   # the way on from here


def test_the_run_page_counts_the_changes_as_the_changes_page_lists_them(client):
    """A published group split over three days read "1 moved" on the run page (one published session) and
    "3 moved" on the changes page (three sessions, a letter each). The lead decides on the run page's figures:
    both now count the sessions the changes page lists."""
    import re

    from guidance.extensions import db
    from tests.app.planning.helpers import draft_run

    w = planning_world()
    members = [f.referral(name=n, language="nb") for n in ("Anna Berg", "Bilal Omar", "Chen Li")]
    run = draft_run(w.lead)

    def group(sid, people, day):
        return {"id": sid, "type": "group", "participants": [f"R{r.id}" for r in people], "counsellor": "C1",
                "location": "L1", "room": "room1", "start": f"2027-01-{day}T09:00", "end": f"2027-01-{day}T10:30",
                "mode": "onsite", "language": None, "interpreter": None, "interpreter_mode": None}

    instance = json.loads(run.instance_json)
    instance["previous_plan"] = {"format": "guidance-plan/1", "sessions": [group("S1", members, 20)], "unscheduled": []}
    run.instance_json = json.dumps(instance)
    run.plan_json = json.dumps({"format": "guidance-plan/1", "unscheduled": [], "stats": {},
                                "sessions": [group(f"S{n + 2}", [m], 21 + n) for n, m in enumerate(members)]})
    db.session.commit()
    f.login(client, w.lead, language="en")

    changes = re.sub(r"\s+", " ", client.get(f"/planning/runs/{run.id}/changes", headers=EN).get_data(as_text=True))
    assert '<span class="figure-number">3</span> Moved' in changes
    page = re.sub(r"\s+", " ", client.get(f"/planning/runs/{run.id}", headers=EN).get_data(as_text=True))
    line = page[page.index("Changes against the published plan"):].split("</dd>")[0]
    assert "3 moved" in line and "0 cancelled" in line, line


def test_a_deadline_kept_by_a_session_already_held_is_not_named_on_the_changes_page(client, travel_to):
    """A group member whose first session was held in November had "deadline 14 December" beside her on the
    changes page, as if the move put it at stake: her referral says it was kept."""
    import datetime as dt

    from guidance.extensions import db
    from tests.app.planning.helpers import draft_run

    travel_to(f.oslo(2027, 1, 8, 12))
    w = planning_world()
    kept = f.referral(name="Kept Deadline", language="nb", deadline=dt.date(2027, 1, 20))
    open_ = f.referral(name="Open Deadline", language="nb", deadline=dt.date(2027, 1, 20))
    f.published_session(w.counsellor, kept, start=f.oslo(2027, 1, 5, 9))   # held: the deadline is kept
    run = draft_run(w.lead)
    run.plan_json = json.dumps({"format": "guidance-plan/1", "unscheduled": [], "stats": {}, "sessions": [{
        "id": "S1", "type": "group", "participants": [f"R{kept.id}", f"R{open_.id}"], "counsellor": "C1",
        "location": "L1", "room": "room1", "start": "2027-01-19T09:00", "end": "2027-01-19T10:30", "mode": "onsite",
        "language": None, "interpreter": None, "interpreter_mode": None}]})
    db.session.commit()
    f.login(client, w.lead, language="en")
    changes = client.get(f"/planning/runs/{run.id}/changes", headers=EN).get_data(as_text=True)
    assert "deadline 20 January" in changes[changes.index(open_.reference):].split("</li>")[0]
    assert "deadline" not in changes[changes.index(kept.reference):].split("</li>")[0]


def test_a_published_run_names_its_changes_against_the_plan_it_replaced(client):
    """After publishing, the run page still said "changes against the published plan", which it now is."""
    from guidance.services import planning as planning_service

    w = planning_world()
    first = solved_run(w.lead)
    planning_service.publish_run(w.lead, first)
    second = solved_run(w.lead)
    f.login(client, w.lead)
    before = client.get(f"/planning/runs/{second.id}").get_data(as_text=True)
    assert "Endringer mot den publiserte planen" in before
    planning_service.publish_run(w.lead, second, confirm_stale=True)
    after = client.get(f"/planning/runs/{second.id}").get_data(as_text=True)
    assert "Endringer mot planen som ble erstattet" in after and "Endringer mot den publiserte planen" not in after
