"""The demo's quarter in progress: what a county's last five or six weeks would really have left.

`build(county, today=...)` runs on a demo county that has places, people and the referrals waiting
now (`services.demo.seed_demo`). It moves the app's one clock back and lets the app's own services
do what the lead, interpreters and counsellors would have done since then:

1. referrals arrive in the weeks before the publish day (about five and a half weeks ago);
2. the lead starts a planning run that morning, the planning engine solves it, the lead publishes it
   and sets the interpreter budget of the months it covers;
3. interpreters answer their requests (a few decline; the lead books a replacement, who accepts);
4. each session up to the next plan is held: outcomes recorded (most attended, some no-shows and late
   cancellations, a few follow-ups asked for), interpreters' actual minutes entered for the invoice,
   guidance notes written for many of the attended, some of them shared with the municipality;
5. last week (REPLANNED_DAYS_AGO) the lead plans again: the published sessions are kept, and the
   referrals that had arrived by then, the follow-ups and the no-shows are booked around them; the
   interpreters answer, and the sessions up to yesterday are held as in 4.

Sessions from today on stay booked: the counsellors' weeks, the lead's day plan and the referrers'
letters have this week's and the coming weeks' sessions, as in a county that plans every week or
two. The referrals that were already in the database (the ones `seed_demo` made) arrived after the
first publish day: those that arrived after last week's plan wait unplanned. Everything comes from a random generator seeded by the county
and today, so the same day gives the same quarter (the solver is deterministic too, unless the wall
clock cuts its search short on a very loaded machine).

The messages the services write (invitations, note notices) are marked sent when they were written:
in the real quarter they would have gone out then, and the demo must not send five weeks of old
e-mails when someone configures a mail server.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import case, func, select, update

from guidance import clock
from guidance.extensions import db
from guidance.models import (
    OPEN_STATUSES,
    BookingStatus,
    County,
    CounsellorProfile,
    InterpreterBooking,
    InterpreterProfile,
    LegalBasis,
    Notice,
    OutboxMessage,
    Outcome,
    Participant,
    ParticipantToTell,
    PlanningRun,
    Referral,
    ReferralStatus,
    Role,
    RunStatus,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.planning import ids
from guidance.rules.deadlines import effective_deadline, is_working_day
from guidance.services.referral_reference import new_reference

PUBLISHED_DAYS_AGO = 38  # about five and a half weeks: the publish day is the working day on or before
REPLANNED_DAYS_AGO = 6  # last week's plan (the working day on or before): only later referrals wait
ARRIVALS = 80  # referrals that arrived in the five weeks before the publish day
SOLVE_SECONDS = 8  # the planning engine's time budget (the demo's first start waits for it)
ATTENDED, NO_SHOW, CANCELLED_LATE = 0.86, 0.10, 0.04
FOLLOW_UP_SHARE = 0.12  # of the attended: the counsellor asks for a follow-up session
NOTE_SHARE = 0.7  # of the attended: a guidance note is written ...
SHARED_SHARE = 0.55  # ... and of those, shared with the municipality
DECLINES = 4  # interpreter requests declined and replaced
DECLINED_AHEAD = 1  # a request for a session ahead declined and not yet replaced (the lead's home shows it)
INVOICED_SHARE = 0.8  # accepted bookings of held sessions with the actual minutes entered
UNRECORDED_YESTERDAY = 2  # sessions of yesterday still waiting for their outcome (the lead's home shows them)
MONTHLY_BUDGET_NOK = 160000  # the interpreter budget the lead set for each month (a county of this size; the backlog still tests it)

NOTES = {
    "nn": [
        ("Vil ta fagbrev som helsefagarbeidar og arbeide på sjukeheim.",
         "Har arbeidd fem år i omsorgsyrke i heimlandet. Går på norskopplæring, nivå A2.",
         "Kontakt med vidaregåande skule om vaksenopplæring. Søkje praksisplass i kommunen.", True),
        ("Ønskjer å bruke utdanninga si som ingeniør i Noreg.",
         "Mastergrad i elektroteknikk. Har ikkje fått utdanninga godkjend enno.",
         "Søkje godkjenning hos HK-dir. Melde seg på norskkurs B1 og nettverksmøte for ingeniørar.", False),
        ("Vil starte eiga verksemd innan matservering.",
         "Dreiv restaurant i ti år. Treng kunnskap om norske reglar og rekneskap.",
         "Etablerarkurs i kommunen. Avtale med Innovasjon Noreg sin rettleiar.", True),
        ("Vil fullføre vidaregåande skule og søkje sjukepleiarutdanning.",
         "Har tolv års skulegang. Sterk motivasjon, treng meir norsk og matematikk.",
         "Søkje grunnskule for vaksne i matematikk. Ny samtale om studieval til våren.", True),
    ],
    "nb": [
        ("Vil ta fagbrev som helsefagarbeider og jobbe på sykehjem.",
         "Har jobbet fem år i omsorgsyrke i hjemlandet. Går på norskopplæring, nivå A2.",
         "Kontakt med videregående skole om voksenopplæring. Søke praksisplass i kommunen.", True),
        ("Ønsker å bruke utdannelsen sin som ingeniør i Norge.",
         "Mastergrad i elektroteknikk. Har ikke fått utdanningen godkjent ennå.",
         "Søke godkjenning hos HK-dir. Melde seg på norskkurs B1 og nettverksmøte for ingeniører.", False),
        ("Vil starte egen virksomhet innen matservering.",
         "Drev restaurant i ti år. Trenger kunnskap om norske regler og regnskap.",
         "Etablererkurs i kommunen. Avtale med Innovasjon Norges veileder.", True),
        ("Vil fullføre videregående skole og søke sykepleierutdanning.",
         "Har tolv års skolegang. Sterk motivasjon, trenger mer norsk og matematikk.",
         "Søke grunnskole for voksne i matematikk. Ny samtale om studievalg til våren.", True),
    ],
}
DECLINE_REASONS = ["Oppteken med eit anna oppdrag den dagen.", "Kan ikkje den veka.", "Har ferie då."]


@dataclass
class Quarter:
    """What was built, for the seed command's summary."""

    run: PlanningRun | None = None
    arrived: int = 0
    sessions: int = 0
    held: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    follow_ups: int = 0
    notes: int = 0
    shared: int = 0
    declined: int = 0
    invoiced: int = 0
    followed_up: set[int] = field(default_factory=set)  # referrals already asked a follow-up for (once each)
    noted: set[int] = field(default_factory=set)  # referrals with a guidance note written
    # the counsellor with most sessions ahead (then in all) in the plan: the demo's counsellor, whose home
    # has something on it
    busiest_counsellor_email: str | None = None
    busiest_interpreter_email: str | None = None  # likewise the demo's interpreter


def publish_day(today: dt.date, days_ago: int = PUBLISHED_DAYS_AGO) -> dt.date:
    day = today - dt.timedelta(days=days_ago)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An Oslo wall-clock time on `day` as an aware UTC instant."""
    return ids.to_utc(dt.datetime.combine(day, dt.time(hour, minute)))


def _referred_by_the_advisers(county: County) -> None:
    """A municipality with one programme adviser in the demo sent its referrals through them, so the
    participant's letter names someone to call or write to, as a real referral's does."""
    advisers = {}
    for user in db.session.scalars(select(User).where(User.role == Role.REFERRER, User.active.is_(True))):
        advisers.setdefault(user.municipality_id, []).append(user)
    for referral in db.session.scalars(select(Referral).where(Referral.county_id == county.id,
                                                              Referral.referred_by_id.is_(None))):
        found = advisers.get(referral.referring_municipality_id, [])
        if len(found) == 1:
            referral.referred_by = found[0]
    db.session.commit()


def build(county: County, *, today: dt.date | None = None, seed: int = 2026) -> Quarter:
    """Give the demo county a published plan of some weeks ago and what happened since; once per
    county (a county that already has a published run is left as it is)."""
    today = today or clock.today()
    if db.session.scalar(select(PlanningRun.id).where(PlanningRun.county_id == county.id,
                                                     PlanningRun.published_at.is_not(None)).limit(1)) is not None:
        return Quarter()
    lead = db.session.scalar(select(User).where(User.role == Role.LEAD, User.county_id == county.id,
                                                User.active.is_(True)).order_by(User.id).limit(1))
    if lead is None:
        raise ValueError(f"county {county.name} has no centre lead to plan with")
    rng = random.Random(f"{seed}-{county.number}-{today.isoformat()}")
    quarter = Quarter()
    published_on = publish_day(today)
    replanned_on = publish_day(today, REPLANNED_DAYS_AGO)
    started_at = clock.now()
    later = _hide_later_referrals(county)
    try:
        quarter.arrived = _arrivals(rng, county, published_on)
        first = _plan_and_publish(lead, published_on)
    finally:
        _restore(later)
    _set_budgets(lead, published_on)
    _letters_printed(first, published_on)
    _answer_requests(rng, lead, quarter, first, published_on, today, leave_declined=0)
    _hold_sessions(rng, lead, quarter, first, replanned_on, leave_unrecorded=False)
    # Last week's plan: the published sessions stay, the referrals that had arrived are booked around them.
    later = _hide_later_referrals(county, arrived_from=at(replanned_on, 8, 30))
    try:
        quarter.run = _plan_and_publish(lead, replanned_on, keep_published=True)
    finally:
        _restore(later)
    _letters_printed(quarter.run, replanned_on, within=dt.timedelta(weeks=2))
    _answer_requests(rng, lead, quarter, quarter.run, replanned_on, today, leave_declined=DECLINED_AHEAD)
    _hold_sessions(rng, lead, quarter, quarter.run, today, leave_unrecorded=True)
    _mark_sent(started_at)
    _referred_by_the_advisers(county)
    quarter.sessions = db.session.scalar(select(func.count()).select_from(Session).where(
        Session.run_id.in_((first.id, quarter.run.id)),
        Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED))))
    ahead = func.sum(case((Session.start >= clock.now(), 1), else_=0))  # sessions still to come count first
    quarter.busiest_counsellor_email = db.session.scalar(
        select(User.email).join(CounsellorProfile, CounsellorProfile.user_id == User.id)
        .join(Session, Session.counsellor_id == CounsellorProfile.id)
        .where(Session.run_id == quarter.run.id, Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED)))
        .group_by(User.email).order_by(ahead.desc(), func.count(Session.id).desc(), User.email).limit(1))
    quarter.busiest_interpreter_email = db.session.scalar(
        select(User.email).join(InterpreterProfile, InterpreterProfile.user_id == User.id)
        .join(InterpreterBooking, InterpreterBooking.interpreter_id == InterpreterProfile.id)
        .join(Session, Session.id == InterpreterBooking.session_id)
        # Only bookings the interpreter still has (asked or accepted): a declined or cancelled one is not on their home.
        .where(Session.run_id == quarter.run.id, Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED)),
               InterpreterBooking.status.in_((BookingStatus.REQUESTED, BookingStatus.ACCEPTED)))
        .group_by(User.email).order_by(ahead.desc(), func.count(InterpreterBooking.id).desc(), User.email).limit(1))
    return quarter


# -------------------------------------------------------------------- before the publish day

def _hide_later_referrals(county: County, arrived_from: dt.datetime | None = None) -> dict[int, ReferralStatus]:
    """The referrals already waiting arrived after the publish day: keep them out of that run (with
    `arrived_from`, only those that arrived from then on).

    They are set aside (a status the planner leaves out) only while the run is made and
    published, and put back as they were afterwards, so nothing about them changes."""
    clauses = [Referral.county_id == county.id, Referral.status.in_(OPEN_STATUSES)]
    if arrived_from is not None:
        clauses.append(Referral.created_at >= arrived_from)
    later = dict(db.session.execute(select(Referral.id, Referral.status).where(*clauses)).all())
    if later:
        db.session.execute(update(Referral).where(Referral.id.in_(later)).values(status=ReferralStatus.WITHDRAWN)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return later


def _restore(later: dict[int, ReferralStatus]) -> None:
    db.session.rollback()
    for status in set(later.values()):
        chosen = [rid for rid, s in later.items() if s == status]
        db.session.execute(update(Referral).where(Referral.id.in_(chosen)).values(status=status)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expire_all()


def _arrivals(rng: random.Random, county: County, published_on: dt.date) -> int:
    """Referrals received on the working days of the five weeks before the publish day; each
    arrives at its own time (the clock is moved), so "received" dates and deadlines are as they were."""
    from guidance.services.demo import LANGUAGES, taken_names, unique_name

    towns = sorted(county.municipalities, key=lambda m: -m.population)
    weights = [t.population for t in towns]
    codes, shares = [c for c, *_ in LANGUAGES], [s for _c, s, *_ in LANGUAGES]
    days = [published_on - dt.timedelta(days=n) for n in range(35, 0, -1)]
    days = [d for d in days if is_working_day(d)]
    arrivals = sorted((rng.choice(days), rng.randint(8, 15), rng.choice((0, 15, 30, 45))) for _ in range(ARRIVALS))
    taken = taken_names(county)
    for day, hour, minute in arrivals:
        with clock.moved_to(at(day, hour, minute)):
            town = rng.choices(towns, weights=weights)[0]
            language = rng.choices(codes, weights=shares)[0]
            basis = rng.choices(list(LegalBasis), weights=[0.8, 0.12, 0.08])[0]
            settled = day - dt.timedelta(days=rng.randint(5, 40))
            deadline = effective_deadline(basis, settlement_date=settled, referral_date=day)
            # Some participants can start only later (a course, a job trial): their sessions lie
            # ahead, still well inside the law's deadline.
            earliest = day + dt.timedelta(days=rng.choice([0, 0, 0, 7, 14, 21, 35, 45, 50, 55, 60]))
            if deadline is not None:
                earliest = max(day, min(earliest, deadline - dt.timedelta(days=21)))
            participant = Participant(
                name=unique_name(rng, language, taken),
                phone=f"+47 9{rng.randint(0, 9)}{rng.randint(0, 9)} {rng.randint(10, 99)} {rng.randint(100, 999)}",
                municipality=town, language=language, needs_interpreter=rng.random() < 0.92,
                video_ok=rng.random() < 0.15)
            needs = ["individual", "group"] if basis is not LegalBasis.ORDINARY else ["individual"]
            db.session.add(Referral(reference=new_reference(), participant=participant, county=county,
                                    referring_municipality=town, legal_basis=basis, settlement_date=settled,
                                    needs=needs, earliest_date=earliest, deadline=deadline,
                                    status=ReferralStatus.RECEIVED))
            db.session.commit()
    return len(arrivals)


def _plan_and_publish(lead: User, published_on: dt.date, keep_published: bool = False) -> PlanningRun:
    """The lead starts a run on the publish day's morning; the planning engine solves it (in this
    process's child, as the queue would); the lead reviews and publishes it an hour later.
    `keep_published`: the planning page's default, every published session kept as it is."""
    from guidance.planning.runner import execute_run
    from guidance.services import planning as planning_service

    with clock.moved_to(at(published_on, 8, 30)):
        keep = planning_service.repair_keep_until(lead.county, published_on) if keep_published else None
        run = planning_service.start_run(lead, time_limit=planning_service.MIN_SECONDS, today=published_on,
                                         keep_until=keep, enqueue=lambda run_id: None)
        run.time_limit_seconds = SOLVE_SECONDS
        db.session.commit()
        execute_run(run.id)
    db.session.expire_all()
    run = db.session.get(PlanningRun, run.id)
    if run.status is not RunStatus.SUCCEEDED:
        raise RuntimeError(f"the demo's planning run ended {run.status.value}: {run.message}")
    with clock.moved_to(at(published_on, 9, 45)):
        planning_service.publish_run(lead, run, confirm_over_budget=True)   # the demo sets its budgets around its plans
    return db.session.get(PlanningRun, run.id)


def _set_budgets(lead: User, published_on: dt.date) -> None:
    """With the plan published, the lead sets the interpreter budget of the months it covers."""
    from guidance.services import statistics

    month = published_on.replace(day=1)
    with clock.moved_to(at(published_on, 10, 15)):
        for _ in range(4):
            statistics.set_budget(lead, month, MONTHLY_BUDGET_NOK)
            month = (month + dt.timedelta(days=32)).replace(day=1)


# -------------------------------------------------------------------- after the publish day

def _requests(run: PlanningRun) -> list[InterpreterBooking]:
    return list(db.session.scalars(
        select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
        .where(Session.run_id == run.id, InterpreterBooking.status == BookingStatus.REQUESTED)
        .order_by(Session.start, InterpreterBooking.id)))


def _answer_requests(rng: random.Random, lead: User, quarter: Quarter, run: PlanningRun, published_on: dt.date,
                     today: dt.date, leave_declined: int) -> None:
    """Interpreters answer within the day; a few decline and the lead asks the first offered
    replacement, who accepts. `leave_declined` declined requests for sessions ahead still wait for the lead."""
    from guidance.services.interpreter_bookings import answers, replacements

    requests = _requests(run)
    if not requests:
        return
    ahead = [b for b in requests if clock.local_date(b.session.start) > today + dt.timedelta(days=2)]
    left_declined = set(b.id for b in rng.sample(ahead, min(leave_declined, len(ahead))))
    others = [b for b in requests if b.id not in left_declined]
    declining = set(b.id for b in rng.sample(others, min(DECLINES, len(others))))
    answered_at = at(published_on, 11)
    for n, booking in enumerate(requests):
        when = min(answered_at + dt.timedelta(minutes=4 * n), booking.answer_deadline - dt.timedelta(minutes=5))
        with clock.moved_to(when):
            interpreter = booking.interpreter.user
            if booking.id in left_declined:  # the lead has not found a replacement yet
                answers.answer(interpreter, booking, False, rng.choice(DECLINE_REASONS))
                quarter.declined += 1
                continue
            if booking.id not in declining:
                answers.answer(interpreter, booking, True)
                continue
            answers.answer(interpreter, booking, False, rng.choice(DECLINE_REASONS))
            quarter.declined += 1
            candidates = replacements.replacement_candidates(booking.session)
            if not candidates:
                continue
            replacement = replacements.rebook(lead, booking, candidates[0].id)
        with clock.moved_to(min(when + dt.timedelta(hours=2), replacement.answer_deadline - dt.timedelta(minutes=5))):
            answers.answer(replacement.interpreter.user, replacement, True)


def _hold_sessions(rng: random.Random, lead: User, quarter: Quarter, run: PlanningRun, until: dt.date,
                   leave_unrecorded: bool) -> None:
    """Every booked session of `run` before `until` is held: outcomes, follow-ups, actual minutes, notes.
    `leave_unrecorded`: a few of the last days' sessions wait for their outcome (the lead's home shows them)."""
    from guidance.services import notes, outcomes
    from guidance.services.interpreter_bookings import costs
    from guidance.services.today import outcome_window

    past = list(db.session.scalars(
        select(Session).where(Session.run_id == run.id, Session.status == SessionStatus.BOOKED,
                              Session.start < at(until, 0)).order_by(Session.start, Session.id)))
    first, last = outcome_window(until)
    recent = [s for s in past if first <= clock.local_date(s.start) <= last] if leave_unrecorded else []
    unrecorded = {s.id for s in rng.sample(recent, min(UNRECORDED_YESTERDAY, len(recent)))}
    followed_up = quarter.followed_up
    noted = quarter.noted
    language_form = "nn" if getattr(run.county, "language_form", "nb") == "nn" else "nb"
    for session in past:
        if session.id in unrecorded:
            continue
        counsellor = db.session.get(CounsellorProfile, session.counsellor_id).user
        with clock.moved_to(session.end + dt.timedelta(minutes=20)):
            chosen = {sp.referral_id: rng.choices([Outcome.ATTENDED, Outcome.NO_SHOW, Outcome.CANCELLED_LATE],
                                                  weights=[ATTENDED, NO_SHOW, CANCELLED_LATE])[0]
                      for sp in session.participants}
            outcomes.record_outcomes(counsellor, session, chosen)
            quarter.held += 1
            for outcome in chosen.values():
                quarter.outcomes[outcome.value] = quarter.outcomes.get(outcome.value, 0) + 1
        attended = [rid for rid, o in chosen.items() if o is Outcome.ATTENDED]
        with clock.moved_to(session.end + dt.timedelta(minutes=40)):
            for referral_id in attended:
                if referral_id not in followed_up and rng.random() < FOLLOW_UP_SHARE:
                    followed_up.add(referral_id)
                    referral = db.session.get(Referral, referral_id)
                    outcomes.request_follow_up(counsellor, session, referral, rng.choice([4, 6, 8]))
                    quarter.follow_ups += 1
        booking = next((b for b in session.bookings if b.status is BookingStatus.ACCEPTED), None)
        if booking is not None and rng.random() < INVOICED_SHARE:
            with clock.moved_to(session.end + dt.timedelta(hours=3)):
                minutes = int((session.end - session.start).total_seconds() // 60) + rng.choice([0, 0, 0, 15, 30])
                costs.record_actual_minutes(lead, booking, minutes)
                quarter.invoiced += 1
        with clock.moved_to(session.end + dt.timedelta(hours=2)):
            for referral_id in attended:
                if referral_id in noted or rng.random() >= NOTE_SHARE:
                    continue
                noted.add(referral_id)
                referral = db.session.get(Referral, referral_id)
                goals, background, next_steps, further = rng.choice(NOTES[language_form])
                data = notes.NoteInput(goals=goals, background=background, next_steps=next_steps,
                                       further_guidance=further)
                if rng.random() < SHARED_SHARE:
                    notes.share(counsellor, referral, data)
                    quarter.shared += 1
                else:
                    notes.save_draft(counsellor, referral, data)
                quarter.notes += 1


def _letters_printed(run: PlanningRun, published_on: dt.date, within: dt.timedelta | None = None) -> None:
    """The referrers printed each plan's letters the day it was published (a letter already printed is kept once):
    what is left to print is what changed since, as in a county that has used Veiled for a quarter. `within`: only
    the sessions that soon after the publish day (a referrer prints a few weeks ahead; the rest wait on the home)."""
    from guidance.services import letters

    rows = db.session.execute(
        select(SessionParticipant.referral_id, Session.uid, Session.start)
        .join(Session, Session.id == SessionParticipant.session_id)
        .where(Session.run_id == run.id, Session.status == SessionStatus.BOOKED,
               *([Session.start < at(published_on, 0) + within] if within else []))).all()
    letters.record_printed((tuple(row) for row in rows), at=at(published_on, 14))
    db.session.commit()


def _mark_sent(since: dt.datetime) -> None:
    """The e-mails of the quarter went out when they were written, and so did the notices waiting for
    a daily summary (else the demo's first summary told referrers of changes five weeks old)."""
    # Nothing was superseded: each went out before the next about its session was written (a request
    # before the interpreter declined it and its calendar entry was taken out again).
    db.session.execute(update(OutboxMessage).where(OutboxMessage.sent_at.is_(None),
                                                   OutboxMessage.created_at < since)
                       .values(sent_at=OutboxMessage.created_at, superseded_by_id=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Notice).where(Notice.dispatched_at.is_(None), Notice.created_at < since)
                       .values(dispatched_at=Notice.created_at).execution_options(synchronize_session=False))
    # The lead sent the letters of the participants whom no referrer tells the day each plan was published.
    lead = select(User.id).where(User.role == Role.LEAD, User.county_id == ParticipantToTell.county_id) \
        .order_by(User.id).limit(1).scalar_subquery()
    db.session.execute(update(ParticipantToTell).where(ParticipantToTell.told_at.is_(None),
                                                       ParticipantToTell.created_at < since)
                       .values(told_at=ParticipantToTell.created_at, told_by_id=lead)
                       .execution_options(synchronize_session=False))
    db.session.commit()
