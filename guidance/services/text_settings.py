"""Which municipalities' participants get text-message reminders (a county's lead or an admin)."""
from __future__ import annotations

from guidance.extensions import db
from guidance.models import County
from guidance.services import audit


def field_name(municipality) -> str:
    return f"sms_{municipality.number}"


def set_sms_reminders(actor, county: County, chosen: dict[str, bool]) -> list[str]:
    """Opt municipalities (by number) in or out; one transaction, audited with numbers only."""
    changed = []
    for municipality in county.municipalities:
        wanted = chosen.get(municipality.number)
        if wanted is not None and bool(municipality.sms_reminders) != wanted:
            municipality.sms_reminders = wanted
            changed.append(municipality.number)
    audit.record(actor, "county.sms_reminders", county,
                 {"on": sorted(n for n in changed if chosen[n]), "off": sorted(n for n in changed if not chosen[n])})
    db.session.commit()
    return sorted(changed)
