"""change-new-dependency: a new package brought in by an update, not by the project."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.diff import diff_lockfiles, evaluate_changes
from auditor.lockfile import parse_lockfile_bytes
from auditor.models import (
    AttestationInfo,
    Lockfile,
    PackageResult,
    Packument,
    Status,
    VerificationResult,
    VersionInfo,
)
from tests.diff._build import Levels, by_spec, result

REG = "http://127.0.0.1:4873/"
SHA = "sha512-" + "A" * 86 + "=="
PUBLISHED = datetime(2026, 3, 31, 0, 21, tzinfo=UTC)


def _lock(packages: dict[str, tuple[str, dict[str, str]]], root: dict[str, str]) -> Lockfile:
    entries: dict[str, Any] = {"": {"name": "app", "version": "1.0.0", "dependencies": root}}
    for name, (version, deps) in packages.items():
        entries[f"node_modules/{name}"] = {
            "version": version,
            "resolved": f"{REG}{name}/-/{name}-{version}.tgz",
            "integrity": SHA,
            **({"dependencies": deps} if deps else {}),
        }
    doc = {"name": "app", "lockfileVersion": 3, "packages": entries}
    return parse_lockfile_bytes(json.dumps(doc).encode(), "package-lock.json")


BASE = _lock({"axios": ("1.14.0", {})}, {"axios": "^1.14.0"})
HEAD = _lock(
    {"axios": ("1.14.1", {"plain-crypto-js": "^4.2.1"}), "plain-crypto-js": ("4.2.1", {})},
    {"axios": "^1.14.0"},
)


def _results(lock: Lockfile, status: Status = Status.UNATTESTED) -> list[PackageResult]:
    out = []
    for p in lock.packages:
        info = VersionInfo(p.version, published=PUBLISHED, publisher="nrwl")
        r = replace(result(p, status), packument=Packument(p.name, {p.version: info}))
        out.append(r)
    return out


def _run(base: Lockfile, head: Lockfile, head_results: list[PackageResult]) -> list[Any]:
    changes = diff_lockfiles(base, head)
    return evaluate_changes(
        changes,
        by_spec(head_results),
        by_spec(_results(base)),
        Levels(),
        head=head,
        now=PUBLISHED + timedelta(hours=6),
    )


def test_axios_pattern_positive() -> None:
    fs = [f for f in _run(BASE, HEAD, _results(HEAD)) if f.rule == "change-new-dependency"]
    assert len(fs) == 1
    f = fs[0]
    assert (f.package, f.version) == ("plain-crypto-js", "4.2.1")
    assert f.message.startswith("plain-crypto-js@4.2.1 (added): new dependency brought in by "
                                "axios@1.14.1 (was 1.14.0), not by the project")  # fmt: skip
    assert "published 6.0 hours ago (registry publish time, 2026-03-31T00:21:00+00:00)" in (
        f.message
    )
    assert f.evidence["age_days"] == 0.25
    assert f.evidence["introduced_by"] == "axios@1.14.1"
    assert f.evidence["introducer_before"] == "1.14.0"
    assert f.evidence["published"] == "2026-03-31T00:21:00+00:00"
    assert f.evidence["level"] == "none" and f.evidence["status"] == "unattested"
    assert f.evidence["publisher"] == "npm user 'nrwl'"


def test_verified_time_wins_over_the_packument() -> None:
    signed = datetime(2026, 3, 30, 23, 59, tzinfo=UTC)
    head = []
    for r in _results(HEAD):
        if r.package.name == "plain-crypto-js":
            verification = VerificationResult(
                Status.PUBLISH_ONLY,
                attestations=(AttestationInfo("p", key_id="k", signed_at=signed),),
            )
            r = replace(r, status=Status.PUBLISH_ONLY, verification=verification)
        head.append(r)
    (f,) = [f for f in _run(BASE, HEAD, head) if f.rule == "change-new-dependency"]
    assert f.evidence["time_source"] == "transparency log"
    assert f.evidence["level"] == "publish-only"


def test_project_added_dependency_negative() -> None:
    head = _lock(
        {"axios": ("1.14.0", {}), "plain-crypto-js": ("4.2.1", {})},
        {"axios": "^1.14.0", "plain-crypto-js": "^4.2.1"},
    )
    assert [f.rule for f in _run(BASE, head, _results(head))] == []


def test_without_the_head_lockfile_nothing_is_inferred() -> None:
    changes = diff_lockfiles(BASE, HEAD)
    out = evaluate_changes(changes, by_spec(_results(HEAD)), by_spec(_results(BASE)), Levels())
    assert "change-new-dependency" not in [f.rule for f in out]


def test_a_format_without_a_graph_reports_every_unlisted_new_package() -> None:
    blind = replace(HEAD, graph=False)
    (f,) = [f for f in _run(BASE, blind, _results(blind)) if f.rule == "change-new-dependency"]
    assert f.evidence["introduced_by"] is None
    assert "records no dependency graph, so the update that brought it in is unknown" in f.message
