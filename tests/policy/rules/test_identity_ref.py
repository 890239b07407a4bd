"""identity-ref: the source ref."""

from __future__ import annotations

import pytest

from tests.policy.rules._identity import claim_fails


@pytest.mark.parametrize(
    ("override", "actual"),
    [
        ({"ref": "refs/heads/main"}, "refs/heads/main"),
    ],
)
def test_identity_ref_claim_is_checked(override: dict[str, object], actual: object) -> None:
    claim_fails(override, "identity-ref", actual)
