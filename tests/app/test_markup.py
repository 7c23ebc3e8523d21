"""Every page's markup, for every role, without a browser: no Python None written into an
attribute (aria-describedby="None" points screen readers at nothing), and every id that an
aria-describedby names exists on the page."""
from __future__ import annotations

import re

from tests.app import factories as f
from tests.app.access.foundation import ANON, ROLES
from tests.app.test_access import _url_for_rule, _url_values
from guidance.models import Role

ATTRIBUTE_NONE = re.compile(r'\s[\w:-]+="None"')
DESCRIBEDBY = re.compile(r'aria-describedby="([^"]*)"')


def test_no_page_writes_none_into_attributes_or_points_aria_at_missing_ids(app):
    w = f.world()
    people = {Role.ADMIN: w.admin, Role.LEAD: w.lead, Role.COUNSELLOR: w.counsellor,
              Role.REFERRER: w.referrer, Role.INTERPRETER: w.interpreter}
    values = _url_values(w)
    problems = []
    for role in ROLES:
        client = app.test_client()
        if role != ANON:
            f.login(client, people[role])
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            response = client.get(_url_for_rule(rule, values))
            if response.mimetype != "text/html":
                continue
            html = response.get_data(as_text=True)
            problems += [(str(role), rule.endpoint, m.group(0).strip()) for m in ATTRIBUTE_NONE.finditer(html)]
            for ids in DESCRIBEDBY.findall(html):
                problems += [(str(role), rule.endpoint, f"#{i} missing") for i in ids.split() if f'id="{i}"' not in html]
    # A form shown with errors too: the login form after a failed attempt.
    html = app.test_client().post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    problems += [("anonymous", "auth.login (errors)", m.group(0).strip()) for m in ATTRIBUTE_NONE.finditer(html)]
    assert not problems, sorted(set(problems))[:20]
