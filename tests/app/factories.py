"""Small factories: each test builds exactly the data it needs."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import (
    CareerCentre,
    County,
    CounsellorProfile,
    InterpreterLanguage,
    InterpreterProfile,
    LegalBasis,
    Location,
    Municipality,
    Participant,
    Referral,
    Role,
    Room,
    User,
)
from guidance.services.referral_reference import new_reference
from guidance.planning.ids import local_today

PASSWORD = "correct horse battery staple"
# Leads and admins signing in with a password need a second factor (services.second_factor): the
# factories enrol them with this secret and these recovery codes, and `login` answers the code step.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
RECOVERY_CODES = [f"test{n:02d}-rcode" for n in range(10)]
_counter = itertools.count(1)


def county(number: str = "46") -> County:
    return db.session.scalar(select(County).where(County.number == number))


def municipality(number: str) -> Municipality:
    return db.session.scalar(select(Municipality).where(Municipality.number == number))


def user(role: Role, *, county_number: str | None = "46", municipality_number: str | None = None,
         language: str | None = "nb", name: str | None = None) -> User:
    """A user who chose bokmål (tests read bokmål pages); `language=None`: one who chose nothing and
    so follows the county's form (nynorsk in Vestland) or their municipality's (rules.language)."""
    n = next(_counter)
    person = User(email=f"{role.value}{n}@example.no", name=name or f"{role.value.title()} {n}", role=role, language=language)
    if role is Role.REFERRER:
        person.municipality = municipality(municipality_number or "4601")
    elif role is not Role.ADMIN and county_number:
        person.county = county(county_number)
    person.set_password(PASSWORD)
    db.session.add(person)
    if role in (Role.LEAD, Role.ADMIN):
        enrol(person)
    if role is Role.COUNSELLOR:
        db.session.add(CounsellorProfile(user=person, multicultural=True, languages=["nb", "en"],
                                         weekly={str(d): [["08:00", "15:30"]] for d in range(1, 6)}))
    if role is Role.INTERPRETER:
        profile = InterpreterProfile(user=person, municipality=municipality("4601"), modes=["onsite", "video"],
                                     weekly={str(d): [["08:00", "16:00"]] for d in range(1, 6)},
                                     hourly_rate_ore=72000, min_billed_minutes=60, travel_rate_ore=36000,
                                     register_checked_on=local_today() - dt.timedelta(days=30))
        profile.languages.append(InterpreterLanguage(language="ar", category=2))
        db.session.add(profile)
    db.session.commit()
    return person


def centre(county_number: str = "46", town: str = "4601") -> CareerCentre:
    place = municipality(town)
    c = CareerCentre(county=county(county_number), name=f"Karrieresenter {place.name}")
    loc = Location(centre=c, municipality=place, name=f"Karrieresenter {place.name}")
    loc.rooms.append(Room(name="Rom 1", capacity=1, video=True))
    loc.rooms.append(Room(name="Grupperom", capacity=10))
    db.session.add(c)
    db.session.commit()
    return c


def referral(*, municipality_number: str = "4601", name: str = "Amal Haddad", language: str = "ar",
             legal_basis: LegalBasis = LegalBasis.INTEGRATION_ACT, settlement: dt.date | None = None,
             deadline: dt.date | None = None) -> Referral:
    place = municipality(municipality_number)
    settlement = settlement or dt.date(2027, 1, 10)
    participant = Participant(name=name, phone="+47 400 00 000", municipality=place, language=language,
                              needs_interpreter=True)
    r = Referral(reference=new_reference(), participant=participant, county=place.county,
                 referring_municipality=place, legal_basis=legal_basis, settlement_date=settlement,
                 earliest_date=settlement, deadline=deadline or settlement + dt.timedelta(days=90))
    db.session.add(r)
    db.session.commit()
    return r


@dataclass
class World:
    """A county with one user per role, and referrals in two municipalities."""

    admin: User
    lead: User
    counsellor: User
    interpreter: User
    referrer: User
    other_referrer: User
    own_referral: Referral
    other_referral: Referral
    other_county_lead: User


def world() -> World:
    centre()
    return World(
        admin=user(Role.ADMIN, county_number=None),
        lead=user(Role.LEAD),
        counsellor=user(Role.COUNSELLOR),
        interpreter=user(Role.INTERPRETER),
        referrer=user(Role.REFERRER, municipality_number="4601"),  # Bergen
        other_referrer=user(Role.REFERRER, municipality_number="4621"),  # Voss
        own_referral=referral(municipality_number="4601", name="Amal Haddad"),
        other_referral=referral(municipality_number="4621", name="Yonas Tesfay", language="ti"),
        other_county_lead=user(Role.LEAD, county_number="18"),
    )


def enrol(person: User) -> None:
    """Give `person` the test second factor (TOTP_SECRET and RECOVERY_CODES); the caller commits."""
    from guidance import clock
    from guidance.models import RecoveryCode
    from guidance.services import second_factor

    person.totp_secret = second_factor.seal(TOTP_SECRET)
    person.totp_enabled_at = clock.now()
    if person.id is None:
        db.session.flush()
    for code in RECOVERY_CODES:
        db.session.add(RecoveryCode(user_id=person.id, code_hash=second_factor._hash_recovery(code)))


def user_by_email(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def second_factor_code(person: User) -> str:
    """What a person with a second factor types at the code step: the app's code for the current
    time step; when that step was used already (a login a moment ago), the next one; when both were,
    an unused recovery code. Needs an app context."""
    from guidance.models import RecoveryCode
    from guidance.services import second_factor

    db.session.expire_all()
    sealed, last = db.session.execute(select(User.totp_secret, User.totp_last_step).where(User.id == person.id)).one()
    secret = second_factor.unseal(sealed)  # TOTP_SECRET, or the demo's own
    now = second_factor._step()
    for step in (now, now + 1):
        if last is None or step > last:
            return second_factor.code_for(secret, step)
    unused = set(db.session.scalars(select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == person.id, RecoveryCode.used_at.is_(None))))
    known = next((c for c in RECOVERY_CODES if second_factor._hash_recovery(c) in unused), None)
    if known is None:
        # Dozens of logins within one time step (the write-access matrix): the person had printed
        # another recovery code, as if they had made new ones.
        known = f"more{next(_counter):06d}"
        db.session.add(RecoveryCode(user_id=person.id, code_hash=second_factor._hash_recovery(known)))
        db.session.commit()
    return known


def enrol_through_page(client) -> list[str]:
    """The signed-in user sets up the second factor on the enrolment page as a person would: reads the
    key shown for manual entry, types the app's code; returns the recovery codes shown once."""
    import re

    from guidance.services import second_factor

    page = client.get("/account/second-factor/enrol").get_data(as_text=True)
    secret = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    done = client.post("/account/second-factor/enrol", data={"code": second_factor.code_for(secret, second_factor._step())})
    assert done.status_code == 200, done.status_code
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))


def login(client, person: User, password: str = PASSWORD, *, language: str | None = None):
    """Log `person` in through both steps (the password, then the code when the person has a second
    factor); `language` picks the page language with the switcher first (it wins over the user's saved
    choice and the county's form, rules/language.py). Returns the last step's response."""
    if language:
        client.post("/language", data={"language": language, "next": "/login"})
    response = client.post("/login", data={"email": person.email, "password": password})
    if response.status_code == 302 and response.headers["Location"].split("?")[0].endswith("/login/code"):
        response = client.post("/login/code", data={"code": second_factor_code(person)})
    return response


def api_token(place: Municipality, name: str = "Fagsystem") -> str:
    """A live API token for `place`; returns the plaintext (only its hash is stored)."""
    from guidance.services.api_tokens import PREFIX, hash_token
    from guidance.models import ApiToken

    plaintext = f"{PREFIX}test-{next(_counter)}-{place.number}"
    db.session.add(ApiToken(municipality_id=place.id, name=name, token_hash=hash_token(plaintext)))
    db.session.commit()
    return plaintext


def published_session(counsellor: User, referrals: list[Referral] | Referral, *, start: dt.datetime,
                      minutes: int = 90, type: str = "individual", interpreter: User | None = None,
                      interpreter_mode: str | None = "onsite", language: str | None = None,
                      room_name: str = "Rom 1", status: str = "booked") -> "Session":
    """A session as publishing a plan leaves it: status booked, a stable uid, in a run of the county."""
    import uuid

    from guidance.models import PlanningRun, Session, SessionParticipant, SessionStatus

    referrals = referrals if isinstance(referrals, list) else [referrals]
    location = db.session.scalar(select(Location).order_by(Location.id))
    room = next(r for r in location.rooms if r.name == room_name)
    run = db.session.scalar(select(PlanningRun).where(PlanningRun.county_id == location.centre.county_id,
                                                      PlanningRun.published_at.is_not(None)))
    if run is None:
        run = PlanningRun(county_id=location.centre.county_id, status="succeeded",
                          published_at=dt.datetime.now(dt.timezone.utc))
        db.session.add(run)
    session = Session(run=run, plan_session_id=f"S{next(_counter)}", uid=f"{uuid.uuid4()}@veiled.invalid",
                      type=type, counsellor_id=counsellor.counsellor.id, location=location, room=room,
                      start=start, end=start + dt.timedelta(minutes=minutes), status=SessionStatus(status),
                      language=(language or referrals[0].participant.language) if interpreter else None,
                      interpreter=interpreter.interpreter if interpreter else None,
                      interpreter_mode=interpreter_mode if interpreter else None)
    for r in referrals:
        session.participants.append(SessionParticipant(referral=r))
        if status == "booked":
            from guidance.models import ReferralStatus

            r.status = ReferralStatus.BOOKED
    db.session.add(session)
    db.session.commit()
    return session


def oslo(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """An aware datetime for a wall-clock time in Oslo (how users think about sessions)."""
    from zoneinfo import ZoneInfo

    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Oslo"))


def future_weekday(weeks: int = 3, weekday: int = 2) -> dt.date:
    """A working weekday (Tuesday by default) some weeks ahead, so "future" stays future."""
    day = local_today() + dt.timedelta(weeks=weeks)
    return day + dt.timedelta(days=(weekday - day.isoweekday()) % 7)
