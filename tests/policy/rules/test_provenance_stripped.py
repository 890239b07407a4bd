"""provenance-stripped: the engine's verdict, reported as is."""

from __future__ import annotations

from auditor.models import Level, Status
from tests.policy._helpers import (
    history,
    result,
    rules,
    run,
)


def test_stripped_provenance_is_the_engines_verdict_only() -> None:
    """Decided in one place (auditor.registry.stripping, applied by the engine to every
    registry package): the policy reports the reason and draws no conclusion of its own."""
    by_reason = result(Status.INVALID, reason="PROVENANCE_STRIPPED")
    findings = run("", by_reason)
    assert rules(findings) == ["provenance-stripped"]
    assert all(f.level is Level.ERROR for f in findings)
    claim_only = result(Status.PUBLISH_ONLY, name="p", packument=history("p", ("1.0.0", 3, "x")))
    assert rules(run("", claim_only)) == []
