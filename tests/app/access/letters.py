"""Access expectations for the summons letters (issue 27): the referrer for their municipality's
referrals, the lead for their county's; another municipality or county answers 404
(tests/app/test_letters.py). The world's own referral has no booked session ahead, so an allowed
user is sent back to the referral with a message (302); the municipality's download has one
(made here) and answers with the PDF."""
from guidance.models import Role
from tests.app import factories as f
from tests.app.access.foundation import ANON, LOGGED_IN

LETTER_READERS = (Role.REFERRER, Role.LEAD)
EXPECTED = {
    "letters.referral": {ANON: 302, **{r: (302 if r in LETTER_READERS else 403) for r in LOGGED_IN}},
    "letters.municipality": {ANON: 302, **{r: (200 if r in LETTER_READERS else 403) for r in LOGGED_IN}},
    # The referrer's letters not printed yet: the municipality's download above (url_map order) printed the one
    # letter, so nothing is new and they are sent home with a message; the centre's staff have no municipality.
    "letters.new": {ANON: 302, **{r: (302 if r is Role.REFERRER else 404 if r is Role.LEAD else 403) for r in LOGGED_IN}},
    # Nothing was moved in the access world: an allowed user is sent home with a message.
    "letters.moved": {ANON: 302, **{r: (302 if r in LETTER_READERS else 403) for r in LOGGED_IN}},
    # The lead's participants to tell (tests/app/access/to_tell.py makes one): their letters.
    "letters.to_tell": {ANON: 302, **{r: (200 if r is Role.LEAD else 403) for r in LOGGED_IN}},
}


def url_values(w) -> dict:
    booked = f.referral(municipality_number="4601", name="Nadia Rahimi", language="prs")
    day = f.future_weekday(5)
    f.published_session(w.counsellor, booked, start=f.oslo(day.year, day.month, day.day, 13))
    return {"municipality_id": w.referrer.municipality_id}
