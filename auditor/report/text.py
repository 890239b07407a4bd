"""The terminal report: a summary, then tables that fit in 100 columns.

Long lists stop after `MAX_ROWS` rows with a pointer to the JSON report, which is complete.
Colour (ANSI) is added only when the caller asks for it; cells are cut and wrapped before
colouring so widths stay right.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from auditor import PRODUCT_NAME
from auditor.models import Change, Finding, Level, PackageResult, Report, Status, WaivedFinding
from auditor.report._common import (
    change_cells,
    clean,
    count_levels,
    display_path,
    finding_detail,
    identity_cells,
    signature_cells,
    spec,
    truncate,
    unsigned_results,
    unverified_results,
)
from auditor.report.format import RenderOptions, ReportFormat
from auditor.report.summary import COVERAGE_SCOPES, Summary, summarize
from auditor.sanitize import log_lines


def tabulate(*args: Any, **kwargs: Any) -> str:
    """tabulate, imported only when a text report is rendered (not for JSON or SARIF)."""
    from tabulate import tabulate as render

    return render(*args, **kwargs)


WIDTH = 100  # without a terminal (a file, a pipe, CI logs)
MIN_WIDTH = 80  # narrower terminals get 80 columns (tables need the room)
# The width this rendering uses: render_text sets it (the terminal's, else WIDTH).
_WIDTH: ContextVar[int] = ContextVar("text_report_width", default=WIDTH)
_ALL_LINES = 1_000  # package names and -v evidence wrap, never cut
MAX_ROWS = 50
_MAX_MESSAGE_LINES = 4
_TABLE_FORMAT = "simple"
_SEP = 2  # tabulate's "simple" format puts two spaces between columns

_STATUS_COLOR = {
    Status.VERIFIED: "32",
    Status.PUBLISH_ONLY: "33",
    Status.UNATTESTED: "33",
    Status.INVALID: "1;31",
    Status.ERROR: "31",
    Status.NOT_APPLICABLE: "2",
}
_LEVEL_COLOR = {Level.ERROR: "1;31", Level.WARNING: "33", Level.OFF: "2"}
_MORE_HINT = "see --format json"


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def bold(self, text: str) -> str:
        return self(text, "1")


def render_text(
    report: Report, *, color: bool = False, verbose: bool = False, width: int = WIDTH
) -> str:
    """The report for a terminal `width` columns wide (at least MIN_WIDTH)."""
    token = _WIDTH.set(max(MIN_WIDTH, width))
    try:
        return _render_text(report, color=color, verbose=verbose)
    finally:
        _WIDTH.reset(token)


def render_evidence(report: Report, *, width: int = WIDTH) -> str:
    """`audit -v`'s evidence for stderr: every verified package's signer, in full."""
    verified = [r for r in report.results if r.status is Status.VERIFIED]
    if not verified:
        return ""
    token = _WIDTH.set(max(MIN_WIDTH, width))
    try:
        lines = [f"Verified packages and their signers ({len(verified)})"]
        lines += _signer_table(verified)
    finally:
        _WIDTH.reset(token)
    return log_lines("\n".join(line.rstrip() for line in lines) + "\n")


def _render_text(report: Report, *, color: bool, verbose: bool) -> str:
    WIDTH = _WIDTH.get()
    paint = _Painter(color)
    summary = summarize(report)
    out: list[str] = []

    policy = clean(report.policy) if report.policy else "built-in default"
    header = f"{PRODUCT_NAME} {clean(report.tool_version)} · {clean(display_path(report.lockfile))}"
    out.append(paint.bold(truncate(header, WIDTH)))
    out.append(truncate(f"policy: {policy}", WIDTH))
    for trust in report.trust:
        label = "trusted root" if trust.kind == "trusted_root" else "npm keys"
        dated = f" {clean(trust.date)}" if trust.date else ""
        line = f"{label}: {trust.source}{dated} ({clean(display_path(trust.path))})"
        out.append(truncate(line, WIDTH))
    if report.lockfile_requested is not None:
        # npm installs from another file than the one asked for: say which was audited.
        asked = clean(display_path(report.lockfile_requested))
        out.append(truncate(f"audited instead of {asked}: npm installs from this file", WIDTH))
    out.append("")
    out.extend(_overview(summary, paint))
    out.append("")
    out.extend(_coverage(summary))

    unverified = unverified_results(report)
    if unverified:
        out.append("")
        out.append(paint.bold(f"Registry packages without verified provenance ({len(unverified)})"))
        out.extend(_status_table(unverified, paint))

    unsigned = unsigned_results(report)
    if unsigned:
        out.append("")
        out.append(paint.bold(f"Registry signatures not verified ({len(unsigned)})"))
        out.extend(_signature_table(unsigned, paint))

    if verbose:
        verified = [r for r in report.results if r.status is Status.VERIFIED]
        if verified:
            out.append("")
            out.append(paint.bold(f"Verified packages and their signers ({len(verified)})"))
            out.extend(_signer_table(verified))

    findings = [f for f in report.findings if f.level is not Level.OFF]
    if findings:
        out.append("")
        out.append(paint.bold(f"Findings ({count_levels(summary.errors, summary.warnings)})"))
        out.extend(_findings_table(findings, paint))

    waived = [w for w in report.waived if w.finding.level is not Level.OFF]
    if waived:
        out.append("")
        out.append(paint.bold(f"Waived by policy exceptions ({len(waived)})"))
        out.extend(_waived_table(waived))

    if report.changes:
        out.append("")
        out.append(paint.bold(f"Changes against the base lockfile ({len(report.changes)})"))
        out.extend(_changes(report.changes))

    out.append("")
    out.extend(_verdict(summary, paint))
    # Stdout is a workflow log in CI: no line may be taken as a runner command.
    return log_lines("\n".join(line.rstrip() for line in out) + "\n")


def _overview(summary: Summary, paint: _Painter) -> list[str]:
    sources = [(f"{k} {v}", f"{k} {v}") for k, v in summary.by_source.items() if v]
    statuses = [
        (f"{k} {v}", paint(f"{k} {v}", _STATUS_COLOR[k]) if v else f"{k} {v}")
        for k, v in summary.by_status.items()
    ]
    packages = f"Packages: {summary.packages}"
    lines = _join_wrapped(packages + " (", sources, ")") if sources else [packages]
    return [*lines, *_join_wrapped("Status:   ", statuses, "")]


def _join_wrapped(prefix: str, parts: Sequence[tuple[str, str]], suffix: str) -> list[str]:
    """Join (plain, painted) parts with commas, wrapping at WIDTH by their plain length."""
    WIDTH = _WIDTH.get()
    indent = " " * len(prefix)
    lines: list[str] = []
    line, used = prefix, len(prefix)
    for i, (plain, painted) in enumerate(parts):
        tail = suffix if i == len(parts) - 1 else ","
        if used + len(plain) + len(tail) > WIDTH and used > len(prefix):
            lines.append(line)
            line, used = indent, len(indent)
        elif used > len(prefix):
            line, used = line + " ", used + 1
        line, used = line + painted + tail, used + len(plain) + len(tail)
    lines.append(line)
    return lines


def _coverage(summary: Summary) -> list[str]:
    rows = [
        [scope, str(c.verified), str(c.total), c.percent, str(g.verified), g.percent]
        for scope, c, g in (
            (s, summary.coverage[s], summary.signature_coverage[s]) for s in COVERAGE_SCOPES
        )
    ]
    table = tabulate(
        rows,
        headers=["coverage", "verified", "registry", "share", "signed", "signed share"],
        tablefmt=_TABLE_FORMAT,
        colalign=("left", "right", "right", "right", "right", "right"),
        disable_numparse=True,
    )
    return [
        "Verified provenance and registry signatures among registry packages:",
        *table.splitlines(),
    ]


def _signature_table(results: Sequence[PackageResult], paint: _Painter) -> list[str]:
    WIDTH = _WIDTH.get()
    shown = results[:MAX_ROWS]
    pkg_cap = max(24, min(60, WIDTH * 2 // 5))  # 40 at 100 columns
    pkg_width = min(pkg_cap, max(len("package") + 2, *(len(clean(r.package.spec)) for r in shown)))
    why_width = WIDTH - pkg_width - (len("signature") + 2) - 2 * _SEP  # tabulate pads headers by 2
    rows = []
    for r in shown:
        status, why = signature_cells(r)
        color = "1;31" if status == "invalid" else "33"
        rows.append(
            [
                _wrap(clean(r.package.spec), pkg_width, lines=_ALL_LINES),
                paint(status, color),
                _wrap(clean(why), why_width),
            ]
        )
    table = tabulate(
        rows,
        headers=["package", "signature", "reason"],
        tablefmt=_TABLE_FORMAT,
        disable_numparse=True,
    )
    return [*table.splitlines(), *_more(len(results) - len(shown))]


def _status_table(results: Sequence[PackageResult], paint: _Painter) -> list[str]:
    WIDTH = _WIDTH.get()
    shown = results[:MAX_ROWS]
    pkg_cap = max(24, min(60, WIDTH * 2 // 5))  # 40 at 100 columns
    pkg_width = min(pkg_cap, max(len("package") + 2, *(len(clean(r.package.spec)) for r in shown)))
    why_width = WIDTH - pkg_width - len("not-applicable") - 2 * _SEP
    rows = []
    for r in shown:
        why = " ".join(clean(x) for x in (r.reason, r.message) if x) or "-"
        rows.append(
            [
                _wrap(clean(r.package.spec), pkg_width, lines=_ALL_LINES),
                paint(str(r.status), _STATUS_COLOR[r.status]),
                _wrap(why, why_width),
            ]
        )
    table = tabulate(
        rows, headers=["package", "status", "reason"], tablefmt=_TABLE_FORMAT, disable_numparse=True
    )
    return [*table.splitlines(), *_more(len(results) - len(shown))]


def _signer_table(results: Sequence[PackageResult]) -> list[str]:
    WIDTH = _WIDTH.get()
    headers = ["package", "repository", "ref", "workflow", "runner"]
    shown = results[:MAX_ROWS]
    cells = [[clean(c) for c in (r.package.spec, *identity_cells(r.identity))] for r in shown]
    widths = _fit_widths(headers, cells, WIDTH - _SEP * (len(headers) - 1))
    # -v shows the signer evidence in full: every cell wraps, nothing is cut.
    rows = [
        [_wrap(c, w, lines=_ALL_LINES) for c, w in zip(row, widths, strict=True)] for row in cells
    ]
    table = tabulate(rows, headers=headers, tablefmt=_TABLE_FORMAT, disable_numparse=True)
    return [*table.splitlines(), *_more(len(results) - len(shown))]


def _fit_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], total: int) -> list[int]:
    """Natural column widths, the widest cut down one by one until they fit in `total`."""
    # tabulate pads every header by 2 (its MIN_PADDING), so a column is never narrower.
    widths = [max([len(h) + 2, *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    floor = [max(len(h) + 2, 6) for h in headers]
    while sum(widths) > total:
        i = max(range(len(widths)), key=lambda k: widths[k] - floor[k])
        if widths[i] <= floor[i]:
            break
        widths[i] -= 1
    return widths


def _findings_table(findings: Sequence[Finding], paint: _Painter) -> list[str]:
    WIDTH = _WIDTH.get()
    # Errors first, so truncation never hides an error behind warnings.
    ordered = sorted(findings, key=lambda f: 0 if f.level is Level.ERROR else 1)
    shown = ordered[:MAX_ROWS]
    rule_width = min(24, max(len("rule") + 2, *(len(clean(f.rule)) for f in shown)))
    pkg_cap = max(20, min(60, WIDTH // 3 - 3))  # 30 at 100 columns; wider terminals wrap less
    pkg_width = min(pkg_cap, max(len("package") + 2, *(len(_finding_package(f)) for f in shown)))
    msg_width = max(20, WIDTH - len("warning") - rule_width - pkg_width - 3 * _SEP)
    rows = [
        [
            paint(str(f.level), _LEVEL_COLOR[f.level]),
            truncate(clean(f.rule), rule_width),
            _wrap(_finding_package(f), pkg_width, lines=_ALL_LINES),
            _wrap(clean(finding_detail(f.message, f.package, f.version)), msg_width),
        ]
        for f in shown
    ]
    table = tabulate(
        rows,
        headers=["level", "rule", "package", "message"],
        tablefmt=_TABLE_FORMAT,
        disable_numparse=True,
    )
    return [*table.splitlines(), *_more(len(findings) - len(shown))]


def _waived_table(waived: Sequence[WaivedFinding]) -> list[str]:
    WIDTH = _WIDTH.get()
    headers = ["rule", "package", "exception", "reason"]
    shown = waived[:MAX_ROWS]
    cells = [
        [
            clean(w.finding.rule),
            _finding_package(w.finding),
            f"[{w.exception}]" + (f" until {w.expires.isoformat()}" if w.expires else ""),
            clean(w.reason),
        ]
        for w in shown
    ]
    widths = _fit_widths(headers, cells, WIDTH - _SEP * (len(headers) - 1))
    # The reason wraps (it is what a reviewer reads); the other cells are cut.
    rows = [
        [
            truncate(row[0], widths[0]),
            _wrap(row[1], widths[1], lines=_ALL_LINES),
            truncate(row[2], widths[2]),
            _wrap(row[3], widths[3]),
        ]
        for row in cells
    ]
    table = tabulate(rows, headers=headers, tablefmt=_TABLE_FORMAT, disable_numparse=True)
    return [*table.splitlines(), *_more(len(waived) - len(shown))]


def _finding_package(finding: Finding) -> str:
    return clean(spec(finding.package, finding.version))


def _changes(changes: Sequence[Change]) -> list[str]:
    WIDTH = _WIDTH.get()
    headers = ["change", "package", "before", "after"]
    shown = changes[:MAX_ROWS]
    cells = [[clean(c) for c in change_cells(change)] for change in shown]
    widths = _fit_widths(headers, cells, WIDTH - _SEP * (len(headers) - 1))
    rows = [
        [_wrap(c, w, lines=_ALL_LINES) if i == 1 else truncate(c, w) for i, (c, w) in
         enumerate(zip(row, widths, strict=True))]
        for row in cells
    ]  # fmt: skip
    table = tabulate(rows, headers=headers, tablefmt=_TABLE_FORMAT, disable_numparse=True)
    return [*table.splitlines(), *_more(len(changes) - len(shown))]


def _verdict(summary: Summary, paint: _Painter) -> list[str]:
    lines = []
    undecided = summary.by_status[Status.ERROR]
    if undecided:
        lines.append(
            paint(f"{undecided} package(s) could not be checked: the audit is incomplete.", "31")
        )
    waived = f" ({summary.waived} waived by policy exceptions)" if summary.waived else ""
    if summary.findings == 0:
        lines.append(paint(f"No findings{waived}.", "33" if undecided else "32"))
    else:
        counts = count_levels(summary.errors, summary.warnings)
        text = f"{counts} in {summary.packages_with_findings} package(s){waived}."
        lines.append(paint(text, _LEVEL_COLOR[Level.ERROR if summary.errors else Level.WARNING]))
    return lines


def _wrap(text: str, width: int, *, lines: int = _MAX_MESSAGE_LINES) -> str:
    out = textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False)
    if len(out) > lines:
        out = out[:lines]
        last = out[-1]
        out[-1] = last + " …" if len(last) + 2 <= width else last[: width - 1] + "…"
    return "\n".join(out) or "-"


def _more(hidden: int) -> list[str]:
    return [f"… {hidden} more; {_MORE_HINT}"] if hidden > 0 else []


def _render(report: Report, options: RenderOptions) -> str:
    if options.width is None:
        return render_text(report, color=options.color, verbose=options.verbose)
    return render_text(report, color=options.color, verbose=options.verbose, width=options.width)


FORMAT = ReportFormat("text", _render)
