"""registry-signature-missing: only for packages from a registry known to sign."""

from __future__ import annotations

from dataclasses import replace

from auditor.models import Level, RegistrySignature, SignatureStatus
from tests.policy._helpers import REGISTRY, rules, run, verified

MISSING = RegistrySignature(SignatureStatus.MISSING, reason="SIGNATURE_MISSING")
ON = '[rules]\nregistry-signature-missing = "error"\n'


def test_missing_from_a_signing_registry_is_a_finding() -> None:
    r = replace(verified(), registry_signature=MISSING)
    (f,) = run(ON, r, signing_registries=frozenset({REGISTRY}))
    assert (f.rule, f.level) == ("registry-signature-missing", Level.ERROR)
    assert f.evidence == {"reason": "SIGNATURE_MISSING", "keyid": None, "registry": REGISTRY}


def test_registries_that_sign_nothing_are_exempt_and_the_default_is_off() -> None:
    r = replace(verified(), registry_signature=MISSING)
    assert run(ON, r) == []  # the registry signs nothing
    assert run("", r, signing_registries=frozenset({REGISTRY})) == []  # off by default
    ok = replace(verified(), registry_signature=RegistrySignature(SignatureStatus.VERIFIED))
    assert rules(run(ON, ok, signing_registries=frozenset({REGISTRY}))) == []
