"""OpenID Connect providers: their settings from the environment, and the Authlib clients.

One provider per name in `OIDC_PROVIDERS` (comma-separated), each set up by `OIDC_<NAME>_*`
variables (see the README's "Sign in with your county's identity provider"). Settings are checked
at start-up, so a typo stops the app with a message instead of refusing users later.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Mapping

from flask import Flask, current_app

from guidance.models import Role

# Roles an identity provider may grant. Interpreters are freelancers with a profile (rates,
# languages, home municipality) an administrator sets up; they keep local accounts.
GRANTABLE_ROLES = (Role.ADMIN, Role.LEAD, Role.COUNSELLOR, Role.REFERRER)
COUNTY_ROLES = (Role.LEAD, Role.COUNSELLOR)


@dataclass(frozen=True)
class Grant:
    """What one claim value gives: a role and its scope (county or municipality number)."""

    role: Role
    county: str | None = None
    municipality: str | None = None


@dataclass(frozen=True)
class OidcProvider:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    label: str
    scopes: str = "openid email profile"
    role_claim: str = "groups"
    role_map: Mapping[str, Grant] = field(default_factory=dict)
    email_claim: str = "email"
    name_claim: str = "name"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def providers_from_env(environ: Mapping[str, str]) -> list[OidcProvider]:
    """Parse `OIDC_PROVIDERS` and each `OIDC_<NAME>_*` setting; RuntimeError names what is wrong."""
    names = [n.strip().lower() for n in environ.get("OIDC_PROVIDERS", "").split(",") if n.strip()]
    providers = []
    for name in names:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
            raise RuntimeError(f"OIDC_PROVIDERS: {name!r} is not a name (letters, digits, _)")
        prefix = f"OIDC_{name.upper()}_"

        def setting(key: str, default: str | None = None) -> str:
            value = environ.get(prefix + key, default)
            if value is None or not value.strip():
                raise RuntimeError(f"{prefix}{key} must be set for the sign-in provider {name!r}")
            return value.strip()

        scopes = setting("SCOPES", "openid email profile")
        if "openid" not in scopes.split():
            raise RuntimeError(f"{prefix}SCOPES must include openid")
        providers.append(OidcProvider(
            name=name, issuer=setting("ISSUER"), client_id=setting("CLIENT_ID"),
            client_secret=setting("CLIENT_SECRET"), label=setting("LABEL", name.title()), scopes=scopes,
            role_claim=setting("ROLE_CLAIM", "groups"), role_map=_role_map(prefix + "ROLE_MAP", setting("ROLE_MAP")),
            email_claim=setting("EMAIL_CLAIM", "email"), name_claim=setting("NAME_CLAIM", "name"),
        ))
    return providers


def _role_map(variable: str, text: str) -> dict[str, Grant]:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise RuntimeError(f"{variable} is not JSON: {error}") from None
    if not isinstance(raw, dict) or not raw:
        raise RuntimeError(f'{variable} must be a JSON object like {{"<group id>": {{"role": "lead", "county": "46"}}}}')
    grants = {}
    for value, entry in raw.items():
        where = f"{variable}[{value!r}]"
        if not isinstance(entry, dict) or entry.get("role") not in {r.value for r in GRANTABLE_ROLES}:
            raise RuntimeError(f"{where}: role must be one of {', '.join(r.value for r in GRANTABLE_ROLES)}")
        role = Role(entry["role"])
        county, municipality = entry.get("county"), entry.get("municipality")
        if role in COUNTY_ROLES and not (isinstance(county, str) and re.fullmatch(r"\d{2}", county)):
            raise RuntimeError(f'{where}: a {role.value} needs "county": the county number, e.g. "46"')
        if role is Role.REFERRER and not (isinstance(municipality, str) and re.fullmatch(r"\d{4}", municipality)):
            raise RuntimeError(f'{where}: a referrer needs "municipality": the municipality number, e.g. "4601"')
        grants[str(value)] = Grant(role=role, county=county if role in COUNTY_ROLES else None,
                                   municipality=municipality if role is Role.REFERRER else None)
    _known_places(variable, grants)
    return grants


def _known_places(variable: str, grants: dict[str, Grant]) -> None:
    """Every county and municipality number in the map is one of Norway's (the shipped reference data): a typo
    ("99", "9999") started the app and then deactivated the people of that group at their next sign-in."""
    from guidance.reference_file import read_municipalities

    rows = read_municipalities()
    counties, municipalities = {r["county_number"] for r in rows}, {r["kommunenummer"] for r in rows}
    for value, grant in grants.items():
        if grant.county and grant.county not in counties:
            raise RuntimeError(f"{variable}[{value!r}]: there is no county {grant.county!r} (Vestland is \"46\")")
        if grant.municipality and grant.municipality not in municipalities:
            raise RuntimeError(f"{variable}[{value!r}]: there is no municipality {grant.municipality!r} "
                               f"(Bergen is \"4601\")")


def init_app(app: Flask) -> None:
    """Register one Authlib client per configured provider (discovery from the issuer's metadata)."""
    from authlib.integrations.flask_client import OAuth

    # One registry per application: tests build apps with different providers side by side.
    oauth = OAuth(app)
    for provider in app.config["OIDC_PROVIDERS"]:
        oauth.register(
            provider.name, client_id=provider.client_id, client_secret=provider.client_secret,
            server_metadata_url=provider.metadata_url,
            client_kwargs={"scope": provider.scopes, "code_challenge_method": "S256",
                           "default_timeout": app.config["OIDC_TIMEOUT"]},
        )
    app.extensions["oidc"] = oauth


def provider(name: str) -> OidcProvider | None:
    return next((p for p in current_app.config["OIDC_PROVIDERS"] if p.name == name), None)


def client(name: str):
    """The Authlib client of a configured provider."""
    return current_app.extensions["oidc"].create_client(name)
