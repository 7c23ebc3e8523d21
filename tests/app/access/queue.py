"""Access expectations for the centre's queue."""
from guidance.models import Role
from tests.app.access.foundation import only

EXPECTED = {
    "queue.index": only(Role.LEAD),
    "queue.export": only(Role.LEAD),
}
