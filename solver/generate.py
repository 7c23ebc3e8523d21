"""Realistic random planning instances (``guidance-instance/1``) for tests and benchmarks.

``generate(county, participants, seed, scenario)`` builds one county's quarter from the real
municipality table in ``solver/data/municipalities.csv``: career centres in the largest towns,
outreach venues where settlement is far from a centre, counsellors sized to the demand,
interpreters per language, participants spread over the municipalities by population.

Scenarios:
  normal         counsellor supply exceeds demand with some slack
  crunch         demand exceeds counsellor capacity by roughly 15 %
  rare-language  a large share of rare languages served by a few remote interpreters
  sick-leave     a normal instance re-planned: ``previous_plan`` is the baseline's plan, the
                 busiest counsellor is absent for two weeks and ``frozen_until`` is set
  settlement-wave  the normal instance's participants (same seed: the same people) met by
                 counsellors sized to a tenth of normal's capacity and half normal's
                 interpreters per language (each centre and language keeps at least one):
                 capacity, not feasibility, limits the plan

The result is deterministic for its arguments (no global random state, no clock).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from solver.travel import travel_minutes

SCENARIOS = ("normal", "crunch", "rare-language", "sick-leave", "settlement-wave")
# settlement-wave: counsellor capacity and interpreters per language as shares of normal's.
WAVE_COUNSELLORS, WAVE_INTERPRETERS = 0.1, 0.5
NORMAL_SLACK = 1.4          # normal: multicultural capacity = demand x this
DEFAULT_START = date(2027, 1, 4)
DATA_FILE = Path(__file__).resolve().parent / "data" / "municipalities.csv"

SESSION_MINUTES = 90
MAX_TRAVEL = 150
ROAD_FACTOR, SPEED_KMH = 1.3, 60.0

# Participant languages and their shares (DOMAIN.md: Ukrainian most, then the others).
COMMON_LANGUAGES = {
    "uk": 0.36, "ar": 0.12, "ti": 0.10, "prs": 0.07, "ps": 0.06,
    "so": 0.06, "kmr": 0.05, "ckb": 0.04, "fa": 0.04, "ru": 0.05,
}
RARE_LANGUAGES = ("ln", "rw", "my", "om", "sw")
# Languages an interpreter of the first often also covers.
SECOND_LANGUAGE = {"uk": "ru", "ru": "uk", "prs": "fa", "fa": "prs", "ckb": "kmr",
                   "kmr": "ckb", "ti": "am", "ar": "ckb", "so": "sw"}
COUNSELLOR_EXTRA_LANGUAGES = {"ar": 0.08, "ru": 0.06, "uk": 0.05, "so": 0.03, "ti": 0.03, "fa": 0.03}

FIRST_NAMES = ("Ingrid", "Kari", "Marit", "Nora", "Sofie", "Ole", "Lars", "Jon", "Erik", "Astrid",
               "Hilde", "Silje", "Anders", "Kristian", "Mona", "Tone", "Amina", "Yonas", "Leila",
               "Olena", "Farhad", "Hodan", "Sara", "Ali", "Mariam", "Tarik", "Ragnhild", "Per")
LAST_NAMES = ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg",
              "Haugen", "Hagen", "Dahl", "Lie", "Moen", "Strand", "Bakke", "Solberg", "Eide",
              "Ahmadi", "Tesfay", "Hussein", "Kovalenko", "Rahimi", "Yusuf", "Haile", "Shevchenko")


@dataclass(frozen=True)
class Municipality:
    """One row of the municipality table."""

    county: str
    county_name: str
    number: str
    name: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True)
class Generated:
    """An instance together with facts the format does not carry (for tests)."""

    instance: dict
    settled: dict[str, date]  # participant id -> settlement date (integration act only)


def generate(county: str = "46", participants: int = 500, seed: int = 1,
             scenario: str = "normal", weeks: int = 13, start: date | str | None = None) -> dict:
    """A valid ``guidance-instance/1`` dict for one county and scenario, deterministic for a seed."""
    return generate_detailed(county, participants, seed, scenario, weeks, start).instance


def generate_detailed(county: str = "46", participants: int = 500, seed: int = 1,
                      scenario: str = "normal", weeks: int = 13,
                      start: date | str | None = None) -> Generated:
    """Like :func:`generate`, also returning the participants' settlement dates."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    if participants < 0 or weeks < 1:
        raise ValueError("participants must be >= 0 and weeks >= 1")
    start = _as_date(start) if start is not None else DEFAULT_START
    munis = municipalities(county)
    base = "normal" if scenario == "sick-leave" else scenario
    builder = _Builder(munis, participants, seed, base, weeks, start)
    instance = builder.build()
    instance["name"] = f"{_slug(munis[0].county_name)}-{start:%Y}w{start:%V}-{participants}p-s{seed}-{scenario}"
    if scenario == "sick-leave":
        _add_sick_leave(instance)
    return Generated(instance, builder.settled)


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m solver generate --county 46 --participants 500 ... -o FILE``."""
    parser = argparse.ArgumentParser(prog="python -m solver generate",
                                     description="Generate a realistic planning instance.")
    parser.add_argument("--county", default="46", help="two-digit county number (default 46, Vestland)")
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", choices=SCENARIOS, default="normal")
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--start", default=None, help="first day of the horizon, YYYY-MM-DD")
    parser.add_argument("-o", "--output", default="-", help="output file ('-' for stdout)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        instance = generate(args.county, args.participants, args.seed, args.scenario,
                            args.weeks, args.start)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(instance, ensure_ascii=False, indent=1)
    if args.output == "-":
        print(text)
    else:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}: {len(instance['participants'])} participants, "
              f"{len(instance['counsellors'])} counsellors, {len(instance['interpreters'])} interpreters",
              file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- reference data


def municipalities(county: str) -> list[Municipality]:
    """The county's municipalities, largest population first."""
    county = county.zfill(2)
    rows = []
    with DATA_FILE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["county_number"] == county:
                rows.append(Municipality(row["county_number"], row["county_name"], row["kommunenummer"],
                                         row["name"], float(row["lat"]), float(row["lon"]),
                                         int(row["population"])))
    if not rows:
        raise ValueError(f"unknown county {county!r}")
    rows.sort(key=lambda m: (-m.population, m.number))
    return rows


def oslo() -> Municipality:
    """Oslo, home of the remote-only interpreters of rare languages."""
    return municipalities("03")[0]


# --------------------------------------------------------------------------- calendar


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def norwegian_holidays(year: int) -> list[date]:
    """Norwegian public holidays (helligdager and 1 and 17 May) of one year."""
    easter = easter_sunday(year)
    moving = [-3, -2, 0, 1, 39, 49, 50]  # Maundy Thu, Good Fri, Easter, Easter Mon, Ascension, Whit
    fixed = [date(year, 1, 1), date(year, 5, 1), date(year, 5, 17), date(year, 12, 25), date(year, 12, 26)]
    return sorted(fixed + [easter + timedelta(days=d) for d in moving])


def add_months(day: date, months: int) -> date:
    """The same day-of-month ``months`` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


# --------------------------------------------------------------------------- building


def _travel(a: Municipality, b: Municipality) -> int:
    """Travel minutes between two municipalities (the one formula in solver.travel)."""
    return travel_minutes((a.lat, a.lon), (b.lat, b.lon), ROAD_FACTOR, SPEED_KMH)


def _slug(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class _Builder:
    """Builds one instance; all randomness comes from one seeded generator."""

    def __init__(self, munis, n_participants, seed, scenario, weeks, start):
        self.munis, self.n, self.scenario, self.start = munis, n_participants, scenario, start
        # A wave draws normal's random stream: its participants are normal's, drawn first.
        stream = "normal" if scenario == "settlement-wave" else scenario
        self.rng = random.Random(f"veiled/{munis[0].county}/{n_participants}/{seed}/{stream}")
        self.end = start + timedelta(days=7 * weeks - 3)  # Friday of the last week
        self.holidays = [d for y in range(start.year, self.end.year + 1)
                         for d in norwegian_holidays(y)
                         if start <= d <= self.end and d.isoweekday() <= 5]
        self.days = [start + timedelta(days=i) for i in range((self.end - start).days + 1)
                     if (start + timedelta(days=i)).isoweekday() <= 5
                     and start + timedelta(days=i) not in self.holidays]
        self.settled: dict[str, date] = {}
        self.by_number = {m.number: m for m in munis}

    def build(self) -> dict:
        centres, outreach = self._choose_sites()
        locations = [self._centre(m) for m in centres] + [self._outreach(m, i) for i, m in enumerate(outreach)]
        site_munis = centres + outreach
        participants = self._participants()
        nearest = self._nearest_centre(participants, centres, site_munis, locations)
        counsellors = self._counsellors(participants, nearest, centres, outreach, locations)
        interpreters = self._interpreters(participants)
        self._prefer_counsellors(participants, counsellors, nearest, locations[:len(centres)])
        places = [self._place(m) for m in self.munis]
        if any(i["place"] == "0301" for i in interpreters) and "0301" not in self.by_number:
            places.append(self._place(oslo()))
        return {
            "format": "guidance-instance/1",
            "name": "",
            "timezone": "Europe/Oslo",
            "horizon": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "slot_minutes": 15,
            "calendar": {"workdays": [1, 2, 3, 4, 5], "holidays": [d.isoformat() for d in self.holidays]},
            "session_types": {"individual": {"minutes": SESSION_MINUTES},
                              "group": {"minutes": SESSION_MINUTES, "min_size": 3, "max_size": 8}},
            "travel": {"road_factor": ROAD_FACTOR, "speed_kmh": SPEED_KMH},
            "max_participant_travel_minutes": MAX_TRAVEL,
            "places": places,
            "locations": locations,
            "counsellors": counsellors,
            "interpreters": interpreters,
            "participants": participants,
            "previous_plan": None,
            "frozen_until": None,
        }

    # -- sites

    def _choose_sites(self):
        """Career centres in the largest towns, spread out; outreach venues where people are far."""
        munis = self.munis
        wanted = 1 if len(munis) == 1 else max(2, min(5, len(munis) // 9 + 1))
        centres = [munis[0]]
        for m in munis[1:]:
            if len(centres) >= wanted:
                break
            if all(_travel(m, c) > 60 for c in centres):
                centres.append(m)
        outreach = []
        for m in munis:  # largest first: cover every municipality within 110 minutes
            if len(outreach) >= 4:
                break
            if min(_travel(m, s) for s in centres + outreach) > 110:
                outreach.append(m)
        for m in munis:  # a few venues closer to where people live, if still missing
            if len(outreach) >= 2:
                break
            if m not in centres + outreach and min(_travel(m, s) for s in centres + outreach) > 40:
                outreach.append(m)
        return centres, outreach

    def _centre(self, m) -> dict:
        lid = f"L-{_slug(m.name)}"
        big = m.population > 100_000
        singles = 6 if big else 3
        rooms = [{"id": f"{lid}-{i + 1}", "capacity": 1, "video": i % 2 == 0} for i in range(singles)]
        rooms.append({"id": f"{lid}-G", "capacity": 10, "video": True})
        if big:
            rooms.append({"id": f"{lid}-G2", "capacity": 12, "video": False})
        return {"id": lid, "name": f"Karrieresenter {m.name}", "place": m.number,
                "opening": [["08:00", "16:00"]], "open_dates": None, "rooms": rooms}

    def _outreach(self, m, index: int) -> dict:
        lid = f"L-{_slug(m.name)}-ute"
        weekday = 2 + index % 3  # Tuesday, Wednesday or Thursday
        dates = [d.isoformat() for d in self.days if d.isoweekday() == weekday]
        return {"id": lid, "name": f"Utekontor {m.name}", "place": m.number,
                "opening": [["09:00", "15:00"]], "open_dates": dates,
                "rooms": [{"id": f"{lid}-1", "capacity": 1, "video": False},
                          {"id": f"{lid}-G", "capacity": 8, "video": False}]}

    def _place(self, m) -> dict:
        return {"id": m.number, "name": m.name, "lat": m.lat, "lon": m.lon}

    # -- participants

    def _participants(self) -> list[dict]:
        rng = self.rng
        weights = [m.population for m in self.munis]
        rare_share = 0.22 if self.scenario == "rare-language" else 0.03
        out = []
        for k in range(self.n):
            pid = f"P{k + 1}"
            muni = rng.choices(self.munis, weights=weights)[0]
            basis = _weighted(rng, {"integration_act": 0.78, "temporary_act": 0.13, "ordinary": 0.09})
            language = rng.choice(RARE_LANGUAGES) if rng.random() < rare_share else _weighted(rng, COMMON_LANGUAGES)
            earliest, deadline, needs = self._window(pid, basis)
            needs_interpreter = rng.random() < (0.88 if basis != "ordinary" else 0.5)
            video_ok = rng.random() < (0.07 if basis != "ordinary" else 0.25)
            out.append({"id": pid, "place": muni.number, "legal_basis": basis, "needs": needs,
                        "earliest": earliest.isoformat(),
                        "deadline": deadline.isoformat() if deadline else None,
                        "language": language, "needs_interpreter": needs_interpreter,
                        "video_ok": video_ok, "preferred_counsellor": None})
        return out

    def _window(self, pid: str, basis: str):
        """Earliest date, deadline and needs for one participant, by legal basis."""
        rng, start, end = self.rng, self.start, self.end
        if basis == "integration_act":
            settled = start + timedelta(days=rng.randint(-75, (end - start).days - 21))
            self.settled[pid] = settled
            earliest = settled + timedelta(days=rng.randint(7, 21))  # referral takes a while
            return earliest, add_months(settled, 3), ["individual", "group"]
        if basis == "temporary_act":
            referred = start + timedelta(days=rng.randint(-20, (end - start).days - 14))
            needs = ["individual", "group"] if rng.random() < 0.5 else ["individual"]
            return referred, referred + timedelta(days=rng.randint(35, 90)), needs
        booked = start + timedelta(days=rng.randint(-10, (end - start).days - 7))
        return booked, None, ["individual"]

    def _nearest_centre(self, participants, centres, site_munis, locations) -> dict[str, int]:
        """Index of the centre whose counsellors serve each participant (via the nearest site)."""
        site_to_centre = [min(range(len(centres)), key=lambda c: _travel(s, centres[c])) for s in site_munis]
        out = {}
        for p in participants:
            m = self.by_number[p["place"]]
            site = min(range(len(site_munis)), key=lambda s: _travel(m, site_munis[s]))
            out[p["id"]] = site_to_centre[site]
        return out

    # -- counsellors

    def _counsellors(self, participants, nearest, centres, outreach, locations) -> list[dict]:
        """Counsellors per centre, sized so multicultural capacity = demand x scenario slack.

        Guidance for referred refugees is one of a counsellor's tasks: each is available for it
        two to five days a week, so capacity can be matched to demand quite closely.
        """
        slack = {"normal": NORMAL_SLACK, "rare-language": NORMAL_SLACK, "crunch": 1 / 1.3,
                 "settlement-wave": NORMAL_SLACK * WAVE_COUNSELLORS}[self.scenario]
        demand = [0.0] * len(centres)
        for p in participants:
            if p["legal_basis"] in ("integration_act", "temporary_act"):
                demand[nearest[p["id"]]] += sum(1.0 if n == "individual" else 1 / 6.5 for n in p["needs"])
        centre_ids = [loc["id"] for loc in locations[:len(centres)]]
        outreach_ids = [loc["id"] for loc in locations[len(centres):]]
        outreach_home = [min(range(len(centres)), key=lambda c: _travel(o, centres[c])) for o in outreach]
        out = []
        for c in range(len(centres)):
            locs = [centre_ids[c]] + [outreach_ids[o] for o, h in enumerate(outreach_home) if h == c]
            target = demand[c] * slack
            staff, capacity = [], 0.0
            while not staff or capacity < target - 2:
                weekly_per_day = 4 * len(self.days) / 5  # sessions a year-quarter per weekday
                days = min(self.rng.randint(2, 5), max(1, round((target - capacity) / weekly_per_day)))
                staff.append((days, 4, True))
                capacity += days * weekly_per_day * 0.94  # a third take a week off
            n_plain = round(len(staff) * 0.3 / 0.7)  # about 70 % have multicultural training
            staff += [(self.rng.randint(2, 5), 4, False) for _ in range(n_plain)]
            self.rng.shuffle(staff)
            for days, per_day, multicultural in staff:
                mine = list(locs)
                if len(centres) > 1 and self.rng.random() < 0.15:
                    mine.append(self.rng.choice([x for x in centre_ids if x != centre_ids[c]]))
                out.append(self._counsellor(f"C{len(out) + 1}", mine, multicultural, days, per_day))
        return out

    def _counsellor(self, cid: str, locations: list[str], multicultural: bool,
                    n_days: int, per_day: int) -> dict:
        rng = self.rng
        languages = ["nb", "en"] + [lang for lang, p in COUNSELLOR_EXTRA_LANGUAGES.items() if rng.random() < p]
        days = sorted(rng.sample([1, 2, 3, 4, 5], n_days))
        hours = [["08:00", "15:30"]] if rng.random() < 0.7 else [["08:30", "16:00"]]
        absences = []
        if rng.random() < 0.3:  # a week off (winter holiday, courses)
            monday = self.start + timedelta(weeks=rng.randrange(max(1, (self.end - self.start).days // 7)))
            absences.append([monday.isoformat(), (monday + timedelta(days=4)).isoformat()])
        return {"id": cid, "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "locations": locations, "multicultural": multicultural, "languages": languages,
                "weekly": {str(d): hours for d in days}, "absences": absences,
                "max_sessions_per_day": per_day}

    def _prefer_counsellors(self, participants, counsellors, nearest, centre_locations) -> None:
        """Some temporary-act participants met a counsellor before and ask for them again."""
        for p in participants:
            if p["legal_basis"] != "temporary_act" or self.rng.random() >= 0.25:
                continue
            home = centre_locations[nearest[p["id"]]]["id"]
            known = [c["id"] for c in counsellors if c["multicultural"] and home in c["locations"]]
            if known:
                p["preferred_counsellor"] = self.rng.choice(known)

    # -- interpreters

    def _interpreters(self, participants) -> list[dict]:
        """Enough interpreters per language for the demand; rare languages remote only."""
        demand: dict[str, float] = {}
        for p in participants:
            if p["needs_interpreter"]:
                demand[p["language"]] = demand.get(p["language"], 0) + len(p["needs"]) * 0.6
        out = []
        for language in sorted(demand, key=lambda lang: (-demand[lang], lang)):
            if language in RARE_LANGUAGES:
                count = 1 if self.scenario == "rare-language" else 1
                for _ in range(count):
                    out.append(self._interpreter(f"I{len(out) + 1}", language, remote=True))
                continue
            count = max(2, math.ceil(demand[language] * 1.4 / 45))
            if self.scenario == "settlement-wave":
                count = math.ceil(count * WAVE_INTERPRETERS)
            for _ in range(count):
                out.append(self._interpreter(f"I{len(out) + 1}", language, remote=self.rng.random() < 0.2))
        return out

    def _interpreter(self, iid: str, language: str, remote: bool) -> dict:
        rng = self.rng
        languages = {language: _weighted(rng, {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.25, 5: 0.15})}
        second = SECOND_LANGUAGE.get(language)
        if second and rng.random() < 0.4:
            languages[second] = _weighted(rng, {2: 0.2, 3: 0.3, 4: 0.3, 5: 0.2})
        if remote:
            modes, place = ["video", "phone"], "0301"
        else:
            modes = ["onsite", "video", "phone"] if rng.random() < 0.75 else ["onsite"]
            place = rng.choices(self.munis[:8], weights=[m.population for m in self.munis[:8]])[0].number
        rare = language in RARE_LANGUAGES
        n_days = rng.randint(1, 2) if rare else rng.randint(2, 5)
        days = sorted(rng.sample([1, 2, 3, 4, 5], n_days))
        hours = [["08:00", "16:00"]] if rng.random() < 0.6 else [["09:00", "15:00"]]
        absences = []
        if rng.random() < 0.25:
            monday = self.start + timedelta(weeks=rng.randrange(max(1, (self.end - self.start).days // 7)))
            absences.append([monday.isoformat(), (monday + timedelta(days=4)).isoformat()])
        rate = rng.randrange(600, 910, 10)
        return {"id": iid, "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "languages": languages, "modes": modes, "place": place,
                "weekly": {str(d): hours for d in days}, "absences": absences,
                "hourly_rate": rate, "min_billed_minutes": 60, "travel_rate": rate // 2}


# --------------------------------------------------------------------------- sick leave


def _add_sick_leave(instance: dict) -> None:
    """Plan with the baseline, then send the busiest counsellor on two weeks' sick leave."""
    from solver.baseline import baseline  # local import: baseline imports nothing from here

    plan = baseline(instance)
    plan = plan if isinstance(plan, dict) else plan.model_dump(mode="json")
    counts: dict[str, int] = {}
    for s in plan["sessions"]:
        counts[s["counsellor"]] = counts.get(s["counsellor"], 0) + 1
    if not counts:
        return
    busiest = max(sorted(counts), key=lambda c: counts[c])
    start = date.fromisoformat(instance["horizon"]["start"])
    sick_from = start + timedelta(weeks=3)  # a Monday when the horizon starts on a Monday
    sick_to = sick_from + timedelta(days=11)  # Friday of the following week
    for c in instance["counsellors"]:
        if c["id"] == busiest:
            c["absences"] = c["absences"] + [[sick_from.isoformat(), sick_to.isoformat()]]
    plan["instance"] = instance["name"]
    instance["previous_plan"] = plan
    # Reported on the Wednesday: Monday and Tuesday are history, they stay as they were
    # unless they break a rule now (the sick counsellor's sessions must move).
    instance["frozen_until"] = f"{(sick_from + timedelta(days=2)).isoformat()}T00:00"
