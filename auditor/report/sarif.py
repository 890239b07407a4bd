"""SARIF 2.1.0 for GitHub code scanning: one run, one rule per policy check.

Dependency findings have no meaningful source line, and lockfile lines move on every
edit, so the fingerprints GitHub uses to follow an alert across runs are computed from
the rule, the lockfile path, the package and stable evidence, never from the line.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from auditor import HOMEPAGE, POLICY_DOCS, PRODUCT_NAME
from auditor.models import Finding, Level, Report, Status, WaivedFinding
from auditor.report._common import json_safe, spec, truncate
from auditor.report.format import RenderOptions, ReportFormat
from auditor.sanitize import json_text, sarif_message, terminal

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# Where users learn about the tool and its rules (the project's documentation).
INFORMATION_URI = HOMEPAGE
TOOL_NAME = PRODUCT_NAME
FINGERPRINT_KEY = "auditorFinding/v1"
# Evidence keys that say *which* subject a finding is about, not what was measured.
FINGERPRINT_EVIDENCE = frozenset(
    {"scope", "policy", "package", "rule", "rules", "field", "registry"}
)

# GitHub code scanning accepts 25,000 results per run but stores only the 5,000 most severe;
# choosing them ourselves (errors first) keeps the cut deterministic and visible.
MAX_RESULTS = 5000
MAX_MESSAGE = 2000  # characters of one result message
MAX_TAGS = 10  # GitHub displays 10 tags per rule (accepts 20)

_SARIF_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.OFF: "note"}

# GitHub turns `security-severity` into Critical (9.0+), High (7.0+), Medium (4.0+) or Low,
# and its default code-scanning check fails on High.  A rule's severity follows the level
# the policy gave it, so the check agrees with the exit code: an error is at least High, a
# warning at most Medium (docs/github-action.md has the table).
ERROR_SEVERITY_FLOOR = 7.0
WARNING_SEVERITY_CEILING = 6.0


def effective_severity(catalogue: object, level: Level | None) -> str:
    """The rule's `security-severity` under the level the policy gave it."""
    try:
        value = float(str(catalogue))
    except ValueError:
        value = ERROR_SEVERITY_FLOOR
    if level is Level.ERROR:
        value = max(value, ERROR_SEVERITY_FLOOR)
    elif level is Level.WARNING:
        value = min(value, WARNING_SEVERITY_CEILING)
    return f"{value:.1f}"


def default_category(uri: str) -> str:
    """The code-scanning category of an audit of `uri`: one per lockfile."""
    return f"{PRODUCT_NAME}/{uri}"


def help_uri(rule_id: str) -> str:
    return f"{POLICY_DOCS}#rule-{rule_id}"


class RuleInfoLike(Protocol):
    """The shape of `auditor.policy.RuleInfo` this module reads."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def short_description(self) -> str: ...
    @property
    def full_description(self) -> str: ...
    @property
    def help_text(self) -> str: ...
    @property
    def help_markdown(self) -> str: ...
    @property
    def default_level(self) -> object: ...
    @property
    def security_severity(self) -> object: ...
    @property
    def tags(self) -> Sequence[str]: ...


def policy_rules() -> Mapping[str, RuleInfoLike]:
    """The policy catalogue; empty when the policy package is not importable."""
    try:
        from auditor.policy import RULES
    except ImportError:  # the catalogue is optional here: unknown rules get a generic entry
        return {}
    rules: Mapping[str, RuleInfoLike] = RULES
    return rules


def repository_root(lockfile: str, cwd: Path | None = None) -> Path:
    """The git top-level above the lockfile (a `.git` entry), else the working directory."""
    cwd = Path(os.path.abspath(cwd or Path.cwd()))
    start = Path(os.path.abspath(cwd / lockfile)).parent
    for directory in (start, *start.parents):
        try:
            if (directory / ".git").exists():
                return directory
        except OSError:  # an unreadable directory on the way up: not a checkout we can see
            continue
    return cwd


def artifact_location(lockfile: str, root: Path, cwd: Path | None = None) -> dict[str, str]:
    """The lockfile relative to `root` (POSIX), or an absolute file URI when outside it."""
    cwd = Path(os.path.abspath(cwd or Path.cwd()))
    path = Path(os.path.abspath(cwd / lockfile))
    try:
        relative = path.relative_to(os.path.abspath(root))
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": "%SRCROOT%"}


def render_sarif(
    report: Report,
    *,
    root: Path | None = None,
    rules: Mapping[str, RuleInfoLike] | None = None,
    cwd: Path | None = None,
    max_results: int = MAX_RESULTS,
    category: str | None = None,
) -> str:
    """The SARIF log as indented JSON with a trailing newline."""
    return json_text(
        json.dumps(
            sarif_document(
                report,
                root=root,
                rules=rules,
                cwd=cwd,
                max_results=max_results,
                category=category,
            ),
            indent=2,
            ensure_ascii=True,
        )
        + "\n"
    )


def sarif_document(
    report: Report,
    *,
    root: Path | None = None,
    rules: Mapping[str, RuleInfoLike] | None = None,
    cwd: Path | None = None,
    max_results: int = MAX_RESULTS,
    category: str | None = None,
) -> dict[str, Any]:
    """The SARIF log.  `category` becomes `automationDetails.id` (default: one per lockfile).

    upload-sarif's `category` input applies only to runs without `automationDetails`, so
    the id written here is the category code scanning files the results under.
    """
    catalogue = policy_rules() if rules is None else rules
    root = root if root is not None else repository_root(report.lockfile, cwd)
    location = artifact_location(report.lockfile, root, cwd)
    uri = location["uri"]

    # Packages a run-level failure (an unreachable registry) left undecided are one
    # notification in the invocation, not one `incomplete` result each (3,000 alerts).
    run_level = frozenset().union(*(f.packages for f in report.failures))
    findings = [
        f
        for f in report.findings
        if f.level is not Level.OFF
        and not (f.rule == "incomplete" and spec(f.package, f.version) in run_level)
    ]
    waived = [w for w in report.waived if w.finding.level is not Level.OFF]
    levels = _rule_levels(report, findings, waived)
    descriptors = [_rule(info, levels.get(info.id)) for info in catalogue.values()]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    every = {f.rule for f in findings} | {w.finding.rule for w in waived}
    for rule_id in sorted(every - index.keys()):
        index[rule_id] = len(descriptors)
        descriptors.append(_generic_rule(rule_id, levels.get(rule_id)))

    # Errors before warnings, report order within a level (the sort is stable); waived
    # findings (suppressed results) after every open one.
    ranked = sorted(findings, key=lambda f: 0 if f.level is Level.ERROR else 1)
    kept = ranked[: max(0, max_results)]
    results = [_result(f, index[f.rule], location, uri) for f in kept]
    room = max(0, max_results - len(kept))
    kept_waived = waived[:room]
    results += [_suppressed(w, index[w.finding.rule], location, uri) for w in kept_waived]
    automation_id = category or default_category(uri)
    if not automation_id.endswith("/"):
        automation_id += "/"  # "category/" with an empty run id, as upload-sarif writes it

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "automationDetails": {"id": automation_id},
        "invocations": [_invocation(report)],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}}
        if "uriBaseId" in location
        else {},
        "artifacts": [{"location": location, "roles": ["analysisTarget"]}],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if not run["originalUriBaseIds"]:
        del run["originalUriBaseIds"]
    if len(kept) < len(findings) or len(kept_waived) < len(waived):
        total, shown = len(findings) + len(waived), len(kept) + len(kept_waived)
        run["properties"] = {
            "truncated": True,
            "resultsOmitted": total - shown,
            "note": (
                f"only the first {shown} of {total} findings are included "
                "(errors first, waived last); the JSON report has all of them"
            ),
        }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule_levels(
    report: Report, findings: Sequence[Finding], waived: Sequence[WaivedFinding]
) -> dict[str, Level]:
    """The policy's level of each rule; findings fill in when the report does not say."""
    levels = dict(report.rule_levels)
    for f in (*findings, *(w.finding for w in waived)):
        if levels.get(f.rule, Level.OFF) is Level.OFF or f.level is Level.ERROR:
            levels[f.rule] = f.level  # a rule's findings carry its level
    return levels


def _configuration(default: object, level: Level | None) -> dict[str, Any]:
    """The rule's configuration in this run: the policy's level, else the catalogue's."""
    if level is Level.OFF:
        return {"enabled": False, "level": "none"}
    return {"level": _level_name(level if level is not None else default)}


def _rule(info: RuleInfoLike, level: Level | None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "tags": list(info.tags)[:MAX_TAGS],
        "precision": "high",
    }
    if info.security_severity is not None:
        default = info.default_level if isinstance(info.default_level, Level) else None
        shown = level if level not in (None, Level.OFF) else default
        properties["security-severity"] = effective_severity(info.security_severity, shown)
    return {
        "id": info.id,
        "name": info.name,
        "shortDescription": {"text": info.short_description},
        "fullDescription": {"text": info.full_description},
        "help": {"text": info.help_text, "markdown": info.help_markdown},
        "helpUri": help_uri(info.id),
        "defaultConfiguration": _configuration(info.default_level, level),
        "properties": properties,
    }


def _generic_rule(rule_id: str, level: Level | None) -> dict[str, Any]:
    """A descriptor for a rule the catalogue does not know, so no finding is ever dropped."""
    text = f"{PRODUCT_NAME} check {rule_id}"
    properties: dict[str, Any] = {"tags": ["security", "supply-chain"], "precision": "high"}
    if level in (Level.ERROR, Level.WARNING):
        properties["security-severity"] = effective_severity(5.0, level)
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")) or "Unknown",
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": text},
        "helpUri": help_uri(rule_id),
        "defaultConfiguration": _configuration(Level.WARNING, level),
        "properties": properties,
    }


def _level_name(value: object) -> str:
    text = str(getattr(value, "value", value))
    return {"error": "error", "warning": "warning", "note": "note"}.get(text, "note")


def _result(
    finding: Finding, rule_index: int, location: Mapping[str, str], uri: str
) -> dict[str, Any]:
    digest = fingerprint(finding, uri)
    physical: dict[str, Any] = {
        "artifactLocation": dict(location),
        "region": {"startLine": max(1, finding.line or 1)},
    }
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[finding.level],
        "message": {"text": truncate(sarif_message(finding.message or finding.rule), MAX_MESSAGE)},
        "locations": [{"physicalLocation": physical}],
        # primaryLocationLineHash too: otherwise the upload action derives one from the
        # text around the line, which changes whenever neighbouring entries do.
        "partialFingerprints": {FINGERPRINT_KEY: digest, "primaryLocationLineHash": digest},
    }
    if finding.package is not None:
        result["locations"][0]["logicalLocations"] = [
            {"name": spec(finding.package, finding.version), "kind": "module"}
        ]
    properties: dict[str, Any] = {}
    if finding.package is not None:
        properties["package"] = finding.package
        properties["version"] = finding.version
    if finding.evidence:
        properties["evidence"] = json_safe(dict(finding.evidence))
    if properties:
        result["properties"] = properties
    return result


def _suppressed(
    waived: WaivedFinding, rule_index: int, location: Mapping[str, str], uri: str
) -> dict[str, Any]:
    """A waived finding: a result with an accepted external suppression (the policy)."""
    result = _result(waived.finding, rule_index, location, uri)
    expires = f" (expires {waived.expires.isoformat()})" if waived.expires else ""
    result["suppressions"] = [
        {
            "kind": "external",
            "status": "accepted",
            "justification": truncate(
                terminal(f"exception[{waived.exception}]: {waived.reason}{expires}"),
                MAX_MESSAGE,
            ),
        }
    ]
    return result


def fingerprint(finding: Finding, uri: str) -> str:
    """sha256 of rule, lockfile path, name@version and the evidence that names the subject.

    Only identifying evidence keys take part (which coverage scope, which policy block...):
    expected/actual values and measurements change between runs (an age, today's date in
    an expiry message), and the line changes on every lockfile edit.
    """
    subject = {
        k: finding.evidence[k] for k in sorted(FINGERPRINT_EVIDENCE) if k in finding.evidence
    }
    discriminator = json.dumps(json_safe(subject), sort_keys=True, ensure_ascii=True)
    parts = [finding.rule, uri, spec(finding.package, finding.version), discriminator]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _invocation(report: Report) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not report.failures}
    notes = [
        {"level": "error", "message": {"text": sarif_message(f.describe())}}
        for f in report.failures
    ]
    run_level = frozenset().union(*(f.packages for f in report.failures))
    undecided = sum(
        1 for r in report.results if r.status is Status.ERROR and r.package.spec not in run_level
    )
    if undecided:
        notes.append(
            {
                "level": "warning",
                "message": {"text": f"{undecided} package(s) could not be checked (status error)"},
            }
        )
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _render(report: Report, options: RenderOptions) -> str:
    return render_sarif(report, category=options.sarif_category)


FORMAT = ReportFormat("sarif", _render, file_help="also write the SARIF report to FILE (- stdout)")
