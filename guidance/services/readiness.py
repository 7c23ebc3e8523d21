"""Readiness before planning, and published sessions that a change has broken (issue 21, items 4-5).

`check(county)` lists what stops the county's next plan, in the lead's words, each with the page
that fixes it: a language of open referrals that no interpreter or counsellor speaks; a location
without rooms or opening hours; a counsellor without hours or locations; integration-act referrals
with no counsellor trained to take them; a municipality with referrals beyond the travel limit of
every location. A few queries at county scale: the open referrals are counted by their columns
(no referral is loaded as an object).

`broken_sessions(county, ...)` lists the published sessions still ahead that no longer fit the data
(a location or room deactivated, a location's or counsellor's hours or locations changed, an
interpreter's language removed); the pages that save such changes show them with the absence flow's
re-plan offer.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from babel.dates import format_date
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from guidance import clock
from guidance.extensions import db
from guidance.labels import INTERPRETER_MODE
from guidance.languages import language_name
from guidance.models import (
    OPEN_STATUSES,
    CareerCentre,
    County,
    CounsellorProfile,
    InterpreterProfile,
    LegalBasis,
    Location,
    Municipality,
    Participant,
    PlanningRun,
    Referral,
    Role,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.planning import ids
from guidance.planning.instance import InstanceOptions, travel_minutes, usable_modes
from guidance.rules.access import COUNSELLING_ROLES
from guidance.rules.opening import closed_days, has_hours, open_days
from guidance.rules.readiness import covers, days_with_time, location_open, register_check_due

# Legal bases whose participants need a counsellor with multicultural training (the planner's rule 4).
NEEDS_TRAINING = (LegalBasis.INTEGRATION_ACT, LegalBasis.TEMPORARY_ACT)
SHOWN_ON_HOME = 3


@dataclass
class Problem:
    """One thing to fix before planning; `blocking` ones stop a planning run."""

    kind: str  # language | location_rooms | location_hours | counsellor_hours | counsellor_locations
    #            | counsellor_days | training | travel | no_location | no_counsellor | interpreter_phone
    #            | interpreter_register | training_location | centre_contact
    text: str
    link_text: str
    endpoint: str
    values: dict = field(default_factory=dict)
    blocking: bool = False


@dataclass
class Readiness:
    problems: list[Problem]
    open_referrals: int

    @property
    def blockers(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]


def _locale() -> str:
    return str(get_locale() or "nb")[:2]


def check(county: County) -> Readiness:
    """Everything that stops or narrows the county's next plan, blockers first."""
    options = InstanceOptions(today=clock.today())
    start, end = options.horizon_start, options.horizon_end
    closed = closed_days(county, start, end)
    groups = _open_referral_groups(county)
    open_count = sum(g[-1] for g in groups)
    problems: list[Problem] = []

    locations = list(db.session.scalars(
        select(Location).join(CareerCentre, CareerCentre.id == Location.centre_id)
        .where(CareerCentre.county_id == county.id, Location.active.is_(True))
        .options(selectinload(Location.rooms), selectinload(Location.municipality), selectinload(Location.centre))
        .order_by(Location.name, Location.id)))
    usable: list[Location] = []
    open_by_location: dict[int, list[dt.date]] = {}
    shortest = min(county.individual_minutes or 90, county.group_minutes or 90)
    for loc in locations:
        days = open_by_location[loc.id] = open_days(loc, start, end, closed)
        has_room = any(r.active for r in loc.rooms)
        open_hours = bool(days) and has_hours(loc.weekly_hours or {}, {d.isoweekday() for d in days})
        if not has_room:
            problems.append(Problem("location_rooms", _("%(location)s has no room in use.", location=loc.name),
                                    _("Add a room to %(location)s", location=loc.name), "setup.location",
                                    {"location_id": loc.id}))
        if not open_hours:
            problems.append(Problem("location_hours",
                                    _("%(location)s has no opening hours in the next %(weeks)d weeks.",
                                      location=loc.name, weeks=options.horizon_weeks),
                                    _("Set the opening hours of %(location)s", location=loc.name), "setup.location",
                                    {"location_id": loc.id}))
        if has_room and open_hours:
            usable.append(loc)
    if not usable:
        problems.append(Problem("no_location", _("No location has both a room and opening hours, so no session "
                                                  "can be planned."),
                                _("Set up a location"), "setup.county", {"county_id": county.id},
                                blocking=open_count > 0))
    usable_ids = {loc.id for loc in usable}
    # Letters print the centre's phone under its name, and referrers' pages say "contact the career centre".
    for centre in sorted({loc.centre for loc in locations if loc.centre is not None}, key=lambda c: c.name):
        if not centre.phone:
            problems.append(Problem("centre_contact", _(
                "%(centre)s has no phone number: participants' letters and the referrers' pages give the centre's "
                "number to call.", centre=centre.name), _("Add the phone number of %(centre)s", centre=centre.name),
                "setup.centre", {"centre_id": centre.id}))

    counsellors = list(db.session.scalars(
        select(CounsellorProfile).join(User, User.id == CounsellorProfile.user_id)
        .where(User.county_id == county.id, User.active.is_(True), User.role.in_(COUNSELLING_ROLES),
               CounsellorProfile.active.is_(True))
        .options(selectinload(CounsellorProfile.locations), selectinload(CounsellorProfile.user))
        .order_by(User.name, CounsellorProfile.id)))
    counsellors = [p for p in counsellors if not (p.employment_end and p.employment_end < start)
                   and not (p.employment_start and p.employment_start > end)]
    working: list[CounsellorProfile] = []
    for p in counsellors:
        has_weekly = any((p.weekly or {}).values())
        has_location = any(loc.id in usable_ids for loc in p.locations)
        if not has_weekly:
            problems.append(Problem("counsellor_hours", _("%(name)s has no working hours.", name=p.user.name),
                                    _("Set the working hours of %(name)s", name=p.user.name),
                                    "people.edit_counsellor", {"counsellor_id": p.id}))
        if not has_location:
            problems.append(Problem("counsellor_locations",
                                    _("%(name)s works at no location that is open and has a room.", name=p.user.name),
                                    _("Choose the locations of %(name)s", name=p.user.name),
                                    "people.edit_counsellor", {"counsellor_id": p.id}))
        if has_weekly and has_location and not any(
                days_with_time(p.weekly, loc, open_by_location[loc.id], shortest)
                for loc in p.locations if loc.id in usable_ids):
            problems.append(Problem("counsellor_days", _(
                "%(name)s never works when their locations are open (%(locations)s) in the next %(weeks)d weeks, "
                "so plans give them no sessions.", name=p.user.name,
                locations=", ".join(loc.name for loc in p.locations if loc.id in usable_ids),
                weeks=options.horizon_weeks),
                _("Check the working hours and locations of %(name)s", name=p.user.name),
                "people.edit_counsellor", {"counsellor_id": p.id}))
        elif has_weekly and has_location:
            working.append(p)
    people_args = {"county": county.number}
    if not working:
        problems.append(Problem("no_counsellor", _("No counsellor has both working hours and a location, so no "
                                                    "session can be planned."),
                                _("Set up the counsellors"), "people.counsellors", people_args,
                                blocking=open_count > 0))

    waiting_training = sum(g[-1] for g in groups if g[2] in NEEDS_TRAINING)
    if waiting_training and not any(p.multicultural for p in working):
        problems.append(Problem("training", ngettext(
            "%(num)d referral under the Integration Act or the temporary act waits, and no counsellor with "
            "multicultural training can take it.",
            "%(num)d referrals under the Integration Act or the temporary act wait, and no counsellor with "
            "multicultural training can take them.", waiting_training),
            _("Record multicultural training for a counsellor"), "people.counsellors", people_args))
    elif waiting_training:
        # A location whose counsellors all lack the training plans nobody under the acts there: a Harstad resident
        # travelled two hours each way to Finnsnes, and nothing said why the Harstad counsellor stayed idle.
        trained_at = {loc.id for p in working if p.multicultural for loc in p.locations}
        for loc in usable:
            staffed = [p for p in working if any(place.id == loc.id for place in p.locations)]
            if staffed and loc.id not in trained_at:
                problems.append(Problem("training_location", _(
                    "No counsellor with multicultural training works at %(location)s, so participants under the "
                    "Integration Act or the temporary act are planned elsewhere (%(names)s take ordinary career "
                    "guidance only).", location=loc.name, names=_some_names([p.user.name for p in staffed])),
                    _("Record multicultural training for a counsellor"), "people.counsellors", people_args))

    spoken = {code for p in working for code in (p.languages or [])}
    interpreters = db.session.scalars(
        select(InterpreterProfile).join(User, User.id == InterpreterProfile.user_id)
        .where(User.county_id == county.id, User.active.is_(True), User.role == Role.INTERPRETER,
               InterpreterProfile.active.is_(True))
        .options(selectinload(InterpreterProfile.languages), selectinload(InterpreterProfile.user))
        .order_by(User.name, InterpreterProfile.id)).all()
    spoken |= {lang.language for p in interpreters if usable_modes(p) for lang in p.languages}
    for p in interpreters:
        if "phone" in (p.modes or []) and "phone" not in usable_modes(p):
            problems.append(Problem("interpreter_phone", _(
                "%(name)s interprets by phone but has no phone number, so the plan gives them no phone "
                "assignments.", name=p.user.name),
                _("Add the phone number of %(name)s", name=p.user.name), "people.edit_interpreter",
                {"interpreter_id": p.id}))
    unchecked = [p for p in interpreters if register_check_due(p.register_checked_on, clock.today())]
    if unchecked:
        problems.append(Problem("interpreter_register", ngettext(
            "%(num)d interpreter has not been checked in the national interpreter register in the last year "
            "(%(names)s): their categories may have changed, and plans prefer the better category.",
            "%(num)d interpreters have not been checked in the national interpreter register in the last year "
            "(%(names)s): their categories may have changed, and plans prefer the better category.",
            len(unchecked), names=_some_names([p.user.name for p in unchecked])),
            _("See the interpreters"), "people.interpreters", people_args))
    unserved: dict[str, int] = {}
    for _place, language, _basis, needs_interpreter, count in groups:
        if needs_interpreter and language not in spoken:
            unserved[language] = unserved.get(language, 0) + count
    locale = _locale()
    for language, count in sorted(unserved.items(), key=lambda kv: (-kv[1], kv[0])):
        name = language_name(language, locale)
        name = name.lower() if locale in ("nb", "nn") else name  # Norwegian language names are common nouns
        problems.append(Problem("language", ngettext(
            "%(num)d referral in %(language)s waits, and no interpreter or counsellor speaks %(language)s.",
            "%(num)d referrals in %(language)s wait, and no interpreter or counsellor speaks %(language)s.",
            count, language=name), _("Add an interpreter for %(language)s", language=name),
            "people.interpreters", people_args))

    if usable:
        by_place: dict[int, int] = {}
        for place_id, _language, _basis, _needs, count in groups:
            by_place[place_id] = by_place.get(place_id, 0) + count
        places = {m.id: m for m in db.session.scalars(select(Municipality).where(Municipality.id.in_(by_place)))}
        limit = county.max_travel_minutes
        for place_id, count in sorted(by_place.items(), key=lambda kv: places[kv[0]].name):
            place = places[place_id]
            nearest = min(travel_minutes(place, loc.municipality) for loc in usable)
            if nearest > limit:
                problems.append(Problem("travel", ngettext(
                    "%(num)d referral from %(place)s waits, and every location is more than %(limit)d minutes "
                    "away (the nearest %(nearest)d minutes).",
                    "%(num)d referrals from %(place)s wait, and every location is more than %(limit)d minutes "
                    "away (the nearest %(nearest)d minutes).", count, place=place.name, limit=limit,
                    nearest=nearest),
                    _("Change the travel limit or add a location near %(place)s", place=place.name),
                    "setup.settings", {"county_id": county.id}))
    problems.sort(key=lambda p: not p.blocking)
    return Readiness(problems=problems, open_referrals=open_count)


def _some_names(names: list[str], shown: int = 3) -> str:
    """The first few names, and how many more: a list of forty names does not fit a warning."""
    if len(names) <= shown:
        return ", ".join(names)
    return ngettext("%(names)s and %(num)d more", "%(names)s and %(num)d more", len(names) - shown,
                    names=", ".join(names[:shown]))


def never_there(profile: CounsellorProfile) -> bool:
    """True when the counsellor has hours and active locations but is never at one of them while it
    is open in the planning horizon (said when the counsellor is saved, as `check` says it later)."""
    county = profile.user.county
    places = [loc for loc in profile.locations if loc.active]
    if county is None or not places or not any((profile.weekly or {}).values()):
        return False
    options = InstanceOptions(today=clock.today())
    closed = closed_days(county, options.horizon_start, options.horizon_end)
    shortest = min(county.individual_minutes or 90, county.group_minutes or 90)
    return not any(days_with_time(profile.weekly, loc, open_days(loc, options.horizon_start, options.horizon_end,
                                                                  closed), shortest) for loc in places)


def _open_referral_groups(county: County) -> list[tuple[int, str, LegalBasis, bool, int]]:
    """(municipality id, language, legal basis, needs interpreter, count) of the open referrals:
    one grouped query, no referral loaded."""
    stmt = (select(Participant.municipality_id, Participant.language, Referral.legal_basis,
                   Participant.needs_interpreter, func.count(Referral.id))
            .join(Participant, Participant.id == Referral.participant_id)
            .where(Referral.county_id == county.id, Referral.status.in_(OPEN_STATUSES))
            .group_by(Participant.municipality_id, Participant.language, Referral.legal_basis,
                      Participant.needs_interpreter))
    return [tuple(row) for row in db.session.execute(stmt)]


# ---------------------------------------------------------------------------- changes that break sessions


@dataclass
class BrokenSession:
    session_id: int
    start: dt.datetime  # aware UTC
    references: list[str]
    reasons: list[str]


def sessions_ahead_of(user) -> int:
    """Published sessions still ahead that the person holds as counsellor or interprets: what switching their
    account off leaves without them."""
    ahead = (Session.status == SessionStatus.BOOKED, Session.start > clock.now())
    count = 0
    if user.counsellor is not None:
        count += db.session.scalar(select(func.count(Session.id)).where(Session.counsellor_id == user.counsellor.id,
                                                                       *ahead)) or 0
    if user.interpreter is not None:
        count += db.session.scalar(select(func.count(Session.id)).where(Session.interpreter_id == user.interpreter.id,
                                                                       *ahead)) or 0
    return count


def broken_sessions(county: County, *, location_id: int | None = None, counsellor_id: int | None = None,
                    interpreter_id: int | None = None, before: dt.datetime | None = None) -> list[BrokenSession]:
    """Published (booked) sessions still ahead that no longer fit the county's data, limited to one
    location (with its rooms), counsellor or interpreter, or to those starting before `before`, when given.
    Sessions in the past never count."""
    stmt = (select(Session).join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county.id, Session.status == SessionStatus.BOOKED,
                   Session.start > clock.now())
            .options(selectinload(Session.location).selectinload(Location.municipality),
                     selectinload(Session.room),
                     selectinload(Session.participants).selectinload(SessionParticipant.referral)
                     .selectinload(Referral.participant),
                     selectinload(Session.interpreter).selectinload(InterpreterProfile.languages),
                     selectinload(Session.interpreter).selectinload(InterpreterProfile.user))
            .order_by(Session.start, Session.id))
    if location_id is not None:
        stmt = stmt.where(Session.location_id == location_id)
    if counsellor_id is not None:
        stmt = stmt.where(Session.counsellor_id == counsellor_id)
    if interpreter_id is not None:
        stmt = stmt.where(Session.interpreter_id == interpreter_id)
    if before is not None:
        stmt = stmt.where(Session.start < before)
    sessions = list(db.session.scalars(stmt))
    if not sessions:
        return []
    counsellors = {p.id: p for p in db.session.scalars(
        select(CounsellorProfile).where(CounsellorProfile.id.in_({s.counsellor_id for s in sessions}))
        .options(selectinload(CounsellorProfile.locations), selectinload(CounsellorProfile.user)))}
    days = [ids.to_local(s.start).date() for s in sessions]
    closed = set(closed_days(county, min(days), max(days)))
    locale = _locale()
    out = []
    for s in sessions:
        reasons = _reasons(s, counsellors.get(s.counsellor_id), closed, locale)
        reasons += _counsellor_reasons(s, counsellors.get(s.counsellor_id), locale)
        if reasons:
            references = [sp.referral.reference for sp in sorted(s.participants, key=lambda sp: sp.referral_id)]
            out.append(BrokenSession(s.id, s.start, references, reasons))
    return out


def _counsellor_reasons(s: Session, counsellor: CounsellorProfile | None, locale: str) -> list[str]:
    """What a counsellor's own record says against the session: their employment has ended (or not
    begun) by its day, or the training the participants' legal basis needs is no longer recorded."""
    if counsellor is None or not counsellor.active or not counsellor.user.active:
        return []  # "deactivated" says it already
    day, name = ids.to_local(s.start).date(), counsellor.user.name
    reasons = []
    if counsellor.employment_end is not None and day > counsellor.employment_end:
        reasons.append(_("%(name)s's employment ends on %(date)s.", name=name,
                         date=format_date(counsellor.employment_end, "long", locale=locale)))
    if counsellor.employment_start is not None and day < counsellor.employment_start:
        reasons.append(_("%(name)s starts on %(date)s.", name=name,
                         date=format_date(counsellor.employment_start, "long", locale=locale)))
    if not counsellor.multicultural and any(sp.referral.legal_basis in NEEDS_TRAINING for sp in s.participants):
        reasons.append(_("%(name)s has no multicultural training recorded, which a participant's legal basis needs.",
                         name=name))
    return reasons


def _reasons(s: Session, counsellor: CounsellorProfile | None, closed: set[dt.date], locale: str) -> list[str]:
    start, end = ids.to_local(s.start), ids.to_local(s.end)
    loc = s.location
    reasons = []
    if not loc.active:
        reasons.append(_("%(location)s is deactivated.", location=loc.name))
    elif start.date() in closed:
        # A holiday or one of the county's closure days: "not open at this time" read as the hours, of a whole
        # Christmas closure.
        reasons.append(_("The centres are closed on %(date)s.", date=format_date(start.date(), "long", locale=locale)))
    elif not location_open(loc, closed, start, end):
        reasons.append(_("%(location)s is not open at this time.", location=loc.name))
    if s.mode == "onsite" and not loc.step_free and any(sp.referral.participant.needs_step_free
                                                         for sp in s.participants):
        reasons.append(_("A participant needs step-free access, and %(location)s is not recorded as step-free.",
                         location=loc.name))
    if not s.room.active:
        reasons.append(_("The room %(room)s is deactivated.", room=s.room.name))
    else:
        if len(s.participants) > s.room.capacity:
            reasons.append(_("The room %(room)s now holds %(capacity)d; the session has %(booked)d participants.",
                             room=s.room.name, capacity=s.room.capacity, booked=len(s.participants)))
        if s.mode == "video" and not s.room.video:
            reasons.append(_("The room %(room)s no longer has video equipment.", room=s.room.name))
    if counsellor is not None:
        name = counsellor.user.name
        if not counsellor.active or not counsellor.user.active:
            reasons.append(_("%(name)s is deactivated.", name=name))
        else:
            if loc.id not in {x.id for x in counsellor.locations}:
                reasons.append(_("%(name)s no longer works at %(location)s.", name=name, location=loc.name))
            elif start.isoweekday() not in (counsellor.days_at(loc.id) or range(1, 8)):
                reasons.append(_("%(name)s is not at %(location)s on %(weekday)s.", name=name, location=loc.name,
                                 weekday=format_date(start.date(), "EEEE", locale=locale)))
            if not covers(counsellor.weekly, start, end):
                reasons.append(_("%(name)s does not work at this time.", name=name))
            # A participant whose language no interpreter covers relied on the counsellor speaking it.
            for language in sorted(uninterpreted(s) - set(counsellor.languages or ())):
                reasons.append(_("%(name)s does not speak %(language)s, and no interpreter is booked for it.",
                                 name=name, language=_in_sentence(language, locale)))
    interpreter = s.interpreter
    if interpreter is not None:
        name = interpreter.user.name
        if not interpreter.active or not interpreter.user.active:
            reasons.append(_("%(name)s is deactivated.", name=name))
        else:
            if s.language and s.language not in {lang.language for lang in interpreter.languages}:
                reasons.append(_("%(name)s no longer interprets %(language)s.", name=name,
                                 language=_in_sentence(s.language, locale)))
            if not covers(interpreter.weekly, start, end):
                reasons.append(_("%(name)s does not work at this time.", name=name))
            if s.interpreter_mode and s.interpreter_mode not in (interpreter.modes or ()):
                reasons.append(_("%(name)s no longer interprets this way: %(mode)s.", name=name,
                                 mode=str(INTERPRETER_MODE.get(s.interpreter_mode, s.interpreter_mode))))
    return reasons


def _in_sentence(code: str, locale: str) -> str:
    """A language's name inside a sentence: Norwegian writes it in lower case ("tolker ikke lenger arabisk")."""
    name = language_name(code, locale)
    return name.lower() if locale in ("nb", "nn") else name


def uninterpreted(s: Session) -> set[str]:
    """The languages of the session's participants who need an interpreter and have none booked (in
    Veiled, or arranged outside it: that one is the lead's word, with nothing in Veiled to check)."""
    interpreted = s.language if s.interpreter_id is not None or s.outside_interpreter else None
    return {sp.referral.participant.language for sp in s.participants
            if sp.referral.participant.needs_interpreter and sp.referral.participant.language != interpreted}
