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
    from guidance.models import ApiToken
    from tests.app import factories as f
    from guidance.extensions import db

    f.api_token(w.referrer.municipality)
    return {"token_id": db.session.query(ApiToken.id).order_by(ApiToken.id.desc()).limit(1).scalar()}


WRITERS = {
    # a browser session is no API credential: nobody writes here without a bearer token
    "api.create_referral": (),
    "api_tokens.index": (Role.ADMIN,),
    "api_tokens.revoke": (Role.ADMIN,),
}
