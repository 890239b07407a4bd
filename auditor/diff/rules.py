"""Runs the change-* rules: what got worse between the base and the head version of a package.

The rules themselves are policy rules (`auditor/policy/rules/change_*.py`), pure functions
of the changes and of the verified results of both versions (never of unverified packument
claims).  Each rule has a policy level like any other finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from auditor.diff.changes import Change, ChangeKind
from auditor.models import Finding, Level, Lockfile, PackageResult
from auditor.policy.rules import REGISTRY, ChangeSubject
from auditor.policy.rules.change_provenance_lost import evidence_of
from auditor.signals.newdeps import NewDependency, new_dependencies

CHANGE_RULES: tuple[str, ...] = tuple(r.id for r in REGISTRY if r.change is not None)

__all__ = ["CHANGE_RULES", "RuleLevels", "evaluate_changes", "evidence_of"]


class RuleLevels(Protocol):
    """The one thing these rules need from a policy (`auditor.policy.Policy` has it)."""

    def level(self, rule_id: str) -> Level: ...


def _lookup(
    spec: str, first: Mapping[str, PackageResult], second: Mapping[str, PackageResult]
) -> PackageResult | None:
    result = first.get(spec)
    return result if result is not None else second.get(spec)


class _Emitter:
    """Collects findings for one change, dropping rules the policy turned off."""

    def __init__(self, policy: RuleLevels, change: Change) -> None:
        self.policy = policy
        self.change = change
        self.findings: list[Finding] = []

    def add(self, rule: str, message: str, **evidence: object) -> None:
        level = self.policy.level(rule)
        if level is Level.OFF:
            return
        c = self.change
        self.findings.append(
            Finding(
                rule=rule,
                level=level,
                message=f"{c.name}{_versions(c)}: {message}",
                package=c.name,
                version=c.after,
                line=c.line,
                evidence={"change": str(c.kind), "before": c.before, "after": c.after} | evidence,
            )
        )


def _versions(change: Change) -> str:
    # `name@after` first, like every other finding's message.
    if change.kind is ChangeKind.ADDED:
        return f"@{change.after} (added)"
    return f"@{change.after} (was {change.before})"


def evaluate_changes(
    changes: Iterable[Change],
    head_results: Mapping[str, PackageResult],
    base_results: Mapping[str, PackageResult],
    policy: RuleLevels,
    head: Lockfile | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    """change-* findings for added and updated packages (removals are never findings).

    Results are keyed by `Package.spec`.  A base version whose result is missing or an
    error cannot be compared: that is an `incomplete` finding (fail closed), unless the
    same version is also in the head results, where the head audit already reports it.
    `head` (the head lockfile) tells which new packages an update brought in; `now` is
    the run's clock (the age of a new dependency).
    """
    changes = list(changes)
    checks = [r.change for r in REGISTRY if r.change is not None]
    introduced: dict[str, NewDependency] = {}
    if head is not None:
        added = {c.name for c in changes if c.kind is ChangeKind.ADDED}
        introduced = {d.package.spec: d for d in new_dependencies(head, added)}
    was = {
        c.after_package.spec: c.before
        for c in changes
        if c.kind is ChangeKind.UPDATED and c.after_package is not None
    }
    findings: list[Finding] = []
    for change in changes:
        after = change.after_package
        if change.kind is ChangeKind.REMOVED or after is None:
            continue
        before = change.before_package if change.kind is ChangeKind.UPDATED else None
        subject = ChangeSubject(
            before=None,
            after=after,
            head=_lookup(after.spec, head_results, base_results),
            now=now,
            introduced=(intro := introduced.get(after.spec)),
            introducer_before=(
                was.get(intro.introduced_by.spec)
                if intro is not None and intro.introduced_by is not None
                else None
            ),
        )
        if before is not None:
            subject = ChangeSubject(
                before=before,
                after=after,
                base=_lookup(before.spec, base_results, head_results),
                head=_lookup(after.spec, head_results, base_results),
                base_in_head=before.spec in head_results,
            )
        emit = _Emitter(policy, change)
        for check in checks:
            check(emit, subject)
        findings.extend(emit.findings)
    return findings
