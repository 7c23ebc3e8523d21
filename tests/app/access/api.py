"""Access expectations for the referral API (bearer tokens, not sessions) and its token admin."""
from guidance.models import Role
from tests.app.access.foundation import ROLES, only

EXPECTED = {
    "api.openapi": {r: 200 for r in ROLES},
    # a browser session is no API credential: every role, logged in or not, gets 401 without a token
    "api.list_referrals": {r: 401 for r in ROLES},
    "api.create_referral": {r: 401 for r in ROLES},
    "api.get_referral": {r: 401 for r in ROLES},
    "api_tokens.index": only(Role.ADMIN),
    "api_tokens.revoke": {r: 405 for r in ROLES},
}


def url_values(w) -> dict:
    return {"token_id": 1}
