""""At risk": the one definition the queue, the dashboard and the lead's home all use.

An open referral is at risk when its deadline is within AT_RISK_WORKING_DAYS working days of today
(or has passed) and no published session (booked or held) lies on or before that deadline. A
referral that is "booked" for a session after its deadline is still at risk: the booking does not
meet the law.
"""
from __future__ import annotations

import datetime as dt

from guidance.rules.deadlines import at_risk_cutoff


def is_at_risk(*, is_open: bool, deadline: dt.date | None, first_session: dt.date | None, today: dt.date,
               closed=()) -> bool:
    """True when the referral needs the lead's attention before its deadline slips (or has slipped).

    `first_session` is the Oslo date of the referral's first published session (booked or held),
    or None when it has none; `closed`: the county's closure days (not working days)."""
    if not is_open or deadline is None or deadline > at_risk_cutoff(today, closed=closed):
        return False
    return first_session is None or first_session > deadline

