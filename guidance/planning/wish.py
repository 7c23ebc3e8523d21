"""When the participant can come, as a lead asks the planning engine for times: not before a day
and in a part of the day (a language course in the mornings, a job in the afternoons).

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

    @property
    def any(self) -> bool:
        return self.not_before is not None or self.part_of_day is not None

    def recommend_args(self) -> dict:
        """Keyword arguments for `solver.recommend.recommend`."""
        return {"not_before": self.not_before.isoformat() if self.not_before else None,
                "between": PARTS_OF_DAY.get(self.part_of_day or "")}

    def query(self) -> dict:
        """The wish as URL query arguments, so a page reloaded after booking keeps it."""
        out = {}
        if self.not_before is not None:
            out["from_date"] = self.not_before.isoformat()
        if self.part_of_day:
            out["part_of_day"] = self.part_of_day
        return out
