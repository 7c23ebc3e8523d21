"""Access expectations for the week grids (issue 24, item 2)."""
from guidance.models import Role
from tests.app.access.foundation import only

EXPECTED = {
    # the published plan's week: the county's lead; an installation admin first chooses a county
    "grids.published": only(Role.LEAD, Role.ADMIN),
    # the published plan's day at every location of the county: the same people
    "grids.day": only(Role.LEAD, Role.ADMIN),
    # a planning run's week (its run_id comes from tests/app/access/planning.py)
    "grids.run": only(Role.LEAD),
    # the counsellor's own week as a grid
    "grids.mine": only(Role.COUNSELLOR),
}

WRITERS: dict = {}
