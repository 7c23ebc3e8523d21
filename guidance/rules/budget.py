"""The month's interpreter budget: within, to watch, or over. The one rule the lead's home card reads.

A walkthrough on 6 December found the card green, "Within budget", at 96 %: green said "nothing to do"
while a handful of new bookings would take the month over. So the card warns before the money is gone:

- over: what is spent and booked for the month (`committed`) is more than the budget;
- near: committed is at or over WARN_SHARE (90 %) of the budget;
- pace: the cost of the sessions held so far, per working day gone, carried over all the month's
  working days, comes to more than the budget. Counted only from PACE_FROM_WORKING_DAYS working days
  into the month: one busy first day would otherwise project many times the budget, and a card that
  cries wolf every month-start is soon ignored.
- within: none of these.

Working days, not calendar days: interpreters are booked on working days (holidays as in
`rules.deadlines`), so a weekend does not make the pace look slower than it is.
"""
from __future__ import annotations

import calendar
import datetime as dt
import enum

from guidance.rules.deadlines import is_working_day

WARN_SHARE = 0.9
PACE_FROM_WORKING_DAYS = 3


class BudgetStatus(enum.Enum):
    NOT_SET = "not_set"
    WITHIN = "within"
    PACE = "pace"  # on course to go over at the month's pace so far
    NEAR = "near"  # at or over WARN_SHARE of the budget
    OVER = "over"

    @property
    def warns(self) -> bool:
        """Anything but green (and but "no budget")."""
        return self in (BudgetStatus.PACE, BudgetStatus.NEAR, BudgetStatus.OVER)


def month_working_days(today: dt.date) -> tuple[int, int]:
    """(working days of today's month before today, working days of the whole month)."""
    last = calendar.monthrange(today.year, today.month)[1]
    days = [today.replace(day=d) for d in range(1, last + 1)]
    return sum(is_working_day(d) for d in days if d < today), sum(is_working_day(d) for d in days)


def projected_cost(spent: float, today: dt.date) -> float | None:
    """The month's cost at the pace of the sessions held before today; None before PACE_FROM_WORKING_DAYS
    working days have passed (too few to say)."""
    gone, total = month_working_days(today)
    if gone < PACE_FROM_WORKING_DAYS:
        return None
    return spent * total / gone


def is_over(budget: float | None, committed: float) -> bool:
    """A month's committed cost (spent and booked) is over its budget (none set: never over)."""
    return budget is not None and committed > budget


def status(budget: float | None, committed: float, spent: float, today: dt.date) -> BudgetStatus:
    """`budget`: the month's budget (None: not set); `committed`: the month's cost spent and booked;
    `spent`: the cost of the month's sessions before today. All in the same unit."""
    if budget is None:
        return BudgetStatus.NOT_SET
    if is_over(budget, committed):
        return BudgetStatus.OVER
    if committed >= WARN_SHARE * budget and committed > 0:   # a budget of 0 kr with nothing booked is kept
        return BudgetStatus.NEAR
    projected = projected_cost(spent, today)
    if projected is not None and projected > budget:
        return BudgetStatus.PACE
    return BudgetStatus.WITHIN


# The months a budget may be set for: a year back (a correction) to three years ahead. "1999-01" was saved, and
# stood in the table and the chart beside this autumn with no way to remove it.
BUDGET_MONTHS_BACK, BUDGET_MONTHS_AHEAD = 12, 36


def budget_months(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last month (first days) a budget may be set for."""
    def shift(months: int) -> dt.date:
        index = today.year * 12 + today.month - 1 + months
        return dt.date(index // 12, index % 12 + 1, 1)

    return shift(-BUDGET_MONTHS_BACK), shift(BUDGET_MONTHS_AHEAD)

