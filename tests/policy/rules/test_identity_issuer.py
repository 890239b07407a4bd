"""identity-issuer: the OIDC issuer of the certificate."""

from __future__ import annotations

import pytest

from tests.policy.rules._identity import claim_fails


@pytest.mark.parametrize(
    ("override", "actual"),
    [
        ({"issuer": "https://gitlab.com"}, "https://gitlab.com"),
    ],
)
def test_identity_issuer_claim_is_checked(override: dict[str, object], actual: object) -> None:
    claim_fails(override, "identity-issuer", actual)
