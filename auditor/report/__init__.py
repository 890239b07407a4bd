"""Reports: pure functions of `models.Report` in several formats, and atomic file output.

render(report, "text" | "json" | "sarif" | "markdown" | "annotations", color=False) -> str
write_reports(report, {"json": Path("out/report.json"), ...})
summarize(report) -> Summary

`REPORT_FORMATS` is the registry of formats: adding one is a module defining
`FORMAT = ReportFormat(...)` (see `auditor.report.format`) and its line below; the CLI
offers it as a `--format` choice and a `--NAME FILE` option.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from auditor.errors import UsageError
from auditor.fileio import write_output
from auditor.models import Report
from auditor.report.annotations import FORMAT as ANNOTATIONS
from auditor.report.format import RenderOptions, ReportFormat
from auditor.report.json_report import FORMAT as JSON
from auditor.report.markdown import FORMAT as MARKDOWN
from auditor.report.sarif import FORMAT as SARIF
from auditor.report.summary import COVERAGE_SCOPES, Coverage, Summary, summarize
from auditor.report.text import FORMAT as TEXT

# The registry, in the order the CLI offers them.
REPORT_FORMATS: tuple[ReportFormat, ...] = (
    TEXT,
    JSON,
    SARIF,
    MARKDOWN,
    ANNOTATIONS,
)
_BY_NAME = {f.name: f for f in REPORT_FORMATS}
# The --format choices (the others are written to files only).
FORMATS: tuple[str, ...] = tuple(f.name for f in REPORT_FORMATS if f.stdout)

__all__ = [
    "COVERAGE_SCOPES",
    "FORMATS",
    "REPORT_FORMATS",
    "Coverage",
    "RenderOptions",
    "ReportFormat",
    "Summary",
    "render",
    "summarize",
    "write_reports",
]


def render(
    report: Report,
    fmt: str,
    *,
    color: bool = False,
    verbose: bool = False,
    sarif_category: str | None = None,
    width: int | None = None,
) -> str:
    """The report in `fmt`.  `color` and `verbose` apply to text only; `sarif_category`
    (the code-scanning category, `automationDetails.id`) to SARIF only."""
    chosen = _BY_NAME.get(fmt)
    if chosen is None:
        raise UsageError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    options = RenderOptions(
        color=color, verbose=verbose, sarif_category=sarif_category, width=width
    )
    return chosen.render(report, options)


def write_reports(
    report: Report, targets: Mapping[str, Path], *, sarif_category: str | None = None
) -> None:
    """Write each format to its file atomically; parent directories are created.

    Everything is rendered before anything is written, so a bad format name leaves no
    file behind; a file is either the old one or the complete new one, never half written.
    """
    rendered = [
        (fmt, Path(path), render(report, fmt, sarif_category=sarif_category))
        for fmt, path in targets.items()
    ]
    for fmt, path, text in rendered:
        _write_atomic(path, text.encode("utf-8"), what=f"{fmt} report")


def _write_atomic(path: Path, data: bytes, *, what: str) -> None:
    try:
        # A regular file is replaced atomically (fsync: a report is what CI uploads); a
        # device, FIFO or symlink the user named is written through, never replaced.
        write_output(path, data, file_mode=0o666 & ~_umask())
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise UsageError(f"cannot write the {what} to {path}: {reason}") from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
