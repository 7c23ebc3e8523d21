"""Access expectations for booking one referral now (issue 24 item 3): the lead of the referral's
county only (another county's lead gets 404: tests/app/test_id_guessing.py)."""
from guidance.models import Role
from tests.app.access.foundation import ROLES, only

EXPECTED = {
    # the world has no published plan: the page says so (200) to the lead
    "book_now.options": only(Role.LEAD),
    # the same address as the page: a GET there is the page
    "book_now.book": only(Role.LEAD),
    "book_now.undo": {r: 405 for r in ROLES},   # POST only (the page's button)
    "book_now.drop_need": {r: 405 for r in ROLES},
}

WRITERS = {
    "book_now.book": (Role.LEAD,),
    "book_now.undo": (Role.LEAD,),
    "book_now.drop_need": (Role.LEAD,),
}
