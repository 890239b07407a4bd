"""The JSON report: a stable contract (`auditor-report/1`) described by report.schema.json.

Keys are only ever added, never renamed.  Objects are built in a fixed key order and lists
keep the report's order (packages by name and version, findings as the policy sorted them),
so the same report always gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.models import (
    AttestationInfo,
    Change,
    Finding,
    Identity,
    Level,
    PackageResult,
    RegistrySignature,
    Report,
    WaivedFinding,
)
from auditor.report._common import display_path, json_safe, rfc3339
from auditor.report.format import ReportFormat
from auditor.report.summary import COVERAGE_SCOPES, Summary, exit_code, summarize
from auditor.sanitize import json_text

SCHEMA_ID = "auditor-report/1"
TOOL_NAME = "auditor"

# The identity fields the contract names, then extras (added keys, never renamed).
_IDENTITY_FIELDS = (
    "issuer",
    "source_repository",
    "repository_id",
    "owner_id",
    "ref",
    "commit",
    "workflow",
    "build_signer",
    "runner_environment",
    "trigger",
    "invocation",
    "owner_uri",
    "visibility",
    "san",
    "builder_id",
    "build_type",
)


_LISTS = ("packages", "findings", "changes", "waived")


def render_json(report: Report) -> str:
    """The JSON report, ASCII-only (lone surrogates cannot break the encoding).

    The envelope is indented; each package, finding and change is one compact line.  That
    keeps large reports greppable and lets the C encoder do the work (`indent` forces
    json's pure-Python encoder, several times slower on 10,000 packages).
    """
    doc = report_document(report)
    compact = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(", ", ": "))
    lines = ["{"]
    last = len(doc) - 1
    for i, (key, value) in enumerate(doc.items()):
        comma = "," if i < last else ""
        head = f"  {json.dumps(key)}: "
        if key in _LISTS and isinstance(value, list) and value:
            items = ",\n".join("    " + compact.encode(item) for item in value)
            lines.append(f"{head}[\n{items}\n  ]{comma}")
        else:
            body = json.dumps(value, indent=2, ensure_ascii=True, allow_nan=False)
            lines.append(head + body.replace("\n", "\n  ") + comma)
    lines.append("}")
    return json_text("\n".join(lines) + "\n")


def report_document(report: Report) -> dict[str, Any]:
    """The report as plain JSON values, in contract key order."""
    summary = summarize(report)
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": TOOL_NAME, "version": report.tool_version},
        "lockfile": display_path(report.lockfile),
        "lockfile_format": report.lockfile_format,
        # Set when npm installs from another lockfile than the one asked for (it is audited).
        "lockfile_substitution": (
            None
            if report.lockfile_requested is None
            else {
                "requested": display_path(report.lockfile_requested),
                "audited": display_path(report.lockfile),
                "reason": report.lockfile_note,
            }
        ),
        "policy": report.policy,
        # Which trust material verified the run (null when not recorded).
        "trust_material": (
            {t.kind: {"source": t.source, "path": t.path, "date": t.date} for t in report.trust}
            or None
        ),
        "generated_at": rfc3339(report.generated_at),
        "summary": _summary(summary),
        "packages": [_package(r) for r in report.results],
        "findings": [_finding(f) for f in report.findings if f.level is not Level.OFF],
        "changes": [change_record(c) for c in report.changes],
        "waived": [_waived(w) for w in report.waived if w.finding.level is not Level.OFF],
        # The exit code this report implies under --fail-on (what `audit` exits with).
        "exit_code": exit_code(report),
        "fail_on": report.fail_on,
    }
    if report.failures:  # only when the run failed as a whole (goldens stay unchanged)
        doc["run_failures"] = [
            {
                "registry": f.registry,
                "configured_by": f.source,
                "message": f.message,
                "packages": len(f.packages),
            }
            for f in report.failures
        ]
    return doc


def _summary(summary: Summary) -> dict[str, Any]:
    return {
        "packages": summary.packages,
        "by_status": {str(k): v for k, v in summary.by_status.items()},
        "by_source": {str(k): v for k, v in summary.by_source.items()},
        "coverage": {s: summary.coverage[s].ratio for s in COVERAGE_SCOPES},
        "coverage_counts": {
            s: {"verified": summary.coverage[s].verified, "total": summary.coverage[s].total}
            for s in COVERAGE_SCOPES
        },
        "registry_signatures": dict(summary.by_signature),
        "signature_coverage": {s: summary.signature_coverage[s].ratio for s in COVERAGE_SCOPES},
        "signature_coverage_counts": {
            s: {
                "verified": summary.signature_coverage[s].verified,
                "total": summary.signature_coverage[s].total,
            }
            for s in COVERAGE_SCOPES
        },
        "findings": {
            "total": summary.findings,
            "by_level": {str(k): v for k, v in summary.findings_by_level.items()},
            "by_rule": {
                rule: {str(k): v for k, v in counts.items()}
                for rule, counts in summary.findings_by_rule.items()
            },
            "packages": summary.packages_with_findings,
            "waived": summary.waived,
        },
    }


def _package(result: PackageResult) -> dict[str, Any]:
    package = result.package
    return {
        "name": package.name,
        "version": package.version,
        "integrity": package.integrity,
        "integrity_binding": package.integrity_binding,
        "source": str(package.source),
        "resolved": package.resolved,
        "paths": list(package.paths),
        "aliases": list(package.aliases),
        "dev": package.dev,
        "optional": package.optional,
        "dev_optional": package.dev_optional,
        "production": package.production,
        "direct": package.direct,
        "has_install_script": package.has_install_script,
        "line": package.line,
        "status": str(result.status),
        "reason": result.reason,
        "message": result.message,
        "registry": result.registry,
        "identity": identity_record(result.identity),
        "attestations": [_attestation(a) for a in result.attestations],
        "registry_signature": _signature(result.registry_signature),
    }


def _signature(sig: RegistrySignature | None) -> dict[str, Any] | None:
    if sig is None:
        return None
    return {"status": str(sig.status), "keyid": sig.keyid, "reason": sig.reason}


def identity_record(identity: Identity | None) -> dict[str, str | None] | None:
    if identity is None:
        return None
    return {name: getattr(identity, name) for name in _IDENTITY_FIELDS}


def _attestation(info: AttestationInfo) -> dict[str, Any]:
    return {
        "predicate_type": info.predicate_type,
        "bundle_media_type": info.bundle_media_type,
        "tlog_kind": info.tlog_kind,
        "log_index": info.log_index,
        "signed_at": rfc3339(info.signed_at),
        "key_id": info.key_id,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "level": str(finding.level),
        "package": finding.package,
        "version": finding.version,
        "message": finding.message,
        "line": finding.line,
        "evidence": json_safe(dict(finding.evidence)),
    }


def _waived(waived: WaivedFinding) -> dict[str, Any]:
    return {
        **_finding(waived.finding),
        "exception": waived.exception,
        "reason": waived.reason,
        "expires": waived.expires.isoformat() if waived.expires else None,
    }


def change_record(change: Change) -> dict[str, Any]:
    """A pull-request change as JSON (`$defs/change` in report.schema.json).

    A package is written as its `name@version`: `packages` describes it in full.
    """
    before, after = change.before_package, change.after_package
    return {
        "kind": str(change.kind),
        "name": json_safe(change.name),
        "before": json_safe(change.before),
        "after": json_safe(change.after),
        "line": change.line,
        "before_package": json_safe(before.spec) if before is not None else None,
        "after_package": json_safe(after.spec) if after is not None else None,
    }


FORMAT = ReportFormat(
    "json",
    lambda report, options: render_json(report),
    file_help="also write the JSON report to FILE (- stdout)",
)
