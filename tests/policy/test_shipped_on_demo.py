"""Every shipped policy runs on the demo project (offline, recorded real attestations)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.models import Level
from auditor.policy import RULES, load_policy

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo"
POLICIES = sorted((ROOT / "policies").glob("*.toml"))
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    not (DEMO / "package-lock.json").is_file() or not (DEMO / "offline").is_dir(),
    reason="fixtures/demo (the lead's demo project) is not built yet",
)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_shipped_policy_runs_on_the_demo(path: Path) -> None:
    engine = pytest.importorskip("auditor.pipeline")
    from auditor.cli import exit_code_for

    policy = load_policy(path)
    options = engine.AuditOptions(
        offline=DEMO / "offline",
        npm_keys=DEMO / "npm-registry-keys.json",  # the pinned keys plus the demo signing key
        registry="http://127.0.0.1:4873",
        quiet=True,
        npm=False,
        env={},
        now=NOW,
        verify_workers=0,
        use_cache=False,
        policy_path=path,
    )
    report = engine.run_audit(DEMO / "package-lock.json", policy, options)
    assert report.results
    assert {f.rule for f in report.findings} <= set(RULES)
    assert all(f.level is not Level.OFF for f in report.findings)
    for f in report.findings:
        assert f.level is policy.level(f.rule)
    # `make demo` accepts findings but not an incomplete audit (the demo has every response).
    # The demo has a tampered package: attestation-invalid fails under every policy.
    assert exit_code_for(report, fail_on="error") == 1
    assert "attestation-invalid" in {f.rule for f in report.findings if f.level is Level.ERROR}
    if path.name == "baseline.toml":
        failing = {f.rule for f in report.findings if f.level is Level.ERROR}
        assert failing <= {"attestation-invalid", "provenance-stripped"}
    # Every demo package carries a registry signature that verifies (one is real).
    signed = [r.registry_signature for r in report.results if r.registry_signature is not None]
    assert signed and all(s.status == "verified" for s in signed)


def test_old_certificates_pass_recommended_and_fail_strict_only_by_require_claims() -> None:
    """2023 certificates carry no runner claim: unknown under recommended, required by strict."""
    engine = pytest.importorskip("auditor.pipeline")

    def findings(name: str) -> list[tuple[str, str | None, str]]:
        path = ROOT / "policies" / name
        options = engine.AuditOptions(
            offline=DEMO / "offline",
            npm_keys=DEMO / "npm-registry-keys.json",
            registry="http://127.0.0.1:4873",
            quiet=True,
            npm=False,
            env={},
            now=NOW,
            verify_workers=0,
            use_cache=False,
            policy_path=path,
        )
        report = engine.run_audit(DEMO / "package-lock.json", load_policy(path), options)
        return [(f.rule, f.package, f.message) for f in report.findings]

    assert not [f for f in findings("recommended.toml") if f[0].startswith("identity-")]
    strict = [f for f in findings("strict.toml") if f[0] == "identity-runner"]
    assert strict and all("require_claims" in message for _, _, message in strict)


def test_baseline_comment_names_every_rule_that_is_not_a_warning() -> None:
    """The header comment says what `audit policy check` counts (errors, off)."""
    from auditor.models import Level as L

    path = ROOT / "policies" / "baseline.toml"
    comment = " ".join(
        line.lstrip("# ") for line in path.read_text().splitlines() if line.startswith("#")
    )
    policy = load_policy(path)
    for rule, level in policy.rule_levels().items():
        if level is not L.WARNING:
            assert rule in comment, (rule, level)
    assert "Every check is on" not in comment
