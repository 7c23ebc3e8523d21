"""The demo shows a quarter in progress: a plan published weeks ago, sessions held since, more ahead.

The demo is seeded as `./scripts/demo` does (`flask seed-demo --if-empty`) on a frozen day, and the
test checks what a newcomer trying outcomes, notes and statistics relies on.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from guidance import clock
from guidance.extensions import db
from guidance.models import (
    AuditEvent,
    BookingStatus,
    CounsellorProfile,
    GuidanceNote,
    InterpreterBooking,
    Notice,
    OutboxMessage,
    Outcome,
    PlanningRun,
    Referral,
    ReferralStatus,
    Role,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.services.calendar import OSLO
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # the demo runs on the embedded SQLite (README)

TODAY = dt.date(2027, 3, 10)  # a Wednesday


@pytest.fixture
def demo(app, travel_to, tmp_path):
    """The demo county seeded on TODAY at 07:30 (Oslo) through the command; (output, password)."""
    travel_to(f.oslo(TODAY.year, TODAY.month, TODAY.day, 7, 30))
    app.instance_path = str(tmp_path)  # the command writes the credentials file there
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty", "--referrals", "60"])
    assert result.exit_code == 0, result.output
    password = re.search(r"lead\s+\S+ / (\S+)", result.output).group(1)
    return result.output, password


def _runs() -> list[PlanningRun]:
    """The published plans, oldest first: the quarter's first plan and last week's."""
    return list(db.session.scalars(select(PlanningRun).where(PlanningRun.published_at.is_not(None))
                                   .order_by(PlanningRun.published_at)))


def _run() -> PlanningRun:
    """Last week's plan: the one the sessions ahead belong to."""
    return _runs()[-1]


def _run_ids() -> list[int]:
    return [run.id for run in _runs()]


def _local_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(OSLO).date()


def _login(client, email: str, password: str):
    """Both steps of the login: the password, then the code a lead or admin types from their app."""
    f.login(client, f.user_by_email(email), password)


def _the_published_plan_began_weeks_ago_and_goes_on_after_today(app, demo):
    first, last = _runs()
    published = _local_day(first.published_at)
    assert dt.timedelta(weeks=5) <= TODAY - published <= dt.timedelta(weeks=6)
    assert dt.timedelta(days=5) <= TODAY - _local_day(last.published_at) <= dt.timedelta(days=9)  # last week's
    sessions = db.session.scalars(select(Session).where(Session.run_id == first.id)).all()
    starts = sorted(_local_day(s.start) for s in sessions)
    assert starts[0] > published  # after the publish day (its minimum notice) ...
    assert TODAY - starts[0] >= dt.timedelta(weeks=4)  # ... and weeks before today
    live = db.session.scalars(select(Session).where(Session.run_id.in_(_run_ids()), Session.status.in_(
        (SessionStatus.BOOKED, SessionStatus.COMPLETED)))).all()
    held = [s for s in live if _local_day(s.start) < TODAY]
    ahead = [s for s in live if _local_day(s.start) >= TODAY]
    assert len(held) >= 30
    # Last week's plan kept the first plan's sessions and booked the referrals that had come since: the
    # coming days are as full as a county that plans every week or two (the first plan alone left one
    # session on some days).
    assert all(s.run_id == last.id and s.status is SessionStatus.BOOKED for s in ahead)
    assert all(sp.outcome is None for s in ahead for sp in s.participants)
    coming = Counter(_local_day(s.start) for s in ahead)
    this_week = [TODAY + dt.timedelta(days=n) for n in range(3)]  # Wednesday to Friday
    assert len(ahead) >= 40 and coming[TODAY] >= 3 and sum(coming[day] for day in this_week) >= 20, coming
    _assert_keeps_the_planning_rules(last)


def _held_sessions_have_outcomes_of_each_kind_and_new_referrals_wait(app, demo):
    run = _run()
    outcomes = dict(db.session.execute(
        select(SessionParticipant.outcome, func.count()).join(Session, Session.id == SessionParticipant.session_id)
        .where(Session.run_id.in_(_run_ids()), SessionParticipant.outcome.is_not(None))
        .group_by(SessionParticipant.outcome)).all())
    assert outcomes[Outcome.ATTENDED] > outcomes.get(Outcome.NO_SHOW, 0) >= 1
    assert outcomes[Outcome.ATTENDED] >= 0.7 * sum(outcomes.values())
    completed = db.session.scalars(select(Session).where(Session.run_id.in_(_run_ids()),
                                                        Session.status == SessionStatus.COMPLETED)).all()
    assert completed and all(_local_day(s.start) < TODAY for s in completed)
    # Follow-ups asked for before last week's plan were booked by it; those asked for since wait.
    follow_ups = db.session.scalars(select(Referral).where(Referral.follow_up_of_id.is_not(None))).all()
    in_last_plan = set(db.session.scalars(select(SessionParticipant.referral_id).join(Session).where(
        Session.run_id == run.id)))
    assert follow_ups and all(r.status is ReferralStatus.RECEIVED or r.id in in_last_plan for r in follow_ups)
    assert any(r.id in in_last_plan for r in follow_ups)
    assert all(r.earliest_date <= TODAY + dt.timedelta(weeks=1) for r in follow_ups
               if r.status is ReferralStatus.RECEIVED)
    # No-shows wait for a new session with the same counsellor (those before last week's plan it booked again).
    no_shows = db.session.scalars(select(Referral).where(Referral.status == ReferralStatus.NO_SHOW)).all()
    assert all(r.preferred_counsellor_id is not None for r in no_shows)
    # Referrals that arrived after last week's plan was made wait unplanned ("Find a time" has work to do).
    planned = select(SessionParticipant.referral_id)
    waiting = db.session.scalars(select(Referral).where(Referral.status == ReferralStatus.RECEIVED,
                                                        Referral.follow_up_of_id.is_(None),
                                                        Referral.id.not_in(planned))).all()
    assert len(waiting) >= 5
    assert all(r.created_at > run.created_at for r in waiting)
    # ... a few on each working day since, never before the settlement nor after now: the lead's "new
    # referrals" and the dashboard's "received" read as a stream, not as everything arriving today.
    days = Counter(_local_day(r.created_at) for r in waiting)
    assert len(days) >= 3 and max(days.values()) <= len(waiting) // 2, days
    assert all(r.settlement_date <= _local_day(r.created_at) and r.created_at <= clock.now() for r in waiting)
    in_run = db.session.scalars(select(Referral).where(Referral.id.in_(planned))).all()
    assert all(r.created_at < run.created_at for r in in_run if r.follow_up_of_id is None)


def _notes_are_shared_with_the_municipality_and_the_counsellor_has_sessions_ahead(app, client, demo):
    _output, password = demo
    notes = db.session.scalars(select(GuidanceNote)).all()
    shared = [n for n in notes if n.status == "shared"]
    assert len(shared) >= 5 and any(n.status == "draft" for n in notes)
    assert all(_local_day(n.shared_at) < TODAY for n in shared)
    referrer = db.session.scalar(select(User).where(User.role == Role.REFERRER))
    own = [n for n in shared if n.referral.referring_municipality_id == referrer.municipality_id]
    assert own, "the demo referrer's municipality has shared notes to read"
    _login(client, referrer.email, password)
    page = client.get(f"/notes/{own[0].id}")
    assert page.status_code == 200
    assert own[0].goals in page.get_data(as_text=True)
    # The first plan's letters were printed when it was published: what is left to print is last week's.
    from guidance.services import letters

    left, ahead = letters.not_printed_count(referrer.municipality), len(letters.letters_for_municipality(referrer.municipality))
    assert 0 < left < ahead, (left, ahead)
    # The note's e-mail went out back then; the demo keeps no old mail waiting to be sent.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.sent_at.is_(None))) == 0
    # Nor notices waiting for a daily summary: its first one told of changes five weeks old.
    assert db.session.scalar(select(func.count()).select_from(Notice).where(Notice.dispatched_at.is_(None))) == 0
    client.post("/logout")
    # The counsellor's week shows their booked sessions ahead.
    run = _run()
    ahead = db.session.scalars(select(Session).where(Session.run_id == run.id, Session.status == SessionStatus.BOOKED,
                                                     Session.start >= f.oslo(TODAY.year, TODAY.month, TODAY.day, 0))
                               .order_by(Session.start)).all()
    session = ahead[0]
    counsellor = db.session.get(CounsellorProfile, session.counsellor_id).user
    _login(client, counsellor.email, password)
    year, week, _day = _local_day(session.start).isocalendar()
    page = client.get(f"/week/{year}/{week}").get_data(as_text=True)
    assert session.participants[0].referral.reference in page
    assert session.start.astimezone(OSLO).strftime("%H:%M") in page
    client.post("/logout")
    # The demo's counsellor (printed with the credentials) is one with sessions: their home is not empty.
    demo_counsellor = re.search(r"counsellor\s+(\S+) / ", demo[0]).group(1)
    _login(client, demo_counsellor, password)
    home = client.get("/").get_data(as_text=True)
    assert "/week/sessions/" in home
    client.post("/logout")
    demo_interpreter = re.search(r"interpreter\s+(\S+) / ", demo[0]).group(1)
    _login(client, demo_interpreter, password)
    assert re.search(r'href="/bookings/\d+"', client.get("/").get_data(as_text=True))


def _interpreter_requests_are_answered_replaced_and_invoiced_and_a_second_seed_changes_nothing(app, client, demo):
    output, password = demo
    runs = _runs()
    bookings = db.session.scalars(select(InterpreterBooking).join(Session)
                                  .where(Session.run_id.in_(_run_ids()))).all()
    assert bookings and not [b for b in bookings if b.status is BookingStatus.REQUESTED]
    declined = [b for b in bookings if b.status is BookingStatus.DECLINED]
    assert len(declined) >= 2 and all(b.decline_reason for b in declined)
    replaced = [b for b in declined if any(o.status is BookingStatus.ACCEPTED for o in b.session.bookings)]
    assert replaced and all(o.interpreter_id != b.interpreter_id for b in replaced for o in b.session.bookings
                            if o.status is BookingStatus.ACCEPTED)
    invoiced = [b for b in bookings if b.actual_minutes is not None]
    assert invoiced and all(_local_day(b.session.start) < TODAY and b.actual_cost_ore for b in invoiced)
    # Answers came after the publication that asked and before each answer deadline.
    for b in bookings:
        if b.answered_at is not None:
            assert runs[0].published_at < b.answered_at <= b.answer_deadline
    # One declined request for a session ahead still waits for a replacement: the lead's home lists it.
    waiting = [b for b in declined if _local_day(b.session.start) > TODAY and b.session.status is SessionStatus.BOOKED
               and not any(o.status is BookingStatus.ACCEPTED for o in b.session.bookings)]
    assert waiting
    lead = db.session.scalar(select(User).where(User.role == Role.LEAD))
    _login(client, lead.email, password)
    home = client.get("/").get_data(as_text=True)
    assert f"#booking-{waiting[0].id}" in home
    # The letters of the quarter's bookings whom no referrer tells went out when each plan was published:
    # the home does not open on fifty participants to tell (their tasks are there, marked told).
    assert 'id="today-to-tell"' not in home
    from guidance.models import ParticipantToTell

    tasks = db.session.scalars(select(ParticipantToTell)).all()
    assert tasks and all(t.told_at is not None and t.told_by_id == lead.id for t in tasks)
    # `./scripts/demo` seeds on every start: the second time changes nothing.
    before = _counts()
    again = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0
    assert again.output.strip() == output.strip()  # the same credentials, read back
    db.session.expire_all()
    assert _counts() == before


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Referral, Session, SessionParticipant, InterpreterBooking, GuidanceNote, PlanningRun,
                          OutboxMessage, AuditEvent, User)}


def _assert_keeps_the_planning_rules(run: PlanningRun) -> None:
    """Every published session, as it is now (replacement interpreters too), against the run's data."""
    from solver.check import check_plan

    from guidance.planning.store import plan_from_sessions

    sessions = db.session.scalars(select(Session).where(
        Session.run_id == run.id, Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED)))).all()
    unscheduled = json.loads(run.plan_json)["unscheduled"]
    result = check_plan(json.loads(run.instance_json), plan_from_sessions(sessions, unscheduled=unscheduled))
    assert not result.violations, [v.message for v in result.violations][:5]


def test_the_demo_opens_on_a_quarter_in_progress(app, demo):
    """One seed (10-30 s of planning) checked for everything a newcomer relies on, in the order they look."""
    _the_published_plan_began_weeks_ago_and_goes_on_after_today(app, demo)
    _held_sessions_have_outcomes_of_each_kind_and_new_referrals_wait(app, demo)
    _notes_are_shared_with_the_municipality_and_the_counsellor_has_sessions_ahead(app, app.test_client(), demo)
    _no_two_people_share_a_name(app, demo)
    _interpreter_requests_are_answered_replaced_and_invoiced_and_a_second_seed_changes_nothing(
        app, app.test_client(), demo)


def _no_two_people_share_a_name(app, demo):
    # Two "Dawit Gebremedhin" in the queue, or a participant named like an interpreter, confuse anyone
    # trying the demo: the seeded county (the quarter's arrivals and today's referrals) names each
    # person once across participants, counsellors and interpreters.
    from guidance.models import Participant

    county = db.session.scalar(select(PlanningRun)).county
    people = list(db.session.scalars(select(Participant.name).join(Referral, Referral.participant_id == Participant.id)
                                     .where(Referral.county_id == county.id, Referral.follow_up_of_id.is_(None))))
    staff = list(db.session.scalars(select(User.name).where(User.county_id == county.id)))
    assert len(people) > 100
    assert [n for n, c in Counter(people + staff).items() if c > 1] == []
