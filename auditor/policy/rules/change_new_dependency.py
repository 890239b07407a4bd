"""change-new-dependency: a package the pull request brings in only because a package it
updates now depends on it, not because the project asked for it."""

from __future__ import annotations

from datetime import datetime

from auditor.models import Level, PackageResult, Status
from auditor.policy.rules.base import (
    ChangeEmitter,
    ChangeSubject,
    Rule,
    accepted,
    aware,
    iso,
    rule_info,
)
from auditor.signals.levels import LEVEL_WORDS, publisher, trust_level

INFO = rule_info(
    "change-new-dependency",
    "An updated package brought in a brand-new dependency",
    "Against the base lockfile, a package name appears that the project did not add: an "
    "updated package now depends on it (the lockfile's dependency graph). A compromised "
    "release that pulls in a freshly published package (axios 1.14.1 adding "
    "plain-crypto-js) looks exactly like this. The finding gives the new package's age, "
    "trust level and publisher.",
    "Look at the new package (age, maintainers, source) and at the update that brought it "
    "in; pin the previous version of the updated package if the dependency is not "
    "explained by its release notes.",
    "[rules] change-new-dependency",
    level=Level.WARNING,
    severity="6.5",
    tags=("diff",),
)


def _age(r: PackageResult | None, now: datetime | None) -> tuple[str, dict[str, object]]:
    """Words and evidence for when the registry accepted the version (release-age's
    sources: the verified log time first, else the packument's publish time)."""
    if r is None:
        return "age unknown (not audited)", {"published": None, "time_source": None}
    when, source = accepted(r), "transparency log"
    if when is None:
        info = r.version_info
        when, source = (info.published if info else None), "registry publish time"
    if when is None:
        return "age unknown", {"published": None, "time_source": None}
    evidence: dict[str, object] = {"published": iso(aware(when)), "time_source": source}
    if now is None:
        return f"published {iso(when)} ({source})", evidence
    days = (aware(now) - aware(when)).total_seconds() / 86400
    evidence["age_days"] = round(days, 2)
    shown = f"{days * 24:.1f} hours" if days < 2 else f"{days:.1f} days"
    return f"published {shown} ago ({source}, {iso(when)})", evidence


def check(emit: ChangeEmitter, c: ChangeSubject) -> None:
    intro = c.introduced
    if c.before is not None or intro is None:
        return
    head = c.head
    age, age_evidence = _age(head, c.now)
    level = trust_level(head) if head is not None else None
    if intro.introduced_by is None:
        # Fail closed: without a graph every new package the project does not list is one.
        origin = (
            "new dependency the project does not list (this lockfile format records no "
            "dependency graph, so the update that brought it in is unknown)"
        )
        introducer: str | None = None
    else:
        introducer = intro.introduced_by.spec
        was = f" (was {c.introducer_before})" if c.introducer_before else " (unchanged)"
        origin = f"new dependency brought in by {introducer}{was}, not by the project"
    via = " -> ".join(intro.path) if len(intro.path) > 2 else ""
    shown_level = LEVEL_WORDS[level] if level is not None else "undecided"
    status = head.status.value if head is not None else None
    emit.add(
        INFO.id,
        origin
        + (f" (via {via})" if via else "")
        + f"; {age}; {shown_level}"
        + (f", {publisher(head)}" if head is not None and head.status is not Status.ERROR else ""),
        introduced_by=introducer,
        introducer_before=c.introducer_before,
        path=list(intro.path),
        dependents=list(intro.dependents),
        status=status,
        level=level.value if level is not None else None,
        publisher=publisher(head) if head is not None else None,
        **age_evidence,
    )


RULE = Rule(INFO, change=check)
