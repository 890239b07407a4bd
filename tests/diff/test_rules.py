"""evaluate_changes: how the change-* rules run (each rule's own tests are in
tests/policy/rules/test_change_*.py)."""

from __future__ import annotations

from auditor.diff import diff_lockfiles, evaluate_changes
from auditor.models import Level, SourceKind, Status
from tests.diff._build import Levels, lock, pkg, result
from tests.policy.rules._change import rules, run


def test_no_findings_for_a_clean_update() -> None:
    assert run(pkg("a", "1.0.0"), pkg("a", "1.1.0")) == []


def test_unchanged_lockfile_produces_no_findings() -> None:
    a = lock(pkg("a", "1.0.0", install=True), pkg("g", "1.0.0", source=SourceKind.GIT))
    assert evaluate_changes(diff_lockfiles(a, a), {}, {}, Levels()) == []


def test_levels_come_from_the_policy() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0", install=True)
    head = result(a2, Status.UNATTESTED)
    off = Levels(off={"change-provenance-lost"})
    assert rules(a1, a2, head=head, policy=off) == ["change-install-script"]
    out = run(a1, a2, head=head, policy=Levels(Level.WARNING))
    assert {lvl for _, lvl, _ in out} == {Level.WARNING}


def test_removed_packages_are_never_findings() -> None:
    base = lock(pkg("gone", "1.0.0", install=True, source=SourceKind.GIT))
    assert evaluate_changes(diff_lockfiles(base, lock()), {}, {}, Levels()) == []
