"""Reports of several lockfiles audited in one run (`audit -r DIR`, or several paths).

One `Report` per lockfile, exactly as a single audit of that lockfile reports it, and an
overall view (`combined`): every distinct package once, every lockfile's findings, the
worst exit code.  With one lockfile, nothing here is used: the report is the single one.

- JSON: `{"schema", "tool", "root", "policy", "trust_material", "generated_at", "summary"
  (overall, the single report's summary shape), "lockfiles": [one single-lockfile report
  each], "exit_code" (the worst), "fail_on"}`; report.schema.json describes both shapes.
- SARIF: one run per lockfile, each with its own `automationDetails.id` (see
  `sarif_runs`); text and Markdown: a section per lockfile after an overview.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor.models import PackageResult, Report, RunFailure, SourceKind
from auditor.report._common import display_path, rfc3339
from auditor.report.json_report import SCHEMA_ID, TOOL_NAME, report_document
from auditor.report.summary import exit_code, summarize
from auditor.sanitize import json_text, markdown_code, terminal


@dataclass(frozen=True, slots=True)
class MultiReport:
    """Several lockfiles' reports from one run (same policy, trust and registry data)."""

    reports: tuple[Report, ...]  # in the order the lockfiles were given or found
    root: str | None = None  # the `-r` directory, None for lockfiles named one by one

    @property
    def combined(self) -> Report:
        return combine(self.reports, self.root)

    @property
    def exit_code(self) -> int:
        return exit_code(self.combined)


def combine(reports: Sequence[Report], root: str | None = None) -> Report:
    """One Report over several: each distinct package once (production or direct when it
    is in any lockfile), every lockfile's findings and waived findings, each run failure
    once.
    Its exit code is the worst of the lockfiles' (incomplete over findings over none)."""
    first = reports[0]
    merged: dict[tuple[object, ...], PackageResult] = {}
    for report in reports:
        for r in report.results:
            p = r.package
            # Formats write `resolved` their own way (a URL, nothing): a registry package is
            # the same one when its name, version and integrity are.
            resolved = None if p.source is SourceKind.REGISTRY else p.resolved
            key = (p.name, p.version, str(p.source), p.integrity, resolved)
            seen = merged.get(key)
            if seen is None:
                merged[key] = r
                continue
            # Production, direct, required in any lockfile: so in the overall coverage.
            q = seen.package
            production = q.production or p.production
            merged[key] = replace(
                seen,
                package=replace(
                    q,
                    dev=q.dev and not production,
                    dev_optional=q.dev_optional and not production,
                    optional=q.optional and p.optional,
                    direct=q.direct or p.direct,
                ),
            )
    results = sorted(
        merged.values(),
        key=lambda r: (r.package.name, r.package.version, r.package.integrity or ""),
    )
    failures: dict[tuple[str, str], RunFailure] = {}
    for report in reports:
        for f in report.failures:
            failures.setdefault((f.registry, f.message), f)
    return replace(
        first,
        lockfile=root if root is not None else ", ".join(r.lockfile for r in reports),
        lockfile_format="+".join(dict.fromkeys(r.lockfile_format for r in reports)),
        results=tuple(results),
        findings=tuple(f for r in reports for f in r.findings),
        waived=tuple(w for r in reports for w in r.waived),
        failures=tuple(failures.values()),
        changes=tuple(c for r in reports for c in r.changes),
        lockfile_requested=None,
        lockfile_note=None,
    )


# --------------------------------------------------------------------------- JSON


def multi_document(multi: MultiReport, *, full: bool = True) -> dict[str, Any]:
    """The JSON report of several lockfiles as plain values (`full=False`: without the
    lockfiles' own documents, which `render_multi_json` writes from their text)."""
    from auditor.report.json_report import _summary  # the single report's summary shape

    combined = multi.combined
    single = report_document(combined)
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": TOOL_NAME, "version": combined.tool_version},
        "root": None if multi.root is None else display_path(multi.root),
        "policy": combined.policy,
        "trust_material": single["trust_material"],
        "generated_at": rfc3339(combined.generated_at),
        # Over every distinct package of every lockfile (each once) and all their findings.
        "summary": _summary(summarize(combined)),
        "lockfiles": [report_document(r) for r in multi.reports] if full else None,
        "exit_code": exit_code(combined),
        "fail_on": combined.fail_on,
    }
    if "run_failures" in single:
        doc["run_failures"] = single["run_failures"]
    return doc


def render_multi_json(multi: MultiReport) -> str:
    """Indented like the single report: each lockfile's report is `render_json`'s text (one
    line per package), so large monorepos keep the C encoder's speed."""
    from auditor.report.json_report import render_json

    doc = multi_document(multi, full=False)
    parts = []
    for key, value in doc.items():
        if key == "lockfiles":
            items = ",\n".join(
                "    " + render_json(r).rstrip("\n").replace("\n", "\n    ") for r in multi.reports
            )
            parts.append(f'  "lockfiles": [\n{items}\n  ]')
        else:
            body = json.dumps(value, indent=2, ensure_ascii=True, allow_nan=False)
            parts.append(f"  {json.dumps(key)}: " + body.replace("\n", "\n  "))
    return json_text("{\n" + ",\n".join(parts) + "\n}\n")


# --------------------------------------------------------------------------- SARIF


def run_category(report: Report, category: str | None, uri: str) -> str:
    """The code-scanning category of one lockfile's run: `--sarif-category` with the
    lockfile appended (runs of one upload need distinct categories), else the category a
    single audit of that lockfile uses, so its alerts are the same whichever way it ran."""
    from auditor.report.sarif import default_category

    return f"{category.rstrip('/')}/{uri}" if category else default_category(uri)


def render_multi_sarif(multi: MultiReport, category: str | None = None) -> str:
    from auditor.report.sarif import (
        SARIF_SCHEMA,
        artifact_location,
        repository_root,
        sarif_document,
    )

    runs: list[dict[str, Any]] = []
    for report in multi.reports:
        root = repository_root(report.lockfile)
        uri = artifact_location(report.lockfile, root)["uri"]
        doc = sarif_document(report, root=root, category=run_category(report, category, uri))
        runs.extend(doc["runs"])
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
    return json_text(json.dumps(document, indent=2, ensure_ascii=True) + "\n")


# --------------------------------------------------------------------------- text, Markdown


def _verdict(report: Report) -> str:
    s = summarize(report)
    return (
        f"{s.packages} packages, {s.errors} errors, {s.warnings} warnings, exit {exit_code(report)}"
    )


def render_multi_text(multi: MultiReport, *, color: bool = False, width: int | None = None) -> str:
    from auditor.report import render

    rule = "=" * min(width or 100, 100)
    where = f" under {multi.root}" if multi.root else ""
    lines = [terminal(f"{len(multi.reports)} lockfiles{where}")]
    lines.extend(
        terminal(f"  {display_path(r.lockfile)} ({r.lockfile_format}): ") + _verdict(r)
        for r in multi.reports
    )
    lines.append(f"overall: {_verdict(multi.combined)} (each distinct package counted once)")
    out = "\n".join(lines) + "\n"
    for report in multi.reports:
        out += f"\n{rule}\n" + render(report, "text", color=color, width=width)
    return out


def render_multi_markdown(multi: MultiReport) -> str:
    from auditor.report.markdown import MAX_CHARS, render_markdown

    combined = multi.combined
    icon = "❌" if exit_code(combined) else "✅"
    head = [
        f"## {icon} npm provenance audit: {len(multi.reports)} lockfiles",
        "",
        "| lockfile | format | packages | errors | warnings | exit |",
        "|:--|:--|--:|--:|--:|--:|",
    ]
    for report in multi.reports:
        s = summarize(report)
        head.append(
            f"| {markdown_code(display_path(report.lockfile))} | "
            f"{markdown_code(report.lockfile_format)} | {s.packages} | {s.errors} | "
            f"{s.warnings} | {exit_code(report)} |"
        )
    out = "\n".join(head) + "\n"
    # GitHub's comment limit holds for the whole document: each section gets its share.
    share = max(2000, (MAX_CHARS - len(out)) // len(multi.reports))
    for report in multi.reports:
        out += "\n" + render_markdown(report, max_chars=share)
    return out


def render_multi(
    multi: MultiReport,
    fmt: str,
    *,
    color: bool = False,
    sarif_category: str | None = None,
    width: int | None = None,
) -> str:
    """The several lockfiles' report in `fmt` (json, sarif, text, markdown, annotations)."""
    from auditor.report import render

    if fmt == "json":
        return render_multi_json(multi)
    if fmt == "sarif":
        return render_multi_sarif(multi, sarif_category)
    if fmt == "text":
        return render_multi_text(multi, color=color, width=width)
    if fmt == "markdown":
        return render_multi_markdown(multi)
    return "".join(render(r, fmt) for r in multi.reports)


def write_multi_reports(
    multi: MultiReport, targets: dict[str, Path], *, sarif_category: str | None = None
) -> None:
    """`write_reports` for several lockfiles: everything rendered before anything is written."""
    from auditor.report import _write_atomic

    rendered = [
        (fmt, path, render_multi(multi, fmt, sarif_category=sarif_category))
        for fmt, path in targets.items()
    ]
    for fmt, path, text in rendered:
        _write_atomic(path, text.encode("utf-8"), what=f"{fmt} report")
