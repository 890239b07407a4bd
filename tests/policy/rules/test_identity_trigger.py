"""identity-trigger: allowed and denied workflow triggers."""

from __future__ import annotations

import pytest

from tests.policy._helpers import identity, run, verified
from tests.policy.rules._identity import claim_fails


@pytest.mark.parametrize(
    ("override", "actual"),
    [
        ({"trigger": "workflow_dispatch"}, "workflow_dispatch"),
        ({"trigger": "pull_request_target"}, "pull_request_target"),
        ({"trigger": None}, None),
    ],
)
def test_identity_trigger_claim_is_checked(override: dict[str, object], actual: object) -> None:
    claim_fails(override, "identity-trigger", actual)


def test_a_denied_trigger_is_one_finding_that_says_denied() -> None:
    text = (
        '[[identity]]\npackages = ["*"]\ntriggers = ["push", "pull_request_target"]\n'
        'deny_triggers = ["pull_request_target"]\n'
    )
    # Allowed and denied at once: the deny list wins, reported once.
    (f,) = run(text, verified(ident=identity(trigger="pull_request_target")))
    assert f.rule == "identity-trigger" and "is denied by identity[0]" in f.message
    assert f.evidence == {
        "denied": ["pull_request_target"],
        "actual": "pull_request_target",
        "policy": "identity[0] (*)",
    }
    assert run(text, verified(ident=identity(trigger="push"))) == []
