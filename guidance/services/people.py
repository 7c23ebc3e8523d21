"""A county's people: counsellors and interpreters, created, changed and deactivated by the
county's lead (or an admin). Never deleted: published plans, bookings and statistics point at them.

Each use case validates everything first and raises one `DomainError` whose `field_errors` are
keyed by the form's field names (`day1_start`, `languages`, `lang2_category`, ...), so the form
re-renders with a message per field.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from guidance import clock, languages
from guidance.extensions import db
from guidance.models import (
    County,
    CounsellorProfile,
    InterpreterLanguage,
    InterpreterProfile,
    Municipality,
    Role,
    User,
)
from guidance.services import audit, invitations, mail, setup
from guidance.services.accounts import find_by_email
from guidance.services.errors import DomainError
from guidance.services.unit_of_work import unit_of_work

WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)
GRID_MINUTES = 15
# The national interpreter register's categories (A best) and the planning format's numbers.
CATEGORIES = {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5}
CATEGORY_LETTERS = {number: letter for letter, number in CATEGORIES.items()}
MODES = ("onsite", "video", "phone")
BOOKING_CHANNELS = ("direct", "agency")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Errors = dict[str, list[str]]


def category_letter(number: int) -> str:
    """The register's letter (A-E) for the planning format's category number (1-5)."""
    return CATEGORY_LETTERS.get(number, "?")


# ---------------------------------------------------------------------------- what the forms carry


@dataclass
class PersonData:
    """What a counsellor's and an interpreter's form share."""

    name: str = ""
    email: str = ""
    # ISO weekday -> (from, to) as typed ("08:00", "15:30"); ("", "") is a day off.
    weekly: dict[int, tuple[str, str]] = field(default_factory=dict)
    # What the form could not even read (a date or an amount that is not one), by field name.
    input_errors: Errors = field(default_factory=dict)


@dataclass
class CounsellorData(PersonData):
    multicultural: bool = False
    multicultural_completed_on: dt.date | None = None
    languages: list[str] = field(default_factory=list)
    location_ids: list[int] = field(default_factory=list)
    max_sessions_per_day: int | None = 4
    employment_start: dt.date | None = None
    employment_end: dt.date | None = None
    video_link: str = ""
    # A daily break (from, to) inside the working hours, e.g. ("11:30", "12:00"): no session then.
    lunch: tuple[str, str] = ("", "")
    # Location id -> the ISO weekdays ticked for it ("Tuesdays in Voss"); None: not asked (a form without
    # the days keeps what is stored).
    location_days: dict[int, list[int]] | None = None


@dataclass
class InterpreterData(PersonData):
    phone: str = ""
    municipality_id: int | None = None
    # (language code, category letter) per row of the form, in row order; blank rows are ("", "").
    languages: list[tuple[str, str]] = field(default_factory=list)
    register_id: str = ""
    register_checked_on: dt.date | None = None
    modes: list[str] = field(default_factory=list)
    hourly_rate_ore: int | None = None
    min_billed_minutes: int | None = 60
    travel_rate_ore: int | None = 0
    booking_channel: str = "direct"
    agency_name: str = ""


# ---------------------------------------------------------------------------- counsellors


def counsellors_of(county_id: int) -> list[CounsellorProfile]:
    """The county's counsellors, active first, by name."""
    stmt = (select(CounsellorProfile).join(User, User.id == CounsellorProfile.user_id)
            .where(User.county_id == county_id).order_by(CounsellorProfile.active.desc(), User.name))
    return list(db.session.scalars(stmt))


def waiting_for_details(county_id: int, role: Role) -> list[User]:
    """Active accounts of the county with `role` (counsellor or interpreter) that have no details yet: an
    administrator made them, and the lead has not entered their locations and hours, or languages and rates.
    Nothing is planned for them until then, so the lead's list names them (it had left them out)."""
    profile = CounsellorProfile if role is Role.COUNSELLOR else InterpreterProfile
    stmt = (select(User).outerjoin(profile, profile.user_id == User.id)
            .where(User.county_id == county_id, User.role == role, User.active.is_(True), profile.id.is_(None))
            .order_by(User.name))
    return list(db.session.scalars(stmt))


def waiting_account(county_id: int, role: Role, email: str | None) -> User | None:
    """The waiting account of that e-mail, whose details the lead's new-person form fills in."""
    wanted = (email or "").strip().lower()
    return next((u for u in waiting_for_details(county_id, role) if u.email == wanted), None) if wanted else None


def usual_week(county_id: int) -> dict:
    """The working week most of the county's active counsellors have (stored form, {} when none has one):
    a new colleague's form starts from it rather than from seven empty days."""
    weeks = Counter(json.dumps(profile.weekly, sort_keys=True) for profile in counsellors_of(county_id)
                    if profile.active and profile.weekly)
    return json.loads(weeks.most_common(1)[0][0]) if weeks else {}


def create_counsellor(actor, county: County, data: CounsellorData) -> CounsellorProfile:
    """A new counsellor of `county`: a new user with role counsellor, or an existing counsellor
    user of the county without a profile, linked."""
    errors: Errors = {}
    user = _user_for_new_profile(data, county, Role.COUNSELLOR, errors, actor)
    values = _counsellor_values(data, county, errors)
    errors.update(data.input_errors)
    if errors:
        raise DomainError(_("The counsellor was not saved."), errors)
    return _create_profile(actor, county, data, user, Role.COUNSELLOR, CounsellorProfile, _apply_counsellor, values)


def _create_profile(actor, county: County, data: PersonData, user: User | None, role: Role, profile_class, apply,
                    values: dict):
    """One transaction: the profile on `user` (or on a new account, invited), audited as created."""
    with unit_of_work() as uow:
        invite = user is None
        if invite:
            user = _new_user(data, county, role)
        profile = profile_class(user=user)
        apply(profile, values)
        db.session.add(profile)
        db.session.flush()
        audit.record(actor, f"{role.value}.created", profile, {"user": user.id})
        if invite:   # a new account nobody knows the password of: tell the person how to get in
            uow.after_commit(mail.deliver_later, invitations.queue_if_usable(actor, user))
    return profile


def update_counsellor(actor, profile: CounsellorProfile, data: CounsellorData) -> None:
    """Change a counsellor's user details and profile; the audit event names the changed fields."""
    errors: Errors = {}
    county = profile.user.county
    _check_user_fields(data, errors, exclude=profile.user)
    values = _counsellor_values(data, county, errors)
    errors.update(data.input_errors)
    if errors:
        raise DomainError(_("The counsellor was not saved."), errors)
    before = _snapshot_counsellor(profile)
    profile.user.name = data.name.strip()
    profile.user.email = data.email.strip().lower()
    _apply_counsellor(profile, values)
    changed = sorted(k for k, v in _snapshot_counsellor(profile).items() if before[k] != v)
    audit.record(actor, "counsellor.updated", profile, {"fields": changed})
    db.session.commit()


def set_counsellor_active(actor, profile: CounsellorProfile, active: bool) -> None:
    """Deactivate (left out of new plans) or reactivate a counsellor."""
    profile.active = active
    audit.record(actor, "counsellor.activated" if active else "counsellor.deactivated", profile)
    db.session.commit()


def _counsellor_values(data: CounsellorData, county: County, errors: Errors) -> dict:
    today = clock.today()
    completed = data.multicultural_completed_on
    if completed is not None and not data.multicultural:
        errors["multicultural_completed_on"] = [_("A completion date needs the training: tick the box, or clear the date.")]
    elif completed is not None and completed > today:
        errors["multicultural_completed_on"] = [_("The completion date cannot be in the future.")]
    codes = []
    for code in data.languages:
        code = (code or "").strip()
        if not languages.is_known(code):
            errors.setdefault("languages", []).append(_("%(code)s is not a known language code.", code=code or "?"))
        elif code not in codes:
            codes.append(code)
    if not codes and "languages" not in errors:
        errors["languages"] = [_("Choose at least one language the counsellor holds a session in.")]
    usable = {loc.id: loc for loc in setup.locations_of(county, active_only=True)}
    chosen = []
    for location_id in data.location_ids:
        if location_id not in usable:
            errors["location_ids"] = [_("Choose locations of your county that are in use.")]
            break
        chosen.append(usable[location_id])
    if data.max_sessions_per_day is None or not 1 <= data.max_sessions_per_day <= 12:
        errors["max_sessions_per_day"] = [_("Enter a number of sessions from 1 to 12.")]
    if data.employment_start and data.employment_end and data.employment_end < data.employment_start:
        errors["employment_end"] = [_("The last day of employment cannot be before the first.")]
    weekly = with_break(parse_weekly(data.weekly, errors), data.lunch, errors)
    link = video_link(data.video_link, errors)
    values = {"multicultural": bool(data.multicultural),
              "multicultural_completed_on": completed if data.multicultural else None,
              "languages": codes, "locations": chosen, "max_sessions_per_day": data.max_sessions_per_day,
              "employment_start": data.employment_start, "employment_end": data.employment_end, "weekly": weekly,
              "video_link": link}
    if data.location_days is not None:
        values["location_days"] = location_days(chosen, data.location_days, errors)
    return values


WORKING_WEEK = frozenset(range(1, 6))


def location_days(chosen: list, ticked: dict[int, list[int]], errors: Errors) -> dict[str, list[int]]:
    """The weekdays at each chosen location, as stored (`CounsellorProfile.location_days`): a location with
    the whole working week ticked is not named (any day it is open); one with no day ticked is refused."""
    out = {}
    for location in chosen:
        days = sorted({d for d in ticked.get(location.id, []) if 1 <= d <= 7})
        if not days:
            errors.setdefault("location_days", []).append(
                _("Tick at least one day at %(location)s, or untick the location.", location=location.name))
        elif not WORKING_WEEK <= set(days):
            out[str(location.id)] = days
    return out


def video_link(text: str | None, errors: Errors) -> str | None:
    """A meeting address people can open: https, a host, no spaces, at most 500 characters; "" is none."""
    from urllib.parse import urlsplit

    link = (text or "").strip()
    if not link:
        return None
    parts = urlsplit(link)
    if parts.scheme != "https" or not parts.hostname or "." not in parts.hostname or any(c.isspace() for c in link) \
            or len(link) > 500:
        errors["video_link"] = [_("Enter the meeting room's full address, starting with https://, like "
                                  "https://teams.microsoft.com/l/meetup-join/...")]
        return None
    return link


def _apply_counsellor(profile: CounsellorProfile, values: dict) -> None:
    for key, value in values.items():
        setattr(profile, key, value)


def _snapshot_counsellor(p: CounsellorProfile) -> dict:
    return {"name": p.user.name, "email": p.user.email, "multicultural": p.multicultural,
            "multicultural_completed_on": p.multicultural_completed_on, "languages": list(p.languages or []),
            "locations": sorted(loc.id for loc in p.locations), "max_sessions_per_day": p.max_sessions_per_day,
            "employment_start": p.employment_start, "employment_end": p.employment_end, "weekly": dict(p.weekly or {}),
            "video_link": p.video_link, "location_days": dict(p.location_days or {})}


# ---------------------------------------------------------------------------- interpreters


def interpreters_of(county_id: int) -> list[InterpreterProfile]:
    """The county's interpreters, active first, by name."""
    stmt = (select(InterpreterProfile).join(User, User.id == InterpreterProfile.user_id)
            .where(User.county_id == county_id).order_by(InterpreterProfile.active.desc(), User.name))
    return list(db.session.scalars(stmt))


def create_interpreter(actor, county: County, data: InterpreterData) -> InterpreterProfile:
    """A new interpreter of `county` (a user with role interpreter and its profile)."""
    errors: Errors = {}
    user = _user_for_new_profile(data, county, Role.INTERPRETER, errors)
    values = _interpreter_values(data, errors)
    errors.update(data.input_errors)
    if errors:
        raise DomainError(_("The interpreter was not saved."), errors)
    return _create_profile(actor, county, data, user, Role.INTERPRETER, InterpreterProfile, _apply_interpreter, values)


def update_interpreter(actor, profile: InterpreterProfile, data: InterpreterData) -> None:
    """Change an interpreter's user details and profile; the audit event names the changed fields."""
    errors: Errors = {}
    _check_user_fields(data, errors, exclude=profile.user)
    values = _interpreter_values(data, errors)
    errors.update(data.input_errors)
    if errors:
        raise DomainError(_("The interpreter was not saved."), errors)
    before = _snapshot_interpreter(profile)
    profile.user.name = data.name.strip()
    profile.user.email = data.email.strip().lower()
    _apply_interpreter(profile, values)
    changed = sorted(k for k, v in _snapshot_interpreter(profile).items() if before[k] != v)
    audit.record(actor, "interpreter.updated", profile, {"fields": changed})
    db.session.commit()


def set_interpreter_active(actor, profile: InterpreterProfile, active: bool) -> None:
    """Deactivate (left out of new plans) or reactivate an interpreter."""
    profile.active = active
    audit.record(actor, "interpreter.activated" if active else "interpreter.deactivated", profile)
    db.session.commit()


def _interpreter_values(data: InterpreterData, errors: Errors) -> dict:
    from guidance.services.referrals import canonical_phone, dialable

    # One rule for a phone number across the app (the centre's, a referrer's, a participant's): "123 45" was saved
    # here, and the counsellor had an interpreter by phone with no number that rings.
    phone = canonical_phone(data.phone) or ""
    if phone and (not dialable(phone) or len(phone) > 30):
        errors["phone"] = [_("Enter a phone number of 8 to 15 digits, like +47 400 00 000.")]
    if not data.municipality_id or db.session.get(Municipality, data.municipality_id) is None:
        errors["municipality_id"] = [_("Choose the municipality the interpreter lives in.")]
    pairs = _language_categories(data.languages, errors)
    register_id = (data.register_id or "").strip()
    if len(register_id) > 40:
        errors["register_id"] = [_("The register's interpreter ID can be at most 40 characters.")]
    if data.register_checked_on is not None and data.register_checked_on > clock.today():
        errors["register_checked_on"] = [_("The date the register was checked cannot be in the future.")]
    modes = [m for m in data.modes if m in MODES]
    if len(modes) != len(data.modes) or not modes:
        errors["modes"] = [_("Choose how the interpreter works: on site, by video or by phone.")]
    elif "phone" in modes and not phone and "phone" not in errors:
        # The phone assignment's request tells the interpreter the counsellor calls this number.
        errors["phone"] = [_("Enter the phone number the counsellor calls: the interpreter works by phone.")]
    for name, value in (("hourly_rate", data.hourly_rate_ore), ("travel_rate", data.travel_rate_ore)):
        if value is None or not 0 <= value <= 10_000_00:
            errors[name] = [_("Enter an amount in kroner from 0 to 10 000.")]
    if data.min_billed_minutes is None or not 0 <= data.min_billed_minutes <= 480:
        errors["min_billed_minutes"] = [_("Enter minutes from 0 to 480.")]
    channel = data.booking_channel
    agency = (data.agency_name or "").strip()
    if channel not in BOOKING_CHANNELS:
        errors["booking_channel"] = [_("Choose how the centre books the interpreter.")]
    elif channel == "agency" and not agency:
        errors["agency_name"] = [_("Name the agency the framework agreement is with.")]
    elif len(agency) > 200:
        errors["agency_name"] = [_("The name can be at most 200 characters.")]
    weekly = parse_weekly(data.weekly, errors)
    return {"phone": phone or None, "municipality_id": data.municipality_id, "languages": pairs,
            "register_id": register_id or None, "register_checked_on": data.register_checked_on, "modes": modes,
            "hourly_rate_ore": data.hourly_rate_ore, "min_billed_minutes": data.min_billed_minutes,
            "travel_rate_ore": data.travel_rate_ore, "booking_channel": channel,
            "agency_name": agency if channel == "agency" else None, "weekly": weekly}


def _language_categories(rows: list[tuple[str, str]], errors: Errors) -> dict[str, int]:
    """{code: category number} from the form's rows; row i's errors go to lang{i}_code / lang{i}_category."""
    pairs: dict[str, int] = {}
    for i, (code, letter) in enumerate(rows):
        code, letter = (code or "").strip(), (letter or "").strip().upper()
        if not code and not letter:
            continue
        if not languages.is_known(code):
            errors[f"lang{i}_code"] = [_("Choose a language from the list.") if not code
                                       else _("%(code)s is not a known language code.", code=code)]
        elif code in pairs:
            errors[f"lang{i}_code"] = [_("This language is already listed.")]
        if not letter:
            errors[f"lang{i}_category"] = [_("Choose the interpreter's category in the national register, A to E.")]
        elif letter not in CATEGORIES:
            errors[f"lang{i}_category"] = [_("The register's categories are A to E; %(value)s is not one of them.",
                                             value=letter)]
        if f"lang{i}_code" not in errors and f"lang{i}_category" not in errors:
            pairs[code] = CATEGORIES[letter]
    if not pairs and not any(k.startswith("lang") for k in errors):
        errors["lang0_code"] = [_("Add at least one language the interpreter works in.")]
    return pairs


def _apply_interpreter(profile: InterpreterProfile, values: dict) -> None:
    values = dict(values)
    profile.user.phone = values.pop("phone")
    pairs = values.pop("languages")
    for key, value in values.items():
        setattr(profile, key, value)
    by_code = {lang.language: lang for lang in profile.languages}
    for code, lang in by_code.items():
        if code not in pairs:
            profile.languages.remove(lang)
    for code, category in pairs.items():
        if code in by_code:
            by_code[code].category = category
        else:
            profile.languages.append(InterpreterLanguage(language=code, category=category))


def _snapshot_interpreter(p: InterpreterProfile) -> dict:
    return {"name": p.user.name, "email": p.user.email, "phone": p.user.phone, "municipality": p.municipality_id,
            "languages": sorted((lang.language, lang.category) for lang in p.languages),
            "register_id": p.register_id, "register_checked_on": p.register_checked_on, "modes": list(p.modes or []),
            "hourly_rate": p.hourly_rate_ore, "min_billed_minutes": p.min_billed_minutes,
            "travel_rate": p.travel_rate_ore, "booking_channel": p.booking_channel, "agency_name": p.agency_name,
            "weekly": dict(p.weekly or {})}


# ---------------------------------------------------------------------------- shared


def parse_weekly(days: dict[int, tuple[str, str]], errors: Errors) -> dict[str, list[list[str]]]:
    """The weekly map of the planning format ({"1": [["08:00", "15:30"]]}) from one from/to pair per
    weekday. Both empty: a day off. Times on the 15-minute grid, from before to."""
    weekly: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        start, end = (s.strip() for s in days.get(day, ("", "")))
        if not start and not end:
            continue
        parsed = []
        # Each message names its day: the error summary above the form said "Use quarter hours" without which.
        weekday = format_date(dt.date(2024, 1, day), "EEEE")   # 1 January 2024 was a Monday
        weekday = weekday[:1].upper() + weekday[1:]
        for name, text, missing in ((f"day{day}_start", start, _("Enter when the day starts, or clear both times.")),
                                    (f"day{day}_end", end, _("Enter when the day ends, or clear both times."))):
            minutes = _minutes(text)
            if not text:
                errors[name] = [_("%(day)s: %(problem)s", day=weekday, problem=missing)]
            elif minutes is None:
                errors[name] = [_("%(day)s: %(problem)s", day=weekday, problem=_("Enter a time like 08:00."))]
            elif minutes % GRID_MINUTES:
                errors[name] = [_("%(day)s: %(problem)s", day=weekday,
                                  problem=_("Use quarter hours: :00, :15, :30 or :45."))]
            parsed.append(minutes)
        if f"day{day}_start" in errors or f"day{day}_end" in errors:
            continue
        if parsed[0] >= parsed[1]:
            errors[f"day{day}_end"] = [_("%(day)s must end after it starts.", day=weekday)]
            continue
        weekly[str(day)] = [[_clock(parsed[0]), _clock(parsed[1])]]
    return weekly


def with_break(weekly: dict[str, list[list[str]]], lunch: tuple[str, str], errors: Errors) -> dict[str, list[list[str]]]:
    """The weekly map with a daily break cut out of every working day it falls inside (a counsellor
    held four 90-minute sessions back to back, 09:00-15:00: the Working Environment Act wants a
    break). A day that ends before the break, or starts after it, is left whole."""
    start, end = ((lunch or ("", ""))[0] or "").strip(), ((lunch or ("", ""))[1] or "").strip()
    if not start and not end:
        return weekly
    parsed = []
    for name, text in (("lunch_start", start), ("lunch_end", end)):
        minutes = _minutes(text)
        if not text:
            errors[name] = [_("Enter both times of the break, or clear both.")]
        elif minutes is None:
            errors[name] = [_("Enter a time like 08:00.")]
        elif minutes % GRID_MINUTES:
            errors[name] = [_("Use quarter hours: :00, :15, :30 or :45.")]
        parsed.append(minutes)
    if "lunch_start" in errors or "lunch_end" in errors:
        return weekly
    if parsed[0] >= parsed[1]:
        errors["lunch_end"] = [_("The break must end after it starts.")]
        return weekly
    out = {}
    for day, windows in weekly.items():
        cut = []
        for a, b in windows:
            first, last = _minutes(a), _minutes(b)
            if first < parsed[0] and parsed[1] < last:
                cut += [[a, _clock(parsed[0])], [_clock(parsed[1]), b]]
            else:
                cut.append([a, b])
        out[day] = cut
    return out


def weekly_pairs(weekly: dict | None) -> dict[int, tuple[str, str]]:
    """The editor's one from/to pair per weekday from a stored weekly map: from the first period's
    start to the last one's end (the break between them is `daily_break`)."""
    out = {}
    for day in WEEKDAYS:
        windows = (weekly or {}).get(str(day)) or []
        out[day] = (windows[0][0], windows[-1][1]) if windows else ("", "")
    return out


def daily_break(weekly: dict | None) -> tuple[str, str]:
    """The break a weekly map holds: the gap between the two periods of its days (the same on every
    day that has two); ("", "") when none or when the days differ."""
    gaps = {(windows[0][1], windows[1][0]) for windows in (weekly or {}).values() if len(windows) == 2}
    return gaps.pop() if len(gaps) == 1 else ("", "")


def _minutes(text: str) -> int | None:
    match = _CLOCK.match(text)
    return int(match.group(1)) * 60 + int(match.group(2)) if match else None


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def valid_email(text: str) -> bool:
    """An address mail can be sent to, by its form (no look-up of the domain)."""
    return bool(_EMAIL.match(text)) and len(text) <= 254


def _check_user_fields(data: PersonData, errors: Errors, exclude: User | None = None) -> None:
    name, email = (data.name or "").strip(), (data.email or "").strip()
    if not name:
        errors["name"] = [_("Enter the person's name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name can be at most 200 characters.")]
    if not valid_email(email):
        errors["email"] = [_("Enter a valid e-mail address, like name@example.no.")]
    else:
        other = find_by_email(email)
        if other is not None and other is not exclude:
            errors["email"] = [_("A user with this e-mail address already exists.")]


def _user_for_new_profile(data: PersonData, county: County, role: Role, errors: Errors, actor=None) -> User | None:
    """The existing user to link (same e-mail, same role and county, no profile yet), or None for a new one. A
    counsellor profile also links the county's lead of that e-mail when that lead (or an administrator) makes
    it: a lead who holds sessions too keeps their role and is planned as a counsellor (rules.access.counsels);
    one lead cannot make another a counsellor, nor so take over their account's e-mail."""
    email = (data.email or "").strip()
    existing = find_by_email(email) if _EMAIL.match(email) else None
    has_profile = existing is not None and (existing.counsellor if role is Role.COUNSELLOR else existing.interpreter)
    may_link_lead = role is Role.COUNSELLOR and existing is not None and actor is not None and (
        getattr(actor, "id", None) == existing.id or getattr(actor, "role", None) is Role.ADMIN)
    linkable = (role,) + ((Role.LEAD,) if may_link_lead else ())
    if existing is not None and existing.role in linkable and existing.county_id == county.id and not has_profile:
        _check_user_fields(data, errors, exclude=existing)
        return existing
    _check_user_fields(data, errors)
    return None


def _new_user(data: PersonData, county: County, role: Role) -> User:
    user = User(email=data.email.strip().lower(), name=data.name.strip(), role=role, county=county)
    # A password nobody knows: the invitation (services/invitations.py) lets them choose one or
    # connect the county's sign-in.
    user.set_password(secrets.token_urlsafe(32))
    db.session.add(user)
    return user


# ---------------------------------------------------------------------------- referrers


def referrers_of(county_id: int) -> list[User]:
    """The referrer accounts of the county's municipalities, active first, by municipality and name."""
    return list(db.session.scalars(
        select(User).join(Municipality, Municipality.id == User.municipality_id)
        .where(User.role == Role.REFERRER, Municipality.county_id == county_id)
        .order_by(User.active.desc(), Municipality.name, User.name)))


def correct_referrer_email(actor, user: User, email: str) -> None:
    """Use case: the lead mistyped a new referrer's e-mail (ingrid@luster.kommune, without .no). Before
    the referrer's first login the address is corrected and the invitation goes to the new one; the link
    sent to the wrong address stops working (a new unknown password ends it). After it, the address is
    their login: an administrator changes it."""
    if invitations.has_signed_in(user):
        raise DomainError(_("%(name)s has logged in with this address; an administrator can change it.", name=user.name))
    errors: Errors = {}
    _check_user_fields(PersonData(name=user.name, email=email), errors, exclude=user)
    if errors:
        raise DomainError(_("The e-mail address was not changed."), {"email": errors["email"]})
    with unit_of_work() as uow:
        user.email = email.strip().lower()
        user.set_password(secrets.token_urlsafe(32))
        audit.record(actor, "user.email_corrected", user, {})
        uow.after_commit(mail.deliver_later, invitations.queue_if_usable(actor, user))


def create_referrer(actor, county: County, data: PersonData, municipality_id: int | None) -> User:
    """A municipality's referrer (a refugee-service or NAV programme adviser), entered by the county's
    lead and invited by e-mail to choose a password or log in with their own provider."""
    errors: Errors = {}
    _check_user_fields(data, errors)
    municipality = db.session.get(Municipality, municipality_id or 0)
    if municipality is None or municipality.county_id != county.id:
        errors["municipality_id"] = [_("Choose the municipality the referrer works for.")]
    if errors:
        raise DomainError(_("The referrer was not saved."), errors)
    with unit_of_work() as uow:
        user = User(email=data.email.strip().lower(), name=data.name.strip(), role=Role.REFERRER,
                    municipality=municipality)
        user.set_password(secrets.token_urlsafe(32))   # nobody knows it: the invitation lets them in
        db.session.add(user)
        db.session.flush()
        audit.record(actor, "user.created", user, {"role": Role.REFERRER.value, "municipality": municipality.number})
        uow.after_commit(mail.deliver_later, invitations.queue_if_usable(actor, user))
    return user

