"""Dashboard figures against a small fixture counted by hand."""
import datetime as dt
import re

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import (
    BookingStatus,
    InterpreterBooking,
    LegalBasis,
    Outcome,
    PlanningRun,
    ReferralStatus,
    Role,
    Room,
    RunStatus,
    Session,
    SessionParticipant,
    SessionStatus,
)
from guidance.services import statistics
from tests.app import factories as f

UTC = dt.timezone.utc
TODAY = dt.date(2027, 3, 1)


def _at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _fixture():
    w = f.world()
    w.own_referral.status = ReferralStatus.WITHDRAWN  # the world's own referrals stay out of the counts
    w.other_referral.status = ReferralStatus.WITHDRAWN
    w.own_referral.created_at = w.other_referral.created_at = _at("2026-12-01")
    a = f.referral(municipality_number="4601", name="A", language="ar", deadline=dt.date(2027, 2, 1))
    b = f.referral(municipality_number="4601", name="B", language="ti", deadline=dt.date(2027, 2, 10))
    c = f.referral(municipality_number="4621", name="C", language="ar", legal_basis=LegalBasis.TEMPORARY_ACT,
                   deadline=dt.date(2027, 5, 3))
    d = f.referral(municipality_number="4621", name="D", language="uk", deadline=dt.date(2027, 3, 5))
    for r, created in ((a, "2027-01-05"), (b, "2027-01-06"), (c, "2027-02-03"), (d, "2027-02-10")):
        r.created_at = _at(created)
    b.status = ReferralStatus.BOOKED
    c.status, c.closed_at = ReferralStatus.COMPLETED, _at("2027-02-20")
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.SUCCEEDED, progress={})
    room = db.session.query(Room).first()
    sessions = {}
    for r, day, status in ((a, "2027-01-20", SessionStatus.COMPLETED), (b, "2027-02-15", SessionStatus.COMPLETED),
                           (c, "2027-02-12", SessionStatus.COMPLETED)):
        s = Session(run=run, plan_session_id=f"S{r.id}", uid=f"u{r.id}", type="individual",
                    counsellor_id=w.counsellor.counsellor.id, location_id=room.location_id, room_id=room.id,
                    start=_at(day), end=_at(day, 10), status=status)
        s.participants.append(SessionParticipant(referral=r, outcome=Outcome.ATTENDED))
        db.session.add(s)
        sessions[r.id] = s
    interpreter = w.interpreter.interpreter
    for r, status, cost in ((a, BookingStatus.ACCEPTED, 108000), (b, BookingStatus.REQUESTED, 120000),
                            (c, BookingStatus.CANCELLED, 99999)):
        db.session.add(InterpreterBooking(session=sessions[r.id], interpreter_id=interpreter.id, status=status,
                                          mode="onsite", language="ar", billed_minutes=90, cost_ore=cost))
    db.session.commit()
    statistics.set_budget(w.lead, dt.date(2027, 2, 1), 2000)
    return w, a, b, c, d


def test_dashboard_figures_match_the_hand_count(app):
    w, a, b, c, d = _fixture()
    facts = statistics.referral_facts(w.lead.county_id, TODAY)
    facts = [x for x in facts if x.referral.id in {a.id, b.id, c.id, d.id}]

    assert statistics.referral_counts(facts, "municipality", "month") == [
        {"period": "2027-01", "group": "Bergen", "received": 2, "booked": 1, "completed": 0},
        {"period": "2027-02", "group": "Bergen", "received": 0, "booked": 1, "completed": 0},
        {"period": "2027-02", "group": "Voss", "received": 2, "booked": 1, "completed": 1},
    ]
    assert statistics.referral_counts(facts, "legal_basis", "quarter") == [
        {"period": "2027-Q1", "group": "integration_act", "received": 3, "booked": 2, "completed": 0},
        {"period": "2027-Q1", "group": "temporary_act", "received": 1, "booked": 1, "completed": 1},
    ]
    # A guided on 20 January (deadline 1 February); B on 15 February (deadline 10 February).
    compliance = statistics.deadline_compliance(facts, TODAY)
    assert {k: compliance[k] for k in ("due", "in_time", "ratio")} == {"due": 2, "in_time": 1, "ratio": 0.5}
    # ... and B is named: who was late, and by how many days
    assert [(r["referral"].id, r["deadline"], r["first_held"], r["days_late"]) for r in compliance["late"]] == [
        (b.id, dt.date(2027, 2, 10), dt.date(2027, 2, 15), 5)]
    assert compliance["in_time_awaiting"] == 0
    # Waited from arrival to the first session held: A 15 days, B 40, C 9 (all within the last 90 days).
    assert {k: v for k, v in statistics.waiting_time(facts, TODAY).items() if k != "since"} == \
        {"count": 3, "median": 15, "longest": 40}
    # A's session without its outcome recorded: still counted in time, and said to wait for its outcome.
    db.session.scalars(select(SessionParticipant).where(SessionParticipant.referral_id == a.id)).one().outcome = None
    db.session.commit()
    waiting = statistics.deadline_compliance([x for x in statistics.referral_facts(w.lead.county_id, TODAY)
                                              if x.referral.id in {a.id, b.id, c.id, d.id}], TODAY)
    assert (waiting["in_time"], waiting["in_time_awaiting"]) == (1, 1)
    risk = statistics.at_risk(facts, TODAY)
    assert [(r["referral"].reference, r["working_days_left"]) for r in risk] == [(b.reference, -1), (d.reference, 4)]
    assert statistics.interpreter_months(w.lead.county_id) == [
        {"month": "2027-01", "hours": 1.5, "cost_nok": 1080.0, "budget_nok": None},
        {"month": "2027-02", "hours": 1.5, "cost_nok": 1200.0, "budget_nok": 2000.0},
    ]
    # Who came, per month of the session: B and C in February; A's January outcome was cleared above.
    assert statistics.attendance(w.lead.county_id, now=_at("2027-03-01")) == [
        {"month": "2027-01", "attended": 0, "no_show": 0, "cancelled_late": 0, "awaiting": 1},
        {"month": "2027-02", "attended": 2, "no_show": 0, "cancelled_late": 0, "awaiting": 0},
    ]
    db.session.scalars(select(SessionParticipant).where(SessionParticipant.referral_id == b.id)).one().outcome = \
        Outcome.NO_SHOW
    db.session.commit()
    assert statistics.attendance(w.lead.county_id, now=_at("2027-03-01"))[1] == \
        {"month": "2027-02", "attended": 1, "no_show": 1, "cancelled_late": 0, "awaiting": 0}
    assert statistics.counsellor_load(w.lead.county_id) == [
        {"counsellor": w.counsellor.name, "month": "2027-01", "sessions": 1},
        {"counsellor": w.counsellor.name, "month": "2027-02", "sessions": 2},
    ]


def test_dashboard_page_shows_svg_charts_with_tables_and_exports_csv(client, travel_to):
    travel_to(f.oslo(TODAY.year, TODAY.month, TODAY.day, 12))
    w, a, b, c, d = _fixture()
    f.login(client, w.lead)
    page = client.get("/dashboard/?dimension=language&period=quarter").get_data(as_text=True)
    assert 'role="img"' in page and "<title id=\"referrals-chart-title\">" in page
    assert "<caption id=\"totals-caption\">" in page and "1. kvartal 2027" in page
    waiting = " ".join(re.sub(r"<[^>]+>", " ", page[page.index('id="waiting-heading"'):]).split())
    assert "Ventetid 15 dager er medianventetiden fra henvisning til første gjennomførte time, for de 3 deltakerne" \
        in waiting
    assert "Lengste ventetid var 40 dager." in waiting
    late = page[page.index('id="late-caption"'):page.index("</table>", page.index('id="late-caption"'))]
    assert b.reference in late and a.reference not in late and "5 dager for sent" in late
    came = client.get("/dashboard/export.csv?table=attendance").data.decode("utf-8-sig").splitlines()
    assert came == ["Måned;Kom;Møtte ikke;Avlyst sent;Utfall ikke registrert ennå", "2027-01;1;0;0;0", "2027-02;2;0;0;0"]
    late_csv = client.get("/dashboard/export.csv?table=late").data.decode("utf-8-sig").splitlines()
    assert late_csv == ["Referanse;Kommune;Frist;Første time holdt;Dager for sent;Første time booket til;Utfall registrert",
                        f"{b.reference};{b.referring_municipality.name};2027-02-10;2027-02-15;5;;Ja"]
    csv_text = client.get("/dashboard/export.csv?table=interpreters").data.decode("utf-8-sig")
    # as a Norwegian Excel reads it: semicolons, decimal commas
    assert csv_text.splitlines()[:3] == ["Måned;Tolketimer;Kostnad (kr);Budsjett (kr)", "2027-01;1,5;1080;", "2027-02;1,5;1200;2000"]
    referrals_csv = client.get("/dashboard/export.csv?table=referrals&period=quarter&dimension=legal_basis")
    lines = referrals_csv.get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff") == "Periode;Hjemmel;Mottatt;Booket;Gjennomført"
    assert "2027-Q1;Integreringsloven;3;2;0" in lines and "2027-Q1;Midlertidig lov;1;1;1" in lines
    by_language = client.get("/dashboard/export.csv?table=referrals&period=quarter&dimension=language").get_data(as_text=True)
    assert ";Arabisk;" in by_language and ";ar;" not in by_language
    # the at-risk list says whose municipality to call, as the page does
    at_risk = client.get("/dashboard/export.csv?table=at_risk").data.decode("utf-8-sig").splitlines()
    assert at_risk[0] == "Referanse;Kommune;Frist;Arbeidsdager igjen;Første time"
    assert any(line.startswith(f"{d.reference};{d.referring_municipality.name};") for line in at_risk)
    # the same decimal comma when the page is in English: the file goes to a Norwegian Excel
    client.post("/language", data={"language": "en", "next": "/"})
    english = client.get("/dashboard/export.csv?table=interpreters").data.decode("utf-8-sig")
    assert english.splitlines()[:2] == ["Month;Hours of interpreting;Cost (NOK);Budget (NOK)", "2027-01;1,5;1080;"]


def test_a_budget_must_be_a_month_and_an_amount(client, travel_to):
    from guidance.models import InterpreterBudget

    travel_to(f.oslo(2026, 12, 7, 9))
    w = f.world()
    f.login(client, w.lead)
    response = client.post("/dashboard/budget", data={"month": "March", "amount": "-5"})
    assert response.status_code == 400
    assert 'href="#month"' in response.get_data(as_text=True)
    # A month far from the plan's ("1999-01" was saved and stood in the chart beside this autumn, for good).
    for far in ("1999-01", "2035-06"):
        response = client.post("/dashboard/budget", data={"month": far, "amount": "5"})
        assert response.status_code == 400 and "Velg en måned fra desember 2025 til desember 2029." in \
            response.get_data(as_text=True), far
    assert db.session.scalar(select(InterpreterBudget)) is None


def test_a_budget_is_typed_as_norwegians_write_amounts(client, travel_to):
    """"160 000" could not be typed: the field was a number field, which refuses the space."""
    from guidance.models import InterpreterBudget

    travel_to(f.oslo(2026, 12, 7, 9))
    w = f.world()
    f.login(client, w.lead)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'type="number"' not in page[page.index('id="amount"') - 200:page.index('id="amount"') + 200]
    for typed, kroner in (("160\u00a0000", 160_000), ("170 000,00", 170_000), ("180000 kr", 180_000)):
        assert client.post("/dashboard/budget", data={"month": "2027-03", "amount": typed}).status_code == 302, typed
        db.session.expire_all()
        assert db.session.scalar(select(InterpreterBudget.amount_ore)) == kroner * 100, typed
    assert client.post("/dashboard/budget", data={"month": "2027-03", "amount": "mange"}).status_code == 400


def test_months_are_oslo_months_at_the_turn_of_a_month(app):
    """An instant late on the last evening of a month (UTC) is already the next month in Oslo: one hour
    ahead in winter, two in summer (the database groups by month, not Python)."""
    w = f.world()
    w.own_referral.status = w.other_referral.status = ReferralStatus.WITHDRAWN
    w.own_referral.created_at = w.other_referral.created_at = _at("2026-12-01")
    winter = f.referral(name="W", deadline=dt.date(2027, 6, 1))
    winter.created_at = dt.datetime(2027, 1, 31, 23, 30, tzinfo=UTC)  # 1 February 00:30 in Oslo
    summer = f.referral(name="S", deadline=dt.date(2027, 6, 1))
    summer.created_at = dt.datetime(2027, 3, 31, 21, 30, tzinfo=UTC)  # 31 March 23:30 in Oslo (CEST)
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.SUCCEEDED, progress={})
    room = db.session.query(Room).first()
    # 30 April 22:30 UTC is 1 May 00:30 in Oslo (summer time): booked in May, counted in May.
    start = dt.datetime(2027, 4, 30, 22, 30, tzinfo=UTC)
    s = Session(run=run, plan_session_id="S1", uid="u-turn", type="individual",
                counsellor_id=w.counsellor.counsellor.id, location_id=room.location_id, room_id=room.id,
                start=start, end=start + dt.timedelta(minutes=90), status=SessionStatus.BOOKED)
    s.participants.append(SessionParticipant(referral=summer))
    db.session.add(s)
    db.session.add(InterpreterBooking(session=s, interpreter_id=w.interpreter.interpreter.id,
                                      status=BookingStatus.ACCEPTED, mode="onsite", language="ar",
                                      billed_minutes=60, cost_ore=50000))
    db.session.commit()

    facts = [x for x in statistics.referral_facts(w.lead.county_id, dt.date(2027, 5, 3))
             if x.referral.id in {winter.id, summer.id}]
    assert statistics.referral_counts(facts, "legal_basis", "month") == [
        {"period": "2027-02", "group": "integration_act", "received": 1, "booked": 0, "completed": 0},
        {"period": "2027-03", "group": "integration_act", "received": 1, "booked": 0, "completed": 0},
        {"period": "2027-05", "group": "integration_act", "received": 0, "booked": 1, "completed": 0},
    ]
    assert [x.first_session for x in facts if x.referral.id == summer.id] == [dt.date(2027, 5, 1)]
    assert statistics.counsellor_load(w.lead.county_id) == [
        {"counsellor": w.counsellor.name, "month": "2027-05", "sessions": 1}]
    assert statistics.interpreter_months(w.lead.county_id) == [
        {"month": "2027-05", "hours": 1.0, "cost_nok": 500.0, "budget_nok": None}]


def test_a_session_late_today_in_oslo_is_held_today(app):
    """Held means on or before Oslo's today: 23:30 in Oslo tonight counts; 00:30 tomorrow does not."""
    w = f.world()
    early = f.referral(name="E", deadline=dt.date(2027, 2, 26))
    late = f.referral(name="L", deadline=dt.date(2027, 2, 26))
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.SUCCEEDED, progress={})
    room = db.session.query(Room).first()
    for r, start in ((early, f.oslo(2027, 2, 26, 23, 30)), (late, f.oslo(2027, 2, 27, 0, 30))):
        s = Session(run=run, plan_session_id=f"S{r.id}", uid=f"u{r.id}", type="individual",
                    counsellor_id=w.counsellor.counsellor.id, location_id=room.location_id, room_id=room.id,
                    start=start, end=start + dt.timedelta(minutes=60), status=SessionStatus.COMPLETED)
        s.participants.append(SessionParticipant(referral=r, outcome=Outcome.ATTENDED))
        db.session.add(s)
    db.session.commit()
    facts = {x.referral.id: x for x in statistics.referral_facts(w.lead.county_id, dt.date(2027, 2, 26))}
    assert facts[early.id].first_held == dt.date(2027, 2, 26)
    assert facts[late.id].first_held is None and facts[late.id].first_session == dt.date(2027, 2, 27)
    # The next day both are held, and only the early one was held by its deadline.
    facts = [x for x in statistics.referral_facts(w.lead.county_id, dt.date(2027, 3, 1))
             if x.referral.id in {early.id, late.id}]
    compliance = statistics.deadline_compliance(facts, dt.date(2027, 3, 1))
    assert {k: compliance[k] for k in ("due", "in_time", "ratio")} == {"due": 2, "in_time": 1, "ratio": 0.5}
    assert [r["referral"].id for r in compliance["late"]] == [late.id]


def test_the_dashboard_costs_the_same_queries_however_many_referrals_and_sessions(client):
    from sqlalchemy import event

    w, a, b, c, d = _fixture()
    f.login(client, w.lead)

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/dashboard/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    run = db.session.query(PlanningRun).filter_by(county_id=w.lead.county_id).one()
    room = db.session.query(Room).first()
    for n in range(30):
        r = f.referral(name=f"Person {n}", language=("ar", "ti", "so")[n % 3], deadline=dt.date(2027, 3, 1 + n % 20))
        start = _at(f"2027-0{1 + n % 3}-{10 + n % 15:02d}", 8 + n % 8)
        s = Session(run=run, plan_session_id=f"S-many-{n}", uid=f"u-many-{n}", type="individual",
                    counsellor_id=w.counsellor.counsellor.id, location_id=room.location_id, room_id=room.id,
                    start=start, end=start + dt.timedelta(minutes=60), status=SessionStatus.BOOKED)
        s.participants.append(SessionParticipant(referral=r))
        db.session.add(s)
        db.session.add(InterpreterBooking(session=s, interpreter_id=w.interpreter.interpreter.id,
                                          status=BookingStatus.REQUESTED, mode="onsite", language="ar",
                                          billed_minutes=60, cost_ore=40000))
    db.session.commit()
    assert statements() == few


def test_what_a_lead_acts_on_comes_first_and_the_long_table_is_folded_last(client):
    w, *_ = _fixture()
    f.login(client, w.lead)
    page = client.get("/dashboard/").get_data(as_text=True)
    order = [page.index(f'id="{name}-heading"') for name in ("compliance", "risk", "interpreter", "referrals")]
    assert order == sorted(order)
    # The table per period and group is in a closed <details> with a plain summary, after everything else.
    details = re.search(r'<details id="referral-detail"[^>]*>\s*<summary>([^<]+)</summary>', page)
    assert details and " open" not in details.group(0)
    assert "Henvisninger per periode og gruppe" in details.group(1)
    assert page.index('id="detail-caption"') > details.start() > max(order)
    assert page.index('id="detail-caption"') < page.index("</details>", details.start())
    # Choosing a grouping is asking for that table: it opens.
    grouped = client.get("/dashboard/?dimension=language&period=month").get_data(as_text=True)
    assert re.search(r'<details id="referral-detail"[^>]* open>', grouped)


def test_counsellors_without_any_session_are_named_with_why(client):
    """Three counsellors without multicultural training sat idle for five weeks: the load table only
    lists counsellors who have sessions."""
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 2, 9))
    idle = f.user(Role.COUNSELLOR, name="Erik Myklebust")
    idle.counsellor.multicultural = False
    db.session.commit()
    f.login(client, w.lead)
    page = client.get("/dashboard/").get_data(as_text=True)
    section = page[page.index('id="load-heading"'):page.index('id="referrals-heading"')]
    assert "Karriereveiledere uten publiserte timer" in section and "Erik Myklebust" in section
    assert "ingen registrert opplæring i flerkulturell veiledning" in section
    assert section.count(w.counsellor.name) == 1  # in the load table, not among the idle


def test_a_session_later_today_is_not_yet_held_and_the_late_list_says_it_is_booked(client, travel_to):
    """At 03:15 the late list said "first session held 7 Dec (6 days late)" of sessions at 08:00 and 12:15 that
    day: held means started, as on the referral page. Until then the list says the session is booked."""
    travel_to(f.oslo(2027, 3, 1, 3, 15))
    w = f.world()
    late = f.referral(name="L", deadline=dt.date(2027, 2, 22))
    run = PlanningRun(county_id=w.lead.county_id, status=RunStatus.SUCCEEDED, progress={},
                      published_at=f.oslo(2027, 2, 20, 12))
    room = db.session.query(Room).first()
    start = f.oslo(2027, 3, 1, 9, 30)
    s = Session(run=run, plan_session_id="S1", uid="u1", type="individual", counsellor_id=w.counsellor.counsellor.id,
                location_id=room.location_id, room_id=room.id, start=start, end=start + dt.timedelta(minutes=90),
                status=SessionStatus.BOOKED)
    s.participants.append(SessionParticipant(referral=late))
    db.session.add(s)
    db.session.commit()
    f.login(client, w.lead)
    page = client.get("/dashboard/").get_data(as_text=True)
    row = page[page.index(late.reference, page.index('id="late-caption"')):]
    row = row[:row.index("</tr>")]
    assert "Ikke ennå: booket til 1. mars 2027" in row and "for sent" not in row
    assert f"{late.reference};{late.referring_municipality.name};2027-02-22;;;2027-03-01;" in \
        client.get("/dashboard/export.csv?table=late").data.decode("utf-8-sig").splitlines()

    travel_to(f.oslo(2027, 3, 1, 9, 45))   # it has started: held, 7 days late
    f.login(client, w.lead)   # signed out while idle since 03:15
    page = client.get("/dashboard/").get_data(as_text=True)
    row = page[page.index(late.reference, page.index('id="late-caption"')):]
    # Counted as held, and said to wait for its outcome (a "did not come" recorded later takes it back).
    assert "7 dager for sent), utfallet er ikke registrert ennå" in row[:row.index("</tr>")]
    assert f"{late.reference};{late.referring_municipality.name};2027-02-22;2027-03-01;7;;Nei" in \
        client.get("/dashboard/export.csv?table=late").data.decode("utf-8-sig").splitlines()
