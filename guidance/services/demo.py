"""A realistic demo county built from the real municipality data.

Centres are placed in the county's towns spread out over its area (population weighted by
distance to the centres already chosen), referrals are spread over municipalities by
population, and the language mix and interpreter supply follow DOMAIN.md.
"""
from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from solver.travel import haversine_km
from guidance.extensions import db
from guidance.models import (
    CareerCentre,
    County,
    CounsellorProfile,
    InterpreterProfile,
    LegalBasis,
    Municipality,
    Participant,
    Referral,
    ReferralStatus,
    Role,
    User,
)
from guidance import clock
from guidance.planning.ids import local_today, to_utc
from guidance.rules.deadlines import effective_deadline, is_working_day
from guidance.services import second_factor
from guidance.services.reference_data import load_reference_data
from guidance.services.referral_reference import new_reference

# (code, share of referrals, interpreters in the county, remote only)
LANGUAGES = [
    ("uk", 0.42, 7, False), ("ar", 0.12, 4, False), ("ti", 0.09, 3, False), ("prs", 0.06, 2, False),
    ("ps", 0.04, 2, False), ("so", 0.06, 2, False), ("kmr", 0.04, 1, False), ("ckb", 0.03, 1, False),
    ("fa", 0.05, 2, False), ("ru", 0.07, 2, False), ("ln", 0.01, 1, True), ("sw", 0.01, 1, True),
]

FIRST_NAMES = {
    "uk": ["Olena", "Andrii", "Iryna", "Oleksandr", "Nataliia", "Dmytro", "Tetiana", "Serhii"],
    "ru": ["Anna", "Mikhail", "Elena", "Ivan"], "ar": ["Amal", "Omar", "Rania", "Khaled", "Layla", "Yusuf"],
    "ti": ["Selam", "Yonas", "Helen", "Dawit"], "prs": ["Farida", "Ahmad", "Mariam"], "ps": ["Gul", "Wahid", "Nazia"],
    "so": ["Hodan", "Abdi", "Ifrah", "Mohamed"], "kmr": ["Berivan", "Rojhat"], "ckb": ["Shilan", "Karwan"],
    "fa": ["Shirin", "Reza", "Neda", "Babak"], "ln": ["Grace", "Patrick"], "sw": ["Amani", "Baraka"],
}
LAST_NAMES = {
    "uk": ["Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Melnyk"], "ru": ["Ivanova", "Smirnov"],
    "ar": ["Haddad", "Khalil", "Nasser", "Saleh"], "ti": ["Tesfay", "Gebremedhin", "Haile"],
    "prs": ["Rahimi", "Karimi"], "ps": ["Khan", "Yousafzai"], "so": ["Warsame", "Farah", "Ali"],
    "kmr": ["Aydin", "Dogan"], "ckb": ["Ahmed", "Rashid"], "fa": ["Mohammadi", "Hosseini"],
    "ln": ["Mbala", "Kabongo"], "sw": ["Mwangi", "Odhiambo"],
}
COUNSELLOR_NAMES = [
    "Ingrid Haugen", "Lars Nilsen", "Kari Berg", "Ahmed Hassan", "Marte Solberg", "Jonas Eide",
    "Sara Lunde", "Oksana Hansen", "Per Aas", "Nora Dahl", "Fatima Noor", "Erik Myklebust",
    "Hanne Vik", "Tor Kleppe",
]

# Advisers at the refugee services of the county's next largest municipalities: most referrals come
# from a handful of towns, and a municipality without a referrer hears nothing of a cancelled session.
REFERRER_NAMES = ["Kristin Aasen", "Jon Vik", "Siri Hauge", "Mona Strand", "Geir Tveit", "Lene Ask", "Arne Moe",
                  "Tone Sæther"]


# The demo's known travel times (the county's settings): the ferry the straight line does not see. Bergen to
# Stord is about 1 h 50 by car over Halhjem-Sandvikvåg; the formula says 72 minutes.
DEMO_KNOWN_TRAVEL = {
    "46": [{"from": "4601", "to": "4614", "minutes": 110}],
    # Nordland's fjords: Mo i Rana to Bodø is 108 km as the crow flies and three hours over Saltfjellet (the
    # rule gave 141 minutes, and a demo participant had Rana at 08:00 and Bodø at 12:00); Lofoten to Bodø is a
    # ferry crossing.
    "18": [{"from": "1833", "to": "1804", "minutes": 180}, {"from": "1860", "to": "1804", "minutes": 300}],
}


def taken_names(county: County) -> set[str]:
    """Every person's name in the county so far: its users (counsellors, interpreters, lead, referrer)
    and its participants, so a new demo participant is not mistaken for any of them."""
    users = db.session.scalars(select(User.name).where(User.county_id == county.id))
    participants = db.session.scalars(select(Participant.name).join(Referral, Referral.participant_id == Participant.id)
                                      .where(Referral.county_id == county.id))
    return set(users) | set(participants)


def unique_name(rng: random.Random, language: str, taken: set[str]) -> str:
    """A participant's name in `language` that no one in `taken` has; the name is added to `taken`.

    The first draw is the one the demo always made (same calls on `rng`, so the rest of the seeded
    demo stays as it was); a name already taken is replaced from a generator of its own: another
    first and family name, then a double family name, two first names, a middle initial."""
    firsts, lasts = FIRST_NAMES[language], LAST_NAMES[language]
    name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
    if name in taken:
        side = random.Random(f"{name}-{len(taken)}")
        pairs = [(f, ln) for f in firsts for ln in lasts]
        doubles = [(f, f"{a} {b}") for f in firsts for a in lasts for b in lasts if a != b]
        two_firsts = [(f"{a} {b}", ln) for a in firsts for b in firsts if a != b for ln in lasts]
        initials = [(f"{f} {chr(c)}.", ln) for f in firsts for c in range(ord("A"), ord("Z") + 1) for ln in lasts]
        for group in (pairs, doubles, two_firsts, initials):
            free = [f"{f} {ln}" for f, ln in group if f"{f} {ln}" not in taken]
            if free:
                name = side.choice(free)
                break
    taken.add(name)
    return name


@dataclass
class DemoResult:
    county: County
    credentials: dict[str, tuple[str, str]]  # role -> (email, password)
    referrals: int
    # role -> otpauth URI of the second factor the demo's lead and admin log in with
    second_factor: dict[str, str] = field(default_factory=dict)
    # role -> the recovery codes of that second factor (shown once, like an enrolment shows them)
    recovery_codes: dict[str, list[str]] = field(default_factory=dict)


def seed_demo(county_number: str = "46", referrals: int = 200, seed: int = 2026, today: dt.date | None = None,
              password: str | None = None) -> DemoResult:
    """Build the demo county in one transaction. Refuses to run twice on the same database."""
    load_reference_data()
    rng = random.Random(seed)
    today = today or local_today()
    password = password or secrets.token_urlsafe(9)
    password_hash = generate_password_hash(password)  # hashing is slow by design: once for all
    county = db.session.scalar(select(County).where(County.number == county_number))
    if county is None:
        raise ValueError(f"unknown county number {county_number!r}")
    if db.session.scalar(select(CareerCentre).where(CareerCentre.county_id == county.id)) is not None:
        raise ValueError(f"county {county.name} already has demo data")
    towns = sorted(county.municipalities, key=lambda m: -m.population)
    county.known_travel = DEMO_KNOWN_TRAVEL.get(county_number)
    counsellors, interpreters = _import_places_and_people(county, password_hash, today)
    users, recovery_codes = _build_users(county, towns[0], password_hash)
    _build_more_referrers(towns[1:1 + len(REFERRER_NAMES)], password_hash)
    credentials = {role: (email, password) for role, email in users.items()}
    created = _build_referrals(rng, county, towns, referrals, today, random.Random(f"{seed}-{county_number}-arrived"))
    db.session.commit()
    credentials["counsellor"] = (counsellors[0].user.email, password)
    credentials["interpreter"] = (interpreters[0].user.email, password)
    uris = {}
    for role in ("admin", "lead"):
        user = db.session.scalar(select(User).where(User.email == credentials[role][0]))
        uris[role] = second_factor.provisioning_uri(user, second_factor.unseal(user.totp_secret))
    return DemoResult(county=county, credentials=credentials, referrals=created, second_factor=uris,
                      recovery_codes=recovery_codes)


DEMO_WORKBOOKS = Path(__file__).resolve().parent.parent / "demo"


def demo_workbook_path(county_number: str) -> Path:
    """The county's shipped workbook (made by scripts/make-demo-workbooks)."""
    return DEMO_WORKBOOKS / f"county-{county_number}.xlsx"


def _import_places_and_people(county: County, password_hash: str, today: dt.date):
    """Settings, locations, rooms, counsellors and interpreters through the county workbook import, as a
    real county sets itself up; the demo's people then share the demo password."""
    from guidance.services import sheets, workbook

    path = demo_workbook_path(county.number)
    if not path.exists():
        raise ValueError(f"no demo workbook for county {county.number} ({path.name})")
    try:
        workbook.apply_workbook(None, county, sheets.read(path.read_bytes(), path.name))
    except workbook.WorkbookRejected as error:
        details = "; ".join(f"{p.sheet} row {p.row} {p.column}: {p.message}" for p in error.problems[:5])
        raise ValueError(f"the demo workbook {path.name} was refused: {details}") from error
    counsellors = list(db.session.scalars(select(CounsellorProfile).join(CounsellorProfile.user)
                                          .where(User.county_id == county.id).order_by(CounsellorProfile.id)))
    interpreters = list(db.session.scalars(select(InterpreterProfile).join(InterpreterProfile.user)
                                           .where(User.county_id == county.id).order_by(InterpreterProfile.id)))
    for profile in counsellors + interpreters:
        profile.user.password_hash = password_hash
    # The workbooks' register check dates are fixed: a demo seeded a year on would call every
    # interpreter unchecked. Their spread is kept, the latest a month before today.
    checked = [p.register_checked_on for p in interpreters if p.register_checked_on]
    if checked:
        shift = today - dt.timedelta(days=30) - max(checked)
        for profile in interpreters:
            if profile.register_checked_on:
                profile.register_checked_on += shift
    return counsellors, interpreters


def _distance_km(a: Municipality, b: Municipality) -> float:
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def _spread_out(towns: list[Municipality], count: int, chosen: list[Municipality] | None = None) -> list[Municipality]:
    """Pick towns that serve many people far from the towns already picked."""
    chosen = list(chosen or [towns[0]])
    while len(chosen) < min(count, len(towns)):
        best = max((t for t in towns if t not in chosen),
                   key=lambda t: t.population * min(_distance_km(t, c) for c in chosen))
        chosen.append(best)
    return chosen


def _build_users(county, capital, password_hash):
    users = {
        "admin": User(email="admin@veiled.demo.no", name="Administrator", role=Role.ADMIN),
        "lead": User(email="senterleder@karriere.demo.no", name="Guro Lie", role=Role.LEAD, county=county),
        # A phone number: the participant's letter says "call or write to" the adviser.
        "referrer": User(email=f"programradgiver@{_slug(capital.name)}.kommune.demo.no", name="Eva Bakke",
                         role=Role.REFERRER, municipality=capital, phone="+47 400 00 001"),
    }
    recovery_codes = {}
    for role, user in users.items():
        user.password_hash = password_hash
        db.session.add(user)
        if second_factor.required(user):  # leads and admins log in with a code too
            recovery_codes[role] = second_factor.turn_on(user, second_factor.new_secret())
    return {role: user.email for role, user in users.items()}, recovery_codes


def _build_more_referrers(towns: list[Municipality], password_hash: str) -> None:
    """One referrer in each of the next largest municipalities (same demo password, not listed)."""
    for number, (town, name) in enumerate(zip(towns, REFERRER_NAMES), start=2):
        db.session.add(User(email=f"flyktningtenesta@{_slug(town.name)}.kommune.demo.no", name=name, role=Role.REFERRER,
                            municipality=town, phone=f"+47 400 00 {number:03d}", password_hash=password_hash))


def _build_referrals(rng, county, towns, count, today, arrivals: random.Random) -> int:
    """The referrals waiting now. They arrived on the working days since the demo quarter's publish day
    (services.demo_quarter), each at its own time in office hours and never before the settlement,
    so the lead's "new referrals" and the dashboard's "received" read as a real stream, not all today."""
    from guidance.services.demo_quarter import publish_day

    after_publish = publish_day(today) + dt.timedelta(days=1)
    working_days = [after_publish + dt.timedelta(days=n) for n in range((today - after_publish).days + 1)]
    working_days = [d for d in working_days if is_working_day(d)] or [today]
    weights = [t.population for t in towns]
    codes = [c for c, *_ in LANGUAGES]
    shares = [s for _c, s, *_ in LANGUAGES]
    taken = taken_names(county)
    for n in range(count):
        town = rng.choices(towns, weights=weights)[0]
        language = rng.choices(codes, weights=shares)[0]
        basis = rng.choices(list(LegalBasis), weights=[0.8, 0.12, 0.08])[0]
        settled = today - dt.timedelta(days=rng.randint(5, 75))
        decision = settled + dt.timedelta(days=rng.randint(60, 120)) if basis is LegalBasis.INTEGRATION_ACT and rng.random() < 0.4 else None
        rng.randint(0, 10)  # (the referral day drawn before arrivals had their own generator: the rest stays as it was)
        referred = arrivals.choice([d for d in working_days if d >= settled] or [working_days[-1]])
        office_hours = dt.time(arrivals.randint(8, 15), arrivals.choice((0, 15, 30, 45)))
        received = to_utc(dt.datetime.combine(referred, office_hours))
        if referred == clock.today():
            received = min(received, clock.now())  # today's arrivals came in before the demo started
        participant = Participant(
            name=unique_name(rng, language, taken),
            phone=f"+47 4{rng.randint(0, 9)}{rng.randint(0, 9)} {rng.randint(10, 99)} {rng.randint(100, 999)}",
            municipality=town, language=language, needs_interpreter=rng.random() < 0.92,
            video_ok=rng.random() < 0.15,
        )
        if n % 37 == 11:  # about one in forty uses a wheelchair (counted, not drawn: the rest stays as it was)
            participant.needs_step_free, participant.accessibility_needs = True, "Bruker rullestol."
        deadline = effective_deadline(basis, settlement_date=settled, programme_decision_date=decision, referral_date=referred)
        status = ReferralStatus.WITHDRAWN if rng.random() < 0.03 else ReferralStatus.RECEIVED
        needs = ["individual", "group"] if basis is not LegalBasis.ORDINARY else ["individual"]
        # Some can come only at times (counted, not drawn: the rest stays as it was): Norwegian class in the
        # mornings, Monday to Wednesday afternoons free; or a child to fetch from kindergarten after lunch.
        can_come = {4: ([1, 2, 3], "afternoon"), 9: (None, "morning")}.get(n % 13, (None, None))
        db.session.add(Referral(
            reference=new_reference(), participant=participant, county=county, referring_municipality=town,
            legal_basis=basis, settlement_date=settled, programme_decision_date=decision, needs=needs,
            earliest_date=max(referred, today), deadline=deadline, status=status,
            withdrawn_reason="Flyttet fra kommunen" if status is ReferralStatus.WITHDRAWN else None,
            created_at=received, can_come_weekdays=can_come[0], can_come_part=can_come[1],
        ))
    return count


def _slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": ".", "-": "."})
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum() or ch == ".")
