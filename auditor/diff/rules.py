"""The change-* rules: what got worse between the base and the head version of a package.

Pure functions of the changes and of the verified results of both versions (never of
unverified packument claims).  Each rule has a policy level like any other finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from auditor.diff.changes import Change, ChangeKind
from auditor.models import (
    Evidence,
    Finding,
    Identity,
    Level,
    Package,
    PackageResult,
    SourceKind,
    Status,
    strip_ref,
)
from auditor.registry.stripping import PROVENANCE_STRIPPED

CHANGE_PROVENANCE_LOST = "change-provenance-lost"
CHANGE_REPOSITORY = "change-repository"
CHANGE_WORKFLOW = "change-workflow"
CHANGE_INSTALL_SCRIPT = "change-install-script"
CHANGE_SOURCE = "change-source"
INCOMPLETE = "incomplete"

CHANGE_RULES = (
    CHANGE_PROVENANCE_LOST,
    CHANGE_REPOSITORY,
    CHANGE_WORKFLOW,
    CHANGE_INSTALL_SCRIPT,
    CHANGE_SOURCE,
)

# Sources outside any registry: they can never carry provenance.
EXOTIC_SOURCES = frozenset({SourceKind.GIT, SourceKind.REMOTE, SourceKind.FILE})


class RuleLevels(Protocol):
    """The one thing these rules need from a policy (`auditor.policy.Policy` has it)."""

    def level(self, rule_id: str) -> Level: ...


def evidence_of(result: PackageResult | None) -> Evidence | None:
    """Verified evidence strength of one version; None when it could not be decided."""
    if result is None or result.status is Status.ERROR:
        return None
    if result.reason == PROVENANCE_STRIPPED:
        # The registry advertised attestations it did not serve: what the version really
        # had cannot be told (comparing it as "no attestation" would hide a loss).
        return None
    if result.status is Status.VERIFIED:
        return Evidence.PROVENANCE
    if result.status is Status.PUBLISH_ONLY:
        return Evidence.PUBLISH_ONLY
    # UNATTESTED, INVALID (attestation-invalid reports it) and NOT_APPLICABLE.
    return Evidence.NONE


_EVIDENCE_WORDS = {
    Evidence.NONE: "no attestation",
    Evidence.PUBLISH_ONLY: "publish attestation only",
    Evidence.PROVENANCE: "verified provenance",
    Evidence.TRUSTED_PUBLISHER: "trusted publisher",
}


def _norm_repo(uri: str | None) -> str | None:
    # Forges treat owner/name case-insensitively; a trailing .git or / is the same repo.
    if uri is None:
        return None
    uri = uri.strip().rstrip("/").lower()
    return uri.removesuffix(".git")


def _workflow(identity: Identity) -> str | None:
    """The workflow file path within its repository (no ref), compared case-blind on
    the repository part like `_norm_repo`."""
    uri = identity.workflow
    if not uri:
        return None
    path = strip_ref(uri, identity.ref)
    repo = _norm_repo(identity.source_repository)
    if repo:
        for prefix in (repo + "/", repo + ".git/"):
            if path.lower().startswith(prefix):
                return path[len(prefix) :].lstrip("/")
    return path


def _location(package: Package) -> str | None:
    """Where a non-registry package comes from, without the commit (a git dependency's
    commit moving is its version changing, not a new source)."""
    if package.resolved is None:
        return None
    return package.resolved.split("#", 1)[0]


def _lookup(
    spec: str, first: Mapping[str, PackageResult], second: Mapping[str, PackageResult]
) -> PackageResult | None:
    result = first.get(spec)
    return result if result is not None else second.get(spec)


class _Emitter:
    """Collects findings for one change, dropping rules the policy turned off."""

    def __init__(self, policy: RuleLevels, change: Change) -> None:
        self.policy = policy
        self.change = change
        self.findings: list[Finding] = []

    def add(self, rule: str, message: str, **evidence: object) -> None:
        level = self.policy.level(rule)
        if level is Level.OFF:
            return
        c = self.change
        self.findings.append(
            Finding(
                rule=rule,
                level=level,
                message=f"{c.name}{_versions(c)}: {message}",
                package=c.name,
                version=c.after,
                line=c.line,
                evidence={"change": str(c.kind), "before": c.before, "after": c.after} | evidence,
            )
        )


def _versions(change: Change) -> str:
    # `name@after` first, like every other finding's message.
    if change.kind is ChangeKind.ADDED:
        return f"@{change.after} (added)"
    return f"@{change.after} (was {change.before})"


def evaluate_changes(
    changes: Iterable[Change],
    head_results: Mapping[str, PackageResult],
    base_results: Mapping[str, PackageResult],
    policy: RuleLevels,
) -> list[Finding]:
    """change-* findings for added and updated packages (removals are never findings).

    Results are keyed by `Package.spec`.  A base version whose result is missing or an
    error cannot be compared: that is an `incomplete` finding (fail closed), unless the
    same version is also in the head results, where the head audit already reports it.
    """
    findings: list[Finding] = []
    for change in changes:
        after = change.after_package
        if change.kind is ChangeKind.REMOVED or after is None:
            continue
        emit = _Emitter(policy, change)
        before = change.before_package if change.kind is ChangeKind.UPDATED else None
        _check_install_script(emit, before, after)
        _check_source(emit, before, after)
        if before is not None:
            head = _lookup(after.spec, head_results, base_results)
            base = _lookup(before.spec, base_results, head_results)
            _check_evidence(emit, before, base, head, before.spec in head_results)
            if base is not None and head is not None:
                _check_identity(emit, base.identity, head.identity)
        findings.extend(emit.findings)
    return findings


def _check_install_script(emit: _Emitter, before: Package | None, after: Package) -> None:
    if not after.has_install_script:
        return
    if before is None:
        emit.add(CHANGE_INSTALL_SCRIPT, "new package with an install script")
    elif not before.has_install_script:
        emit.add(CHANGE_INSTALL_SCRIPT, "gained an install script")


def _check_source(emit: _Emitter, before: Package | None, after: Package) -> None:
    if after.source not in EXOTIC_SOURCES:
        return
    where = _location(after) or "(no resolved URL)"
    if before is None:
        emit.add(CHANGE_SOURCE, f"new {after.source} source {where}", source=str(after.source))
    elif before.source != after.source:
        emit.add(
            CHANGE_SOURCE,
            f"source changed from {before.source} to {after.source} {where}",
            source=str(after.source),
            before_source=str(before.source),
        )
    elif _location(before) != _location(after):
        emit.add(
            CHANGE_SOURCE,
            f"{after.source} source moved from {_location(before)} to {where}",
            source=str(after.source),
        )


def _check_evidence(
    emit: _Emitter,
    before: Package,
    base: PackageResult | None,
    head: PackageResult | None,
    base_in_head: bool,
) -> None:
    was = evidence_of(base)
    now = evidence_of(head)
    if was is None:
        if not base_in_head:
            why = base.reason if base is not None and base.reason else "not audited"
            emit.add(
                INCOMPLETE,
                f"could not compare with base version {before.version} ({why})",
            )
        return
    if now is None or now.rank >= was.rank:
        # An undecided head version is already reported by the head audit.
        return
    verb = "provenance lost" if now is Evidence.NONE else "provenance weakened"
    emit.add(
        CHANGE_PROVENANCE_LOST,
        f"{verb}: {_EVIDENCE_WORDS[was]} -> {_EVIDENCE_WORDS[now]}",
        before_evidence=str(was),
        after_evidence=str(now),
    )


def _check_identity(emit: _Emitter, was: Identity | None, now: Identity | None) -> None:
    if was is None or now is None:
        return  # one side has no verified signer: the evidence check covers it
    repo: list[str] = []
    if _norm_repo(was.source_repository) != _norm_repo(now.source_repository):
        repo.append(f"repository {was.source_repository} -> {now.source_repository}")
    for label, a, b in (
        ("repository id", was.repository_id, now.repository_id),
        ("owner id", was.owner_id, now.owner_id),
    ):
        # Same URL with a new numeric id: the repository was deleted and re-created.
        if a is not None and b is not None and a != b:
            repo.append(f"{label} {a} -> {b}")
    if repo:
        emit.add(
            CHANGE_REPOSITORY,
            "source repository changed: " + "; ".join(repo),
            before_repository=was.source_repository,
            after_repository=now.source_repository,
            before_repository_id=was.repository_id,
            after_repository_id=now.repository_id,
            before_owner_id=was.owner_id,
            after_owner_id=now.owner_id,
        )
    flow: list[str] = []
    if _workflow(was) != _workflow(now):
        flow.append(f"workflow {_workflow(was)} -> {_workflow(now)}")
    if was.issuer != now.issuer:
        flow.append(f"issuer {was.issuer} -> {now.issuer}")
    if flow:
        emit.add(
            CHANGE_WORKFLOW,
            "build workflow changed: " + "; ".join(flow),
            before_workflow=_workflow(was),
            after_workflow=_workflow(now),
            before_issuer=was.issuer,
            after_issuer=now.issuer,
        )
