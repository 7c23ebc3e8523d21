"""How a search box matches stored text, one way everywhere: what was typed is contained in the
value, case-blind, and % and _ are the user's characters, not wildcards; phones compare by their
digits ("44331743" finds "+47 443 31 743")."""
from __future__ import annotations

import re

from sqlalchemy import func

# The characters a stored phone may hold besides digits (referrals.PHONE).
PHONE_PUNCTUATION = " ()-.+"
# What a typed phone number may look like (digits and the punctuation above).
PHONE_QUERY = re.compile(r"^\+?[0-9 ()\-.]+$")
# A referral's reference as typed from a letter ("H-7KQ3-M2", "h-7kq3-m2", "7KQ3-M2", "H7KQ3M2"): the one thing on it that
# names the participant to whoever reads it.
REFERENCE_QUERY = re.compile(r"^\s*(H\s*-?\s*)?([0-9A-Z]{4})\s*-?\s*([0-9A-Z]{2})\s*$", re.IGNORECASE)


def reference_of(text: str) -> str | None:
    """The reference `text` may spell, in its stored form, or None when it cannot be one ("Anna-Li" may be either:
    the caller looks for both)."""
    found = REFERENCE_QUERY.match(text or "")
    return f"H-{found[2].upper()}-{found[3].upper()}" if found else None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text: str):
    """SQL: `column` contains `text`, whatever the case, in every alphabet (extensions.unicode_lower)."""
    from guidance.extensions import unicode_lower

    return unicode_lower(column).like(f"%{escape_like(text.lower())}%", escape="\\")


def digits_of(column):
    """SQL: the stored phone without its punctuation."""
    for ch in PHONE_PUNCTUATION:
        column = func.replace(column, ch, "")
    return column
