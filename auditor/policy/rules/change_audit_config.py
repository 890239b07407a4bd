"""change-audit-config: the pull request changes the audit's own configuration files.

`auditor.diff.baseconfig` reads those files at the base ref and knows which changed;
`findings` turns what it found into findings.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditor.models import Finding, Level
from auditor.policy.rules.base import Rule, rule_info

INFO = rule_info(
    "change-audit-config",
    "The pull request changes the audit's own configuration",
    "In pull-request mode the audit reads its configuration files that live in the "
    "repository (the .npmrc registry configuration, the policy file, the trusted root "
    "and npm keys files) at the base ref, so the pull request cannot weaken the audit "
    "of its own changes. This pull request adds, edits or deletes one of them: the "
    "change takes effect only after it is merged.",
    "Review the configuration change on its own (a registry pointed elsewhere, a rule "
    "turned off, a key added) before merging; the finding names the file.",
    "[rules] change-audit-config",
    severity="8.0",
    tags=("diff", "policy"),
)


def findings(changed: Iterable[tuple[str, str, str]], ref: str, level: Level) -> list[Finding]:
    """One finding per changed file: (path relative to the work tree, role, change)."""
    if level is Level.OFF:
        return []
    return [
        Finding(
            rule=INFO.id,
            level=level,
            message=(
                f"{rel}: the pull request changes the audit's {role} ({kind}); "
                f"this audit used the version at {ref}"
            ),
            evidence={"file": rel, "role": role, "change": kind, "ref": ref},
        )
        for rel, role, kind in changed
    ]


# Shown, not failing, by default: the audit reads its configuration from the base anyway.
# It names a file, not a package: no exception can match it.
RULE = Rule(INFO, builtin_level=Level.WARNING, waivable=False)
