"""identity-repository-id: the numeric repository and owner ids."""

from __future__ import annotations

import pytest

from tests.policy.rules._identity import claim_fails


@pytest.mark.parametrize(
    ("override", "actual"),
    [
        ({"repository_id": "666"}, "666"),
        ({"owner_id": "666"}, "666"),
        ({"repository_id": None}, None),
    ],
)
def test_identity_repository_id_claim_is_checked(
    override: dict[str, object], actual: object
) -> None:
    claim_fails(override, "identity-repository-id", actual)
