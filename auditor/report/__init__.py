"""Reports: pure functions of `models.Report` in four formats, and atomic file output.

render(report, "text" | "json" | "sarif" | "markdown", color=False) -> str
write_reports(report, {"json": Path("out/report.json"), ...})
summarize(report) -> Summary
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from auditor.errors import UsageError
from auditor.fileio import write_output
from auditor.models import Report
from auditor.report.json_report import render_json
from auditor.report.markdown import render_markdown
from auditor.report.sarif import render_sarif
from auditor.report.summary import COVERAGE_SCOPES, Coverage, Summary, summarize
from auditor.report.text import render_text

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "markdown")
# Written with --annotations FILE (not a --format): GitHub Actions workflow commands.
ANNOTATIONS = "annotations"

__all__ = [
    "COVERAGE_SCOPES",
    "FORMATS",
    "Coverage",
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
    if fmt == "text":
        if width is not None:
            return render_text(report, color=color, verbose=verbose, width=width)
        return render_text(report, color=color, verbose=verbose)
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report, category=sarif_category)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == ANNOTATIONS:
        from auditor.report.annotations import render_annotations

        return render_annotations(report)
    raise UsageError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")


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
