"""Interpreter bookings, split by concern (issue 22):

- `state`: the booking state machine (requested -> accepted | declined | expired | cancelled; accepted ->
  cancelled | requested) with its audited `transition`, and the expiry of unanswered requests;
- `requests`: new requests, their answer deadline, the invitation e-mails (METHOD:REQUEST/CANCEL), the
  county's answer time, and the signed answer links;
- `answers`: the interpreter's answer;
- `changes`: a booked session that moved, changed or was cancelled, as its interpreter hears of it;
- `availability`: whether an interpreter is free for a session (real times, absences, travel between
  on-site sessions, the plan checker), failing closed;
- `replacements`: the lead's alerts for declined or expired requests, who can replace, rebooking;
- `costs`: planned and actual cost, actual minutes, the cost report.

Each use case runs in one `guidance.services.unit_of_work.unit_of_work()`, opened at its top;
helpers write in the caller's transaction and never commit.
"""
