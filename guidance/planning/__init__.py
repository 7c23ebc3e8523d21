"""The bridge: database -> guidance-instance/1 -> solver -> guidance-plan/1 -> database.

Ids in the solver's files are the database ids with a prefix (``R12`` a referral, ``C3`` a
counsellor profile, ``I4`` an interpreter profile, ``L2`` a location, ``room7`` a room,
``S55`` a published session), so a plan maps back without a lookup table and an instance
file names no participant. ``X<session uid>`` stands in for an interpreter the lead arranged outside
Veiled for that one session (instance.outside_stand_in): it has no interpreter profile.
"""
from guidance.planning.instance import InstanceOptions, build_instance, data_fingerprint
from guidance.planning.store import plan_from_sessions, store_plan

__all__ = ["InstanceOptions", "build_instance", "data_fingerprint", "plan_from_sessions", "store_plan"]
