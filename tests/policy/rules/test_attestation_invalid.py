"""attestation-invalid: always an error, never lowered, never doubled."""

from __future__ import annotations

from auditor.models import Level, SourceKind, Status
from tests.policy._helpers import (
    result,
    rules,
    run,
)


def test_invalid_attestations_are_always_an_error() -> None:
    findings = run("", result(Status.INVALID, reason="DSSE_SIGNATURE"))
    assert rules(findings) == ["attestation-invalid"]
    f = findings[0]
    assert f.level is Level.ERROR and f.package == "dep" and f.version == "1.0.0" and f.line == 10
    assert f.evidence["reason"] == "DSSE_SIGNATURE"
    assert "DSSE_SIGNATURE" in f.message


def test_always_on_rules_cannot_be_waived_even_by_hand_built_policy() -> None:
    # The loader refuses such an exception; see test_load.  Here: [rules] cannot lower them.
    findings = run('[rules]\nincomplete = "off"\n', result(Status.INVALID, reason="X"))
    assert rules(findings) == ["attestation-invalid"]


def test_non_registry_and_invalid_packages_are_not_double_reported() -> None:
    git = result(Status.NOT_APPLICABLE, name="g", source=SourceKind.GIT, resolved="git+ssh://x")
    invalid = result(Status.INVALID, name="i", reason="SUBJECT_DIGEST")
    fs = run('[provenance]\nrequire = "all"\n', git, invalid)
    assert rules(fs) == ["attestation-invalid"]
