"""Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments.

A summary table, then collapsed `<details>` sections.  Every value from the lockfile, the
registry or a certificate is shown in `<code>` with its punctuation as HTML entities
(`auditor.sanitize.markdown_code`): no table breaks, markup, links or mentions, and the
rendered text is the value itself, so it can be copied.  The output is bounded: a pull-request
comment holds 65,536 characters, a step summary 1 MiB; rows stop with a note before that.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from auditor import PRODUCT_NAME
from auditor.models import Change, Finding, Level, PackageResult, Report, Status, WaivedFinding
from auditor.report._common import (
    change_cells,
    clean,
    count_levels,
    display_path,
    finding_detail,
    identity_cells,
    plural,
    signature_cells,
    spec,
    unsigned_results,
    unverified_results,
)
from auditor.report.format import ReportFormat
from auditor.report.summary import COVERAGE_SCOPES, Summary, summarize
from auditor.sanitize import markdown_code

MAX_CHARS = 65_000  # under GitHub's pull-request comment limit of 65,536 characters
_MAX_CELL = 300
_RESERVE = 400  # room kept for closing tags and truncation notes

_STATUS_ICON = {
    Status.VERIFIED: "✅",
    Status.PUBLISH_ONLY: "🟡",
    Status.UNATTESTED: "🟡",
    Status.INVALID: "❌",
    Status.ERROR: "⚠️",
    Status.NOT_APPLICABLE: "➖",
}


def escape(value: object) -> str:
    """Inert inline Markdown for a table cell or a sentence (see `auditor.sanitize`)."""
    if value == "-":
        return "-"  # the tables' placeholder for a missing value
    return markdown_code(value, limit=_MAX_CELL)


code = escape  # every value from the lockfile, registry or a certificate is shown as code


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, text: str) -> bool:
        if len(text) + 1 > self.left - _RESERVE:
            return False
        self.left -= len(text) + 1
        return True


def render_markdown(report: Report, *, max_chars: int = MAX_CHARS) -> str:
    summary = summarize(report)
    budget = _Budget(max_chars)
    out: list[str] = []

    def emit(lines: Sequence[str]) -> None:
        for line in lines:
            budget.left -= len(line) + 1
            out.append(line)

    emit(_head(report, summary))
    findings = [f for f in report.findings if f.level is not Level.OFF]
    ordered = sorted(findings, key=lambda f: 0 if f.level is Level.ERROR else 1)
    unverified = unverified_results(report)
    verified = [r for r in report.results if r.status is Status.VERIFIED]
    waived = [w for w in report.waived if w.finding.level is not Level.OFF]
    unsigned = unsigned_results(report)

    sections: list[tuple[str, int, list[str], Iterator[str]]] = [
        (
            f"Findings ({len(findings)})",
            len(findings),
            ["level", "rule", "package", "message"],
            (_finding_row(f) for f in ordered),
        ),
        (
            f"Waived by policy exceptions ({len(waived)})",
            len(waived),
            ["rule", "package", "exception", "reason"],
            (_waived_row(w) for w in waived),
        ),
        (
            f"Registry packages without verified provenance ({len(unverified)})",
            len(unverified),
            ["package", "status", "reason"],
            (_status_row(r) for r in unverified),
        ),
        (
            f"Registry signatures not verified ({len(unsigned)})",
            len(unsigned),
            ["package", "signature", "reason"],
            (_signature_row(r) for r in unsigned),
        ),
        (
            f"Changes against the base lockfile ({len(report.changes)})",
            len(report.changes),
            ["change", "package", "before", "after"],
            (_change_row(c) for c in report.changes),
        ),
        (
            f"Verified packages and their signers ({len(verified)})",
            len(verified),
            ["package", "repository", "ref", "workflow", "runner"],
            (_signer_row(r) for r in verified),
        ),
    ]
    for title, total, headers, rows in sections:
        if total:
            # Errors are what a reviewer must see: that section starts expanded.
            expand = title.startswith("Findings") and summary.errors > 0
            out.extend(_details(title, total, headers, rows, budget, open_=expand))
    return "\n".join(out).rstrip("\n") + "\n"


def _head(report: Report, summary: Summary) -> list[str]:
    undecided = summary.by_status[Status.ERROR]
    verdict = count_levels(summary.errors, summary.warnings) if summary.findings else "no findings"
    if summary.waived:
        verdict += f", {summary.waived} waived"
    if undecided:
        verdict += ", incomplete"  # never a green tick while packages are undecided
    if summary.errors:
        icon = "❌"
    elif summary.warnings or undecided:
        icon = "⚠️"
    else:
        icon = "✅"
    policy = code(report.policy) if report.policy else "built-in default"
    lines = [
        f"### {icon} npm provenance audit{_scope(report)}: {verdict}",
        "",
        f"{code(display_path(report.lockfile))} · {plural(summary.packages, 'package')} · "
        f"policy {policy} · {PRODUCT_NAME} {clean(report.tool_version)}",
        "",
    ]
    if undecided:
        lines += [
            f"> **{undecided} package(s) could not be checked: the audit is incomplete.**",
            "",
        ]
    lines += ["| status | packages |", "|:--|--:|"]
    lines += [f"| {_STATUS_ICON[s]} {s} | {n} |" for s, n in summary.by_status.items()]
    lines += [
        "",
        "| verified provenance | verified | registry packages | share "
        "| registry signature verified | share |",
    ]
    lines += ["|:--|--:|--:|--:|--:|--:|"]
    for scope in COVERAGE_SCOPES:
        c, g = summary.coverage[scope], summary.signature_coverage[scope]
        lines.append(
            f"| {scope} | {c.verified} | {c.total} | {c.percent} | {g.verified} | {g.percent} |"
        )
    lines.append("")
    return lines


def _scope(report: Report) -> str:
    """`of the changes against <base>` in pull-request mode: what the verdict covers."""
    if report.base is None:
        return ""
    return f" of the changes against {code(report.base)}"


def _details(
    title: str,
    total: int,
    headers: list[str],
    rows: Iterator[str],
    budget: _Budget,
    *,
    open_: bool = False,
) -> list[str]:
    lines = [
        f"<details{' open' if open_ else ''}><summary>{title}</summary>",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(":--" for _ in headers) + "|",
    ]
    if not all(budget.take(line) for line in lines):
        return []  # no room left for even an empty table: the summary above still stands
    shown = 0
    for text in rows:
        if not budget.take(text):
            break
        lines.append(text)
        shown += 1
    tail = ["", "</details>", ""]
    if shown < total:
        note = f"{total - shown} more not shown (size limit); the JSON report has all of them."
        tail = ["", f"*… {note}*", *tail]
    budget.left -= sum(len(t) + 1 for t in tail)
    return [*lines, *tail]


def _finding_row(item: Finding) -> str:
    return (
        f"| {item.level} | {code(item.rule)} | {code(spec(item.package, item.version))} "
        f"| {escape(finding_detail(item.message, item.package, item.version))} |"
    )


def _waived_row(item: WaivedFinding) -> str:
    until = f" until {item.expires.isoformat()}" if item.expires else ""
    return (
        f"| {code(item.finding.rule)} | {code(spec(item.finding.package, item.finding.version))} "
        f"| {item.exception}{until} | {escape(item.reason)} |"
    )


def _status_row(item: PackageResult) -> str:
    why = " ".join(str(x) for x in (item.reason, item.message) if x)
    return (
        f"| {code(item.package.spec)} | {_STATUS_ICON[item.status]} {item.status} "
        f"| {escape(why or '-')} |"
    )


def _signature_row(item: PackageResult) -> str:
    status, why = signature_cells(item)
    return f"| {code(item.package.spec)} | {escape(status)} | {escape(why)} |"


def _signer_row(item: PackageResult) -> str:
    cells = [code(item.package.spec), *(escape(c) for c in identity_cells(item.identity))]
    return "| " + " | ".join(cells) + " |"


def _change_row(change: Change) -> str:
    kind, name, before, after = change_cells(change)
    return f"| {escape(kind)} | {code(name)} | {escape(before)} | {escape(after)} |"


FORMAT = ReportFormat(
    "markdown",
    lambda report, options: render_markdown(report),
    file_help="also write the Markdown report to FILE (- stdout)",
)
