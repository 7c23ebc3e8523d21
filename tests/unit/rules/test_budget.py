"""The month's interpreter budget status (rules/budget.py): what the lead's home card shows."""
import datetime as dt

from guidance.rules.budget import BudgetStatus, month_working_days, projected_cost, status

DEC_6 = dt.date(2026, 12, 6)
MARCH_10 = dt.date(2027, 3, 10)  # 7 working days gone of March 2027's 20 (Easter: 25, 26 and 29 March)


def test_96_percent_on_6_december_warns_and_is_not_within_budget():
    """The walkthrough: green "Within budget" at 96 % of December's budget on 6 December."""
    got = status(10_000, 9_600, 0, DEC_6)
    assert got is BudgetStatus.NEAR and got.warns


def test_90_percent_spent_and_booked_is_the_line():
    assert status(10_000, 9_000, 0, DEC_6) is BudgetStatus.NEAR
    assert status(10_000, 8_999, 0, DEC_6) is BudgetStatus.WITHIN
    assert not BudgetStatus.WITHIN.warns


def test_more_than_the_budget_is_over_and_no_budget_is_not_set():
    assert status(10_000, 10_001, 0, DEC_6) is BudgetStatus.OVER
    assert status(None, 50_000, 50_000, DEC_6) is BudgetStatus.NOT_SET
    assert not BudgetStatus.NOT_SET.warns


def test_a_budget_of_nothing_is_kept_until_something_is_booked():
    assert status(0, 0, 0, DEC_6) is BudgetStatus.WITHIN
    assert status(0, 1, 0, DEC_6) is BudgetStatus.OVER


def test_working_days_of_the_month_count_holidays():
    assert month_working_days(MARCH_10) == (7, 20)
    assert month_working_days(dt.date(2027, 3, 1)) == (0, 20)


def test_a_pace_that_projects_past_the_budget_warns_even_far_below_90_percent():
    # 4 000 kr in 7 working days carried over 20: about 11 429 kr against 10 000.
    assert round(projected_cost(4_000, MARCH_10)) == 11_429
    assert status(10_000, 5_000, 4_000, MARCH_10) is BudgetStatus.PACE
    assert status(10_000, 5_000, 3_000, MARCH_10) is BudgetStatus.WITHIN  # about 8 571 kr


def test_the_pace_is_not_read_from_the_first_two_working_days():
    """One busy first day would project many times the budget: too early to say."""
    assert month_working_days(dt.date(2027, 3, 3)) == (2, 20)
    assert projected_cost(3_000, dt.date(2027, 3, 3)) is None
    assert status(10_000, 3_000, 3_000, dt.date(2027, 3, 3)) is BudgetStatus.WITHIN
    assert status(10_000, 3_000, 3_000, dt.date(2027, 3, 4)) is BudgetStatus.PACE


def test_near_and_over_come_before_the_pace():
    assert status(10_000, 9_500, 9_000, MARCH_10) is BudgetStatus.NEAR
    assert status(10_000, 12_000, 9_000, MARCH_10) is BudgetStatus.OVER
