"""Property: evaluate never raises, is deterministic and order-independent, whatever the data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.models import (
    AttestationInfo,
    Identity,
    Level,
    Package,
    PackageResult,
    Packument,
    SourceKind,
    Status,
    VerificationResult,
    VersionInfo,
)
from auditor.policy import PolicyContext, evaluate, load_policy

ROOT = Path(__file__).resolve().parents[2]
POLICIES = [load_policy(p) for p in sorted((ROOT / "policies").glob("*.toml"))]
NOW = datetime(2026, 5, 1, tzinfo=UTC)

_text = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["push", "github-hosted"]))
_times = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
_versions = st.one_of(
    st.sampled_from(["1.0.0", "1.1.0", "2.0.0-rc.1", "0.0.1"]), st.text(max_size=12)
)


@st.composite
def results(draw: st.DrawFn) -> PackageResult:
    name = draw(st.sampled_from(["a", "@acme/w", "b", "x" * 300]))
    version = draw(_versions)
    pkg = Package(
        name=name,
        version=version,
        source=draw(st.sampled_from(list(SourceKind))),
        integrity=draw(st.one_of(st.none(), st.text(max_size=10))),
        resolved=draw(
            st.one_of(st.none(), st.text(max_size=40), st.just("http://127.0.0.1:4873/a"))
        ),
        dev=draw(st.booleans()),
        direct=draw(st.booleans()),
        has_install_script=draw(st.booleans()),
        line=draw(st.integers(0, 10_000)),
    )
    ident = Identity(
        issuer=draw(_text),
        source_repository=draw(_text),
        repository_id=draw(_text),
        owner_id=draw(_text),
        ref=draw(_text),
        workflow=draw(_text),
        build_signer=draw(_text),
        runner_environment=draw(_text),
        trigger=draw(_text),
        builder_id=draw(_text),
    )
    status = draw(st.sampled_from(list(Status)))
    verification = VerificationResult(
        status=status,
        identity=draw(st.one_of(st.none(), st.just(ident))),
        attestations=tuple(
            AttestationInfo("p", signed_at=t) for t in draw(st.lists(_times, max_size=2))
        ),
    )
    versions = {
        v: VersionInfo(
            v,
            published=draw(_times),
            provenance_advertised=draw(st.booleans()),
            attestations_advertised=draw(st.booleans()),
            trusted_publisher=draw(st.booleans()),
        )
        for v in draw(st.lists(_versions, max_size=4))
    }
    packument = draw(st.one_of(st.none(), st.just(Packument(name, versions))))
    return PackageResult(
        package=pkg,
        status=status,
        reason=draw(st.one_of(st.none(), st.sampled_from(["PROVENANCE_STRIPPED", "X"]))),
        verification=draw(st.one_of(st.none(), st.just(verification))),
        packument=packument,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(results(), max_size=6), st.sampled_from(range(len(POLICIES))))
def test_evaluate_is_total_and_deterministic(rs: list[PackageResult], which: int) -> None:
    policy = POLICIES[which]
    context = PolicyContext(now=NOW, registries=("http://127.0.0.1:4873/",))
    findings = evaluate(policy, rs, context)
    assert findings == evaluate(policy, list(reversed(rs)), context)
    for f in findings:
        assert f.level in (Level.ERROR, Level.WARNING)
        assert f.level is policy.level(f.rule)
    later = evaluate(policy, rs, PolicyContext(now=NOW + timedelta(days=400)))
    assert isinstance(later, list)
