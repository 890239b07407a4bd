"""change-install-script: a new or gained install script."""

from __future__ import annotations

from auditor.diff import diff_lockfiles, evaluate_changes
from tests.diff._build import Levels, lock, pkg
from tests.policy.rules._change import rules


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
