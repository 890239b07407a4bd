"""change-source: a new non-registry source, or one that moved."""

from __future__ import annotations

from auditor.diff import diff_lockfiles, evaluate_changes
from auditor.models import SourceKind, Status
from tests.diff._build import Levels, lock, pkg, result
from tests.policy.rules._change import GIT, rules, run


def test_new_exotic_source() -> None:
    a1 = pkg("a", "1.0.0")
    a2 = pkg("a", "1.0.0", source=SourceKind.GIT, resolved=f"{GIT}#abc")
    out = run(a1, a2, head=result(a2, Status.NOT_APPLICABLE))
    # Rules run in the registry's order (the engine sorts findings afterwards).
    assert [r for r, _, _ in out] == ["change-provenance-lost", "change-source"]
    assert out[1][2] == f"a@1.0.0 (was 1.0.0): source changed from registry to git {GIT}"
    # A git dependency moving to another commit of the same repository is its version.
    g1 = pkg("g", "1.0.0", source=SourceKind.GIT, resolved=f"{GIT}#aaa")
    g2 = pkg("g", "1.1.0", source=SourceKind.GIT, resolved=f"{GIT}#bbb")
    na = Status.NOT_APPLICABLE
    assert rules(g1, g2, result(g1, na), result(g2, na)) == []
    g3 = pkg("g", "1.1.0", source=SourceKind.GIT, resolved="git+https://example.test/x.git#b")
    assert rules(g1, g3, result(g1, na), result(g3, na)) == ["change-source"]
    # Added packages from a URL or a file are new sources; registry and links are not.
    remote = pkg("r", "1.0.0", source=SourceKind.REMOTE, resolved="https://example.test/r.tgz")
    link = pkg("w", "1.0.0", source=SourceKind.LINK, resolved="packages/w")
    head = lock(remote, link, pkg("plain", "1.0.0"))
    findings = evaluate_changes(diff_lockfiles(lock(), head), {}, {}, Levels())
    assert [(f.rule, f.package) for f in findings] == [("change-source", "r")]
    assert findings[0].message == "r@1.0.0 (added): new remote source https://example.test/r.tgz"
