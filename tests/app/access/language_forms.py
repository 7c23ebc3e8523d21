"""Access expectations for the language forms page (the county's and municipalities' written forms)."""
from guidance.models import Role
from tests.app.access.foundation import only

EXPECTED = {
    # An admin without ?county= picks a county; a lead always gets their own.
    "language_forms.index": only(Role.ADMIN, Role.LEAD),
}

WRITERS = {
    "language_forms.index": (Role.LEAD, Role.ADMIN),
}
