"""The identity rules' one table-driven check (auditor/policy/rules/identity.py): every block
that selects a package applies, and claims Fulcio added in 2023 are unknown on older
certificates unless `require_claims`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from auditor.errors import PolicyError
from auditor.models import Level, PackageResult
from tests.policy._helpers import identity, policy, rules, run, verified
from tests.policy.rules._identity import ACME

OLD = datetime(2023, 3, 1, tzinfo=UTC)  # before the cutoff, like sigstore@1.0.0
# What a 2023 certificate carries: the deprecated extensions (.1 to .6) only.
LEGACY: dict[str, Any] = {
    "repository_id": None,
    "owner_id": None,
    "owner_uri": None,
    "workflow": None,
    "build_signer": None,
    "runner_environment": None,
}

BLOCK = """
[[identity]]
packages = ["*"]
repositories = ["https://github.com/acme/*"]
repository_ids = [1001]
workflows = [".github/workflows/release.yml"]
runners = ["github-hosted"]
builders = ["github-hosted"]
"""


def old_package(**over: Any) -> PackageResult:
    return verified(ident=identity(**{**LEGACY, **over}), signed_at=OLD)


def test_claims_an_old_certificate_cannot_carry_are_unknown_not_failures() -> None:
    assert run(BLOCK, old_package()) == []


def test_claims_it_can_carry_are_still_checked() -> None:
    fs = run(BLOCK, old_package(source_repository="https://github.com/evil/widget"))
    assert rules(fs) == ["identity-repository"]


@pytest.mark.parametrize("required", ["true", '["runners", "workflows"]'])
def test_require_claims_makes_an_absent_claim_fail_and_says_so(required: str) -> None:
    fs = run(BLOCK + f"require_claims = {required}\n", old_package())
    assert "identity-runner" in rules(fs) and "identity-workflow" in rules(fs)
    runner = next(f for f in fs if f.rule == "identity-runner")
    assert runner.level is Level.ERROR
    assert "predates this claim" in runner.message and "require_claims" in runner.message
    assert runner.evidence["required_by"] == "identity[0] (*).require_claims"
    if required != "true":
        assert "identity-repository-id" not in rules(fs)  # not named in the list


def test_a_current_certificate_missing_a_claim_still_fails() -> None:
    # Attacker view: a certificate with the 2023 claims (.9 Build Signer) cannot opt out
    # of one of them by leaving it out.
    modern = verified(ident=identity(runner_environment=None), signed_at=OLD)
    assert "identity-runner" in rules(run(BLOCK, modern))


def test_an_old_style_certificate_signed_after_the_cutoff_still_fails() -> None:
    late = verified(ident=identity(**LEGACY), signed_at=datetime(2025, 1, 1, tzinfo=UTC))
    assert {"identity-runner", "identity-workflow", "identity-repository-id"} <= set(
        rules(run(BLOCK, late))
    )


def test_require_claims_validation() -> None:
    with pytest.raises(PolicyError, match=r"require_claims\[0\]: unknown claim key 'refs'"):
        policy(BLOCK + 'require_claims = ["refs"]\n')
    with pytest.raises(PolicyError, match="does not check 'owner_ids'"):
        policy(BLOCK + 'require_claims = ["owner_ids"]\n')


def test_require_claims_alone_checks_nothing() -> None:
    with pytest.raises(PolicyError, match="checks nothing"):
        policy('[[identity]]\npackages = ["*"]\nrequire_claims = true\n')


def test_matching_identity_passes_every_check() -> None:
    assert run(ACME, verified()) == []


def test_all_matching_identity_blocks_apply_and_levels_come_from_rules() -> None:
    text = (
        '[rules]\nidentity-ref = "warning"\n'
        '[[identity]]\npackages = ["*"]\ndeny_triggers = ["pull_request_target"]\n'
        '[[identity]]\npackages = ["@acme/*"]\nrefs = ["refs/tags/*"]\n'
    )
    bad = verified(ident=identity(trigger="pull_request_target", ref="refs/heads/x"))
    fs = run(text, bad, verified(name="other", ident=identity(ref="refs/heads/x")))
    assert [(f.package, f.rule, f.level) for f in fs] == [
        ("@acme/widget", "identity-ref", Level.WARNING),
        ("@acme/widget", "identity-trigger", Level.ERROR),
    ]
