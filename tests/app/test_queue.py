"""The centre's queue: open referrals by deadline, filters, counts, paging and a CSV without personal data."""
from __future__ import annotations

import datetime as dt

from guidance.extensions import db
from guidance.models import LegalBasis, ReferralStatus, Role
from guidance.rules.deadlines import at_risk_cutoff
from tests.app import factories as f
from guidance.planning.ids import local_today


def queue_rows(page: str) -> list[str]:
    import re

    return re.findall(r'href="/referrals/\d+">(H-[A-Z0-9-]+)<', page)


def test_lead_sees_open_referrals_of_the_county_nearest_deadline_first(client):
    today = local_today()
    lead = f.user(Role.LEAD)
    late = f.referral(name="A", deadline=today + dt.timedelta(days=60))
    soon = f.referral(name="B", municipality_number="4621", deadline=today + dt.timedelta(days=5))
    closed = f.referral(name="C", deadline=today + dt.timedelta(days=1))
    closed.status = ReferralStatus.WITHDRAWN
    elsewhere = f.referral(name="D", municipality_number="1804", deadline=today + dt.timedelta(days=2))  # Bodø, Nordland
    db.session.commit()
    f.login(client, lead)
    page = client.get("/queue/").get_data(as_text=True)
    assert queue_rows(page) == [soon.reference, late.reference]
    assert closed.reference not in page and elsewhere.reference not in page
    assert "Amal" not in page  # references, not names


def test_filters_by_municipality_language_basis_and_status(client):
    lead = f.user(Role.LEAD)
    bergen = f.referral(name="A", language="ar")
    voss = f.referral(name="B", municipality_number="4621", language="ti", legal_basis=LegalBasis.TEMPORARY_ACT)
    voss.status = ReferralStatus.PLANNED
    db.session.commit()
    f.login(client, lead)
    assert queue_rows(client.get(f"/queue/?municipality={voss.referring_municipality_id}").get_data(as_text=True)) == [voss.reference]
    assert queue_rows(client.get("/queue/?language=ar").get_data(as_text=True)) == [bergen.reference]
    assert queue_rows(client.get("/queue/?basis=temporary_act").get_data(as_text=True)) == [voss.reference]
    assert queue_rows(client.get("/queue/?status=received").get_data(as_text=True)) == [bergen.reference]


def test_the_queue_shows_what_arrived_today_or_this_week(client, travel_to):
    """A settlement wave's 45 referrals stood among the rest of the queue with no way to see them alone. Today is
    Oslo's today: a referral sent at 00:30 Oslo time (23:30 UTC the day before) arrived today."""
    travel_to(f.oslo(2027, 3, 10, 12))
    lead = f.user(Role.LEAD)
    early_today, yesterday, last_month = (f.referral(name=n) for n in ("A", "B", "C"))
    early_today.created_at = f.oslo(2027, 3, 10, 0, 30)
    yesterday.created_at = f.oslo(2027, 3, 9, 23, 50)
    last_month.created_at = f.oslo(2027, 2, 10, 9)
    db.session.commit()
    f.login(client, lead)
    assert set(queue_rows(client.get("/queue/?arrived=today").get_data(as_text=True))) == {early_today.reference}
    assert set(queue_rows(client.get("/queue/?arrived=week").get_data(as_text=True))) == {
        early_today.reference, yesterday.reference}
    everything = set(queue_rows(client.get("/queue/?arrived=sometime").get_data(as_text=True)))   # not a choice: all
    assert {early_today.reference, yesterday.reference, last_month.reference} <= everything


def test_the_countys_closure_days_are_not_working_days_left_to_a_deadline(client, travel_to):
    """Monday 28 December: a deadline on Sunday 3 January read "3 working days left" though the centres are open only
    on the 29th and 30th (New Year's Eve is the county's closure day). A summer closure of three weeks would have
    left deadlines looking safe that are at risk."""
    travel_to(f.oslo(2026, 12, 28, 9))
    lead = f.user(Role.LEAD)
    lead.county.closure_days = ["2026-12-24", "2026-12-31"]
    soon = f.referral(name="A", deadline=dt.date(2027, 1, 3))
    db.session.commit()
    f.login(client, lead)
    page = client.get("/queue/").get_data(as_text=True)
    row = page[page.index(soon.reference):]
    assert "<strong>2</strong>" in row[:row.index("</tr>")]   # the working days left column, at risk
    csv = client.get("/queue/export.csv").data.decode("utf-8-sig")
    assert any(line.startswith(soon.reference) and ";2;" in line for line in csv.splitlines()), csv

    # Fifteen working days on from 28 December reach 19 January with New Year's Eve open, 20 January without it.
    edge = f.referral(name="B", deadline=dt.date(2027, 1, 20))
    db.session.commit()
    assert edge.reference in client.get("/queue/?at_risk=1").get_data(as_text=True)
    lead.county.closure_days = []
    db.session.commit()
    assert edge.reference not in client.get("/queue/?at_risk=1").get_data(as_text=True)


def _oslo_nine(day: dt.date) -> dt.datetime:
    return f.oslo(day.year, day.month, day.day)


def test_at_risk_means_deadline_within_15_working_days_and_no_session_on_or_before_it(client):
    today = local_today()
    cutoff = at_risk_cutoff(today)
    f.centre()
    lead = f.user(Role.LEAD)
    counsellor = f.user(Role.COUNSELLOR)
    at_risk = f.referral(name="A", deadline=cutoff)
    safe = f.referral(name="B", deadline=cutoff + dt.timedelta(days=1))
    booked_in_time = f.referral(name="C", deadline=today + dt.timedelta(days=9))
    f.published_session(counsellor, booked_in_time, start=_oslo_nine(today + dt.timedelta(days=7)))
    booked_too_late = f.referral(name="E", deadline=today + dt.timedelta(days=2))
    f.published_session(counsellor, booked_too_late, start=_oslo_nine(today + dt.timedelta(days=8)))
    no_deadline = f.referral(name="D", legal_basis=LegalBasis.ORDINARY)
    no_deadline.deadline = None
    db.session.commit()
    f.login(client, lead)
    page = client.get("/queue/?at_risk=1").get_data(as_text=True)
    # A booking after the deadline does not meet the law: still at risk, nearest deadline first.
    assert queue_rows(page) == [booked_too_late.reference, at_risk.reference]
    assert safe.reference not in page and booked_in_time.reference not in page
    assert '<span class="figure-number">2</span> i faresonen' in client.get("/queue/").get_data(as_text=True)
    # The filter's words say what it shows, and a booked row says why it is there (the walk: "not booked",
    # over a list of booked referrals)
    assert "Bare i faresonen (frist innen 15 arbeidsdager, ingen time før eller på fristen)" in page
    late_row = page[page.index(booked_too_late.reference):page.index("</tr>", page.index(booked_too_late.reference))]
    assert "Time etter fristen" in late_row
    every = client.get("/queue/").get_data(as_text=True)
    in_time_row = every[every.index(booked_in_time.reference):every.index("</tr>", every.index(booked_in_time.reference))]
    assert "Time etter fristen" not in in_time_row


def test_the_queue_the_dashboard_and_the_rule_agree_on_at_risk(client):
    """One rule: the queue's filter and count and the dashboard's list name the same referrals."""
    from guidance.services import statistics

    today = local_today()
    f.centre()
    lead = f.user(Role.LEAD)
    counsellor = f.user(Role.COUNSELLOR)
    late = f.referral(name="A", deadline=today + dt.timedelta(days=1))
    f.published_session(counsellor, late, start=_oslo_nine(today + dt.timedelta(days=6)))
    overdue = f.referral(name="B", deadline=today - dt.timedelta(days=9))
    f.referral(name="C", deadline=today + dt.timedelta(days=80))
    f.login(client, lead)
    queue = queue_rows(client.get("/queue/?at_risk=1").get_data(as_text=True))
    dashboard = [row["referral"].reference for row in statistics.at_risk(statistics.referral_facts(lead.county_id), today)]
    assert queue == dashboard == [overdue.reference, late.reference]


def test_counts_at_the_top_follow_the_filters(client):
    lead = f.user(Role.LEAD)
    f.referral(name="A", deadline=local_today() - dt.timedelta(days=1))
    planned = f.referral(name="B")
    planned.status = ReferralStatus.PLANNED
    db.session.commit()
    f.login(client, lead)
    page = client.get("/queue/").get_data(as_text=True)
    assert '<span class="figure-number">2</span> åpne' in page
    assert '<span class="figure-number">1</span> planlagt' in page
    assert '<span class="figure-number">1</span> over fristen' in page


def test_the_queue_is_paginated(client):
    lead = f.user(Role.LEAD)
    made = [f.referral(name=f"P{i}", deadline=dt.date(2030, 1, 1) + dt.timedelta(days=i)) for i in range(55)]
    f.login(client, lead)
    first = client.get("/queue/").get_data(as_text=True)
    second = client.get("/queue/?page=2").get_data(as_text=True)
    assert len(queue_rows(first)) == 50 and queue_rows(second) == [r.reference for r in made[50:]]
    assert "Side 1 av 2" in first and 'rel="next"' in first


def test_csv_export_has_no_names_or_phones(client):
    lead = f.user(Role.LEAD)
    referral = f.referral(name="Unik Navnesen")
    f.login(client, lead)
    response = client.get("/queue/export.csv")
    text = response.data.decode("utf-8-sig")
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    # what a spreadsheet reader understands: names and labels, not codes (the review)
    assert f"{referral.reference};Bergen;Bergen;Arabisk;Integreringsloven;" in text
    assert "integration_act" not in text
    assert "Navnesen" not in text and "400 00 000" not in text and "40000000" not in text
    assert text.splitlines()[0].startswith("Referanse;Henvisende kommune;Bostedskommune;Språk;")


def test_the_dashboards_csv_opens_in_columns_in_a_norwegian_excel(client):
    """Semicolons and a BOM (the comma file opened as one column), decimals with a comma."""
    lead = f.user(Role.LEAD)
    f.referral(name="Unik Navnesen")
    f.login(client, lead)
    response = client.get("/dashboard/export.csv?table=referrals")
    raw = response.data
    assert raw.startswith("\ufeff".encode()) and response.headers["Cache-Control"] == "no-store"
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("Periode;")
    # Named in the page's language, with the day: late.csv and at_risk.csv read as English on a Norwegian page.
    import re

    for table, word in (("referrals", "henvisninger"), ("late", "etter-fristen"), ("at_risk", "frister-i-fare"),
                        ("interpreters", "tolkekostnad"), ("load", "veiledertimer")):
        disposition = client.get(f"/dashboard/export.csv?table={table}").headers["Content-Disposition"]
        assert re.fullmatch(rf'attachment; filename="{word}-\d{{4}}-\d{{2}}-\d{{2}}\.csv"', disposition), disposition


def test_csv_export_follows_the_filters(client):
    lead = f.user(Role.LEAD)
    ar = f.referral(name="A", language="ar")
    ti = f.referral(name="B", language="ti")
    f.login(client, lead)
    text = client.get("/queue/export.csv?language=ti").data.decode("utf-8-sig")
    assert ti.reference in text and ar.reference not in text


def test_referrers_and_counsellors_have_no_queue(client):
    w = f.world()
    for person in (w.referrer, w.counsellor):
        f.login(client, person)
        assert client.get("/queue/").status_code == 403
        assert client.get("/queue/export.csv").status_code == 403
        client.post("/logout")


def test_past_the_deadline_counts_only_referrals_without_a_session_in_time(client):
    # A referral whose session was held before its deadline is not "past the deadline" once the
    # deadline is behind; one with no session before it is (the same count as the lead's home).
    today = local_today()
    f.centre()
    lead = f.user(Role.LEAD)
    counsellor = f.user(Role.COUNSELLOR)
    served = f.referral(name="A", deadline=today - dt.timedelta(days=2))
    f.published_session(counsellor, served, start=_oslo_nine(today - dt.timedelta(days=5)))
    served.status = ReferralStatus.BOOKED
    f.referral(name="B", deadline=today - dt.timedelta(days=2))
    db.session.commit()
    f.login(client, lead)
    page = client.get("/queue/").get_data(as_text=True)
    assert '<span class="figure-number">1</span> over fristen' in page


def test_a_deadline_kept_by_a_held_session_reads_kept_not_passed(client, travel_to):
    """Guided in time on 3 November, now waiting for the group session: the deadline was kept."""
    from guidance.models import Outcome
    from guidance.services import outcomes

    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    kept, missed = w.own_referral, w.other_referral
    for referral in (kept, missed):
        referral.deadline, referral.needs = dt.date(2026, 11, 14), ["individual", "group"]
    held = f.published_session(w.counsellor, [kept, missed], start=f.oslo(2026, 11, 3, 10))
    outcomes.record_outcomes(w.counsellor, held, {kept.id: Outcome.ATTENDED, missed.id: Outcome.NO_SHOW})
    for referral in (kept, missed):
        referral.status = ReferralStatus.RECEIVED   # back in the queue: the group, or the missed session
    db.session.commit()
    f.login(client, w.lead, language="nb")
    page = client.get("/queue/").get_data(as_text=True)
    cells = lambda ref: " ".join(page[page.index(ref):page.index("</tr>", page.index(ref))].split())  # noqa: E731
    assert "<td>Overholdt</td>" in cells(kept.reference) and "Passert" not in cells(kept.reference)
    assert "<strong>Passert</strong>" in cells(missed.reference)


def test_the_status_filter_and_counts_separate_booked_from_waiting_for_the_next_session(client, travel_to):
    """A booked referral whose session is held and whose group session is not yet booked reads
    "Waiting for the next session" in the table; the filter and the counts say the same."""
    from guidance.models import Outcome
    from guidance.services import outcomes

    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    waiting, booked = w.own_referral, w.other_referral
    waiting.needs = ["individual", "group"]
    held = f.published_session(w.counsellor, waiting, start=f.oslo(2026, 11, 30, 10))
    outcomes.record_outcomes(w.counsellor, held, {waiting.id: Outcome.ATTENDED})
    f.published_session(w.counsellor, booked, start=f.oslo(2026, 12, 10, 10))
    for referral in (waiting, booked):
        referral.status = ReferralStatus.BOOKED
    db.session.commit()
    f.login(client, w.lead, language="nb")
    everything = client.get("/queue/").get_data(as_text=True)
    assert '<span class="figure-number">1</span> booket' in everything
    assert '<span class="figure-number">1</span> venter på neste time' in everything
    assert queue_rows(client.get("/queue/?status=waiting_next").get_data(as_text=True)) == [waiting.reference]
    assert queue_rows(client.get("/queue/?status=booked").get_data(as_text=True)) == [booked.reference]


def test_the_referral_list_filters_by_the_status_its_rows_show(client, travel_to):
    """The walk: rows read "Waiting for the next session", the filter had no such choice, and those rows
    came up under "Booked" with no next session."""
    from guidance.models import Outcome
    from guidance.services import outcomes

    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    waiting, booked = w.own_referral, f.referral(name="Booked Person")
    waiting.needs = ["individual", "group"]
    held = f.published_session(w.counsellor, waiting, start=f.oslo(2026, 11, 30, 10))
    outcomes.record_outcomes(w.counsellor, held, {waiting.id: Outcome.ATTENDED})
    f.published_session(w.counsellor, booked, start=f.oslo(2026, 12, 10, 10))
    waiting.status = ReferralStatus.BOOKED
    db.session.commit()
    f.login(client, w.referrer)
    listing = client.get("/referrals/").get_data(as_text=True)
    assert 'value="waiting_next"' in listing
    assert queue_rows(client.get("/referrals/?status=waiting_next").get_data(as_text=True)) == [waiting.reference]
    assert queue_rows(client.get("/referrals/?status=booked").get_data(as_text=True)) == [booked.reference]


def test_the_export_says_kept_where_the_queue_does(client, travel_to):
    """The page read "Kept" for a deadline met by a held session; the CSV said "passed" for the same row."""
    travel_to(f.oslo(2027, 3, 1, 10))
    w = f.world()
    kept = f.referral(name="Kept Person", settlement=dt.date(2026, 11, 2))
    f.published_session(w.counsellor, kept, start=f.oslo(2027, 1, 20, 9), status="completed")
    kept.status = ReferralStatus.BOOKED
    db.session.commit()
    f.login(client, w.lead)
    row = next(line for line in client.get("/queue/export.csv").data.decode("utf-8-sig").splitlines()
               if kept.reference in line)
    assert ";Overholdt;" in row and "passert" not in row


def test_the_export_gives_the_status_the_queue_shows(client, travel_to):
    """The page read "session over, waiting for the outcome"; the CSV said "booked" for the same row."""
    travel_to(f.oslo(2027, 1, 20, 14))
    w = f.world()
    over = f.referral(name="Over Person")
    f.published_session(w.counsellor, over, start=f.oslo(2027, 1, 20, 9))   # ended 10:30, no outcome yet
    ahead = f.referral(name="Ahead Person")
    f.published_session(w.counsellor, ahead, start=f.oslo(2027, 1, 22, 9))
    for referral in (over, ahead):
        referral.status = ReferralStatus.BOOKED
    db.session.commit()
    f.login(client, w.lead)
    lines = client.get("/queue/export.csv").data.decode("utf-8-sig").splitlines()
    assert next(line for line in lines if over.reference in line).endswith(";Timen er over, venter på utfall")
    assert next(line for line in lines if ahead.reference in line).endswith(";Booket")


def test_a_booked_row_says_which_guidance_is_not_booked_yet(client, travel_to):
    """A referral reads "booked" once its first session is; the row also names what is still to book
    (the lead read "booked" and thought the participant's group session was planned)."""
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    part, whole = w.own_referral, w.other_referral
    part.needs = ["individual", "group"]
    whole.needs = ["individual"]
    f.published_session(w.counsellor, part, start=f.oslo(2026, 12, 10, 10))
    f.published_session(w.counsellor, whole, start=f.oslo(2026, 12, 11, 10))
    for referral in (part, whole):
        referral.status = ReferralStatus.BOOKED
    db.session.commit()
    f.login(client, w.lead, language="nb")
    page = client.get("/queue/").get_data(as_text=True)
    rows = {reference: row for reference, row in
            ((r.split('">', 1)[1].split("<", 1)[0], r) for r in page.split('<a href="/referrals/')[1:])}
    assert "Ikke booket ennå: gruppeveiledning" in rows[part.reference]
    assert "Ikke booket ennå" not in rows[whole.reference]
    client.post("/logout")
    f.login(client, w.lead, language="nn")
    assert "Ikkje booka enno: grupperettleiing" in client.get("/queue/").get_data(as_text=True)


def test_a_session_the_participant_did_not_come_to_leaves_its_guidance_not_booked_yet(client, travel_to):
    """As Find a time reads it: a no-show is not held, so that guidance is to book again."""
    from guidance.models import Outcome

    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    referral = w.own_referral
    referral.needs = ["individual", "group"]
    missed = f.published_session(w.counsellor, referral, start=f.oslo(2026, 11, 30, 10))
    missed.participants[0].outcome = Outcome.NO_SHOW
    f.published_session(w.counsellor, referral, start=f.oslo(2026, 12, 10, 10), type="group")
    referral.status = ReferralStatus.BOOKED
    db.session.commit()
    f.login(client, w.lead, language="nb")
    assert "Ikke booket ennå: individuell veiledning" in client.get("/queue/").get_data(as_text=True)
