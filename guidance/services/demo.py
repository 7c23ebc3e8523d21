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

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from solver.travel import haversine_km
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
    ReferralStatus,
    Role,
    Room,
    User,
)
from guidance.planning.ids import local_today
from guidance.rules.deadlines import effective_deadline
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


@dataclass
class DemoResult:
    county: County
    credentials: dict[str, tuple[str, str]]  # role -> (email, password)
    referrals: int
    # role -> otpauth URI of the second factor the demo's lead and admin log in with
    second_factor: dict[str, str] = field(default_factory=dict)


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
    offices = _spread_out(towns, 4)
    outreach = _spread_out(towns, 7, chosen=offices)[4:]
    centres, locations = _build_centres(county, offices, outreach, today)
    counsellors = _build_counsellors(rng, county, centres, locations, password_hash)
    interpreters = _build_interpreters(rng, county, towns, password_hash)
    credentials = {role: (email, password) for role, email in _build_users(county, towns[0], password_hash).items()}
    created = _build_referrals(rng, county, towns, referrals, today)
    db.session.commit()
    credentials["counsellor"] = (counsellors[0].user.email, password)
    credentials["interpreter"] = (interpreters[0].user.email, password)
    uris = {}
    for role in ("admin", "lead"):
        user = db.session.scalar(select(User).where(User.email == credentials[role][0]))
        uris[role] = second_factor.provisioning_uri(user, second_factor.unseal(user.totp_secret))
    return DemoResult(county=county, credentials=credentials, referrals=created, second_factor=uris)


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


def _build_centres(county, offices, outreach, today):
    centres, locations = [], []
    for n_office, town in enumerate(offices):
        centre = CareerCentre(county=county, name=f"Karrieresenter {town.name}")
        location = Location(centre=centre, municipality=town, name=f"Karrieresenter {town.name}",
                            address=f"Strandgata {12 + 7 * n_office}, {town.name}",
                            directions="Inngang frå gata, 2. etasje. Meld deg i resepsjonen.", step_free=True,
                            weekly_hours={str(d): [["08:00", "16:00"]] for d in (1, 2, 3, 4, 5)})
        for n in range(1, 4):
            location.rooms.append(Room(name=f"Samtalerom {n}", capacity=1, video=n <= 2))
        location.rooms.append(Room(name="Grupperom", capacity=10, video=False))
        db.session.add(centre)
        centres.append(centre)
        locations.append(location)
    for i, town in enumerate(outreach):
        centre = centres[min(range(len(offices)), key=lambda k: _distance_km(offices[k], town))]
        # Outreach venues are open one weekday: every week, or (the last one) in even weeks.
        weekday = 2 + i % 3
        weeks = "even" if i == len(outreach) - 1 and i > 0 else "every"
        location = Location(centre=centre, municipality=town, name=f"Utekontor {town.name}", outreach=True,
                            address=f"Rådhuset, {town.name}", directions="Møterommet ved servicetorget.",
                            step_free=i % 2 == 0, weekly_hours={str(weekday): [["09:00", "15:00"]]},
                            open_pattern=[{"weekday": weekday, "weeks": weeks}], open_dates=[])
        location.rooms.append(Room(name="Møterom", capacity=8, video=False))
        db.session.add(location)
        locations.append(location)
    # Closed on Christmas Eve and New Year's Eve (not public holidays) on top of Norway's holidays.
    county.closure_days = [dt.date(y, 12, d).isoformat() for y in (today.year, today.year + 1) for d in (24, 31)]
    return centres, locations


def _weekly(days=(1, 2, 3, 4, 5), start="08:00", end="15:30") -> dict:
    return {str(d): [[start, end]] for d in days}


def _build_counsellors(rng, county, centres, locations, password_hash):
    extra_languages = ["ar", "uk", "ru", "so", "fa", "ti", None, None, None, None]
    profiles = []
    for i, name in enumerate(COUNSELLOR_NAMES):
        home = centres[i % len(centres)]
        own = [loc for loc in locations if loc.centre is home]
        user = User(email=f"{_slug(name)}@karriere.demo.no", name=name, role=Role.COUNSELLOR, county=county)
        user.password_hash = password_hash
        languages = ["nb", "en"] + ([extra_languages[i % len(extra_languages)]] if extra_languages[i % len(extra_languages)] else [])
        days = (1, 2, 3, 4) if i % 5 == 4 else (1, 2, 3, 4, 5)
        multicultural = i % 4 != 3
        profile = CounsellorProfile(user=user, multicultural=multicultural, languages=languages,
                                    weekly=_weekly(days), max_sessions_per_day=4, locations=own,
                                    multicultural_completed_on=dt.date(2022 + i % 3, 3 + i % 8, 1) if multicultural else None)
        db.session.add(profile)
        profiles.append(profile)
    return profiles


def _build_interpreters(rng, county, towns, password_hash):
    profiles, n = [], 0
    big_towns = towns[:6]
    for code, _share, count, remote_only in LANGUAGES:
        for k in range(count):
            n += 1
            home = big_towns[(n * 7) % len(big_towns)] if not remote_only else towns[0]
            first = FIRST_NAMES[code][k % len(FIRST_NAMES[code])]
            last = LAST_NAMES[code][(k + 1) % len(LAST_NAMES[code])]
            user = User(email=f"tolk{n:02d}.{code}@tolk.demo.no", name=f"{first} {last}", role=Role.INTERPRETER,
                        county=county)
            user.password_hash = password_hash
            modes = ["video", "phone"] if remote_only else (["onsite", "video", "phone"] if k % 3 else ["onsite", "video"])
            profile = InterpreterProfile(user=user, municipality=home, modes=modes,
                                         weekly=_weekly(start="08:00", end="16:00"),
                                         hourly_rate_ore=rng.choice([65000, 72000, 78000, 85000]),
                                         min_billed_minutes=60, travel_rate_ore=36000,
                                         register_id=f"T{20000 + n * 37}",
                                         register_checked_on=local_today() - dt.timedelta(days=7 * (n % 10)),
                                         booking_channel="agency" if remote_only else "direct",
                                         agency_name="Tolkeformidlingen AS (rammeavtale)" if remote_only else None)
            profile.languages.append(InterpreterLanguage(language=code, category=rng.choice([1, 2, 2, 3, 3, 4])))
            if code in ("uk", "ru") and k % 2 == 0:
                profile.languages.append(InterpreterLanguage(language="ru" if code == "uk" else "uk", category=3))
            db.session.add(profile)
            profiles.append(profile)
    return profiles


def _build_users(county, capital, password_hash):
    users = {
        "admin": User(email="admin@veiled.demo.no", name="Administrator", role=Role.ADMIN),
        "lead": User(email="senterleder@karriere.demo.no", name="Guro Lie", role=Role.LEAD, county=county),
        "referrer": User(email=f"programradgiver@{_slug(capital.name)}.kommune.demo.no", name="Eva Bakke",
                         role=Role.REFERRER, municipality=capital),
    }
    for user in users.values():
        user.password_hash = password_hash
        db.session.add(user)
        if second_factor.required(user):  # leads and admins log in with a code too
            second_factor.turn_on(user, second_factor.new_secret())
    return {role: user.email for role, user in users.items()}


def _build_referrals(rng, county, towns, count, today) -> int:
    weights = [t.population for t in towns]
    codes = [c for c, *_ in LANGUAGES]
    shares = [s for _c, s, *_ in LANGUAGES]
    for _ in range(count):
        town = rng.choices(towns, weights=weights)[0]
        language = rng.choices(codes, weights=shares)[0]
        basis = rng.choices(list(LegalBasis), weights=[0.8, 0.12, 0.08])[0]
        settled = today - dt.timedelta(days=rng.randint(5, 75))
        decision = settled + dt.timedelta(days=rng.randint(60, 120)) if basis is LegalBasis.INTEGRATION_ACT and rng.random() < 0.4 else None
        referred = settled + dt.timedelta(days=rng.randint(0, 10))
        participant = Participant(
            name=f"{rng.choice(FIRST_NAMES[language])} {rng.choice(LAST_NAMES[language])}",
            phone=f"+47 4{rng.randint(0, 9)}{rng.randint(0, 9)} {rng.randint(10, 99)} {rng.randint(100, 999)}",
            municipality=town, language=language, needs_interpreter=rng.random() < 0.92,
            video_ok=rng.random() < 0.15,
        )
        deadline = effective_deadline(basis, settlement_date=settled, programme_decision_date=decision, referral_date=referred)
        status = ReferralStatus.WITHDRAWN if rng.random() < 0.03 else ReferralStatus.RECEIVED
        needs = ["individual", "group"] if basis is not LegalBasis.ORDINARY else ["individual"]
        db.session.add(Referral(
            reference=new_reference(), participant=participant, county=county, referring_municipality=town,
            legal_basis=basis, settlement_date=settled, programme_decision_date=decision, needs=needs,
            earliest_date=max(referred, today), deadline=deadline, status=status,
            withdrawn_reason="Flyttet fra kommunen" if status is ReferralStatus.WITHDRAWN else None,
        ))
    return count


def _slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": ".", "-": "."})
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum() or ch == ".")
