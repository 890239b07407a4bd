"""identity-repository: repository globs; a verified package without identity fails closed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.policy._helpers import (
    identity,
    rules,
    run,
    verified,
)
from tests.policy.rules._identity import claim_fails


def test_repository_glob_does_not_cross_segments_and_ignores_case() -> None:
    text = '[[identity]]\npackages = ["*"]\nrepositories = ["https://github.com/acme/*"]\n'
    assert run(text, verified(ident=identity("https://github.com/ACME/Widget"))) == []
    assert rules(run(text, verified(ident=identity("https://github.com/acme-evil/w")))) == [
        "identity-repository"
    ]
    assert rules(run(text, verified(ident=identity("https://github.com/acme/w/x")))) == [
        "identity-repository"
    ]


def test_identity_exclude_and_verified_without_identity_fails_closed() -> None:
    text = (
        '[[identity]]\npackages = ["@acme/*"]\nexclude = ["@acme/old"]\n'
        'repositories = ["https://github.com/acme/*"]\n'
    )
    evil = identity("https://github.com/evil/x")
    assert run(text, verified(name="@acme/old", ident=evil)) == []
    no_ident = verified()
    assert no_ident.verification is not None
    no_ident = replace(no_ident, verification=replace(no_ident.verification, identity=None))
    assert rules(run(text, no_ident)) == ["identity-repository"]


@pytest.mark.parametrize(
    ("override", "actual"),
    [
        ({"repo": "https://github.com/evil/widget"}, "https://github.com/evil/widget"),
    ],
)
def test_identity_repository_claim_is_checked(override: dict[str, object], actual: object) -> None:
    claim_fails(override, "identity-repository", actual)
