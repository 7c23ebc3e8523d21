"""Pinned sessions: kept in every later run.

guidance-instance/1 can lock sessions only by time (``frozen_until``), not one by one, so the
bridge offers pinned sessions to the solver through ``previous_plan`` (changing them costs)
and then makes sure of them here: a pin the solver moved is put back, and the sessions that
now collide with it are taken out and reported unscheduled. A pin that itself breaks a rule
under the new data (its counsellor fell sick) cannot be kept; it is listed in
``stats["pins_not_kept"]`` for the lead.
"""
from __future__ import annotations

import copy

from guidance.planning.store import same_booking

DISPLACED = "displaced_by_pinned_session"
MAX_ROUNDS = 20


def enforce_pins(instance: dict, plan: dict, pins: list[dict]) -> dict:
    """The plan with every keepable pin in it exactly, and still valid (checked by solver.check)."""
    from solver.check import check_plan

    plan = copy.deepcopy(plan)
    not_kept = []
    first, last = instance["horizon"]["start"], instance["horizon"]["end"]
    for pin in pins:
        if not first <= pin["start"][:10] <= last:
            continue  # before the plan's first day (today's handover) or after its last: not this plan's to keep
        if any(same_booking(pin, s) for s in plan["sessions"]):
            continue
        if not _rules_ok(check_plan(instance, _alone(plan, pin)), pin["id"]):
            not_kept.append(pin["id"])
            continue
        plan = _insert(instance, plan, pin, check_plan)
    if not_kept:
        plan.setdefault("stats", {})["pins_not_kept"] = not_kept
    return plan


def _alone(plan: dict, pin: dict) -> dict:
    """A plan holding only the pin: the checker then reports what the pin breaks by itself."""
    return {"format": plan["format"], "instance": plan.get("instance", ""), "sessions": [pin], "unscheduled": [],
            "stats": {}}


def _rules_ok(result, session_id: str) -> bool:
    return not any(v.session == session_id and v.rule != 0 for v in result.violations)


def _insert(instance: dict, plan: dict, pin: dict, check_plan) -> dict:
    pin = copy.deepcopy(pin)
    sessions = [s for s in plan["sessions"] if not _collides(s, pin)]
    removed = [s for s in plan["sessions"] if _collides(s, pin)]
    for s in sessions:
        if s["id"] == pin["id"]:
            s["id"] = _fresh_id(plan, pin["id"])
    sessions.append(pin)
    plan = {**plan, "sessions": sessions}
    _report_removed(plan, removed, pin)
    for _ in range(MAX_ROUNDS):
        result = check_plan(instance, plan)
        present = {s["id"] for s in plan["sessions"]}
        broken = {v.session for v in result.violations if v.session in present and v.session != pin["id"] and v.rule != 0}
        if not broken:
            break
        gone = [s for s in plan["sessions"] if s["id"] in broken]
        plan["sessions"] = [s for s in plan["sessions"] if s["id"] not in broken]
        _report_removed(plan, gone, pin)
    return plan


def _collides(s: dict, pin: dict) -> bool:
    """Same participant need, or the same person or room at an overlapping time."""
    if s["type"] == pin["type"] and set(s["participants"]) & set(pin["participants"]):
        return True
    if not (s["start"] < pin["end"] and pin["start"] < s["end"]):
        return False
    if set(s["participants"]) & set(pin["participants"]) or s["counsellor"] == pin["counsellor"] or s["room"] == pin["room"]:
        return True
    return bool(pin.get("interpreter")) and s.get("interpreter") == pin.get("interpreter")


def _report_removed(plan: dict, removed: list[dict], pin: dict) -> None:
    """Removed sessions' needs become unscheduled; the pin's own needs are scheduled again."""
    placed = {(p, s["type"]) for s in plan["sessions"] for p in s["participants"]}
    unscheduled = [u for u in plan["unscheduled"] if (u["participant"], u["type"]) not in placed]
    listed = {(u["participant"], u["type"]) for u in unscheduled}
    for s in removed:
        for p in s["participants"]:
            if (p, s["type"]) not in placed and (p, s["type"]) not in listed:
                unscheduled.append({"participant": p, "type": s["type"], "reason": DISPLACED,
                                    "detail": f"its session collided with pinned session {pin['id']}"})
                listed.add((p, s["type"]))
    plan["unscheduled"] = unscheduled


def _fresh_id(plan: dict, taken: str) -> str:
    used = {s["id"] for s in plan["sessions"]}
    n = 1
    while f"S{n}x" in used or f"S{n}x" == taken:
        n += 1
    return f"S{n}x"
