"""Which pages exist for whom: every GET route of the URL map, with the URL values and the
expected statuses that the authorisation matrix (tests/app/access/) already keeps.

New areas are walked as soon as their routes and access expectations land; nothing here
lists pages by hand.
"""
from __future__ import annotations

from guidance.models import Role
from tests.app.access.foundation import ANON
from tests.app.test_access import _expected, _url_for_rule

LOCALES = {"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}


def person_for(world, role):
    return None if role == ANON else {
        Role.ADMIN: world.admin, Role.LEAD: world.lead, Role.COUNSELLOR: world.counsellor,
        Role.REFERRER: world.referrer, Role.INTERPRETER: world.interpreter,
    }[role]


def pages_for(live, role) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET route that answers `role` with 200, sorted for stable runs."""
    expected = _expected()
    pages = []
    for rule in live.app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if expected.get(rule.endpoint, {}).get(role) != 200:
            continue
        pages.append((rule.endpoint, _url_for_rule(rule, live.url_values)))
    return sorted(set(pages))


def pages_walked_by(live, role) -> list[tuple[str, str]]:
    """pages_for(role), less the administrator's pages that the lead walks too: the set-up, people and
    readiness pages are the same templates with the same menu entries below the role's own; walked twice they
    cost a minute of a CI run that must stay under 15. The administrator's home and own pages stay."""
    pages = pages_for(live, role)
    if role != Role.ADMIN:
        return pages
    lead = {endpoint for endpoint, _path in pages_for(live, Role.LEAD)}
    return [(endpoint, path) for endpoint, path in pages if endpoint not in lead or endpoint == "main.home"]
