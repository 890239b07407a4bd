"""GitHub Actions annotations (`::error file=…,line=…::message`) for repositories without
code scanning: one workflow command per finding, errors first, within GitHub's limits.

Every value is attacker text (package names, registry messages).  The runner decodes `%25`,
`%0D`, `%0A` in a command's message and also `%3A`, `%2C` in its properties, so escaping
them keeps each annotation on its line with its own fields; `##[` anywhere in a line would be
another command, so its `#` is escaped too (it still reads `##[` in the annotation).
"""

from __future__ import annotations

from pathlib import Path

from auditor.models import Finding, Level, Report
from auditor.report._common import spec
from auditor.report.format import ReportFormat
from auditor.report.sarif import artifact_location, repository_root
from auditor.report.summary import EXIT_INCOMPLETE, exit_code, summary_line, tampered
from auditor.sanitize import terminal

# GitHub shows 10 annotations of each level per step (50 per job); the rest is counted.
MAX_PER_LEVEL = 10
TITLE = "npm provenance audit"


def escape_data(value: object) -> str:
    text = terminal(value)  # one printable line: controls shown as escapes
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace("##[", "#%23[")


def escape_property(value: object) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_annotations(report: Report, *, root: Path | None = None) -> str:
    root = root if root is not None else repository_root(report.lockfile)
    location = artifact_location(report.lockfile, root)
    # Relative to the repository (what GitHub matches against the diff), else as given.
    path = location["uri"] if "uriBaseId" in location else report.lockfile
    path = path.replace("%20", " ")
    lines: list[str] = []
    for level in (Level.ERROR, Level.WARNING):
        selected = [f for f in report.findings if f.level is level]
        lines += [_command(f, path) for f in selected[:MAX_PER_LEVEL]]
        if len(selected) > MAX_PER_LEVEL:
            more = len(selected) - MAX_PER_LEVEL
            lines.append(
                f"::{level.value} title={escape_property(TITLE)}::"
                + escape_data(f"{more} more {level.value}s; the reports have all of them")
            )
    code = exit_code(report)
    if code == EXIT_INCOMPLETE and tampered(report):
        # The exit code names only "incomplete": say that tampering was found as well.
        lines.append(
            f"::error title={escape_property(TITLE)}::"
            + escape_data(f"incomplete and tampering found: {summary_line(report)}")
        )
    return "".join(line + "\n" for line in lines)


def _command(finding: Finding, path: str) -> str:
    props = [f"file={escape_property(path)}"]
    if finding.line:
        props.append(f"line={finding.line}")
    title = f"{finding.rule}: {spec(finding.package, finding.version)}"
    props.append(f"title={escape_property(title)}")
    return f"::{finding.level.value} {','.join(props)}::{escape_data(finding.message)}"


FORMAT = ReportFormat(
    "annotations",
    lambda report, options: render_annotations(report),
    file_help="also write GitHub Actions annotations (::error file=...,line=...::) to FILE "
    "(- stdout)",
    stdout=False,  # not a --format: a second channel beside the report
)
