"""release-age: the verified log time first, the registry time otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from auditor.models import AttestationInfo, Level, PackageResult, Status
from tests.policy._helpers import (
    NOW,
    PROVENANCE,
    history,
    result,
    rules,
    run,
    verified,
)


def test_release_age_uses_the_verified_log_time_first() -> None:
    fresh = verified(
        signed_at=NOW - timedelta(hours=12), packument=history("x", ("1.0.0", 30, "prov"))
    )
    fs = run("[release_age]\ndays = 3\n", fresh)
    assert rules(fs) == ["release-age"]
    assert fs[0].evidence["time_source"] == "transparency log"
    assert fs[0].evidence["actual"] == 0.5
    assert run("[release_age]\ndays = 0.25\n", fresh) == []


PUBLISH = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"


def with_attestations(r: PackageResult, atts: tuple[AttestationInfo, ...]) -> PackageResult:
    assert r.verification is not None
    return replace(r, verification=replace(r.verification, attestations=atts))


def test_release_age_is_the_publish_attestation_time_not_the_earliest() -> None:
    """Provenance signed 30 days before a 10-minute-old publication must not pass."""
    old, new = NOW - timedelta(days=30), NOW - timedelta(minutes=10)
    prov = AttestationInfo(PROVENANCE, signed_at=old, latest_at=old)
    pub = AttestationInfo(PUBLISH, signed_at=new, latest_at=new, key_id="SHA256:k")
    for atts in ((prov, pub), (pub, prov)):
        fs = run("[release_age]\ndays = 3\n", with_attestations(verified(), atts))
        assert rules(fs) == ["release-age"]
        assert fs[0].evidence["published"] == new.isoformat()
    # No publish attestation: the latest verified time of any bundle, not the earliest.
    late = AttestationInfo(PROVENANCE, signed_at=old, latest_at=new)
    fs = run("[release_age]\ndays = 3\n", with_attestations(verified(), (late,)))
    assert rules(fs) == ["release-age"]
    # A publish attestation from 30 days ago wins over a later TSA time on provenance.
    pub_old = AttestationInfo(PUBLISH, signed_at=old, latest_at=old, key_id="SHA256:k")
    assert run("[release_age]\ndays = 3\n", with_attestations(verified(), (late, pub_old))) == []


def test_release_age_falls_back_to_the_registry_time_and_clock_is_injected() -> None:
    r = result(Status.UNATTESTED, packument=history("dep", ("1.0.0", 2, "none")))
    fs = run("[release_age]\ndays = 3\n", r)
    assert rules(fs) == ["release-age"]
    assert fs[0].evidence["time_source"] == "registry publish time"
    assert run("[release_age]\ndays = 3\n", r, now=NOW + timedelta(days=1, seconds=1)) == []
    assert run('[release_age]\ndays = 3\nexclude = ["dep"]\n', r) == []


def test_release_age_unknown_time_is_incomplete() -> None:
    fs = run("[release_age]\ndays = 3\n", result(Status.UNATTESTED))
    assert rules(fs) == ["incomplete"]
    fs = run(
        '[rules]\nincomplete = "warning"\n[release_age]\ndays = 3\n', result(Status.UNATTESTED)
    )
    assert [f.level for f in fs] == [Level.WARNING]
