"""Centre set-up: a county's locations, rooms and settings, as its lead types them in.

Each use case is one transaction and audited; bad input raises `DomainError` with a message
per form field (the field names of `web/setup.py`'s forms). Locations and rooms are
deactivated, never deleted: published sessions keep pointing at them.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from guidance import clock
from guidance.extensions import db
from guidance.models import CareerCentre, County, InterpreterBudget, Location, Municipality, Room, User
from guidance.models.organisation import WEEKDAYS
from guidance.rules.opening import WEEKS, hhmm
from guidance.services import audit
from guidance.services.errors import DomainError

WEEKDAY_NAMES = {1: _l("Monday"), 2: _l("Tuesday"), 3: _l("Wednesday"), 4: _l("Thursday"), 5: _l("Friday")}
WEEKS_LABELS = {"every": _l("Every week"), "even": _l("Even weeks"), "odd": _l("Odd weeks")}
SLOT_MINUTES = 15
PERIODS_PER_DAY = 2  # opening periods per weekday in the form (e.g. before and after lunch)
PATTERN_ROWS = 3  # weekly-pattern rows for an outreach venue
TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


NOT_CHOSEN = -1   # the location form's "choose the career centre" prompt


@dataclass
class LocationData:
    """A location as typed in: hours as text pairs per weekday, dates as text lines."""

    name: str
    municipality_id: int
    centre_id: int = 0  # 0: a new career centre named after the location; NOT_CHOSEN: refused
    address: str = ""
    directions: str = ""
    step_free: bool = False
    outreach: bool = False
    # {weekday: [(from, to), ...]} as typed, PERIODS_PER_DAY pairs per weekday
    hours: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    # [(weekday or 0, weeks), ...] as chosen
    pattern: list[tuple[int, str]] = field(default_factory=list)
    open_dates: str = ""


@dataclass
class RoomData:
    name: str
    capacity: int | None
    video: bool = False


# More than an interpreter's whole day: a step worth more than this is a typing error.
MAX_CATEGORY_STEP_NOK = 10_000


@dataclass
class CentreData:
    name: str | None
    phone: str | None
    email: str | None


@dataclass
class SettingsData:
    individual_minutes: int | None
    group_minutes: int | None
    group_min_size: int | None
    group_max_size: int | None
    max_travel_minutes: int | None
    booking_answer_hours: int | None
    closure_days: str = ""
    budget_month: str = ""  # "YYYY-MM"
    budget_amount: int | None = None  # NOK
    # Working days before a session the referrer is reminded (None: unchanged).
    reminder_working_days: int | None = None
    # Working days between publishing a plan and its first new session (None: unchanged).
    publish_notice_days: int | None = None
    session_idle_minutes: int | None = None  # None: the installation's SESSION_IDLE_MINUTES
    # NOK a plan may pay more per session for an interpreter one register category better (None: unchanged).
    category_step_nok: int | None = None
    # Hours before a session within which cancelling an accepted interpreter costs the booked time
    # (None: unchanged; 0: never).
    interpreter_late_cancel_hours: int | None = None
    # Journeys the straight line gets wrong, one per line: "Bergen – Stord: 120" (None: unchanged).
    known_travel: str | None = None


# ---------------------------------------------------------------------------- public use cases


def takes_referrals(municipality: Municipality) -> bool:
    """Does anyone receive this municipality's referrals: its county has a career centre in Veiled. A referral
    from elsewhere was accepted ("sent to the career centre") and reached nobody while its deadline ran."""
    return db.session.scalar(select(CareerCentre.id).where(CareerCentre.county_id == municipality.county_id)
                             .limit(1)) is not None


def reaches_nobody(municipality: Municipality) -> str:
    """What to say when `municipality`'s referrals would reach nobody (takes_referrals is False)."""
    return _("%(municipality)s's county has no career centre in Veiled yet, so its referrals would reach nobody. "
             "Set up the county first.", municipality=municipality.name)


def centres_of(county: County) -> list[CareerCentre]:
    return list(db.session.scalars(select(CareerCentre).where(CareerCentre.county_id == county.id)
                                   .order_by(CareerCentre.name, CareerCentre.id)))


def contacts_of(municipality: Municipality) -> list[CareerCentre]:
    """The centres of the municipality's county that gave a phone number or an e-mail address, the one
    with a location nearest the municipality first: what its referrers see."""
    from solver.travel import haversine_km

    def distance(centre: CareerCentre) -> float:
        return min((haversine_km(municipality.lat, municipality.lon, loc.municipality.lat, loc.municipality.lon)
                    for loc in centre.locations if loc.active), default=float("inf"))

    found = [c for c in db.session.scalars(select(CareerCentre).where(CareerCentre.county_id == municipality.county_id)
                                           .order_by(CareerCentre.name, CareerCentre.id))
             if c.phone or c.email]
    return sorted(found, key=distance)


def update_centre(actor, centre: CareerCentre, data: CentreData) -> CareerCentre:
    """A centre's name (the sender of its letters) and how referrers and participants reach it."""
    values = validate_centre(centre, data)
    changed = _apply(centre, values)
    # The fields' names only: a phone number is not personal, but the trail has no need of it.
    audit.record(actor, "centre.updated", centre, {"fields": changed})
    db.session.commit()
    return centre


def validate_centre(centre: CareerCentre, data: CentreData) -> dict:
    from guidance.services.people import valid_email
    from guidance.services.referrals import canonical_phone, dialable

    errors: dict[str, list[str]] = {}
    name = " ".join((data.name or "").split())
    if not name:
        errors["name"] = [_("Enter the career centre's name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name can be at most 200 characters.")]
    elif any(other.name.casefold() == name.casefold() and other is not centre for other in centres_of(centre.county)):
        # The locations' form and workbook choose a centre by its name.
        errors["name"] = [_("The county already has a career centre called %(name)s.", name=name)]
    phone = canonical_phone(data.phone)
    if phone and (not dialable(phone) or len(phone) > 30):
        errors["phone"] = [_("Enter a phone number of 8 to 15 digits, like +47 400 00 000.")]
    email = (data.email or "").strip()
    if email and not valid_email(email):
        errors["email"] = [_("Enter a valid e-mail address, like name@example.no.")]
    if errors:
        raise DomainError(_("Check the career centre."), errors)
    return {"name": name, "phone": phone, "email": email or None}


def _apply(target, values: dict) -> list[str]:
    """Set `values` on `target`; the names of the fields that changed, for the audit trail."""
    changed = sorted(k for k, v in values.items() if getattr(target, k) != v)
    for key, value in values.items():
        setattr(target, key, value)
    return changed


def locations_of(county: County, *, active_only: bool = False) -> list[Location]:
    """Every location of the county, active ones first; `active_only`: what a counsellor may work from."""
    stmt = (select(Location).join(CareerCentre, CareerCentre.id == Location.centre_id)
            .where(CareerCentre.county_id == county.id)
            .order_by(Location.active.desc(), Location.name, Location.id))
    if active_only:
        stmt = stmt.where(Location.active.is_(True))
    return list(db.session.scalars(stmt))


def create_location(actor, county: County, data: LocationData) -> Location:
    """Add a location (office or outreach venue) to one of the county's centres."""
    values = _validate_location(county, data, None)
    centre = _centre(county, data)
    location = Location(centre=centre, **values)
    db.session.add(location)
    db.session.flush()
    audit.record(actor, "location.created", location, {"county_id": county.id})
    db.session.commit()
    return location


def update_location(actor, location: Location, data: LocationData) -> Location:
    """Save a location's fields, and the career centre it belongs to (another of the county's, or a
    new one named after it: a venue put under the wrong centre sent letters in that centre's name)."""
    county = location.centre.county
    values = _validate_location(county, data, location)
    changed = _apply(location, values)
    if data.centre_id != location.centre_id and not (data.centre_id == 0 and location.centre.name == data.name.strip()
                                                     and len(location.centre.locations) == 1):
        location.centre = _centre(county, data)
        changed.append("centre_id")
    audit.record(actor, "location.updated", location, {"fields": changed})
    db.session.commit()
    return location


def set_location_active(actor, location: Location, active: bool) -> None:
    """Deactivate (left out of new plans) or reactivate a location."""
    location.active = active
    audit.record(actor, "location.activated" if active else "location.deactivated", location)
    db.session.commit()


def create_room(actor, location: Location, data: RoomData) -> Room:
    values = _validate_room(data, location, None)
    room = Room(location=location, **values)
    db.session.add(room)
    db.session.flush()
    audit.record(actor, "room.created", room, {"location_id": location.id})
    db.session.commit()
    return room


def update_room(actor, room: Room, data: RoomData) -> Room:
    values = _validate_room(data, room.location, room)
    changed = _apply(room, values)
    audit.record(actor, "room.updated", room, {"fields": changed})
    db.session.commit()
    return room


def set_room_active(actor, room: Room, active: bool) -> None:
    room.active = active
    audit.record(actor, "room.activated" if active else "room.deactivated", room)
    db.session.commit()


def update_settings(actor, county: County, data: SettingsData) -> None:
    """Session lengths, group sizes, travel limit, closure days, interpreter answer time and budget."""
    values, month = validate_settings(data, county)
    changed = _apply(county, values)
    audit.record(actor, "county.settings_updated", county, {"fields": changed})
    if month is not None:
        set_budget(actor, county, month, data.budget_amount)
    db.session.commit()


def known_travel_text(county: County) -> str:
    """The county's known travel times as the settings form writes them, one per line: "Bergen – Stord: 120"."""
    names = {m.number: m.name for m in county.municipalities}
    return "\n".join(f"{names.get(t['from'], t['from'])} – {names.get(t['to'], t['to'])}: {t['minutes']}"
                     for t in county.known_travel or [])


KNOWN_TRAVEL_MINUTES = (1, 600)   # one way


def _journey_line(line: str) -> re.Match | None:
    """"Bergen – Stord: 120" -> the two places and the minutes (also "Bergen-Stord: 120 min", "Bergen / Stord: 2")."""
    return re.fullmatch(r"(.+?)\s*(?:\s[-–]\s|–|/)\s*(.+?)\s*:\s*(\d{1,3})\s*(?:min\w*)?\.?", line)


def travel_places(county: County) -> dict[str, str]:
    """A place of a known travel time as a lead writes it (a municipality of the county, by name in any case or by
    number) -> its municipality number."""
    by_name = {m.name.casefold(): m.number for m in county.municipalities}
    by_name.update({m.number: m.number for m in county.municipalities})
    return by_name


def _parse_known_travel(text: str, county: County) -> tuple[list[dict], list[str]]:
    """("Bergen – Stord: 120" lines -> [{"from", "to", "minutes"}], the lines that could not be read). A place is
    one of the county's municipalities, by name or number; the minutes are one way, 1 to 600."""
    by_name = travel_places(county)
    low, high = KNOWN_TRAVEL_MINUTES
    found, bad = {}, []
    for line in (raw.strip() for raw in (text or "").splitlines()):
        if not line:
            continue
        match = _journey_line(line)
        a, b = (by_name.get(match[1].strip().casefold()), by_name.get(match[2].strip().casefold())) if match else (None, None)
        key = tuple(sorted((a, b))) if a is not None and b is not None else None
        if match is None or a is None or b is None or a == b or not low <= int(match[3]) <= high \
                or found.get(key, int(match[3])) != int(match[3]):   # the same journey twice, with two times
            bad.append(line)
            continue
        found[key] = int(match[3])
    return [{"from": a, "to": b, "minutes": m} for (a, b), m in sorted(found.items())], bad


def validate_settings(data: SettingsData, county: County | None = None) -> tuple[dict, dt.date | None]:
    """The county's new settings and the budget month (None: no budget given), or `DomainError`."""
    errors: dict[str, list[str]] = {}
    for name, low, high in (("individual_minutes", 15, 480), ("group_minutes", 15, 480)):
        value = getattr(data, name)
        if value is None or not low <= value <= high or value % SLOT_MINUTES:
            errors[name] = [_("Enter minutes between %(low)d and %(high)d in steps of 15.", low=low, high=high)]
    for name, low, high in (("group_min_size", 2, 50), ("group_max_size", 2, 50)):
        value = getattr(data, name)
        if value is None or not low <= value <= high:
            errors[name] = [_("Enter a number between %(low)d and %(high)d.", low=low, high=high)]
    if "group_min_size" not in errors and "group_max_size" not in errors and data.group_min_size > data.group_max_size:
        # On both fields: either may be the one the lead just changed.
        errors["group_min_size"] = [_("The smallest group cannot be larger than the largest group (%(num)d).",
                                      num=data.group_max_size)]
        errors["group_max_size"] = [_("The largest group must be at least the smallest group.")]
    if data.max_travel_minutes is None or not 15 <= data.max_travel_minutes <= 600:
        errors["max_travel_minutes"] = [_("Enter minutes between %(low)d and %(high)d.", low=15, high=600)]
    if data.booking_answer_hours is None or not 1 <= data.booking_answer_hours <= 336:
        errors["booking_answer_hours"] = [_("Enter between 1 and 336 hours.")]
    if data.reminder_working_days is not None and not 1 <= data.reminder_working_days <= 10:
        errors["reminder_working_days"] = [_("Enter a number between %(low)d and %(high)d.", low=1, high=10)]
    if data.publish_notice_days is not None and not 0 <= data.publish_notice_days <= 20:
        errors["publish_notice_days"] = [_("Enter a number between %(low)d and %(high)d.", low=0, high=20)]
    if data.category_step_nok is not None and not 0 <= data.category_step_nok <= MAX_CATEGORY_STEP_NOK:
        errors["category_step_nok"] = [_("Enter an amount between %(low)d and %(high)d NOK.",
                                         low=0, high=MAX_CATEGORY_STEP_NOK)]
    if data.interpreter_late_cancel_hours is not None and not 0 <= data.interpreter_late_cancel_hours <= 336:
        errors["interpreter_late_cancel_hours"] = [_("Enter between 0 and 336 hours.")]
    if data.session_idle_minutes is not None and not 5 <= data.session_idle_minutes <= 720:
        errors["session_idle_minutes"] = [_("Enter minutes between %(low)d and %(high)d.", low=5, high=720)]
    closure, bad = _parse_dates(data.closure_days)
    if bad:
        errors["closure_days"] = [_("Write each date as 2027-07-15 or 15.07.2027, one per line, or a period on one "
                                    "line as 2027-07-12 – 2027-07-30 (at most a year): %(lines)s",
                                    lines=", ".join(bad))]
    travel = None
    if data.known_travel is not None and county is not None:
        travel, unread = _parse_known_travel(data.known_travel, county)
        if unread:
            errors["known_travel"] = [_("Write each journey as “Bergen – Stord: 120”: two municipalities of the county "
                                        "and the minutes one way (1 to 600), one per line. Not read: %(lines)s",
                                        lines="; ".join(unread))]
            places = travel_places(county)
            unknown = list(dict.fromkeys(part.strip() for line in unread if (match := _journey_line(line))
                                         for part in (match[1], match[2]) if part.strip().casefold() not in places))
            if unknown:   # a town is not a municipality: the lead wrote Førde, the county has Sunnfjord
                errors["known_travel"].append(ngettext(
                    "“%(names)s” is not a municipality of the county: a town counts as the municipality it is in.",
                    "These are not municipalities of the county: %(names)s. A town counts as the municipality it is in.",
                    len(unknown), names=", ".join(unknown)))
    month = None
    # No amount keeps the budgets as they are (the form says so), whatever the month field holds: it
    # opens on this month, and saving another setting asked for an amount.
    if data.budget_amount is not None:
        try:
            month = dt.date.fromisoformat(data.budget_month.strip() + "-01")
        except ValueError:
            errors["budget_month"] = [_("Enter the month as 2027-03.")]
        else:
            if problem := budget_month_problem(month):
                errors["budget_month"] = [problem]
        if not 0 <= data.budget_amount <= 100_000_000:
            errors["budget_amount"] = [_("Enter an amount of 0 NOK or more.")]
    if errors:
        raise DomainError(_("Check the settings."), errors)
    values = {name: getattr(data, name) for name in (
        "individual_minutes", "group_minutes", "group_min_size", "group_max_size", "max_travel_minutes",
        "booking_answer_hours", "session_idle_minutes")}
    values["closure_days"] = [d.isoformat() for d in closure]
    if data.reminder_working_days is not None:
        values["reminder_working_days"] = data.reminder_working_days
    if data.publish_notice_days is not None:
        values["publish_notice_days"] = data.publish_notice_days
    if data.category_step_nok is not None:
        values["category_step_nok"] = data.category_step_nok
    if data.interpreter_late_cancel_hours is not None:
        values["interpreter_late_cancel_hours"] = data.interpreter_late_cancel_hours
    if travel is not None:
        values["known_travel"] = travel
    return values, month


def budgets_of(county: County) -> list[InterpreterBudget]:
    return list(db.session.scalars(select(InterpreterBudget).where(InterpreterBudget.county_id == county.id)
                                   .order_by(InterpreterBudget.month.desc())))


# ---------------------------------------------------------------------------- validation


def _validate_location(county: County, data: LocationData, current: Location | None) -> dict:
    errors: dict[str, list[str]] = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = [_("Enter the location's name.")]
    elif any(other.name.casefold() == name.casefold() and other is not current for other in locations_of(county)):
        # Two of one name cannot be told apart in a plan, and the workbook finds places by name.
        errors["name"] = [_("The county already has a location called %(name)s. Give this one another name.", name=name)]
    municipality = db.session.get(Municipality, data.municipality_id or 0)
    if municipality is None or municipality.county_id != county.id:
        errors["municipality_id"] = [_("Choose a municipality in %(county)s.", county=county.name)]
    if data.centre_id == NOT_CHOSEN:
        errors["centre_id"] = [_("Choose the career centre the location belongs to, or a new one with its name. "
                                 "Letters to participants are sent in the centre's name.")]
    elif data.centre_id and not any(c.id == data.centre_id for c in centres_of(county)):
        errors["centre_id"] = [_("Choose one of the county's career centres.")]
    weekly = _weekly_hours(data.hours, errors)
    pattern, extra = [], []
    if data.outreach:
        pattern = _pattern(data.pattern, weekly, errors)
        extra = _extra_dates(data.open_dates, weekly, errors)
        if not pattern and not extra and "open_dates" not in errors:
            errors["open_dates"] = [_("Enter the days the outreach venue is open: a weekday or single dates.")]
    if errors:
        raise DomainError(_("Check the location."), errors)
    return {
        "name": name, "municipality_id": municipality.id, "address": (data.address or "").strip() or None,
        "directions": (data.directions or "").strip() or None, "step_free": bool(data.step_free),
        "outreach": bool(data.outreach), "weekly_hours": weekly,
        "open_pattern": pattern or None, "open_dates": [d.isoformat() for d in extra] or None,
    }


def hours_field(weekday: int, period: int, end: str) -> str:
    """The form field of one time: `h1_1_from` is Monday's first opening time."""
    return f"h{weekday}_{period}_{end}"


def _weekly_hours(hours: dict[int, list[tuple[str, str]]], errors: dict) -> dict:
    """{"1": [["08:00", "11:30"], ["12:00", "16:00"]], ...} from the typed pairs, or field errors:
    both times given, HH:MM on the quarter hour, opening before closing, periods not overlapping."""
    weekly = {}
    for weekday in WEEKDAYS:
        spans = []
        for period, (start, end) in enumerate(hours.get(weekday, []), start=1):
            start, end = (start or "").strip(), (end or "").strip()
            if not start and not end:
                continue
            from_field, to_field = hours_field(weekday, period, "from"), hours_field(weekday, period, "to")
            day = str(WEEKDAY_NAMES[weekday])
            a, b = _time(start, from_field, day, errors), _time(end, to_field, day, errors)
            if a is None or b is None:
                continue
            if a >= b:
                errors[to_field] = [_("%(day)s: the closing time must be after the opening time.", day=day)]
                continue
            for other_start, other_end, _other in spans:
                if a < other_end and other_start < b:
                    errors[from_field] = [_("%(day)s: the two opening periods overlap.", day=day)]
                    break
            else:
                spans.append((a, b, period))
        if spans:
            weekly[str(weekday)] = [[hhmm(a), hhmm(b)] for a, b, _p in sorted(spans)]
    if not weekly and not any(k.startswith("h") for k in errors):
        errors[hours_field(1, 1, "from")] = [_("Enter the opening hours of at least one weekday.")]
    return weekly


def _time(text: str, name: str, day: str, errors: dict) -> int | None:
    if not text:
        errors[name] = [_("%(day)s: enter both the opening and the closing time.", day=day)]
        return None
    match = TIME.match(text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        errors[name] = [_("%(day)s: enter a time like 08:00.", day=day)]
        return None
    value = int(match.group(1)) * 60 + int(match.group(2))
    if value % SLOT_MINUTES:
        errors[name] = [_("%(day)s: use whole quarter hours (:00, :15, :30 or :45).", day=day)]
        return None
    return value


def _pattern(rows: list[tuple[int, str]], weekly: dict, errors: dict) -> list[dict]:
    pattern = []
    for n, (weekday, weeks) in enumerate(rows, start=1):
        if not weekday:
            continue
        if weeks not in WEEKS or weekday not in WEEKDAYS:
            errors[f"pattern_{n}_weeks"] = [_("Choose every week, even weeks or odd weeks.")]
        elif str(weekday) not in weekly:
            errors[f"pattern_{n}_weekday"] = [_("Enter opening hours for this weekday first.")]
        elif {"weekday": weekday, "weeks": weeks} not in pattern:
            pattern.append({"weekday": weekday, "weeks": weeks})
    return pattern


def _extra_dates(text: str, weekly: dict, errors: dict) -> list[dt.date]:
    days, bad = _parse_dates(text)
    if bad:
        errors["open_dates"] = [_("Write each date as 2027-07-15 or 15.07.2027, one per line: %(lines)s",
                                  lines=", ".join(bad))]
        return []
    closed = [d for d in days if str(d.isoweekday()) not in weekly]
    if closed:
        errors["open_dates"] = [_("The venue has no opening hours on the weekday of %(dates)s.",
                                  dates=", ".join(d.isoformat() for d in closed))]
        return []
    return days


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4}")
# What may stand between the two dates of a period: a dash of any kind, "til" (nb/nn) or "to".
_BETWEEN = re.compile(r"^\s*(?:[-–—]|til|to)?\s*$", re.IGNORECASE)
MAX_CLOSURE_DAYS = 366   # one period: a summer closure is weeks, a typo in the year is not
CLOSURE_YEARS = (2000, 2100)


def _date(text: str) -> dt.date:
    if "." in text:
        d, m, y = (int(x) for x in text.split("."))
        return dt.date(y, m, d)
    return dt.date.fromisoformat(text)


def _parse_dates(text: str) -> tuple[list[dt.date], list[str]]:
    """Dates one per line (ISO or Norwegian dd.mm.yyyy), or a period on a line ("2027-07-12 – 2027-07-30",
    "12.07.2027 til 30.07.2027": every day of it), sorted and unique; and the lines that are neither. A summer
    closure of three weeks took fifteen lines, and a period typed on one was refused."""
    days, bad = set(), []
    for line in (text or "").replace(",", "\n").splitlines():
        line = line.strip()
        if not line:
            continue
        found = _DATE.findall(line)
        rest = _DATE.sub(" ", line)
        try:
            if any(not CLOSURE_YEARS[0] <= _date(text).year <= CLOSURE_YEARS[1] for text in found):
                raise ValueError(line)   # a year such as 9999 is a typing slip (and overflowed the date arithmetic)
            if len(found) == 1 and not rest.strip():
                days.add(_date(found[0]))
            elif len(found) == 2 and _BETWEEN.match(rest.strip()):
                first, last = _date(found[0]), _date(found[1])
                if not 0 <= (last - first).days < MAX_CLOSURE_DAYS:
                    raise ValueError(line)
                days.update(first + dt.timedelta(days=n) for n in range((last - first).days + 1))
            else:
                raise ValueError(line)
        except (ValueError, OverflowError):
            bad.append(line[:60])
    return sorted(days), bad


def closure_periods(dates) -> list[tuple[dt.date, dt.date]]:
    """A county's closure days as (first, last) periods: three or more days in a row are one period, the
    others a period of one day each (the county's page listed a summer closure as nineteen dates)."""
    days = sorted(dt.date.fromisoformat(d) if isinstance(d, str) else d for d in dates or ())
    runs: list[list[dt.date]] = []
    for day in days:
        if runs and day - runs[-1][-1] == dt.timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    out = []
    for run in runs:
        out += [(run[0], run[-1])] if len(run) >= 3 else [(d, d) for d in run]
    return out


def closure_lines(dates) -> str:
    """A county's closure days as the settings field shows them: a period on one line ("2027-07-12 –
    2027-07-30"), a single day as its date."""
    return "\n".join(first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
                     for first, last in closure_periods(dates))


def _validate_room(data: RoomData, location: Location, current: Room | None) -> dict:
    errors = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = [_("Enter the room's name.")]
    elif (same := next((other for other in location.rooms if other.name.casefold() == name.casefold()
                        and other is not current), None)) is not None:
        # Named as it is written there ("Stavanger-1"), not as it was typed now ("stavanger-1").
        errors["name"] = [_("%(location)s already has a room called %(name)s. Give this one another name.",
                            location=location.name, name=same.name)]
    if data.capacity is None or not 1 <= data.capacity <= 500:
        errors["capacity"] = [_("Enter how many participants the room seats: 1 or more.")]
    if errors:
        raise DomainError(_("Check the room."), errors)
    return {"name": name[:100], "capacity": data.capacity, "video": bool(data.video)}


def _centre(county: County, data: LocationData) -> CareerCentre:
    if data.centre_id:
        return db.session.get(CareerCentre, data.centre_id)
    centre = CareerCentre(county=county, name=data.name.strip()[:200])
    db.session.add(centre)
    return centre


def budget_month_problem(month: dt.date) -> str | None:
    """Why a budget cannot be set for `month` (rules.budget.budget_months), or None."""
    from babel.dates import format_date
    from flask_babel import get_locale

    from guidance.rules.budget import budget_months

    first, last = budget_months(clock.today())
    if first <= month.replace(day=1) <= last:
        return None
    locale = get_locale() or "nb"
    return _("Choose a month from %(first)s to %(last)s.", first=format_date(first, "LLLL y", locale=locale),
             last=format_date(last, "LLLL y", locale=locale))


def set_budget(actor, county: County, month: dt.date, amount_nok: float,
               action: str = "county.budget_set") -> InterpreterBudget:
    """One month's interpreter budget, in the caller's transaction: the one home for the settings page,
    the dashboard and the workbook's interpreter_budgets sheet."""
    first = month.replace(day=1)
    budget = db.session.scalar(select(InterpreterBudget).where(InterpreterBudget.county_id == county.id,
                                                               InterpreterBudget.month == first))
    if budget is None:
        budget = InterpreterBudget(county_id=county.id, month=first, amount_ore=0)
        db.session.add(budget)
    budget.amount_ore = round(amount_nok * 100)
    db.session.flush()
    audit.record(actor, action, budget, {"month": first.isoformat(), "amount_ore": budget.amount_ore})
    return budget


@dataclass
class FirstSteps:
    """What a new installation still lacks, for its administrator's home (an empty installation offered
    only "Manage users", and nothing said that set-up comes first)."""

    locations: int
    leads: int

    @property
    def done(self) -> bool:
        return self.locations > 0 and self.leads > 0


def first_steps(admin: User) -> FirstSteps:
    """The locations and active leads in the administrator's reach (their county, or every county)."""
    from sqlalchemy import func

    from guidance.models import Role

    locations = select(func.count()).select_from(Location).join(CareerCentre, CareerCentre.id == Location.centre_id)
    leads = select(func.count()).select_from(User).where(User.role == Role.LEAD, User.active.is_(True))
    if admin.county_id is not None:
        locations = locations.where(CareerCentre.county_id == admin.county_id)
        leads = leads.where(User.county_id == admin.county_id)
    return FirstSteps(db.session.scalar(locations), db.session.scalar(leads))
