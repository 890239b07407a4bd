"""change-install-script: an added or updated package now declares install scripts."""

from __future__ import annotations

from auditor.policy.rules.base import ChangeEmitter, ChangeSubject, Rule, rule_info

INFO = rule_info(
    "change-install-script",
    "Changed version gained an install script",
    "Against the base lockfile, the package now declares install scripts that the base "
    "version did not.",
    "Review the new script before accepting the update.",
    "[rules] change-install-script",
    severity="7.0",
    tags=("diff",),
)


def check(emit: ChangeEmitter, c: ChangeSubject) -> None:
    if not c.after.has_install_script:
        return
    if c.before is None:
        emit.add(INFO.id, "new package with an install script")
    elif not c.before.has_install_script:
        emit.add(INFO.id, "gained an install script")


RULE = Rule(INFO, change=check)
