"""Access expectations for the summons letters (issue 27): the referrer for their municipality's
referrals, the lead for their county's; another municipality or county answers 404
(tests/app/test_letters.py). The world has no booked session, so an allowed user is sent back to
the page with a message (302); the PDF itself is tested in tests/app/test_letters.py."""
from guidance.models import Role
from tests.app.access.foundation import ANON, LOGGED_IN

LETTER_READERS = (Role.REFERRER, Role.LEAD)
EXPECTED = {
    endpoint: {ANON: 302, **{r: (302 if r in LETTER_READERS else 403) for r in LOGGED_IN}}
    for endpoint in ("letters.referral", "letters.municipality")
}


def url_values(w) -> dict:
    return {"municipality_id": w.referrer.municipality_id}
