"""evaluate_changes: each change-* rule on hand-built results (no crypto, no I/O)."""

from __future__ import annotations

from auditor.diff import diff_lockfiles, evaluate_changes, evidence_of
from auditor.models import Evidence, Level, Package, PackageResult, SourceKind, Status
from tests.diff._build import REPO, Levels, by_spec, identity, lock, pkg, result

GIT = "git+ssh://git@example.test/acme/widget.git"


def run(
    before: Package,
    after: Package,
    base: PackageResult | None = None,
    head: PackageResult | None = None,
    policy: Levels | None = None,
) -> list[tuple[str, Level, str]]:
    changes = diff_lockfiles(lock(before), lock(after))
    base = base or result(before, Status.VERIFIED, identity())
    head = head or result(after, Status.VERIFIED, identity())
    findings = evaluate_changes(changes, by_spec([head]), by_spec([base]), policy or Levels())
    return [(f.rule, f.level, f.message) for f in findings]


def rules(*args: object, **kw: object) -> list[str]:
    return [r for r, _, _ in run(*args, **kw)]  # type: ignore[arg-type]


def test_no_findings_for_a_clean_update() -> None:
    assert run(pkg("a", "1.0.0"), pkg("a", "1.1.0")) == []


def test_unchanged_lockfile_produces_no_findings() -> None:
    a = lock(pkg("a", "1.0.0", install=True), pkg("g", "1.0.0", source=SourceKind.GIT))
    assert evaluate_changes(diff_lockfiles(a, a), {}, {}, Levels()) == []


def test_provenance_lost_and_weakened() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0", line=12)
    lost = run(a1, a2, head=result(a2, Status.UNATTESTED))
    assert lost == [
        (
            "change-provenance-lost",
            Level.ERROR,
            "a@2.0.0 (was 1.0.0): provenance lost: verified provenance -> no attestation",
        )
    ]
    weakened = run(a1, a2, head=result(a2, Status.PUBLISH_ONLY))
    assert [m for _, _, m in weakened] == [
        "a@2.0.0 (was 1.0.0): provenance weakened: verified provenance -> publish attestation only"
    ]
    # publish-only -> none is a loss too; none -> none and gains are not.
    assert rules(a1, a2, result(a1, Status.PUBLISH_ONLY), result(a2, Status.UNATTESTED)) == [
        "change-provenance-lost"
    ]
    assert rules(a1, a2, result(a1, Status.UNATTESTED), result(a2, Status.UNATTESTED)) == []
    assert rules(a1, a2, result(a1, Status.UNATTESTED), result(a2, Status.PUBLISH_ONLY)) == []
    # Invalid attestations are no evidence (attestation-invalid reports them itself).
    assert rules(a1, a2, head=result(a2, Status.INVALID)) == ["change-provenance-lost"]


def test_provenance_lost_finding_fields() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0", line=12)
    changes = diff_lockfiles(lock(a1), lock(a2))
    base = by_spec([result(a1, Status.VERIFIED, identity())])
    head = by_spec([result(a2, Status.UNATTESTED)])
    (f,) = evaluate_changes(changes, head, base, Levels(Level.WARNING))
    assert (f.package, f.version, f.line, f.level) == ("a", "2.0.0", 12, Level.WARNING)
    assert f.evidence["before_evidence"] == "provenance"
    assert f.evidence["after_evidence"] == "none"
    assert f.evidence["change"] == "updated"


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


def test_install_script() -> None:
    assert rules(pkg("a", "1.0.0"), pkg("a", "2.0.0", install=True)) == ["change-install-script"]
    assert rules(pkg("a", "1.0.0", install=True), pkg("a", "2.0.0", install=True)) == []
    assert rules(pkg("a", "1.0.0", install=True), pkg("a", "2.0.0")) == []
    new = lock(pkg("n", "1.0.0", install=True, line=3))
    (f,) = evaluate_changes(diff_lockfiles(lock(), new), {}, {}, Levels())
    assert (f.rule, f.message, f.line) == (
        "change-install-script",
        "n@1.0.0 (added): new package with an install script",
        3,
    )


def test_new_exotic_source() -> None:
    a1 = pkg("a", "1.0.0")
    a2 = pkg("a", "1.0.0", source=SourceKind.GIT, resolved=f"{GIT}#abc")
    out = run(a1, a2, head=result(a2, Status.NOT_APPLICABLE))
    assert [r for r, _, _ in out] == ["change-source", "change-provenance-lost"]
    assert out[0][2] == f"a@1.0.0 (was 1.0.0): source changed from registry to git {GIT}"
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


def test_levels_come_from_the_policy() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0", install=True)
    head = result(a2, Status.UNATTESTED)
    off = Levels(off={"change-provenance-lost"})
    assert rules(a1, a2, head=head, policy=off) == ["change-install-script"]
    out = run(a1, a2, head=head, policy=Levels(Level.WARNING))
    assert {lvl for _, lvl, _ in out} == {Level.WARNING}


def test_undecided_base_is_incomplete_undecided_head_is_left_to_the_head_audit() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0")
    out = run(a1, a2, base=result(a1, Status.ERROR, reason="FETCH_TIMEOUT"))
    assert out == [
        (
            "incomplete",
            Level.ERROR,
            "a@2.0.0 (was 1.0.0): could not compare with base version 1.0.0 (FETCH_TIMEOUT)",
        )
    ]
    # Missing from both mappings: fail closed as well.
    changes = diff_lockfiles(lock(a1), lock(a2))
    head = by_spec([result(a2, Status.UNATTESTED)])
    (f,) = evaluate_changes(changes, head, {}, Levels())
    assert f.rule == "incomplete" and "not audited" in f.message
    assert rules(a1, a2, head=result(a2, Status.ERROR)) == []


def test_removed_packages_are_never_findings() -> None:
    base = lock(pkg("gone", "1.0.0", install=True, source=SourceKind.GIT))
    assert evaluate_changes(diff_lockfiles(base, lock()), {}, {}, Levels()) == []


def test_evidence_of() -> None:
    p = pkg("a", "1.0.0")
    assert evidence_of(None) is None
    assert evidence_of(result(p, Status.ERROR)) is None
    assert evidence_of(result(p, Status.VERIFIED, identity())) is Evidence.PROVENANCE
    assert evidence_of(result(p, Status.PUBLISH_ONLY)) is Evidence.PUBLISH_ONLY
    for status in (Status.UNATTESTED, Status.INVALID, Status.NOT_APPLICABLE):
        assert evidence_of(result(p, status)) is Evidence.NONE
