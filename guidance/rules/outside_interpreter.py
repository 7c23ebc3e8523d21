"""An interpreter the lead arranged outside Veiled for one session (an agency, or a freelancer who is not
in Veiled): how they may take part, and when a change to the session ends the arrangement."""
from __future__ import annotations

MODES = ("onsite", "video", "phone")
# What the lead types about them: who (an agency and/or a name) and an order number or note.
MAX_TEXT = 200
# An agreed price for one session above this is a typing slip (an extra zero), not a price.
MAX_PRICE_ORE = 100_000 * 100


def allowed_modes(*, group: bool, room_has_video: bool) -> list[str]:
    """The ways any interpreter may take part in the session (the plan's rule 7, which the planner and
    the checker apply to interpreters in Veiled too): on site always; by video only into a room with
    video equipment; by phone only in an individual session (a group cannot share one telephone)."""
    return [m for m in MODES if m == "onsite" or (m == "video" and room_has_video) or (m == "phone" and not group)]


def ends_with_change(*, interpreter_in_veiled: bool) -> bool:
    """Does a change to the session end the arrangement? Only when the lead books an interpreter in
    Veiled for it instead. A new counsellor or room leaves it as it is; a new time or place takes it
    along (the lead, who agreed it with them, tells them: Veiled cannot), and the plan rules still
    judge the way they take part there (a video interpreter needs a room with video)."""
    return interpreter_in_veiled
