"""identity-changed: the package was built by another identity than the identity lock
records for its name (`[identity_lock] file`), or lost the provenance it was recorded with."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult, SourceKind, Status
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.signals.identity_lock import check as check_lock
from auditor.signals.identity_lock import describe

INFO = rule_info(
    "identity-changed",
    "Built by another identity than the identity lock records",
    "The identity lock (audit lock --write) records who builds each dependency: source "
    "repository and its numeric repository and owner ids, workflow, builder, signer, "
    "issuer and trust level, from verified certificates. This version's verified identity "
    "differs from every identity recorded for its name, or the package was recorded with "
    "verified provenance and this version has none. A compromised account publishing "
    "from elsewhere, a re-created repository or a hijacked release workflow looks like this.",
    "Find out why the identity changed (a moved repository, a new release workflow); if "
    "it is legitimate, record it with `audit lock --update` and review the lock file's "
    "diff like code; otherwise do not install this version.",
    "[identity_lock] file",
    severity="8.5",
    tags=("identity", "identity-lock"),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    lock = j.context.identity_lock
    if lock is None or not j.policy.enabled(INFO.id):
        return
    if r.status is Status.ERROR or r.package.source is SourceKind.LINK:
        return  # undecided (incomplete reports it), or the project's own code
    got = check_lock(lock, r)
    if got is None or got.kind == "new":
        return
    spec = r.package.spec
    if got.name != r.package.name:
        spec += f" (installed as {got.name!r}, which the identity lock records)"
    recorded = got.recorded.as_dict() if got.recorded else None
    differences = [
        {"field": d.field, "recorded": d.recorded, "observed": d.observed} for d in got.differences
    ]
    if got.kind == "lost":
        repo = got.recorded.repository if got.recorded else None
        yield from j.finding(
            INFO.id,
            r,
            f"{spec}: the identity lock records verified provenance for {got.name} "
            f"(built from {repo}); this version has none ({r.status.value})",
            {
                "expected": "verified provenance",
                "actual": r.status.value,
                "recorded": recorded,
                "observed": None,
                "differences": differences,
            },
        )
        return
    observed = got.observed.as_dict() if got.observed else None
    yield from j.finding(
        INFO.id,
        r,
        f"{spec}: built by another identity than the identity lock records: {describe(got)}",
        {
            "expected": recorded,
            "actual": observed,
            "recorded": recorded,
            "observed": observed,
            "differences": differences,
        },
    )


RULE = Rule(INFO, package=check)
