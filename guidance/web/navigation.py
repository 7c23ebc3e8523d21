"""The main menu: (endpoint, label, area). An entry shows when its route exists and the
user's role uses its area (rules.access.AREAS)."""
from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user

from guidance.rules.access import may

MENU = [
    ("main.home", _l("Home"), None),
    ("referrals.index", _l("Referrals"), "referrals"),
    ("intake.new", _l("New referral"), "intake"),
    ("planning.index", _l("Planning"), "planning"),
    ("grids.published", _l("Week plan"), "grids"),
    ("queue.index", _l("Queue"), "queue"),
    ("dashboard.index", _l("Dashboard"), "dashboard"),
    ("people.counsellors", _l("Counsellors"), "people"),
    ("people.interpreters", _l("Interpreters"), "people"),
    ("admin.users", _l("Users"), "users"),
    ("api_tokens.index", _l("API tokens"), "api_tokens"),
    ("privacy.search", _l("Data-subject access"), "data_subject"),
    ("counsellor.week", _l("My week"), "week"),
    ("interpreter.index", _l("My bookings"), "bookings"),
    # In English the page's own title, "Interpreter bookings", did not leave the menu room on one line.
    ("interpreting.index", lazy_pgettext("menu", "Interpreting"), "interpreting"),
    ("outbox.index", _l("Outbox"), "outbox"),
    ("setup.index", _l("Centre set-up"), "setup"),
]


def menu_for_current_user() -> list[tuple[str, str]]:
    """The menu entries (endpoint, label) the current user may use; none while a first step comes before
    everything else (setting up the second factor, choosing their own password): every entry led back."""
    if first_step_pending():
        return []
    return [
        (endpoint, label)
        for endpoint, label, area in MENU
        if endpoint in current_app.view_functions and (area is None or may(current_user, "use", area))
    ]


# Pages of one blueprint that belong to another entry: saying a participant cannot come is about a
# referral (the referrer came from its page), not a new one.
BELONGS_TO = {"intake.cannot_come": "referrals.index", "intake.correct": "referrals.index",
              "intake.withdraw": "referrals.index", "intake.attach": "referrals.index",
              "intake.correct_contact": "referrals.index", "intake.remove_attachment": "referrals.index",
              # Set once for the county, or seldom: under the set-up (the lead's menu did not fit on one
              # line at 1280 px, in English, nor in Norwegian for a lead who counsels and has "My week").
              "language_forms.index": "setup.index", "people.referrers": "setup.index"}


def current_entry(endpoints: list[str]) -> str | None:
    """The one menu entry the page belongs to (marked aria-current): the entry of the page's own
    blueprint; where several entries share it (Counsellors and Interpreters), the one whose address
    the page's address begins with."""
    if not request.endpoint:
        return None
    if request.endpoint in BELONGS_TO and BELONGS_TO[request.endpoint] in endpoints:
        return BELONGS_TO[request.endpoint]
    blueprint = request.endpoint.split(".")[0]
    same = [e for e in endpoints if e.split(".")[0] == blueprint]
    if len(same) <= 1:
        return same[0] if same else None
    if request.endpoint in same:
        return request.endpoint
    under = [e for e in same if request.path.startswith(url_for(e).rstrip("/"))]
    return max(under, key=lambda e: len(url_for(e)), default=None)


def first_step_pending() -> bool:
    """The signed-in user must set up their second factor or choose their own password before anything else
    (the guards in web/second_factor.py and web/account.py send every other page there)."""
    from flask import session

    from guidance.services import second_factor

    if session.get("oidc_provider"):
        return False
    return second_factor.must_enrol(current_user) or (
        current_user.password_set_by_other and not current_user.signs_in_externally)
