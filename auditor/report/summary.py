"""Counts every format shows: packages by status and source, coverage, findings by rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditor.models import Level, Package, Report, SignatureStatus, SourceKind, Status

# Registry-signature counts: the three verdicts, and "unknown" (not decided: the package
# could not be fetched or its packument was not checked).
SIGNATURE_KEYS: tuple[str, ...] = ("verified", "missing", "invalid", "unknown")

# Coverage scopes in display order; each selects a subset of the registry packages.
COVERAGE_SCOPES: tuple[str, ...] = ("all", "production", "development", "direct", "transitive")

_SCOPE_FILTERS: dict[str, Callable[[Package], bool]] = {
    "all": lambda p: True,
    "production": lambda p: p.production,
    "development": lambda p: not p.production,
    "direct": lambda p: p.direct,
    "transitive": lambda p: not p.direct,
}


@dataclass(frozen=True, slots=True)
class Coverage:
    """Registry packages of one scope, and how many of them have verified provenance."""

    verified: int
    total: int

    @property
    def ratio(self) -> float | None:
        """Share verified, rounded to 4 places; None when the scope has no registry package."""
        if self.total == 0:
            return None
        return round(self.verified / self.total, 4)

    @property
    def percent(self) -> str:
        ratio = self.ratio
        return "n/a" if ratio is None else f"{ratio * 100:.1f}%"


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts derived from a `Report`; every mapping lists every key, zeros included."""

    packages: int
    by_status: dict[Status, int]
    by_source: dict[SourceKind, int]
    coverage: dict[str, Coverage]  # keyed by COVERAGE_SCOPES, in that order
    signature_coverage: dict[str, Coverage]  # verified registry signatures, same scopes
    by_signature: dict[str, int]  # registry packages by SIGNATURE_KEYS
    findings: int
    findings_by_level: dict[Level, int]  # ERROR and WARNING
    findings_by_rule: dict[str, dict[Level, int]]  # rules sorted by id
    packages_with_findings: int
    waived: int = 0  # findings the policy's exceptions waived (not counted above)

    @property
    def errors(self) -> int:
        return self.findings_by_level.get(Level.ERROR, 0)

    @property
    def warnings(self) -> int:
        return self.findings_by_level.get(Level.WARNING, 0)


def summarize(report: Report) -> Summary:
    """Count a report.  Coverage counts only REGISTRY packages: nothing else can be attested."""
    by_status = dict.fromkeys(Status, 0)
    by_source = dict.fromkeys(SourceKind, 0)
    for result in report.results:
        by_status[result.status] += 1
        by_source[result.package.source] += 1

    registry = [r for r in report.results if r.package.source is SourceKind.REGISTRY]
    coverage: dict[str, Coverage] = {}
    signature_coverage: dict[str, Coverage] = {}
    for scope in COVERAGE_SCOPES:
        selected = [r for r in registry if _SCOPE_FILTERS[scope](r.package)]
        verified = sum(1 for r in selected if r.status is Status.VERIFIED)
        coverage[scope] = Coverage(verified=verified, total=len(selected))
        signed = sum(
            1
            for r in selected
            if r.registry_signature is not None
            and r.registry_signature.status is SignatureStatus.VERIFIED
        )
        signature_coverage[scope] = Coverage(verified=signed, total=len(selected))
    by_signature = dict.fromkeys(SIGNATURE_KEYS, 0)
    for r in registry:
        sig = r.registry_signature
        by_signature[str(sig.status) if sig is not None else "unknown"] += 1

    by_level = {Level.ERROR: 0, Level.WARNING: 0}
    by_rule: dict[str, dict[Level, int]] = {}
    flagged: set[tuple[str, str | None]] = set()
    counted = [f for f in report.findings if f.level is not Level.OFF]
    for finding in counted:
        by_level[finding.level] += 1
        per_rule = by_rule.setdefault(finding.rule, {Level.ERROR: 0, Level.WARNING: 0})
        per_rule[finding.level] += 1
        if finding.package is not None:
            flagged.add((finding.package, finding.version))

    return Summary(
        packages=len(report.results),
        by_status=by_status,
        by_source=by_source,
        coverage=coverage,
        signature_coverage=signature_coverage,
        by_signature=by_signature,
        findings=len(counted),
        findings_by_level=by_level,
        findings_by_rule=dict(sorted(by_rule.items())),
        packages_with_findings=len(flagged),
        waived=sum(1 for w in report.waived if w.finding.level is not Level.OFF),
    )


# Exit codes of `audit` (the CLI and the JSON report's `exit_code` agree).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
_FAILING = {"error": {Level.ERROR}, "warning": {Level.ERROR, Level.WARNING}, "never": set()}


def exit_code(report: Report) -> int:
    """3 when the audit is incomplete and the policy does not allow it, else 1 or 0."""
    from auditor.policy.catalog import INCOMPLETE_RULES

    if report.failures:  # a registry given up on: incomplete whatever the policy says
        return EXIT_INCOMPLETE
    if any(f.rule in INCOMPLETE_RULES and f.level is Level.ERROR for f in report.findings):
        return EXIT_INCOMPLETE
    failing = _FAILING.get(report.fail_on, _FAILING["error"])
    if any(f.level in failing for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def tampered(report: Report) -> int:
    """How many packages are `invalid` (tampering), whatever else the exit code says."""
    return sum(1 for r in report.results if r.status is Status.INVALID)


def summary_line(report: Report) -> str:
    """The one line `audit` ends with on stderr: verdict, counts and the exit code.

    An incomplete audit (exit 3) that also found tampering says both: the exit code names
    only the most urgent condition.
    """
    summary = summarize(report)
    code = exit_code(report)
    invalid = tampered(report)
    undecided = summary.by_status[Status.ERROR]
    parts: list[str] = []
    if summary.findings:
        flagged = summary.packages_with_findings
        counts = f"{_plural(summary.errors, 'error')}, {_plural(summary.warnings, 'warning')}"
        parts.append(f"{counts} in {_plural(flagged, 'package')}")
    else:
        parts.append("no findings")
    if summary.waived:
        parts.append(f"{summary.waived} waived")
    if invalid:
        parts.append(f"{_plural(invalid, 'package')} failed verification (tampering)")
    if undecided:
        parts.append(f"{_plural(undecided, 'package')} could not be checked (incomplete)")
    verified = summary.by_status[Status.VERIFIED]
    parts.append(f"{verified} of {_plural(summary.packages, 'package')} verified")
    meaning = {
        EXIT_OK: "passed",
        EXIT_FINDINGS: "failing findings",
        EXIT_INCOMPLETE: "incomplete" + (" and tampering found" if invalid else ""),
    }[code]
    return f"{'; '.join(parts)}; exit {code} ({meaning})"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
