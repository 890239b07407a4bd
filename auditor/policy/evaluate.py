"""Policy evaluation: results -> findings.  Pure: no I/O, the clock comes from the context.

Each rule's checks live in its module (`auditor.policy.rules`); this module runs them and
applies the policy's exceptions.  Decisions (docs/policy.md explains them to users):
- Tampering (attestation-invalid, provenance-stripped, registry-signature-invalid) is always
  an error and never waived.  registry-signature-missing applies only to packages from a
  registry that signs (`PolicyContext.signing_registries`).
- A check that lacks the data it needs (no publish time, no packument) yields an
  `incomplete` finding rather than a silent pass: an undecided package is not a pass.
- Identity rules judge only verified provenance; a package without provenance fails an
  identity block only through `require_provenance` (reported as provenance-required).
- Provenance requirements and coverage count registry packages only; git, tarball and file
  dependencies are source-non-registry's business.
- The change-* rules are evaluated by `auditor.diff` (levels from `Policy.level`); `waive`
  applies this policy's exceptions to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from auditor.models import Finding, PackageResult, WaivedFinding
from auditor.policy.model import Policy, PolicyContext, PolicyException
from auditor.policy.rules import REGISTRY
from auditor.policy.rules.base import Judge, aware


def evaluate(
    policy: Policy, results: Sequence[PackageResult], context: PolicyContext
) -> list[Finding]:
    """Every finding of every enabled rule, exceptions applied, sorted and de-duplicated."""
    return evaluate_waived(policy, results, context)[0]


def evaluate_waived(
    policy: Policy, results: Sequence[PackageResult], context: PolicyContext
) -> tuple[list[Finding], list[WaivedFinding]]:
    """`evaluate`, plus the findings exceptions waived (reports show them as waived)."""
    judge = Judge(policy, context)
    package_checks = [r.package for r in REGISTRY if r.package is not None]
    raw: list[Finding] = []
    for result in results:
        for check in package_checks:
            raw.extend(check(judge, result))
    for rule in REGISTRY:
        if rule.audit is not None:
            raw.extend(rule.audit(judge, results))
    kept, waived = split_waived(policy, raw, judge.now)
    return _unique_sorted(kept), sort_waived(waived)


def _unique_sorted(findings: Iterable[Finding]) -> list[Finding]:
    # Sort on the whole content so the order never depends on the input order.
    unique: dict[tuple[str, str, str, str, int, str], Finding] = {}
    for f in findings:
        unique.setdefault(finding_sort_key(f), f)
    return [unique[k] for k in sorted(unique)]


def sort_waived(waived: Iterable[WaivedFinding]) -> list[WaivedFinding]:
    """Waived findings in report order, each finding once."""
    unique: dict[tuple[str, str, str, str, int, str], WaivedFinding] = {}
    for w in waived:
        unique.setdefault(finding_sort_key(w.finding), w)
    return [unique[k] for k in sorted(unique)]


def finding_sort_key(f: Finding) -> tuple[str, str, str, str, int, str]:
    """The order of findings in every report: by package, then rule, then content."""
    return (
        f.package or "",
        f.version or "",
        f.rule,
        f.message,
        f.line or 0,
        repr(sorted(f.evidence.items())),
    )


def waive(policy: Policy, findings: Iterable[Finding], now: datetime) -> list[Finding]:
    """The findings the policy's unexpired exceptions do not waive.

    `evaluate` applies it; the pull-request mode applies it to its change-* findings.
    """
    return split_waived(policy, findings, now)[0]


def split_waived(
    policy: Policy, findings: Iterable[Finding], now: datetime
) -> tuple[list[Finding], list[WaivedFinding]]:
    """(findings kept, findings waived with the exception that waived them)."""
    active = [e for e in policy.exceptions if not e.expired(aware(now))]
    kept: list[Finding] = []
    waived: list[WaivedFinding] = []
    for f in findings:
        exc = _waiver(f, active)
        if exc is None:
            kept.append(f)
        else:
            waived.append(WaivedFinding(f, exc.index, exc.reason, exc.expires))
    return kept, waived


def _waiver(finding: Finding, exceptions: Iterable[PolicyException]) -> PolicyException | None:
    if finding.package is None or finding.version is None:
        return None  # global findings (coverage) name no package to match
    for e in exceptions:
        if finding.rule in e.rules and e.package.matches(finding.package, finding.version):
            return e
    return None
