"""identity-workflow: the top-level workflow path (Build Config URI)."""

from __future__ import annotations

import pytest

from tests.policy.rules._identity import claim_fails


@pytest.mark.parametrize(
    ("override", "actual"),
    [
        (
            {"workflow": "https://github.com/acme/widget/.github/workflows/ci.yml@refs/heads/main"},
            ".github/workflows/ci.yml",
        ),
    ],
)
def test_identity_workflow_claim_is_checked(override: dict[str, object], actual: object) -> None:
    claim_fails(override, "identity-workflow", actual)
