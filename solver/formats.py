"""The solver's file formats: ``guidance-instance/1`` and ``guidance-plan/1``.

PROBLEM.md is the contract; these pydantic models are its executable form. Loading goes
through :func:`load_instance` / :func:`load_plan`, which turn every problem (missing file,
malformed JSON, unknown format version, schema error, dangling reference) into a
:class:`FormatError` carrying ``(field_path, message)`` pairs, so a CLI can print clear
messages and never a traceback.

Times are kept as :class:`datetime.datetime` / :class:`datetime.date` in memory and written
back as ``YYYY-MM-DDTHH:MM`` / ``YYYY-MM-DD``. Clock times in opening hours and weekly maps
stay strings ``HH:MM`` (use :func:`clock_minutes`).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

INSTANCE_FORMAT = "guidance-instance/1"
PLAN_FORMAT = "guidance-plan/1"


class FormatError(Exception):
    """Input that does not follow a format; ``errors`` is a list of (field_path, message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__(self.message())

    def message(self) -> str:
        """All errors, one per line, as ``path: message``."""
        return "\n".join(f"{path}: {msg}" if path else msg for path, msg in self.errors)


# --------------------------------------------------------------------------- scalar types

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
_CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")

TIME_FMT = "%Y-%m-%dT%H:%M"
DATE_FMT = "%Y-%m-%d"


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("expected a date 'YYYY-MM-DD', got a date-time")
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError(f"expected a date 'YYYY-MM-DD', got {value!r}")
    try:  # the pattern matched, so ISO parsing is exact (and 20x faster than strptime)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a valid calendar date: {value!r}") from None


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise ValueError(f"expected a local time 'YYYY-MM-DDTHH:MM', got {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a valid local time: {value!r}") from None


def check_clock(value: Any) -> str:
    if not isinstance(value, str) or not _CLOCK_RE.match(value):
        raise ValueError(f"expected a clock time 'HH:MM' (00:00..24:00), got {value!r}")
    return value


Date = Annotated[
    date,
    BeforeValidator(_parse_date),
    PlainSerializer(lambda d: d.strftime(DATE_FMT), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _DATE_RE.pattern, "format": "date"}),
]
LocalTime = Annotated[
    datetime,
    BeforeValidator(_parse_time),
    PlainSerializer(lambda t: t.strftime(TIME_FMT), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _TIME_RE.pattern,
                    "description": "local wall-clock time YYYY-MM-DDTHH:MM"}),
]
Clock = Annotated[
    str,
    BeforeValidator(check_clock),
    WithJsonSchema({"type": "string", "pattern": _CLOCK_RE.pattern}),
]
Window = tuple[Clock, Clock]
DateRange = tuple[Date, Date]
TimeRange = tuple[LocalTime, LocalTime]


def clock_minutes(clock: str) -> int:
    """Minutes after midnight of a clock time 'HH:MM' ('24:00' -> 1440)."""
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def clock_text(minute: int) -> str:
    """The clock time 'HH:MM' of minutes after midnight (1440 -> '24:00'): clock_minutes backwards."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_time(value: datetime) -> str:
    """A datetime as the formats write it: 'YYYY-MM-DDTHH:MM'."""
    return value.strftime(TIME_FMT)


def parse_time(value: str) -> datetime:
    """Parse 'YYYY-MM-DDTHH:MM' (raises ValueError otherwise)."""
    return _parse_time(value)


def _check_windows(windows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for start, end in windows:
        if clock_minutes(start) >= clock_minutes(end):
            raise ValueError(f"window [{start}, {end}] must end after it starts")
    return windows


def _check_weekly(weekly: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    for key, windows in weekly.items():
        if key not in {"1", "2", "3", "4", "5", "6", "7"}:
            raise ValueError(f"weekly key {key!r} must be an ISO weekday '1'..'7'")
        _check_windows(windows)
    return weekly


def _check_ranges(ranges: list[tuple[date, date]]) -> list[tuple[date, date]]:
    for first, last in ranges:
        if last < first:
            raise ValueError(f"[{first}, {last}] ends before it starts")
    return ranges


class _Strict(BaseModel):
    """Unknown fields are errors: a typo must not silently become a default."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- plan


class Session(_Strict):
    """One planned session (individual or group)."""

    id: str
    type: str
    participants: list[str] = Field(min_length=1)
    counsellor: str
    location: str
    room: str
    start: LocalTime
    end: LocalTime
    mode: Literal["onsite", "video"] = "onsite"
    language: str | None = None
    interpreter: str | None = None
    interpreter_mode: Literal["onsite", "video", "phone"] | None = None


class Unscheduled(_Strict):
    """A required session that the plan does not contain, with an actionable reason."""

    participant: str
    type: str
    reason: str
    detail: str = ""


class Stats(BaseModel):
    """Solver statistics; extra keys are allowed (metrics, solver details)."""

    model_config = ConfigDict(extra="allow")

    status: str = "UNKNOWN"
    objective: int | float | None = None
    best_bound: int | float | None = None
    wall_seconds: float = 0.0
    # The planner's configuration (solver.config.SolverConfig) the plan was made with; left
    # out of the file when absent (a plan from elsewhere).
    config: dict[str, Any] | None = Field(None, exclude_if=lambda v: v is None)


class Plan(_Strict):
    """A plan: ``guidance-plan/1``."""

    format: Literal["guidance-plan/1"] = PLAN_FORMAT
    instance: str = ""
    sessions: list[Session] = Field(default_factory=list)
    unscheduled: list[Unscheduled] = Field(default_factory=list)
    stats: Stats = Field(default_factory=Stats)


# --------------------------------------------------------------------------- instance


class Horizon(_Strict):
    start: Date
    end: Date

    @model_validator(mode="after")
    def _ordered(self) -> "Horizon":
        if self.end < self.start:
            raise ValueError("horizon.end is before horizon.start")
        return self


class CalendarSpec(_Strict):
    workdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    holidays: list[Date] = Field(default_factory=list)


class SessionType(_Strict):
    """A session type; a type with ``min_size``/``max_size`` is a group type."""

    minutes: int = Field(gt=0, le=24 * 60)
    min_size: int | None = Field(default=None, ge=1)
    max_size: int | None = Field(default=None, ge=1)

    @property
    def is_group(self) -> bool:
        return self.max_size is not None or self.min_size is not None

    @model_validator(mode="after")
    def _sizes(self) -> "SessionType":
        if self.min_size is not None and self.max_size is not None and self.min_size > self.max_size:
            raise ValueError("min_size is larger than max_size")
        return self


class TravelSpec(_Strict):
    road_factor: float = Field(default=1.3, gt=0)
    speed_kmh: float = Field(default=60, gt=0)
    # Addition (solver/README.md "known travel times"): [place, place, minutes] pairs whose travel the county
    # knows better than the straight line (a ferry: Bergen-Stord), both ways; they replace the formula.
    overrides: list[tuple[str, str, Annotated[int, Field(ge=0, le=24 * 60)]]] = Field(default_factory=list)


class Place(_Strict):
    id: str
    name: str = ""
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Room(_Strict):
    id: str
    capacity: int = Field(ge=1)
    video: bool = False


class Location(_Strict):
    id: str
    name: str = ""
    place: str
    opening: list[Window]
    # Opening hours per ISO weekday when they differ between days (a short Monday, a late Thursday);
    # when given they replace `opening` (solver/README.md, "A field beyond PROBLEM.md: weekly_opening").
    weekly_opening: dict[str, list[Window]] | None = None
    open_dates: list[Date] | None = None
    rooms: list[Room] = Field(default_factory=list)
    # The way in has no steps (solver/README.md, "A field beyond PROBLEM.md: step-free access").
    step_free: bool = False

    _v_opening = field_validator("opening")(_check_windows)

    @field_validator("weekly_opening")
    @classmethod
    def _v_weekly_opening(cls, value):
        return None if value is None else _check_weekly(value)


class Counsellor(_Strict):
    id: str
    name: str = ""
    locations: list[str]
    multicultural: bool = False
    languages: list[str] = Field(default_factory=list)
    weekly: dict[str, list[Window]]
    absences: list[DateRange] = Field(default_factory=list)
    busy: list[TimeRange] = Field(default_factory=list)   # solver/README.md: "busy"
    max_sessions_per_day: int = Field(ge=0)
    # solver/README.md "location_days": location -> ISO weekdays the counsellor is there (absent: every working day)
    location_days: dict[str, list[Annotated[int, Field(ge=1, le=7)]]] = Field(default_factory=dict)

    _v_weekly = field_validator("weekly")(_check_weekly)
    _v_absences = field_validator("absences")(_check_ranges)
    _v_busy = field_validator("busy")(_check_ranges)


class Interpreter(_Strict):
    id: str
    name: str = ""
    languages: dict[str, Annotated[int, Field(ge=1, le=5)]]
    modes: list[Literal["onsite", "video", "phone"]]
    place: str
    weekly: dict[str, list[Window]]
    absences: list[DateRange] = Field(default_factory=list)
    busy: list[TimeRange] = Field(default_factory=list)   # solver/README.md: "busy"
    hourly_rate: float = Field(ge=0)
    min_billed_minutes: int = Field(default=0, ge=0)
    travel_rate: float = Field(default=0, ge=0)

    _v_weekly = field_validator("weekly")(_check_weekly)
    _v_absences = field_validator("absences")(_check_ranges)
    _v_busy = field_validator("busy")(_check_ranges)


class Participant(_Strict):
    id: str
    place: str
    legal_basis: Literal["integration_act", "temporary_act", "ordinary"]
    needs: list[str]
    earliest: Date | None = None
    deadline: Date | None = None
    language: str | None = None
    needs_interpreter: bool = False
    video_ok: bool = False
    preferred_counsellor: str | None = None
    # Comes on site only where the way in has no steps (a wheelchair, a walker): rule 9.
    needs_step_free: bool = False
    # The date the participant's legal deadline passed (guidance still owed): no deadline
    # then (rule 2 has no upper limit), and the most urgent of all (PROBLEM.md additions).
    overdue_since: Date | None = None
    # Times the participant cannot come (solver/README.md "busy"): no session of theirs overlaps one (rule 2).
    busy: list[TimeRange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _overdue_without_deadline(self) -> "Participant":
        if self.overdue_since is not None and self.deadline is not None:
            raise ValueError("overdue_since is set, so deadline must be null (the deadline has passed)")
        return self


class Instance(_Strict):
    """A planning instance: ``guidance-instance/1``."""

    format: Literal["guidance-instance/1"] = INSTANCE_FORMAT
    name: str = ""
    timezone: str = "Europe/Oslo"
    horizon: Horizon
    slot_minutes: int = Field(default=15, gt=0, le=24 * 60)
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    session_types: dict[str, SessionType]
    travel: TravelSpec = Field(default_factory=TravelSpec)
    max_participant_travel_minutes: int = Field(ge=0)
    places: list[Place]
    locations: list[Location]
    counsellors: list[Counsellor]
    interpreters: list[Interpreter] = Field(default_factory=list)
    participants: list[Participant]
    previous_plan: Plan | None = None
    frozen_until: LocalTime | None = None
    # Addition: no session starts before this date unless it is a frozen previous session kept exactly
    # (a county's minimum notice: letters must reach participants, interpreters must answer).
    new_sessions_from: Date | None = None
    # Addition: what the county pays at most, per session, for an interpreter one register category
    # better (NOK; null: the planner's default, `weights.register_step`). How much qualification is
    # worth against price is the county's procurement decision (the Interpreter Act asks for
    # qualified interpreters), not a constant of the planner.
    category_step_nok: int | None = Field(default=None, ge=0, le=100_000)

    # Lookup helpers (plain dict builds; cheap enough, callers may keep the result).
    def locations_by_id(self) -> dict[str, Location]:
        return {loc.id: loc for loc in self.locations}

    def counsellors_by_id(self) -> dict[str, Counsellor]:
        return {c.id: c for c in self.counsellors}

    def interpreters_by_id(self) -> dict[str, Interpreter]:
        return {i.id: i for i in self.interpreters}

    def participants_by_id(self) -> dict[str, Participant]:
        return {p.id: p for p in self.participants}

    def rooms_by_id(self) -> dict[str, tuple[Location, Room]]:
        return {room.id: (loc, room) for loc in self.locations for room in loc.rooms}


# --------------------------------------------------------------------------- loading


def load_instance(source: Any) -> Instance:
    """Read and validate an instance from a path, JSON text, dict or Instance.

    Raises FormatError (with field paths) for any problem, including dangling references.
    """
    if isinstance(source, Instance):
        return source
    data = _read_json(source)
    _check_format(data, INSTANCE_FORMAT, "instance")
    if isinstance(data.get("previous_plan"), dict):
        _check_format(data["previous_plan"], PLAN_FORMAT, "plan", path="previous_plan.format")
    try:
        instance = Instance.model_validate(data)
    except ValidationError as exc:
        raise FormatError(_pydantic_errors(exc)) from None
    errors = instance_reference_errors(instance)
    if errors:
        raise FormatError(errors)
    return instance


def load_plan(source: Any) -> Plan:
    """Read and validate a plan from a path, JSON text, dict or Plan (structure only)."""
    if isinstance(source, Plan):
        return source
    data = _read_json(source)
    _check_format(data, PLAN_FORMAT, "plan")
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise FormatError(_pydantic_errors(exc)) from None


def load_file(loader, path: str):
    """``loader(path)`` (``load_instance`` or ``load_plan``), naming the file in every error."""
    try:
        return loader(path)
    except FormatError as exc:
        raise FormatError([(f"{path}: {p}" if p else path, m) for p, m in exc.errors]) from None


def dump_plan(plan: Plan) -> dict:
    """A plan as a JSON-ready dict in ``guidance-plan/1``."""
    return plan.model_dump(mode="json")


def json_schemas() -> dict[str, dict]:
    """JSON Schemas of both formats, keyed by format name."""
    return {
        INSTANCE_FORMAT: Instance.model_json_schema(),
        PLAN_FORMAT: Plan.model_json_schema(),
    }


def _read_json(source: Any) -> Any:
    if isinstance(source, dict):
        return source
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FormatError([("", f"file not found: {path}")]) from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: a NUL byte in the path
            raise FormatError([("", f"cannot read {path!r}: {exc}")]) from None
        where = str(path)
    elif isinstance(source, (str, bytes)):
        text, where = source, "input"
    else:
        raise FormatError([("", f"cannot read a format from {type(source).__name__}")])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError([("", f"{where}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]) from None
    if not isinstance(data, dict):
        raise FormatError([("", f"{where}: expected a JSON object at the top level")])
    return data


def _check_format(data: dict, expected: str, kind: str, path: str = "format") -> None:
    found = data.get("format")
    if found is None:
        raise FormatError([(path, f"missing; this {kind} must say \"format\": \"{expected}\"")])
    if found != expected:
        raise FormatError([(path, f"unsupported format {found!r}; this solver reads {expected}")])


def _pydantic_errors(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        out.append((_loc_path(err["loc"]), err["msg"].removeprefix("Value error, ")))
    return out


def _loc_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def instance_reference_errors(instance: Instance) -> list[tuple[str, str]]:
    """Dangling references and duplicate ids in an instance (empty list when sound)."""
    errors: list[tuple[str, str]] = []

    def unique(items, path):
        seen = set()
        for i, item in enumerate(items):
            if item.id in seen:
                errors.append((f"{path}[{i}].id", f"duplicate id {item.id!r}"))
            seen.add(item.id)
        return seen

    places = unique(instance.places, "places")
    locations = unique(instance.locations, "locations")
    counsellors = unique(instance.counsellors, "counsellors")
    unique(instance.interpreters, "interpreters")
    unique(instance.participants, "participants")
    rooms = [(f"locations[{i}].rooms", r) for i, loc in enumerate(instance.locations) for r in loc.rooms]
    seen_rooms: set[str] = set()
    for path, room in rooms:
        if room.id in seen_rooms:
            errors.append((f"{path}.id", f"duplicate room id {room.id!r}"))
        seen_rooms.add(room.id)

    for i, loc in enumerate(instance.locations):
        if loc.place not in places:
            errors.append((f"locations[{i}].place", f"unknown place {loc.place!r}"))
    for i, c in enumerate(instance.counsellors):
        for j, loc_id in enumerate(c.locations):
            if loc_id not in locations:
                errors.append((f"counsellors[{i}].locations[{j}]", f"unknown location {loc_id!r}"))
        for loc_id in c.location_days:
            if loc_id not in c.locations:
                errors.append((f"counsellors[{i}].location_days.{loc_id}",
                               f"{loc_id!r} is not one of the counsellor's locations"))
    for i, interp in enumerate(instance.interpreters):
        if interp.place not in places:
            errors.append((f"interpreters[{i}].place", f"unknown place {interp.place!r}"))
    for i, p in enumerate(instance.participants):
        if p.place not in places:
            errors.append((f"participants[{i}].place", f"unknown place {p.place!r}"))
        seen_needs = set()
        for j, need in enumerate(p.needs):
            if need not in instance.session_types:
                errors.append((f"participants[{i}].needs[{j}]", f"unknown session type {need!r}"))
            if need in seen_needs:
                errors.append((f"participants[{i}].needs[{j}]", f"session type {need!r} listed twice"))
            seen_needs.add(need)
        if p.preferred_counsellor is not None and p.preferred_counsellor not in counsellors:
            errors.append((f"participants[{i}].preferred_counsellor",
                           f"unknown counsellor {p.preferred_counsellor!r}"))
        if p.needs_interpreter and not p.language:
            errors.append((f"participants[{i}].language", "needs_interpreter is true but no language is given"))
    for i, (a, b, _minutes) in enumerate(instance.travel.overrides):
        for place in (a, b):
            if place not in places:
                errors.append((f"travel.overrides[{i}]", f"unknown place {place!r}"))
    return errors
