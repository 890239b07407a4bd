"""trust-downgrade: weaker evidence than an earlier version."""

from __future__ import annotations

from auditor.models import Status
from tests.policy._helpers import (
    history,
    result,
    rules,
    run,
    verified,
)


def test_downgrade_against_earlier_versions_by_publish_time() -> None:
    pk = history("dep", ("1.0.0", 100, "prov"), ("1.1.0", 50, "tp"), ("1.2.0", 1, "none"))
    fs = run("[trust_downgrade]\n", result(Status.UNATTESTED, version="1.2.0", packument=pk))
    assert rules(fs) == ["trust-downgrade"]
    assert fs[0].evidence["expected"] == "trusted-publisher"
    assert fs[0].evidence["actual"] == "none"
    assert fs[0].evidence["earlier_version"] == "1.1.0"


def test_downgrade_uses_verified_status_not_claims_for_the_audited_version() -> None:
    pk = history("dep", ("1.0.0", 100, "prov"), ("1.1.0", 1, "prov"))
    # The packument claims provenance for 1.1.0, but only the publish attestation verified:
    # the engine made it invalid (stripped); provenance-stripped fires and nothing else.
    stripped = result(Status.INVALID, version="1.1.0", packument=pk, reason="PROVENANCE_STRIPPED")
    fs = run("[trust_downgrade]\n", stripped)
    assert rules(fs) == ["provenance-stripped"]
    pk2 = history("dep", ("1.0.0", 100, "tp"), ("1.1.0", 1, "prov"))
    fs = run("[trust_downgrade]\n", verified(name="dep", version="1.1.0", packument=pk2))
    assert rules(fs) == ["trust-downgrade"]
    assert fs[0].evidence["actual"] == "provenance"


def test_downgrade_ignores_later_versions_prereleases_and_old_versions() -> None:
    later = history("dep", ("1.0.0", 100, "none"), ("2.0.0", 10, "prov"))
    assert run("[trust_downgrade]\n", result(Status.UNATTESTED, packument=later)) == []
    pre = history("dep", ("2.0.0-beta.1", 100, "prov"), ("2.0.0", 10, "none"))
    assert (
        run("[trust_downgrade]\n", result(Status.UNATTESTED, version="2.0.0", packument=pre)) == []
    )
    # ...but a prerelease is compared against everything earlier.
    pre2 = history("dep", ("1.0.0", 100, "prov"), ("2.0.0-rc.1", 10, "none"))
    fs = run("[trust_downgrade]\n", result(Status.UNATTESTED, version="2.0.0-rc.1", packument=pre2))
    assert rules(fs) == ["trust-downgrade"]
    old = history("dep", ("1.0.0", 400, "prov"), ("1.0.1", 300, "none"))
    r = result(Status.UNATTESTED, version="1.0.1", packument=old)
    assert rules(run("[trust_downgrade]\n", r)) == ["trust-downgrade"]
    assert run("[trust_downgrade]\nignore_after = 200\n", r) == []
    assert run('[trust_downgrade]\nexclude = ["dep@1.0.x"]\n', r) == []


def test_downgrade_without_data_is_incomplete() -> None:
    fs = run("[trust_downgrade]\n", result(Status.UNATTESTED))
    assert rules(fs) == ["incomplete"]
    assert fs[0].evidence["rule"] == "trust-downgrade"
