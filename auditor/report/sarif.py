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

from auditor.models import Finding, Level, Report, Status
from auditor.report._common import json_safe, spec, truncate
from auditor.report.json_report import TOOL_NAME
from auditor.sanitize import json_text, sarif_message

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# Where users learn about the tool and its rules (the project's documentation).
INFORMATION_URI = "https://github.com/npm-provenance-auditor/auditor"
FINGERPRINT_KEY = "auditorFinding/v1"
# Evidence keys that say *which* subject a finding is about, not what was measured.
FINGERPRINT_EVIDENCE = frozenset({"scope", "policy", "package", "rule", "rules", "field"})

# GitHub code scanning accepts 25,000 results per run but stores only the 5,000 most severe;
# choosing them ourselves (errors first) keeps the cut deterministic and visible.
MAX_RESULTS = 5000
MAX_MESSAGE = 2000  # characters of one result message
MAX_TAGS = 10  # GitHub displays 10 tags per rule (accepts 20)

_SARIF_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.OFF: "note"}


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
) -> str:
    """The SARIF log as indented JSON with a trailing newline."""
    return json_text(
        json.dumps(
            sarif_document(report, root=root, rules=rules, cwd=cwd, max_results=max_results),
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
) -> dict[str, Any]:
    catalogue = policy_rules() if rules is None else rules
    root = root if root is not None else repository_root(report.lockfile, cwd)
    location = artifact_location(report.lockfile, root, cwd)
    uri = location["uri"]

    findings = [f for f in report.findings if f.level is not Level.OFF]
    descriptors = [_rule(info) for info in catalogue.values()]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    for rule_id in sorted({f.rule for f in findings} - index.keys()):
        index[rule_id] = len(descriptors)
        descriptors.append(_generic_rule(rule_id))

    # Errors before warnings, report order within a level (the sort is stable).
    ranked = sorted(findings, key=lambda f: 0 if f.level is Level.ERROR else 1)
    kept = ranked[: max(0, max_results)]
    results = [_result(f, index[f.rule], location, uri) for f in kept]

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
        "automationDetails": {"id": f"{TOOL_NAME}/{uri}/"},
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
    if len(kept) < len(findings):
        run["properties"] = {
            "truncated": True,
            "resultsOmitted": len(findings) - len(kept),
            "note": (
                f"only the first {len(kept)} of {len(findings)} findings are included "
                "(errors first); the JSON report has all of them"
            ),
        }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(info: RuleInfoLike) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "tags": list(info.tags)[:MAX_TAGS],
        "precision": "high",
    }
    if info.security_severity is not None:
        properties["security-severity"] = _severity(info.security_severity)
    return {
        "id": info.id,
        "name": info.name,
        "shortDescription": {"text": info.short_description},
        "fullDescription": {"text": info.full_description},
        "help": {"text": info.help_text, "markdown": info.help_markdown},
        "defaultConfiguration": {"level": _level_name(info.default_level)},
        "properties": properties,
    }


def _generic_rule(rule_id: str) -> dict[str, Any]:
    """A descriptor for a rule the catalogue does not know, so no finding is ever dropped."""
    text = f"auditor check {rule_id}"
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")) or "Unknown",
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["security", "supply-chain"], "precision": "high"},
    }


def _severity(value: object) -> str:
    try:
        return f"{float(str(value)):.1f}"
    except ValueError:
        return str(value)


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
    invocation: dict[str, Any] = {"executionSuccessful": True}
    undecided = sum(1 for r in report.results if r.status is Status.ERROR)
    if undecided:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "warning",
                "message": {"text": f"{undecided} package(s) could not be checked (status error)"},
            }
        ]
    return invocation
