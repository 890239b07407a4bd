"""change-source: an added or updated package comes from another kind of source."""

from __future__ import annotations

from auditor.models import Package
from auditor.policy.rules.base import (
    NON_REGISTRY_SOURCES,
    ChangeEmitter,
    ChangeSubject,
    Rule,
    rule_info,
)

INFO = rule_info(
    "change-source",
    "Changed dependency comes from another kind of source",
    "Against the base lockfile, the package's source kind changed (for example from "
    "the registry to a git or tarball URL).",
    "Keep registry dependencies on the registry.",
    "[rules] change-source",
    severity="7.0",
    tags=("diff",),
)


def _location(package: Package) -> str | None:
    """Where a non-registry package comes from, without the commit (a git dependency's
    commit moving is its version changing, not a new source)."""
    if package.resolved is None:
        return None
    return package.resolved.split("#", 1)[0]


def check(emit: ChangeEmitter, c: ChangeSubject) -> None:
    before, after = c.before, c.after
    if after.source not in NON_REGISTRY_SOURCES:
        return
    where = _location(after) or "(no resolved URL)"
    if before is None:
        emit.add(INFO.id, f"new {after.source} source {where}", source=str(after.source))
    elif before.source != after.source:
        emit.add(
            INFO.id,
            f"source changed from {before.source} to {after.source} {where}",
            source=str(after.source),
            before_source=str(before.source),
        )
    elif _location(before) != _location(after):
        emit.add(
            INFO.id,
            f"{after.source} source moved from {_location(before)} to {where}",
            source=str(after.source),
        )


RULE = Rule(INFO, change=check)
