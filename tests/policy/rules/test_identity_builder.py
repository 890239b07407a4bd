"""identity-builder: named builders and builder-id globs."""

from __future__ import annotations

import pytest

from tests.policy._helpers import (
    identity,
    rules,
    run,
    verified,
)
from tests.policy.rules._identity import ACME


def test_self_hosted_runner_also_fails_the_named_builder() -> None:
    fs = run(ACME, verified(ident=identity(runner_environment="self-hosted")))
    assert sorted(rules(fs)) == ["identity-builder", "identity-runner"]


@pytest.mark.parametrize(
    ("builder", "ident_over", "ok"),
    [
        ("github-hosted", {}, True),
        ("github-hosted", {"issuer": "https://gitlab.com"}, False),
        (
            "gitlab-hosted",
            {"issuer": "https://gitlab.com", "runner_environment": "gitlab-hosted"},
            True,
        ),
        ("gitlab-hosted", {}, False),
        (
            "slsa-github-generator",
            {
                "build_signer": "https://github.com/slsa-framework/slsa-github-generator/.github/"
                "workflows/delegator_generic_slsa3.yml@refs/tags/v2.0.0",
                "builder_id": "https://github.com/slsa-framework/slsa-github-generator/"
                ".github/workflows/delegator_generic_slsa3.yml@refs/tags/v2.0.0",
            },
            True,
        ),
        (
            "slsa-github-generator",
            {
                "build_signer": "https://github.com/evil/slsa-github-generator/.github/"
                "workflows/delegator_generic_slsa3.yml@refs/tags/v2.0.0",
                "builder_id": "https://github.com/slsa-framework/slsa-github-generator/x",
            },
            False,
        ),
        ("https://github.com/actions/runner/*", {}, True),
        ("https://github.com/actions/runner/*", {"builder_id": "https://ci.example/b"}, False),
    ],
)
def test_builders(builder: str, ident_over: dict[str, str], ok: bool) -> None:
    text = f'[[identity]]\npackages = ["*"]\nbuilders = ["{builder}"]\n'
    fs = run(text, verified(ident=identity(**ident_over)))
    assert rules(fs) == ([] if ok else ["identity-builder"])
