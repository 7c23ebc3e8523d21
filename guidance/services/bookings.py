"""Interpreter bookings: the names callers have always used, kept so that code written against this
module (and other branches' code) goes on working. The code lives by concern in
`guidance.services.interpreter_bookings` (state, requests, answers, changes, availability,
replacements, costs); new code imports from there."""
from guidance.models.types import utcnow  # noqa: F401  (pages read the time from here)
from guidance.services.interpreter_bookings.answers import answer  # noqa: F401
from guidance.services.interpreter_bookings.changes import (  # noqa: F401
    CANCEL_REASONS,
    cancel_booking,
    cancel_session,
    session_changed,
    session_updated,
)
from guidance.services.interpreter_bookings.costs import (  # noqa: F401
    COUNTY_PAYS,
    actual_cost,
    cost_report,
    planned_cost,
    record_actual_minutes,
)
from guidance.services.interpreter_bookings.replacements import (  # noqa: F401
    Alert,
    alerts,
    rebook,
    replacement_candidates,
)
from guidance.services.interpreter_bookings.requests import (  # noqa: F401
    ANSWER_LEAD_HOURS,
    DEFAULT_ANSWER_HOURS,
    SALT,
    answer_deadline,
    answer_token,
    booking_for_token,
    invitation,
    new_booking,
    request_messages,
    send_booking_requests,
    set_answer_hours,
)
from guidance.services.interpreter_bookings.state import (  # noqa: F401
    ACTIVE,
    EVENTS,
    IllegalTransition,
    S,
    expire_overdue,
    transition,
)
