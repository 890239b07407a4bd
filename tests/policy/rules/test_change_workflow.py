"""change-workflow: another workflow path or issuer."""

from __future__ import annotations

from auditor.models import Status
from tests.diff._build import REPO, identity, pkg, result
from tests.policy.rules._change import rules, run


def test_workflow_changed() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0")
    moved = identity(workflow=f"{REPO}/.github/workflows/evil.yml@refs/heads/main")
    out = run(a1, a2, head=result(a2, Status.VERIFIED, moved))
    assert [r for r, _, _ in out] == ["change-workflow"]
    assert ".github/workflows/release.yml -> .github/workflows/evil.yml" in out[0][2]
    # Only the ref moving (a new tag) is not a workflow change.
    tag = identity(workflow=f"{REPO}/.github/workflows/release.yml@refs/tags/v2.0.0")
    assert rules(a1, a2, head=result(a2, Status.VERIFIED, tag)) == []
    gitlab = identity(issuer="https://gitlab.example.test")
    assert rules(a1, a2, head=result(a2, Status.VERIFIED, gitlab)) == ["change-workflow"]
