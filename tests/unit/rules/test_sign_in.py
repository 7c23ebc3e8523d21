"""What an identity provider's claims give: the role map and its precedence."""
import pytest

from guidance.models import Role
from guidance.oidc import Grant, OidcProvider
from guidance.rules.sign_in import NoGrant, grant_for

PROVIDER = OidcProvider(
    name="entra", issuer="https://login.example/v2.0", client_id="id", client_secret="secret", label="Entra",
    role_map={"leads": Grant(Role.LEAD, county="46"), "counsellors": Grant(Role.COUNSELLOR, county="46"),
              "leads-oslo": Grant(Role.LEAD, county="03"), "bergen": Grant(Role.REFERRER, municipality="4601")},
)


def test_the_widest_mapped_role_wins():
    assert grant_for(PROVIDER, {"groups": ["counsellors", "leads", "canteen"]}) == Grant(Role.LEAD, county="46")


def test_a_single_string_claim_counts_as_one_value():
    assert grant_for(PROVIDER, {"groups": "bergen"}) == Grant(Role.REFERRER, municipality="4601")


@pytest.mark.parametrize("claims", [{}, {"groups": []}, {"groups": ["canteen"]}, {"roles": ["leads"]}])
def test_no_mapped_value_gives_no_role(claims):
    with pytest.raises(NoGrant) as refused:
        grant_for(PROVIDER, claims)
    assert refused.value.reason == "no_role"


def test_the_same_role_in_two_places_is_refused_as_ambiguous():
    with pytest.raises(NoGrant) as refused:
        grant_for(PROVIDER, {"groups": ["leads", "leads-oslo"]})
    assert refused.value.reason == "ambiguous"
