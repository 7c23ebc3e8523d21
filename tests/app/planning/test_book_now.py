"""Book one referral now (issue 24 item 3): the options page around the published plan, booking one
in one transaction, a stale option refused with fresh options, and access."""
import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import (
    AuditEvent,
    InterpreterBooking,
    OutboxMessage,
    Referral,
    ReferralStatus,
    Session,
    SessionStatus,
)
from guidance.planning import ids
from tests.app import factories as f
from tests.app.planning.helpers import planning_world

pytestmark = pytest.mark.one_database  # the solver decides these; the PostgreSQL pass keeps publishing, runs in the queue and the bridge's queries (test_publish, test_safe_publish, test_jobs, test_bridge)

UTC = dt.timezone.utc


def _counts():
    """Rows that a booking writes; a refusal's own audit event (access.refused) and sign-ins are not writes."""
    changes = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.notin_(("access.refused", "auth.logged_in")))
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Session, InterpreterBooking, OutboxMessage)) + (db.session.scalar(changes),)


def _headings(page: str) -> list[str]:
    """The individual options' headings (day and time), best first."""
    return re.findall(r'<h3 id="option-individual-\d">([^<]+)</h3>', page)


def _tokens(page: str) -> list[str]:
    return re.findall(r'name="option" value="([^"]+)"', page)


def booking_world(travel_to, *, today=dt.date(2027, 1, 8), hour_utc=9, notice_days=0):
    """planning_world() on `today` (Oslo) with a published plan: one session of another referral; the
    county's minimum notice `notice_days` (0: from the next working day)."""
    travel_to(dt.datetime(today.year, today.month, today.day, hour_utc, 0, tzinfo=UTC))
    w = planning_world()
    w.counsellor.name = "Hanne Vik"
    w.interpreter.name = "Layla Nasser"
    settled = today + dt.timedelta(days=2)
    for r in (w.own_referral, w.other_referral):
        r.settlement_date = r.earliest_date = settled
        r.deadline = settled + dt.timedelta(days=90)
    w.lead.county.publish_notice_days = notice_days
    db.session.commit()
    day = today + dt.timedelta(days=3)
    f.published_session(w.counsellor, w.other_referral, start=f.oslo(day.year, day.month, day.day, 9))
    return w


WINTER, SUMMER = dt.date(2027, 1, 8), dt.date(2027, 6, 4)  # Fridays; the published session is on the Monday after


@pytest.mark.parametrize("today, first, utc_hour", [
    (WINTER, "mandag 11. januar 2027, 10:30–12:00", 9),
    (SUMMER, "mandag 7. juni 2027, 10:30–12:00", 8),
], ids=["winter", "summer"])
def test_options_show_names_and_oslo_times(client, travel_to, today, first, utc_hour):
    w = booking_world(travel_to, today=today)
    f.login(client, w.lead)
    response = client.get(f"/referrals/{w.own_referral.id}/times")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Finn tid for" in page and "Individuell veiledning" in page
    assert 1 <= len(_tokens(page)) <= 5
    # The counsellor's 09:00-10:30 session in the published plan comes first on Monday: the
    # earliest option is 10:30 Oslo time (09:30 UTC in winter, 08:30 UTC in summer).
    heading = re.search(r'<h3 id="option-individual-1">([^<]+)</h3>', page).group(1)
    assert heading == first
    assert "Hanne Vik" in page and "Layla Nasser (Arabisk, oppmøte)" in page
    assert "Karrieresenter Bergen, Rom 1" in page and "Kort: deltakeren bor i samme kommune" in page and "0 minutter" not in page and "1\xa0080\xa0kr" in page
    assert "Tidligst" in page
    # Never a solver id in what the lead reads (the signed choice and the mark's SVG path are not text on the page).
    text = re.sub(r'value="[^"]+"|href="[^"]+"|action="[^"]+"|id="[^"]+"|aria-[a-z]+="[^"]+"| d="[^"]+"', "", page)
    text = re.sub(r"\bH-[A-Z0-9-]+", "", text)  # the referral's own reference (H-...) may contain "R5"
    assert not re.search(r"\b(C|I|L|R|S)\d+\b|room\d+|new-\d", text)
    # The group need finds no group in the plan: said in words, with what to do.
    assert "For få deltakere" in page or "Ingen tid kan tilbys" in page

    client.post(f"/referrals/{w.own_referral.id}/times", data={"option": _tokens(page)[0]})
    booked = db.session.scalars(select(Session).where(Session.participants.any(referral_id=w.own_referral.id))).one()
    assert booked.start == dt.datetime(today.year, today.month, today.day + 3, utc_hour, 30, tzinfo=UTC)


def test_options_keep_the_countys_minimum_notice(client, travel_to):
    """Friday 8 January with 3 working days' notice: the first time offered is on Wednesday 13, as a
    published plan would book it, and the page says why."""
    w = booking_world(travel_to, notice_days=3)
    f.login(client, w.lead)
    page = client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    headings = _headings(page)
    assert headings and headings[0].startswith("onsdag 13. januar 2027")
    assert not any("11. januar" in h or "12. januar" in h for h in headings)
    assert "Tider fra onsdag 13. januar 2027" in page


def test_an_overdue_participant_can_be_booked_inside_the_notice_when_the_lead_asks(client, travel_to):
    """The deadline has passed: the lead may offer Monday 11 January instead of waiting out the notice
    (Wednesday 13), and is told to tell the participant another way; a participant within their
    deadline gets no such times whatever the address says."""
    w = booking_world(travel_to, notice_days=3)
    late = f.referral(municipality_number="4601", name="Hodan Warsame", settlement=WINTER - dt.timedelta(days=200),
                      deadline=WINTER - dt.timedelta(days=10))
    db.session.commit()
    f.login(client, w.lead)
    page = html.unescape(client.get(f"/referrals/{late.id}/times").get_data(as_text=True))
    assert "Fristen kan ikke lenger holdes: vis tider fra neste arbeidsdag" in page
    sooner = html.unescape(client.get(f"/referrals/{late.id}/times?sooner=1").get_data(as_text=True))
    headings = _headings(sooner)
    assert headings and headings[0].startswith("mandag 11. januar 2027")
    assert "før fylkets minste varsel: fristen har gått ut" in sooner
    response = client.post(f"/referrals/{late.id}/times", data={"option": _tokens(sooner)[0]}, follow_redirects=True)
    assert "Timen er før fylkets minste varsel" in html.unescape(response.get_data(as_text=True))
    session = db.session.scalars(select(Session).where(Session.participants.any(referral_id=late.id))).one()
    assert ids.to_local(session.start).date() == dt.date(2027, 1, 11)
    within = html.unescape(client.get(f"/referrals/{w.own_referral.id}/times?sooner=1").get_data(as_text=True))
    assert _headings(within)[0].startswith("onsdag 13. januar 2027")


def _times_and_sooner(client, referral) -> tuple[str, str]:
    """Find a time for `referral` as the lead reads it, and with "show times from the next working day"."""
    return tuple(html.unescape(client.get(f"/referrals/{referral.id}/times{query}").get_data(as_text=True))
                 for query in ("", "?sooner=1"))


def test_a_deadline_on_the_notices_first_day_lets_the_lead_book_sooner(client, travel_to):
    """The walk of 8 December: deadline Wednesday, the notice's first day; Monday and Tuesday were hidden
    though the lead would phone the participant. Waiting out the notice leaves one day: the lead may
    offer the days before, and is told to tell the participant another way."""
    w = booking_world(travel_to, notice_days=3)   # Friday 8 January: the notice's first day is Wednesday 13
    urgent = f.referral(municipality_number="4601", name="Hodan Warsame", settlement=WINTER - dt.timedelta(days=80),
                        deadline=dt.date(2027, 1, 13))
    db.session.commit()
    f.login(client, w.lead)
    page, sooner = _times_and_sooner(client, urgent)
    assert "Fristen onsdag 13. januar er innenfor minste varsel: vis tider fra neste arbeidsdag" in page
    headings = _headings(sooner)
    assert headings and headings[0].startswith("mandag 11. januar 2027")
    assert "før fylkets minste varsel: fristen er onsdag 13. januar" in sooner
    client.post(f"/referrals/{urgent.id}/times", data={"option": _tokens(sooner)[0]})
    session = db.session.scalars(select(Session).where(Session.participants.any(referral_id=urgent.id))).one()
    assert ids.to_local(session.start).date() == dt.date(2027, 1, 11)
    # A deadline a day after the notice's first day keeps to the notice, whatever the address says.
    later = f.referral(municipality_number="4601", name="Amina Yusuf", settlement=WINTER - dt.timedelta(days=80),
                       deadline=dt.date(2027, 1, 14))
    db.session.commit()
    page = html.unescape(client.get(f"/referrals/{later.id}/times?sooner=1").get_data(as_text=True))
    assert "innenfor minste varsel" not in page
    assert _headings(page)[0].startswith("onsdag 13. januar 2027")


def test_a_deadline_after_closed_days_at_the_end_of_the_notice_lets_the_lead_book_sooner(client, travel_to):
    """Monday 28 December: the notice ran out on New Year's Eve, a closure day, then New Year's Day and the weekend;
    a deadline on Sunday 3 January had no day left to book and no way to book sooner, while a deadline on the 30th
    had one (the year-end review)."""
    w = booking_world(travel_to, today=dt.date(2026, 12, 28), notice_days=3)
    w.lead.county.closure_days = ["2026-12-24", "2026-12-31"]
    urgent = f.referral(municipality_number="4601", name="Hodan Warsame", settlement=dt.date(2026, 10, 3),
                        deadline=dt.date(2027, 1, 3))
    db.session.commit()
    f.login(client, w.lead)
    page, sooner = _times_and_sooner(client, urgent)
    assert "vis tider fra neste arbeidsdag" in page
    headings = _headings(sooner)
    assert headings and headings[0].startswith("tirsdag 29. desember 2026"), headings
    assert "fristen har gått ut" not in sooner and "fristen er søndag 3. januar" in sooner


def test_a_from_date_after_the_deadline_says_so_not_to_choose_a_later_date(client, travel_to):
    """From 20 January for a deadline on the 17th, the page said there are free times but none on the days chosen,
    and to choose a later date, which could not help (the year-end review)."""
    w = booking_world(travel_to)
    w.own_referral.deadline = dt.date(2027, 1, 29)
    db.session.commit()
    f.login(client, w.lead)
    page = html.unescape(client.get(f"/referrals/{w.own_referral.id}/times?from_date=2027-02-08").get_data(as_text=True))
    assert "Du valgte tider fra 8. februar 2027, etter fristen 29. januar 2027: tider tilbys fram til fristen." in page
    assert "Velg en senere dato" not in page


def test_booking_an_option_writes_one_session_one_request_and_one_email(client, travel_to):
    from guidance.services import calendar, queue

    from guidance.models import InterpreterBudget

    w = booking_world(travel_to)
    # January's interpreter budget is small: one booking goes over it, and the lead is told (publishing asks; a single
    # booking said nothing).
    db.session.add(InterpreterBudget(county_id=w.lead.county_id, month=dt.date(2027, 1, 1), amount_ore=10000))
    db.session.commit()
    f.login(client, w.lead)
    before = _counts()
    received_before = queue.queue_page(w.lead, queue.QueueFilter(), 1, WINTER).counts["by_status"]["received"]
    token = _tokens(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))[0]

    response = client.post(f"/referrals/{w.own_referral.id}/times", data={"option": token})
    assert response.status_code == 302 and response.location.endswith(f"/referrals/{w.own_referral.id}/times")
    sessions, requests, mails, _audits = (after - b for after, b in zip(_counts(), before))
    assert (sessions, requests, mails) == (1, 1, 1)
    session = db.session.scalars(select(Session).where(Session.participants.any(referral_id=w.own_referral.id))).one()
    assert session.status is SessionStatus.BOOKED and session.run.published_at is not None
    assert session.counsellor_id == w.counsellor.counsellor.id and session.interpreter_id == w.interpreter.interpreter.id
    booking = db.session.scalars(select(InterpreterBooking)).one()
    assert booking.session_id == session.id and booking.status.value == "requested"
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.to_address == w.interpreter.email and "Amal" not in message.subject
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.BOOKED
    received_after = queue.queue_page(w.lead, queue.QueueFilter(), 1, WINTER).counts["by_status"].get("received", 0)
    assert received_after == received_before - 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "referral.booked_now", AuditEvent.object_id == w.own_referral.id)) == 1

    # The counsellor's calendar feed holds the new session.
    token = calendar.issue_feed_token(db.session.get(type(w.counsellor), w.counsellor.id))
    db.session.commit()
    feed = client.get(f"/calendar/{token}.ics").get_data(as_text=True)
    assert session.uid in feed and "DTSTART;TZID=Europe/Oslo:20270111T103000" in feed

    # The page now says the individual session is booked, and the flash says so in words.
    page = client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    assert "Booket: individuell veiledning mandag 11. januar 10:30" in page
    assert "Tolkekostnaden for januar 2027 er nå over budsjettet" in page and "av 100\xa0kr" in page
    # No mail server here: "a request has been sent" was all it said, and the interpreter never heard.
    assert "Ingen e-post går ut fra Veiled ennå (ingen e-posttjener er satt opp): tolken har ikke fått dette." in page
    assert "option-individual-1" not in page
    assert "mandag 11. januar 2027, 10:30–12:00, Karrieresenter Bergen, Rom 1, Hanne Vik." in re.sub(r"\s+", " ", page)
    # The letter for the participant, where the lead is (the walk went back to the referral for it).
    assert f'href="/referrals/{w.own_referral.id}/letters.pdf"' in page
    # By video it says so: a lead phoning the participant read "Karrieresenter Sunnfjord" and would have sent
    # them there.
    session.mode = "video"
    db.session.commit()
    page = client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    assert "mandag 11. januar 2027, 10:30–12:00, på video, karriereveilederen sitter på Karrieresenter Bergen, Hanne Vik." \
        in re.sub(r"\s+", " ", page)

    # The next referral's times say January is over its budget before a time is chosen (it was said only after).
    another = f.referral(name="Lina Haddad", settlement=dt.date(2027, 1, 10))
    ahead = client.get(f"/referrals/{another.id}/times").get_data(as_text=True)
    assert 'id="spent-2027-01"' in ahead and "Tolkekostnaden for januar 2027 er allerede over budsjettet" in ahead


def test_a_stale_option_is_refused_with_fresh_options(client, travel_to):
    w = booking_world(travel_to)
    rival = f.referral(municipality_number="4601", name="Rania Saleh", settlement=WINTER + dt.timedelta(days=2))
    f.login(client, w.lead)
    mine = _tokens(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))[0]
    theirs = _tokens(client.get(f"/referrals/{rival.id}/times").get_data(as_text=True))[0]
    assert client.post(f"/referrals/{rival.id}/times", data={"option": theirs}).status_code == 302
    before = _counts()

    response = client.post(f"/referrals/{w.own_referral.id}/times", data={"option": mine})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Den tiden er ikke lenger ledig" in page
    assert _counts() == before
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.RECEIVED
    fresh = re.search(r'<h3 id="option-individual-1">([^<]+)</h3>', page).group(1)
    assert fresh != "mandag 11. januar 2027, 10:30–12:00" and _tokens(page)


def test_the_same_option_twice_books_once(client, travel_to):
    """Two leads clicking the same option: the second is refused, nothing is booked twice."""
    w = booking_world(travel_to)
    second_lead = f.user(f.Role.LEAD)
    f.login(client, w.lead)
    token = _tokens(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))[0]
    other = client.application.test_client()
    f.login(other, second_lead)
    assert client.post(f"/referrals/{w.own_referral.id}/times", data={"option": token}).status_code == 302
    before = _counts()
    response = other.post(f"/referrals/{w.own_referral.id}/times", data={"option": token})
    assert response.status_code == 409
    assert "allerede booket" in response.get_data(as_text=True)
    assert _counts() == before
    assert db.session.scalar(select(func.count()).select_from(Session).where(
        Session.participants.any(referral_id=w.own_referral.id))) == 1


def test_a_forged_option_is_refused_without_writing(client, travel_to):
    w = booking_world(travel_to)
    f.login(client, w.lead)
    before = _counts()
    response = client.post(f"/referrals/{w.own_referral.id}/times", data={"option": "forged.token"})
    assert response.status_code == 400 and "Velg en av tidene som vises" in response.get_data(as_text=True)
    assert _counts() == before


def test_another_countys_lead_gets_404_and_nothing_is_written(client, travel_to):
    w = booking_world(travel_to)
    f.login(client, w.lead)
    token = _tokens(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))[0]
    outsider = client.application.test_client()
    f.login(outsider, w.other_county_lead)
    before = _counts()
    assert outsider.get(f"/referrals/{w.own_referral.id}/times").status_code == 404
    assert outsider.post(f"/referrals/{w.own_referral.id}/times", data={"option": token}).status_code == 404
    counsellor = client.application.test_client()
    f.login(counsellor, w.counsellor)
    assert counsellor.get(f"/referrals/{w.own_referral.id}/times").status_code == 403
    assert counsellor.post(f"/referrals/{w.own_referral.id}/times", data={"option": token}).status_code == 403
    assert _counts() == before
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.RECEIVED


def test_no_options_says_why_and_what_to_do(client, travel_to):
    w = booking_world(travel_to)
    somali = f.referral(municipality_number="4601", name="Hodan Warsame", language="so",
                        settlement=WINTER + dt.timedelta(days=2))
    f.login(client, w.lead)
    page = client.get(f"/referrals/{somali.id}/times").get_data(as_text=True)
    assert not _tokens(page)
    assert "Ingen tid kan tilbys." in page
    assert "Ingen tolk på somali er ledig i tide." in page   # lower case inside a Norwegian sentence
    assert "Dette kan du gjøre: Bestill tolk på somali" in page


def test_a_new_countys_first_referral_is_booked_before_any_plan_and_the_first_plan_keeps_it(client, travel_to):
    """A county's first day: Find a time said "publish a plan first" of the one referral that had come."""
    from guidance.models import PlanningRun
    from guidance.services import planning as planning_service
    from tests.app.planning.helpers import solved_run

    travel_to(dt.datetime(2027, 1, 8, 9, tzinfo=UTC))
    w = planning_world()
    for r in (w.own_referral, w.other_referral):
        r.settlement_date = r.earliest_date = dt.date(2027, 1, 10)
        r.deadline = dt.date(2027, 4, 10)
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    assert "ingen publisert plan" not in page and _tokens(page)
    assert client.post(f"/referrals/{w.own_referral.id}/times", data={"option": _tokens(page)[0]}).status_code == 302
    session = db.session.scalars(select(Session).where(Session.participants.any(referral_id=w.own_referral.id))).one()
    assert session.status is SessionStatus.BOOKED and session.run.published_at is not None
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.BOOKED

    # The planning pages read the run that holds it in words, and every page of it opens.
    run = session.run
    planning = html.unescape(client.get("/planning/").get_data(as_text=True))
    assert "Booket én og én før den første planen" in planning
    for path in ("", "/sessions", "/changes", "/unscheduled", "/publish", "/plan.json"):
        assert client.get(f"/planning/runs/{run.id}{path}").status_code == 200, path
    assert "Timer booket én og én før den første planen" in html.unescape(
        client.get(f"/planning/runs/{run.id}").get_data(as_text=True))

    # The first plan keeps the booking and plans the others around it.
    first_plan = solved_run(w.lead)
    planning_service.publish_run(w.lead, first_plan, confirm_stale=True, confirm_newer=True)
    kept = db.session.scalars(select(Session).where(Session.uid == session.uid,
                                                    Session.status == SessionStatus.BOOKED)).one()
    assert kept.start == session.start and kept.counsellor_id == session.counsellor_id
    assert db.session.scalar(select(func.count()).select_from(PlanningRun)
                             .where(PlanningRun.published_at.is_not(None))) == 2


def test_the_queue_and_the_referral_page_offer_find_a_time_to_the_lead_only(client, travel_to):
    w = booking_world(travel_to)
    f.login(client, w.lead)
    link = f'href="/referrals/{w.own_referral.id}/times"'
    assert link in client.get("/queue/").get_data(as_text=True)
    assert link in client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    referrer = client.application.test_client()
    f.login(referrer, w.referrer)
    assert link not in referrer.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)


def test_joining_a_planned_group_adds_the_participant_and_keeps_its_interpreter(client, travel_to):
    from guidance.services import bookings

    w = booking_world(travel_to)
    members = [f.referral(municipality_number="4601", name=f"Member {n}", settlement=WINTER + dt.timedelta(days=2))
               for n in range(3)]
    group = f.published_session(w.counsellor, members, start=f.oslo(2027, 1, 13, 12, 0), type="group",
                                room_name="Grupperom", interpreter=w.interpreter)
    request = bookings.new_booking(group)
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    assert "Blir med i en gruppeveiledning med 3 deltakere" in page
    join = re.search(r'<h3 id="option-group-(\d)">onsdag 13\. januar 2027, 12:00–13:30</h3>', page)
    assert join, page
    tokens = re.findall(r'<li class="option">.*?name="option" value="([^"]+)"', page.split('id="need-group"')[1], re.S)
    before = _counts()
    sequence = group.sequence

    response = client.post(f"/referrals/{w.own_referral.id}/times", data={"option": tokens[int(join.group(1)) - 1]})
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tolken for gruppen får beskjed om at det kommer én deltaker til" in flashed
    assert "En tolkeforespørsel er sendt" not in flashed  # none was: the group's request stands
    db.session.expire_all()
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.interpreter.id)).all()
    assert [m.subject for m in told] == ["Endret: tolkeoppdrag 13.01.2027 12:00"]
    assert "har én deltaker til" in told[0].body and "mindre" not in told[0].body  # the walk: it said "fewer"
    # the group's counsellor hears who joined, with the new version for their calendar
    from guidance.services import notices
    notices.dispatch()
    (mail,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.counsellor.id)).all()
    assert mail.subject == "Ny deltaker: gruppeveiledning 13.01.2027 12:00"
    assert w.own_referral.reference in mail.body and "Amal" not in mail.subject + mail.body
    assert f"SEQUENCE:{sequence + 1}" in mail.ics and "METHOD:REQUEST" in mail.ics
    group = db.session.get(Session, group.id)
    assert sorted(sp.referral_id for sp in group.participants) == sorted([m.id for m in members] + [w.own_referral.id])
    sessions, requests, _mails, _audits = (a - b for a, b in zip(_counts(), before))
    assert (sessions, requests) == (0, 0)  # the same session, the same interpreter request (asked again)
    assert group.sequence == sequence + 1 and db.session.get(InterpreterBooking, request.id).sequence == 1
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.BOOKED

    # A group joined by mistake is taken back like a new session (it had no undo): the group goes on as it was.
    page = client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    assert "Angre denne bookingen" in page
    undone = client.post(f"/referrals/{w.own_referral.id}/times/undo", data={"session_id": str(group.id)})
    assert undone.status_code == 302
    db.session.expire_all()
    group = db.session.get(Session, group.id)
    assert group.status is SessionStatus.BOOKED and sorted(sp.referral_id for sp in group.participants) == \
        sorted(m.id for m in members)
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.RECEIVED
    history = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "Tatt ut av en gruppetime igjen: booket der ved en feil" in history


def test_the_published_runs_plan_file_no_longer_lists_the_booked_need_as_unscheduled(client, travel_to):
    import json

    w = booking_world(travel_to)
    run = db.session.scalars(select(Session)).one().run
    pid = f"R{w.own_referral.id}"
    run.plan_json = json.dumps({"format": "guidance-plan/1", "sessions": [], "stats": {}, "unscheduled": [
        {"participant": pid, "type": "individual", "reason": "no_capacity_before_deadline"},
        {"participant": pid, "type": "group", "reason": "group_too_small"}]})
    db.session.commit()
    f.login(client, w.lead)
    token = _tokens(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))[0]
    assert client.post(f"/referrals/{w.own_referral.id}/times", data={"option": token}).status_code == 302
    db.session.expire_all()
    plan = json.loads(db.session.get(type(run), run.id).plan_json)
    assert plan["unscheduled"] == [{"participant": pid, "type": "group", "reason": "group_too_small"}]
    assert [s["participants"] for s in plan["sessions"]] == [[pid]]


def test_planning_data_the_engine_cannot_read_gives_a_sentence_not_a_500(client, travel_to):
    w = booking_world(travel_to)
    w.counsellor.counsellor.weekly = {"1": [["15:00", "08:00"]]}  # ends before it starts
    db.session.commit()
    f.login(client, w.lead)
    response = client.get(f"/referrals/{w.own_referral.id}/times")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and not _tokens(page)
    assert "Fylkets planleggingsdata har en feil" in page


def test_two_leads_booking_the_same_option_at_the_same_moment_get_one_session(app, travel_to):
    """The county lock: both requests run at once, in their own transactions; one books, the other is
    told the time is gone (never two sessions, never an error)."""
    import threading

    from guidance.models import User
    from guidance.services import book_now

    w = booking_world(travel_to)
    second_lead = f.user(f.Role.LEAD)
    token = book_now.choices(w.own_referral).needs[0].options[0].token
    people, referral_id = [w.lead.id, second_lead.id], w.own_referral.id
    start, results = threading.Barrier(2), []

    def lead_books(user_id):
        with app.app_context():
            lead, referral = db.session.get(User, user_id), db.session.get(Referral, referral_id)
            start.wait()
            try:
                book_now.book(lead, referral, token)
                results.append("booked")
            except book_now.OptionGone:
                db.session.rollback()
                results.append("gone")
            except Exception as error:  # noqa: BLE001 - the test reports it
                db.session.rollback()
                results.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=lead_books, args=(user_id,)) for user_id in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == ["booked", "gone"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Session).where(
        Session.participants.any(referral_id=referral_id))) == 1
    assert db.session.scalar(select(func.count()).select_from(InterpreterBooking)) == 1


def test_after_a_no_show_the_session_is_offered_again(client, travel_to):
    from guidance.models import Outcome

    w = booking_world(travel_to)
    missed = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 6, 9), status="completed")
    missed.participants[0].outcome = Outcome.NO_SHOW
    w.own_referral.status = ReferralStatus.NO_SHOW
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    assert 'id="option-individual-1"' in page and "tag-booked" not in page


def test_an_overdue_participant_is_not_told_there_is_no_time_before_the_deadline(client, travel_to):
    from guidance.services import bookings

    w = booking_world(travel_to)
    w.own_referral.county.group_max_size = 3
    members = [f.referral(municipality_number="4601", name=f"Member {n}", settlement=WINTER + dt.timedelta(days=2))
               for n in range(3)]
    group = f.published_session(w.counsellor, members, start=f.oslo(2027, 1, 13, 12, 0), type="group",
                                room_name="Grupperom", interpreter=w.interpreter)
    bookings.new_booking(group)
    late = f.referral(municipality_number="4601", name="Hodan Warsame", settlement=WINTER - dt.timedelta(days=200),
                      deadline=WINTER - dt.timedelta(days=10))
    waiting = f.referral(municipality_number="4601", name="Dawit Haile", settlement=WINTER + dt.timedelta(days=2))
    late.needs = waiting.needs = ["group"]
    db.session.commit()
    f.login(client, w.lead)

    # The only group is full: a participant within their deadline hears of the deadline (and of the
    # group's seats, not of rooms and counsellors' time, which the lead would extend in vain) ...
    page = client.get(f"/referrals/{waiting.id}/times").get_data(as_text=True)
    assert "Alle gruppeveiledninger deltakeren kan nå før fristen, er fulle" in page
    assert "ledig rom og veiledertid" not in page
    # ... one whose deadline has passed hears that it has, and of the planning period instead.
    page = client.get(f"/referrals/{late.id}/times").get_data(as_text=True)
    assert not _tokens(page)
    assert "Fristen er passert, og alle gruppeveiledninger deltakeren kan nå i planperioden, er fulle" in page
    assert "før fristen" not in page


def _option_times(page: str) -> list[tuple[str, str]]:
    """(day heading, start time) of each option shown."""
    return re.findall(r'<h3 id="option-[a-z]+-\d+">([^,<]+), (\d\d:\d\d)–', page)


def test_a_lead_asks_only_for_the_times_the_participant_can_come(client, travel_to):
    """The referrer says: a Norwegian course every morning, and not before the 18th. Only
    afternoon times from then are offered; booking one keeps the choice for the next need."""
    w = booking_world(travel_to)
    f.login(client, w.lead)
    every = _option_times(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))
    assert any(start < "12:00" for _day, start in every)   # without a wish the mornings come first

    url = f"/referrals/{w.own_referral.id}/times?from_date=2027-01-18&part_of_day=afternoon"
    page = client.get(url).get_data(as_text=True)
    wished = _option_times(page)
    assert wished
    assert all(start >= "12:00" for _day, start in wished), wished
    assert all(re.search(r"(1[89]|2\d|3[01])\. januar 2027", day) for day, _start in wished), wished
    assert 'value="2027-01-18"' in page and '<option selected value="afternoon">' in page
    assert "Tider fra mandag 18. januar 2027, slik du valgte nedenfor." in page
    assert "Vis alle ledige tider" in page

    token = _tokens(page)[0]
    response = client.post(url, data={"option": token})
    assert response.status_code == 302
    assert response.location.endswith(f"/referrals/{w.own_referral.id}/times?from_date=2027-01-18&part_of_day=afternoon")
    session = db.session.scalars(select(Session).where(Session.participants.any(referral_id=w.own_referral.id))).one()
    from guidance.planning.ids import to_local
    start = to_local(session.start)
    assert start.date() >= dt.date(2027, 1, 18) and start.hour >= 12


def test_no_time_at_the_hours_asked_for_says_so_and_offers_every_time(client, travel_to):
    w = booking_world(travel_to)
    f.login(client, w.lead)
    w.counsellor.counsellor.weekly = {str(d): [["08:00", "12:00"]] for d in range(1, 6)}
    db.session.commit()
    page = client.get(f"/referrals/{w.own_referral.id}/times?part_of_day=afternoon").get_data(as_text=True)
    assert not _tokens(page)
    assert "Det finnes ledige tider, men ingen på dagene og tiden på dagen du valgte." in page
    assert "Vis alle ledige tider" in page
    assert _tokens(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))


def test_a_wish_the_form_cannot_read_is_named_and_every_time_is_shown(client, travel_to):
    w = booking_world(travel_to)
    f.login(client, w.lead)
    response = client.get(f"/referrals/{w.own_referral.id}/times?from_date=9999-01-01&part_of_day=evening")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in page and "Skriv en dato fra" in page
    assert _tokens(page)


def test_a_date_beyond_the_planning_horizon_is_named_with_the_dates_times_are_planned_for(client, travel_to):
    """From 6 April the page said free times exist but none on the days chosen, "choose a later date", whatever
    was chosen: no time is planned that far ahead."""
    from guidance import clock
    from guidance.planning import InstanceOptions

    w = booking_world(travel_to)
    f.login(client, w.lead)
    last = InstanceOptions(today=clock.today()).horizon_end
    beyond = (last + dt.timedelta(days=7)).isoformat()
    page = client.get(f"/referrals/{w.own_referral.id}/times?from_date={beyond}").get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "så langt fram planlegges timene" in page
    assert "ingen på dagene og tiden på dagen du valgte" not in page
    assert _tokens(page)   # every time is offered instead
    within = client.get(f"/referrals/{w.own_referral.id}/times?from_date={last.isoformat()}").get_data(as_text=True)
    assert "så langt fram planlegges timene" not in within


def test_a_date_or_choice_the_form_cannot_read_is_named_in_nynorsk_too(client, travel_to):
    """WTForms' own messages come through the app's catalogs: WTForms has no nynorsk of its own."""
    w = booking_world(travel_to)
    f.login(client, w.lead, language="nn")
    page = client.get(f"/referrals/{w.own_referral.id}/times?from_date=banana&part_of_day=evening").get_data(as_text=True)
    assert "Ikkje ein gyldig dato." in page and "Ikkje eit gyldig val." in page
    assert "Not a valid" not in page


def test_a_booking_made_by_mistake_is_undone_at_once_and_not_later(client, travel_to):
    """A wrong click: for a few minutes the page offers to take it back — the session cancelled, the
    interpreter's request withdrawn, the participant back in the queue; later only a cancellation does it."""
    w = booking_world(travel_to)
    f.login(client, w.lead)
    url = f"/referrals/{w.own_referral.id}/times"
    token = _tokens(client.get(url).get_data(as_text=True))[0]
    assert client.post(url, data={"option": token}).status_code == 302
    session = db.session.scalars(select(Session).where(Session.participants.any(referral_id=w.own_referral.id))).one()
    page = client.get(url).get_data(as_text=True)
    assert "Angre denne bookingen" in page

    response = client.post(f"{url}/undo", data={"session_id": session.id}, follow_redirects=True)
    assert "er angret. Deltakeren venter i køen igjen." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Session, session.id).status is SessionStatus.CANCELLED
    assert db.session.get(Session, session.id).cancel_reason == "booked_by_mistake"
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.RECEIVED
    assert db.session.scalars(select(InterpreterBooking)).one().status.value == "cancelled"
    history = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "Bookingen angret av senteret" in history

    # Booked again, then twenty minutes pass: no undo any more.
    token = _tokens(client.get(url).get_data(as_text=True))[0]
    assert client.post(url, data={"option": token}).status_code == 302
    again = db.session.scalars(select(Session).where(Session.participants.any(referral_id=w.own_referral.id),
                                                     Session.status == SessionStatus.BOOKED)).one()
    travel_to(dt.datetime(2027, 1, 8, 9, 25, tzinfo=UTC))
    assert "Angre denne bookingen" not in client.get(url).get_data(as_text=True)
    late = client.post(f"{url}/undo", data={"session_id": again.id})
    assert late.status_code == 400 and "avlys timen" in late.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Session, again.id).status is SessionStatus.BOOKED


def test_the_booking_page_shows_what_the_referrer_asked_for(client, travel_to):
    """The walk: "Wants a woman counsellor" was in the referral, not on the page where the lead chose."""
    w = booking_world(travel_to, notice_days=3)
    w.own_referral.notes = "Ønsker kvinnelig veileder."
    db.session.commit()
    f.login(client, w.lead)
    page = html.unescape(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))
    assert "Ønsker kvinnelig veileder." in page


def test_an_option_says_when_the_counsellor_speaks_the_participants_language(client, travel_to):
    """The walk: an Arabic speaker's options read "Interpreter: not needed", or showed a Ukrainian
    interpreter, with nothing saying the counsellor speaks Arabic: it looked like a wrong booking."""
    w = booking_world(travel_to)
    f.login(client, w.lead)
    assert "snakker deltakerens språk" not in client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    w.counsellor.counsellor.languages = ["ar"]
    db.session.commit()
    page = html.unescape(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))
    assert _tokens(page) and "Veilederen snakker deltakerens språk: Arabisk." in page


def test_the_lead_takes_a_group_session_no_plan_can_form_off_the_referral(client, travel_to):
    """The walk: a lone Swahili speaker's group session could never be formed; only the referrer could
    correct the referral, and it waited in the queue for ever."""
    w = booking_world(travel_to)
    assert w.own_referral.needs == ["individual", "group"]
    f.login(client, w.lead)
    page = html.unescape(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))
    assert "Ta gruppeveiledning av henvisningen" in page and "Ta individuell veiledning av henvisningen" in page

    response = client.post(f"/referrals/{w.own_referral.id}/times/drop-need", data={"session_type": "group"})
    assert response.status_code == 302
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Gruppeveiledning er tatt av henvisningen" in page
    assert "Ta individuell veiledning av henvisningen" not in page  # the last one stays
    db.session.expire_all()
    referral = db.session.get(Referral, w.own_referral.id)
    assert referral.needs == ["individual"] and referral.status is ReferralStatus.RECEIVED
    history = html.unescape(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    assert "En veiledning tatt av henvisningen av karrieresenteret" in history

    refused = client.post(f"/referrals/{referral.id}/times/drop-need", data={"session_type": "individual"})
    assert refused.status_code == 400 and "trekker kommunen tilbake henvisningen" in html.unescape(refused.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).needs == ["individual"]


def test_a_need_with_a_booked_session_stays_and_dropping_the_last_open_one_completes_the_referral(client, travel_to):
    from guidance.models import Outcome
    from guidance.services import outcomes

    w = booking_world(travel_to)
    held = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 11, 9))
    w.own_referral.status = ReferralStatus.BOOKED
    db.session.commit()
    f.login(client, w.lead)
    refused = client.post(f"/referrals/{w.own_referral.id}/times/drop-need", data={"session_type": "individual"})
    assert refused.status_code == 400 and "er booket eller holdt" in html.unescape(refused.get_data(as_text=True))

    travel_to(f.oslo(2027, 1, 11, 12))
    outcomes.record_outcomes(w.counsellor, held, {w.own_referral.id: Outcome.ATTENDED})
    db.session.expire_all()
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.BOOKED  # the group still to come
    f.login(client, w.lead)
    response = client.post(f"/referrals/{w.own_referral.id}/times/drop-need", data={"session_type": "group"})
    assert response.status_code == 302
    db.session.expire_all()
    referral = db.session.get(Referral, w.own_referral.id)
    assert referral.status is ReferralStatus.COMPLETED and referral.closed_at is not None


def _option(start: dt.datetime, travel: int, *, video: bool = False):
    from guidance.services.book_now import Option

    return Option(token="t", type="individual", start=start, end=start + dt.timedelta(minutes=90), counsellor="Per Aas",
                  location="Karrieresenter Stord", room="Rom 1", video=video, language=None, interpreter=None,
                  interpreter_mode=None, travel_minutes=travel, interpreter_cost_nok=0)


@pytest.mark.parametrize("day", [dt.date(2027, 1, 12), dt.date(2027, 6, 15)], ids=["winter", "summer"])
def test_an_option_that_means_leaving_home_before_seven_says_so_with_the_time(day):
    """The walk: every time offered to a Bergen participant was 08:00 in Stord, 86 minutes away, and nothing
    said the participant would leave home about 06:30."""
    from guidance.services.book_now import _mark

    early = _option(f.oslo(day.year, day.month, day.day, 8, 0), 86)
    near = _option(f.oslo(day.year, day.month, day.day, 10, 0), 0)
    by_video = _option(f.oslo(day.year, day.month, day.day, 8, 0), 86, video=True)
    _mark([early, near, by_video], met=set())
    assert ids.to_local(early.leaves_home).strftime("%H:%M") == "06:30"   # 08:00 less 86 min, to five minutes before
    assert "early_departure" in early.marks
    assert near.leaves_home is None and "early_departure" not in near.marks
    assert by_video.leaves_home is None and "early_departure" not in by_video.marks


def test_a_participant_far_from_the_centre_is_offered_a_time_they_need_not_leave_home_before_seven_for(client, travel_to):
    """A Voss resident, 88 minutes from the Bergen centre: the soonest times are 08:00 (leaving home about
    06:30). Beside them the lead is offered the soonest time they can reach setting off at 07:00 or later."""
    from guidance.services import book_now

    w = booking_world(travel_to)
    far = f.referral(municipality_number="4621", name="Voss Person", language="nb",
                     settlement=dt.date(2027, 1, 10), deadline=dt.date(2027, 3, 10))
    need = next(n for n in book_now.choices(far).needs if n.type == "individual")
    assert need.options, need.reason
    shown = [(ids.to_local(o.start), o.marks) for o in need.options]
    early = [o for o in need.options if "early_departure" in o.marks]
    assert early and all(ids.to_local(o.start).strftime("%H:%M") == "08:00" for o in early), shown
    day = ids.to_local(early[0].start).date()
    later = [o for o in need.options if ids.to_local(o.start).date() == day and "early_departure" not in o.marks]
    assert later, shown
    assert ids.to_local(later[0].leaves_home).time() >= book_now.EARLY_DEPARTURE
    # The page marks the early ones with the hour.
    f.login(client, w.lead)
    page = client.get(f"/referrals/{far.id}/times").get_data(as_text=True)
    assert page.count('<span class="tag tag-orange">Må dra hjemmefra før kl. 07:00</span>') >= len(early) > 0


def test_with_the_individual_session_booked_the_group_advice_no_longer_says_book_it(client, travel_to):
    """After "Booked: individual guidance ...", the group section still said "Book the individual session now"."""
    w = booking_world(travel_to)
    w.own_referral.needs = ["individual", "group"]
    w.lead.county.group_min_size = w.lead.county.group_max_size = 3
    members = [f.referral(name=f"Member {n}", language="nb", settlement=WINTER + dt.timedelta(days=2)) for n in range(3)]
    db.session.commit()
    f.published_session(w.counsellor, members, type="group", room_name="Grupperom", start=f.oslo(2027, 1, 12, 13))
    f.login(client, w.lead)
    page = html.unescape(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))
    assert "Book den individuelle veiledningen nå" in page   # the one group is full: book the individual one first
    client.post(f"/referrals/{w.own_referral.id}/times", data={"option": _tokens(page)[0]})
    page = html.unescape(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))
    assert "Booket" in page and "Book den individuelle veiledningen nå" not in page
    assert "Neste planforslag lager nye grupper og gir deltakeren plass i en av dem." in page


def test_times_only_far_away_say_that_the_nearest_location_has_none(client, travel_to):
    """Every time offered was at Stord, 86 minutes away; nothing said that Bergen had no free time before the
    deadline, so the lead could not choose knowingly."""
    w = booking_world(travel_to)
    f.centre(town="4621")   # Karrieresenter Voss, where nobody counsels
    voss = f.referral(municipality_number="4621", name="Sara Voss", language="nb", settlement=WINTER + dt.timedelta(days=2))
    f.login(client, w.lead)
    page = html.unescape(client.get(f"/referrals/{voss.id}/times").get_data(as_text=True))
    assert _tokens(page)   # times in Bergen
    assert re.search(r"Ingen tid tilbys på Karrieresenter Voss, det nærmeste kontorstedet \(0 minutter hver vei\)", page)
    # A Bergen participant offered Bergen: nothing to say.
    page = html.unescape(client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True))
    assert "det nærmeste kontorstedet" not in page


def test_the_booking_message_in_english_has_no_norwegian_dot_in_the_date(client, travel_to):
    """"Booked: individual guidance on Thursday 10. December 12:00": the Norwegian pattern in English."""
    w = booking_world(travel_to)
    f.login(client, w.lead, language="en")
    page = client.get(f"/referrals/{w.own_referral.id}/times", headers={"Accept-Language": "en"}).get_data(as_text=True)
    response = client.post(f"/referrals/{w.own_referral.id}/times", data={"option": _tokens(page)[0]}, follow_redirects=True)
    text = html.unescape(response.get_data(as_text=True))
    booked = re.search(r"Booked: [^<]* on (\w+ \d+\.? \w+) \d\d:\d\d", text)
    assert booked and "." not in booked.group(1), booked and booked.group(0)


def test_the_times_offered_keep_to_when_the_referral_says_the_participant_can_come(client, travel_to):
    """The referral says Wednesdays, after 12 (a course in the mornings, Norwegian class the other days): every
    time offered is then, without the lead narrowing anything, and the page says why."""
    w = booking_world(travel_to)
    w.own_referral.can_come_weekdays, w.own_referral.can_come_part = [3], "afternoon"
    db.session.commit()
    f.login(client, w.lead)
    page = client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    offered = _option_times(page)
    assert offered
    assert all(day.startswith("onsdag") and start >= "12:00" for day, start in offered), offered
    assert "Henvisningen sier at deltakeren kan komme onsdag, fra kl. 12" in page


def test_the_lead_sets_when_the_participant_can_come_after_a_phone_call_and_is_told_of_a_session_outside_it(
        client, travel_to):
    """The participant rang: Norwegian class every morning from now on. The lead says so on the referral, the times
    offered keep to it, and the booked session on a morning is named to be moved."""
    w = booking_world(travel_to)
    booked = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 12, 9))   # Tuesday morning
    f.login(client, w.lead)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert f'action="/referrals/{w.own_referral.id}/can-come"' in page
    response = client.post(f"/referrals/{w.own_referral.id}/can-come", data={"can_come_part": "afternoon"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lagret: deltakeren kan komme alle arbeidsdager, fra kl. 12." in page
    assert "Timen tirsdag 12. januar, 09:00 er utenfor disse tidene: flytt den." in page
    assert db.session.get(type(w.own_referral), w.own_referral.id).can_come_part == "afternoon"
    assert booked.status.value == "booked"   # named, not moved
    refused = client.post(f"/referrals/{w.own_referral.id}/can-come", data={"can_come_part": "night"})
    assert "Velg før kl. 12, fra kl. 12 eller hele dagen." in client.get(refused.headers["Location"]).get_data(as_text=True)


def test_a_counsellor_cannot_change_when_the_participant_can_come(client, travel_to):
    w = booking_world(travel_to)
    f.login(client, w.counsellor)
    assert client.post(f"/referrals/{w.own_referral.id}/can-come", data={"can_come_part": "morning"}).status_code in (403, 404)
    assert db.session.get(type(w.own_referral), w.own_referral.id).can_come_part is None


def test_the_times_offered_read_in_date_order_with_the_engines_first_choice_marked(client, travel_to, monkeypatch):
    """Listed in the engine's rank the dates jumped (16, 14, 13 January, 21, 15 December) and the earliest, for an
    urgent deadline, came last; Move lists them by date."""
    from guidance.services import book_now as service

    real = service.choices

    def reversed_rank(*args, **kwargs):
        found = real(*args, **kwargs)
        for need in found.needs:
            need.options.reverse()   # the engine's best placed last in time
        return found

    monkeypatch.setattr(service, "choices", reversed_rank)
    w = booking_world(travel_to)
    f.login(client, w.lead)
    page = client.get(f"/referrals/{w.own_referral.id}/times").get_data(as_text=True)
    months = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
              "november", "desember"]
    shown = []
    for day, start in _option_times(page):
        _weekday, number, month, year = day.replace(".", "").split()
        shown.append((int(year), months.index(month), int(number), start))
    assert len(shown) > 1 and shown == sorted(shown), shown
    assert page.count("Passer best") >= 1
