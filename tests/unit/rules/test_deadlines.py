"""The legal deadline rule and Norwegian working days."""
import datetime as dt

from guidance.rules.deadlines import effective_deadline, is_working_day, working_days_between


def test_integration_act_deadline_is_three_months_after_settlement():
    assert effective_deadline("integration_act", settlement_date=dt.date(2027, 1, 15)) == dt.date(2027, 4, 15)


def test_integration_act_deadline_is_before_the_programme_decision_when_that_comes_first():
    got = effective_deadline("integration_act", settlement_date=dt.date(2027, 1, 15), programme_decision_date=dt.date(2027, 3, 1))
    assert got == dt.date(2027, 2, 28)


def test_three_months_from_the_end_of_a_long_month_lands_on_the_last_day():
    assert effective_deadline("integration_act", settlement_date=dt.date(2026, 11, 30)) == dt.date(2027, 2, 28)


def test_temporary_act_has_a_needs_based_window_from_the_referral():
    assert effective_deadline("temporary_act", settlement_date=dt.date(2025, 1, 1), referral_date=dt.date(2027, 1, 10)) == dt.date(2027, 4, 10)
    assert effective_deadline("temporary_act", settlement_date=None, referral_date=dt.date(2027, 1, 10), window_months=2) == dt.date(2027, 3, 10)


def test_ordinary_guidance_has_no_deadline():
    assert effective_deadline("ordinary", settlement_date=dt.date(2027, 1, 15)) is None


def test_easter_and_constitution_day_are_not_working_days():
    assert not is_working_day(dt.date(2027, 3, 25))  # Maundy Thursday
    assert not is_working_day(dt.date(2027, 5, 17))
    assert not is_working_day(dt.date(2027, 1, 9))  # Saturday
    assert is_working_day(dt.date(2027, 3, 24))


def test_working_days_skip_weekends_and_easter():
    # Mon 22 March to Wed 31 March 2027: 23, 24, 30, 31 are working days (Easter 25-29).
    assert working_days_between(dt.date(2027, 3, 22), dt.date(2027, 3, 31)) == 4


def test_a_short_deadline_counts_working_days_not_calendar_days():
    from guidance.rules.deadlines import is_short_deadline, working_days_left

    friday_before_easter = dt.date(2027, 3, 19)
    # 14 calendar days, but Maundy Thursday, Good Friday and Easter Monday fall in between.
    assert working_days_left(dt.date(2027, 4, 2), friday_before_easter) == 7
    assert is_short_deadline(dt.date(2027, 4, 2), friday_before_easter)
    assert not is_short_deadline(dt.date(2027, 4, 9), friday_before_easter)  # 12 working days
    assert not is_short_deadline(None, friday_before_easter)


def test_programme_decision_the_day_after_settlement_leaves_a_deadline_on_settlement_day():
    got = effective_deadline("integration_act", settlement_date=dt.date(2027, 1, 15), programme_decision_date=dt.date(2027, 1, 16))
    assert got == dt.date(2027, 1, 15)


def test_integration_act_without_settlement_uses_the_programme_decision_alone():
    assert effective_deadline("integration_act", settlement_date=None, programme_decision_date=dt.date(2027, 5, 18)) == dt.date(2027, 5, 17)


def test_at_risk_cutoff_is_15_working_days_ahead_skipping_holidays():
    from guidance.rules.deadlines import at_risk_cutoff

    # From Friday 19 March 2027: Maundy Thursday, Good Friday and Easter Monday are skipped.
    assert at_risk_cutoff(dt.date(2027, 3, 19)) == dt.date(2027, 4, 14)
    assert working_days_between(dt.date(2027, 3, 19), dt.date(2027, 4, 14)) == 15


def test_an_interpreters_answer_is_due_at_the_end_of_a_working_day():
    from guidance.rules.deadlines import answer_due

    saturday_night = dt.datetime(2026, 12, 5, 1, 42)
    assert answer_due(saturday_night, 48) == dt.datetime(2026, 12, 8, 16, 0)       # Tuesday, not Monday 01:42
    assert answer_due(dt.datetime(2026, 12, 3, 15, 0), 48) == dt.datetime(2026, 12, 7, 16, 0)   # Thursday -> Monday
    # Over Christmas: Wednesday 23rd, Thursday 24th, then Monday 28th (25th and 26th are holidays).
    assert answer_due(dt.datetime(2026, 12, 22, 9, 0), 72) == dt.datetime(2026, 12, 28, 16, 0)
    assert answer_due(dt.datetime(2026, 12, 3, 9, 0), 4) == dt.datetime(2026, 12, 3, 13, 0)     # a quick county
