"""change-audit-config: one finding per configuration file the pull request changes
(auditor.diff.baseconfig finds the files; tests/diff/test_base_config.py runs it on git)."""

from __future__ import annotations

from auditor.models import Level
from auditor.policy import default_policy
from auditor.policy.rules.change_audit_config import findings


def test_one_finding_per_changed_file_naming_it() -> None:
    changed = [(".npmrc", "registry configuration", "modified"), ("p.toml", "policy", "added")]
    fs = findings(changed, "origin/main", Level.WARNING)
    assert [(f.rule, f.level, f.package) for f in fs] == [
        ("change-audit-config", Level.WARNING, None),
        ("change-audit-config", Level.WARNING, None),
    ]
    assert fs[0].message == (
        ".npmrc: the pull request changes the audit's registry configuration (modified); "
        "this audit used the version at origin/main"
    )
    assert fs[1].evidence == {
        "file": "p.toml",
        "role": "policy",
        "change": "added",
        "ref": "origin/main",
    }
    assert findings(changed, "origin/main", Level.OFF) == []
    assert default_policy().level("change-audit-config") is Level.WARNING
