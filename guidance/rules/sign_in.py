"""What an identity provider's claims give a user here: the one place mapping claims to a role."""
from __future__ import annotations

from collections.abc import Mapping

from guidance.models import Role
from guidance.oidc import Grant, OidcProvider

# When a user's claims map to several roles, the widest wins (a lead who is also in the
# counsellors' group works as a lead); two different scopes for that role is a set-up error.
PRECEDENCE = (Role.ADMIN, Role.LEAD, Role.COUNSELLOR, Role.REFERRER)


def may_use_password(role: Role, local_login: bool) -> bool:
    """Whether someone of `role` logs in with a password here. With passwords switched off (`LOCAL_LOGIN=0`)
    interpreters still do: freelancers are in no county directory, and the role map cannot grant their role (every
    interpreter had been locked out, their invitation a dead end)."""
    return local_login or role is Role.INTERPRETER


class NoGrant(Exception):
    """The claims give no role, or give it ambiguously (`reason`: "no_role" or "ambiguous")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def claim_values(claims: Mapping, name: str) -> list[str]:
    """A claim as a list of strings: groups and roles come as arrays, some providers send one string."""
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, (str, int))]
    return [str(value)]


def grant_for(provider: OidcProvider, claims: Mapping) -> Grant:
    """The role and scope the provider's role claim gives, or NoGrant."""
    grants = {provider.role_map[v] for v in claim_values(claims, provider.role_claim) if v in provider.role_map}
    if not grants:
        raise NoGrant("no_role")
    widest = min(grants, key=lambda g: PRECEDENCE.index(g.role)).role
    candidates = {g for g in grants if g.role is widest}
    if len(candidates) > 1:
        raise NoGrant("ambiguous")
    return candidates.pop()
