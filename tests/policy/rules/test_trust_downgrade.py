"""trust-downgrade: weaker evidence than an earlier version."""

from __future__ import annotations

from datetime import timedelta

import pytest

from auditor.errors import PolicyError
from auditor.models import Packument, Status, VersionInfo
from tests.policy._helpers import (
    NOW,
    history,
    policy,
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
    pre2 = history("dep", ("2.0.0", 100, "prov"), ("2.1.0-rc.1", 10, "none"))
    fs = run("[trust_downgrade]\n", result(Status.UNATTESTED, version="2.1.0-rc.1", packument=pre2))
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


def _staged(version: str, days: int, **claims: object) -> VersionInfo:
    return VersionInfo(
        version,
        published=NOW - timedelta(days=days),
        attestations_advertised=True,
        provenance_advertised=True,
        **claims,  # type: ignore[arg-type]
    )


def test_staged_publish_is_the_highest_level_and_explained() -> None:
    """1.1.0 was a staged publish (approved by a maintainer); 1.2.0 is provenance only."""
    pk = Packument(
        "dep",
        {
            "1.1.0": _staged("1.1.0", 50, approver=True, publisher="alice"),
            "1.2.0": _staged("1.2.0", 1, trusted_publisher=True, publisher="GitHub Actions"),
        },
    )
    fs = run("[trust_downgrade]\n", verified(name="dep", version="1.2.0", packument=pk))
    assert rules(fs) == ["trust-downgrade"]
    ev = fs[0].evidence
    assert (ev["expected"], ev["actual"]) == ("staged-publish", "trusted-publisher")
    assert ev["earlier_publisher"] == "npm user 'alice' (approver)"
    assert ev["last_trusted_version"] == "1.1.0" and ev["scope"] == "major 1"
    assert "staged publish (1.1.0, npm user 'alice' (approver)) -> trusted publisher (1.2.0, " in (
        fs[0].message
    )


def test_registry_npmuser_cannot_raise_the_audited_version() -> None:
    """Attack: the registry claims a staged/trusted publish for an unattested version."""
    pk = Packument(
        "dep",
        {
            "1.0.0": _staged("1.0.0", 50, trusted_publisher=True),
            "1.0.1": _staged("1.0.1", 1, trusted_publisher=True, approver=True),
        },
    )
    fs = run("[trust_downgrade]\n", result(Status.UNATTESTED, version="1.0.1", packument=pk))
    assert rules(fs) == ["trust-downgrade"]
    assert fs[0].evidence["actual"] == "none"


def test_backport_to_an_older_major_is_compared_only_with_scope_all() -> None:
    pk = history("dep", ("2.0.0", 100, "tp"), ("1.9.9", 10, "prov"))
    r = verified(name="dep", version="1.9.9", packument=pk)
    assert run("[trust_downgrade]\n", r) == []
    fs = run('[trust_downgrade]\nscope = "all"\n', r)
    assert rules(fs) == ["trust-downgrade"] and fs[0].evidence["scope"] == "all versions"


def test_one_version_exception_waives_only_that_version() -> None:
    pk = history("dep", ("1.0.0", 100, "prov"), ("1.0.1", 10, "none"), ("1.0.2", 5, "none"))
    policy = (
        '[trust_downgrade]\n[[exception]]\npackage = "dep@1.0.1"\n'
        'rules = ["trust-downgrade"]\nreason = "maintainer lost CI access (ISSUE-1)"\n'
    )
    assert run(policy, result(Status.UNATTESTED, version="1.0.1", packument=pk)) == []
    fs = run(policy, result(Status.UNATTESTED, version="1.0.2", packument=pk))
    assert rules(fs) == ["trust-downgrade"]


def test_bad_scope_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match=r"trust_downgrade\.scope: unknown scope 'majr'"):
        policy('[trust_downgrade]\nscope = "majr"\n')
