"""Every page's markup, for every role, without a browser: no Python None written into an
attribute (aria-describedby="None" points screen readers at nothing), every id that an
aria-describedby names exists on the page, and no id is used twice (a label or description
pointing at a repeated id reaches the wrong field; WCAG 2.1 4.1.1)."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.app import factories as f
from tests.app.access.foundation import ANON, ROLES
from tests.app.test_access import _url_for_rule, _url_values
from tests.app.test_walkthrough import form_to, login, submit
from guidance.models import Role

ATTRIBUTE_NONE = re.compile(r'\s[\w:-]+="None"')
DESCRIBEDBY = re.compile(r'aria-describedby="([^"]*)"')
ID = re.compile(r'\sid="([^"]+)"')


@pytest.fixture
def app_config(app_config):
    """The markup as users get it: with the CSRF token every form carries in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.mark.one_database  # markup is rendered by the templates, whatever the database
def test_no_page_writes_none_into_attributes_points_aria_at_missing_ids_or_repeats_an_id(app):
    w = f.world()
    people = {Role.ADMIN: w.admin, Role.LEAD: w.lead, Role.COUNSELLOR: w.counsellor,
              Role.REFERRER: w.referrer, Role.INTERPRETER: w.interpreter}
    values = _url_values(w)
    problems = []
    for role in ROLES:
        client = app.test_client()
        if role != ANON:
            login(client, people[role], f.PASSWORD)
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
            problems += [(str(role), rule.endpoint, f"#{i} {n} times")
                         for i, n in Counter(ID.findall(html)).items() if n > 1]
    # A form shown with errors too: the login form after a failed attempt.
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    html = submit(client, form_to(page, "/login"), email="", password="").get_data(as_text=True)
    assert "aria-invalid" in html   # the form came back with its errors, not a CSRF refusal
    problems += [("anonymous", "auth.login (errors)", m.group(0).strip()) for m in ATTRIBUTE_NONE.finditer(html)]
    assert not problems, sorted(set(problems))[:20]

