"""Veiled's pure planning package: formats, travel, calendar, the CP-SAT planner.

No Flask, no SQLAlchemy, nothing web: it reads a guidance-instance/1 and writes a
guidance-plan/1 (see PROBLEM.md).
"""

from .formats import FormatError, Instance, Plan, dump_plan, load_instance, load_plan

__all__ = ["FormatError", "Instance", "Plan", "dump_plan", "load_instance", "load_plan", "solve"]


def solve(instance, **kwargs):
    """Plan an instance (see solver.model.solve); imported lazily to keep import light."""
    from .model import solve as _solve

    return _solve(instance, **kwargs)
