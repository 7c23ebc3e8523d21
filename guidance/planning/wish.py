"""When the participant can come, as a lead asks the planning engine for times: not before a day,
in a part of the day and on some weekdays (a language course in the mornings, a job on Mondays).

It narrows the engine's search (`solver.recommend`'s `not_before` and `between`), never a booking's
rules: a time picked from the narrowed list is checked like any other.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The part of the day -> the local hours a session must start and end inside.
PARTS_OF_DAY = {
    "morning": ("00:00", "12:00"),
    "afternoon": ("12:00", "24:00"),
}


@dataclass(frozen=True)
class Wish:
    not_before: dt.date | None = None
    part_of_day: str | None = None  # a key of PARTS_OF_DAY, None: the whole day
    weekdays: tuple[int, ...] | None = None  # ISO weekdays the participant can come on, None: any

    @classmethod
    def of_referral(cls, referral) -> Wish:
        """When the referral says the participant can come (the referrer's weekdays and part of the day)."""
        days = tuple(sorted(referral.can_come_weekdays or ())) or None
        return cls(part_of_day=referral.can_come_part or None, weekdays=days)

    def busy(self, start: dt.date, end: dt.date) -> list[tuple[str, str]]:
        """The times from `start` to `end` (inclusive) the participant cannot come, as the planner's `busy`
        pairs (local plan minutes): each working day not among the weekdays, and the other part of the others.
        The planner then books them only when they can come, as it keeps to a "cannot come" request."""
        out: list[tuple[str, str]] = []
        allowed = PARTS_OF_DAY.get(self.part_of_day or "")
        if self.weekdays is None and allowed is None:
            return out   # most referrals: no limit (built for every participant of every instance)
        day = start
        while day <= end:
            if day.isoweekday() <= 5:
                # Within the day (the planner reads busy times per day): to 23:59, not to the next midnight.
                midnight, next_midnight = f"{day.isoformat()}T00:00", f"{day.isoformat()}T23:59"
                if self.weekdays is not None and day.isoweekday() not in self.weekdays:
                    out.append((midnight, next_midnight))
                elif allowed is not None:
                    first, last = allowed
                    if first != "00:00":
                        out.append((midnight, f"{day.isoformat()}T{first}"))
                    if last != "24:00":
                        out.append((f"{day.isoformat()}T{last}", next_midnight))
            day += dt.timedelta(days=1)
        return out

    def allows(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Does a session from `start` to `end` (local wall-clock times, one day) fall when the participant can come?"""
        if self.weekdays is not None and start.isoweekday() not in self.weekdays:
            return False
        first, last = PARTS_OF_DAY.get(self.part_of_day or "", ("00:00", "24:00"))
        return first <= start.strftime("%H:%M") and end.strftime("%H:%M") <= last

    @property
    def any(self) -> bool:
        return self.not_before is not None or self.part_of_day is not None or self.weekdays is not None

    def recommend_args(self) -> dict:
        """Keyword arguments for `solver.recommend.recommend`."""
        return {"not_before": self.not_before.isoformat() if self.not_before else None,
                "between": PARTS_OF_DAY.get(self.part_of_day or ""),
                "weekdays": list(self.weekdays) if self.weekdays else None}

    def query(self) -> dict:
        """The wish as URL query arguments, so a page reloaded after booking keeps it."""
        out = {}
        if self.not_before is not None:
            out["from_date"] = self.not_before.isoformat()
        if self.part_of_day:
            out["part_of_day"] = self.part_of_day
        if self.weekdays:
            out["weekdays"] = list(self.weekdays)
        return out
