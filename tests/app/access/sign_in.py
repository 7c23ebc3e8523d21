"""Access expectations for sign-in through identity providers and a user's own password."""
from guidance.models import Role
from tests.app.access.foundation import ANON, LOGGED_IN, ROLES

# The access test's app has no identity provider configured: a provider name answers 404.
EXPECTED = {
    "sign_in.start": {r: 405 for r in ROLES},
    "sign_in.callback": {r: 404 for r in ROLES},
    "sign_in.outcome": {r: 404 for r in ROLES},
    "account.password": {ANON: 302, **{r: 200 for r in LOGGED_IN}},
    "account.forgot_password": {r: 200 for r in ROLES},
    "account.alive": {ANON: 401, **{r: 204 for r in LOGGED_IN}},
    "account.phone": {ANON: 302, **{r: 200 for r in LOGGED_IN}},
    # a link that was never issued
    "account.reset_password": {r: 400 for r in ROLES},
    "account.invitation": {r: 400 for r in ROLES},
}

# Who may POST: starting a sign-in and the forgotten-password forms are for anyone (a signed-in
# user starting a sign-in is sent home); changing a password needs a signed-in local account.
WRITERS = {
    # the access tests' app has no provider: an unknown provider answers 404 to everyone
    # (tests/app/test_oidc_sign_in.py starts sign-ins with a real one)
    "sign_in.start": (),
    "account.password": tuple(LOGGED_IN),
    "account.phone": tuple(LOGGED_IN),
    "account.forgot_password": (ANON, *LOGGED_IN),
    "account.reset_password": (ANON, *LOGGED_IN),
    "account.invitation": (ANON, *LOGGED_IN),
}


def url_values(w) -> dict:
    return {"provider_name": "entra", "reset_token": "not-a-signed-link", "invitation_token": "not-a-signed-link"}
