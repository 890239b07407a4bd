"""registry-signature-invalid: always an error, whatever the policy says."""

from __future__ import annotations

from dataclasses import replace

from auditor.models import Level, RegistrySignature, SignatureStatus, SourceKind, Status
from tests.policy._helpers import result, rules, run, verified

BAD = RegistrySignature(SignatureStatus.INVALID, "SHA256:k", "SIGNATURE_INVALID", "bad sig")


def test_an_invalid_signature_is_an_error_even_when_everything_is_off() -> None:
    r = replace(verified(), registry_signature=BAD)
    (f,) = run('[rules]\nincomplete = "off"\n', r)
    assert (f.rule, f.level) == ("registry-signature-invalid", Level.ERROR)
    assert f.evidence == {"reason": "SIGNATURE_INVALID", "keyid": "SHA256:k"}
    assert "SIGNATURE_INVALID: bad sig" in f.message


def test_judged_for_every_fetched_registry_package_but_not_errors_or_git() -> None:
    # An unattested or invalid package is still judged on its signature.
    for status in (Status.UNATTESTED, Status.INVALID):
        r = replace(result(status, reason="X" if status is Status.INVALID else None),
                    registry_signature=BAD)  # fmt: skip
        assert "registry-signature-invalid" in rules(run("", r))
    error = replace(result(Status.ERROR, reason="FETCH_TIMEOUT"), registry_signature=BAD)
    assert rules(run("", error)) == ["incomplete"]
    git = replace(
        result(Status.NOT_APPLICABLE, source=SourceKind.GIT, resolved="git+https://x"),
        registry_signature=BAD,
    )
    assert run("", git) == []
