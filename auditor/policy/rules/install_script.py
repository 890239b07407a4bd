"""install-script: the package declares install scripts (hasInstallScript)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, Level, PackageResult
from auditor.policy.rules.base import Judge, Rule, any_match, rule_info

INFO = rule_info(
    "install-script",
    "Package runs an install script",
    "The package declares preinstall/install/postinstall scripts (hasInstallScript), "
    "the usual way npm worms execute on install.",
    "Review the script, install with --ignore-scripts, or allow the package.",
    "[install_script] allow",
    level=Level.WARNING,
    severity="5.5",
    tags=("behaviour",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    p, allow = r.package, j.policy.install_script.allow
    if not p.has_install_script or any_match(allow, p.name, p.version):
        return
    yield from j.finding(
        INFO.id,
        r,
        f"{p.spec} runs install scripts (hasInstallScript)",
        {"expected": [s.spec for s in allow], "actual": "hasInstallScript"},
    )


RULE = Rule(INFO, package=check)
