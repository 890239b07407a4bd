"""change-repository: another repository URL or numeric id."""

from __future__ import annotations

from auditor.models import Status
from tests.diff._build import REPO, identity, pkg, result
from tests.policy.rules._change import rules, run


def test_repository_changed_by_url_or_numeric_id() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0")
    evil = "https://github.com/evil/widget"
    flow = f"{evil}/.github/workflows/release.yml@refs/tags/v2.0.0"
    other = identity(repo=evil, workflow=flow, repository_id="999", owner_id="666")
    out = run(a1, a2, head=result(a2, Status.VERIFIED, other))
    assert [r for r, _, _ in out] == ["change-repository"]
    assert "https://github.com/evil/widget" in out[0][2]
    # Same URL, new numeric id: the repository was deleted and re-created by someone.
    resurrected = identity(repository_id="555")
    out = run(a1, a2, head=result(a2, Status.VERIFIED, resurrected))
    assert [r for r, _, _ in out] == ["change-repository"]
    assert "repository id 100 -> 555" in out[0][2]
    # Case and a .git suffix are the same repository; a missing id is not a change.
    same = identity(repo=REPO.upper() + ".git", repository_id=None)
    assert rules(a1, a2, head=result(a2, Status.VERIFIED, same)) == []
