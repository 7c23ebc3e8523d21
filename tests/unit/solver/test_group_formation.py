"""Group formation gives participants without an interpreter need ("fillers") to the group
they make possible, not to a language group that reaches min_size without them."""

from __future__ import annotations

from solver.check import check_plan
from solver.model import solve

from .conftest import BERGEN_VOSS, centre, counsellor, make_instance, participant


def _group(pid: str, place: str = "4601", **kw) -> dict:
    return participant(pid, place=place, needs=["group"], **kw)


def test_fillers_go_to_the_bucket_below_min_size():
    # At Bergen two Arabic speakers, two Tigrinya speakers and one participant who needs no
    # interpreter; a third Arabic speaker lives at Voss (nearest centre Voss, Bergen within
    # reach). Groups need three members and one interpreted language. The Arabic group is
    # complete with the Voss participant, so the filler belongs with the Tigrinya pair: every
    # group need can be scheduled. Spending the filler on the Arabic pair leaves the
    # Tigrinya pair without a group.
    people = [_group("P-ar1", language="ar", needs_interpreter=True),
              _group("P-ar2", language="ar", needs_interpreter=True),
              _group("P-ar3", place="4621", language="ar", needs_interpreter=True),
              _group("P-ti1", language="ti", needs_interpreter=True),
              _group("P-ti2", language="ti", needs_interpreter=True),
              _group("P-nb")]
    inst = make_instance(people, places=BERGEN_VOSS,
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=[counsellor("C-bergen", ["L-bergen"]), counsellor("C-voss", ["L-voss"])])
    plan = solve(inst, time_limit=10, workers=1, seed=0)
    result = check_plan(inst, plan)
    assert result.valid, result.violations
    assert result.metrics["scheduled"] == 6
    groups = sorted(sorted(s.participants) for s in plan.sessions)
    assert groups == [["P-ar1", "P-ar2", "P-ar3"], ["P-nb", "P-ti1", "P-ti2"]]
    assert plan.unscheduled == []
