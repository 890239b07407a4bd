"""What a report format is: a name, a renderer, and how the command line offers it.

Each renderer module defines `FORMAT = ReportFormat(...)`; `auditor.report.REPORT_FORMATS`
lists them, and the CLI builds `--format`'s choices and the `--NAME FILE` options from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditor.models import Report


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Options a renderer may use (each format reads what applies to it)."""

    color: bool = False  # text: ANSI colours
    verbose: bool = False  # text: more detail
    sarif_category: str | None = None  # SARIF: automationDetails.id
    width: int | None = None  # text: terminal width (None: the fixed width of files and logs)


@dataclass(frozen=True, slots=True)
class ReportFormat:
    """One report format.

    `name` is the `--format` value, the `--NAME FILE` option and `write_reports`' key;
    `file_help` the help of `--NAME FILE` (None: no such option); `stdout`: a `--format`
    choice (annotations are only written with `--annotations FILE`).
    """

    name: str
    render: Callable[[Report, RenderOptions], str]
    file_help: str | None = None
    stdout: bool = True
