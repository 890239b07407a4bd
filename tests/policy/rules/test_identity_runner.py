"""identity-runner: the runner environment."""

from __future__ import annotations

import pytest

from tests.policy.rules._identity import claim_fails


@pytest.mark.parametrize(
    ("override", "actual"),
    [
        ({"runner_environment": "self-hosted"}, "self-hosted"),
    ],
)
def test_identity_runner_claim_is_checked(override: dict[str, object], actual: object) -> None:
    claim_fails(override, "identity-runner", actual)
