"""Lockfiles, packages and results built in code for the diff tests."""

from __future__ import annotations

from collections.abc import Iterable

from auditor.models import (
    Identity,
    Level,
    Lockfile,
    Package,
    PackageResult,
    SourceKind,
    Status,
    VerificationResult,
)

REPO = "https://github.com/acme/widget"
WORKFLOW = f"{REPO}/.github/workflows/release.yml@refs/tags/v1.0.0"
ISSUER = "https://token.actions.githubusercontent.com"


def pkg(
    name: str,
    version: str,
    *paths: str,
    source: SourceKind = SourceKind.REGISTRY,
    install: bool = False,
    resolved: str | None = None,
    line: int = 0,
) -> Package:
    return Package(
        name=name,
        version=version,
        source=source,
        integrity=f"sha512-{name}-{version}",
        resolved=resolved,
        paths=paths or (f"node_modules/{name}",),
        has_install_script=install,
        line=line,
    )


def lock(*packages: Package, path: str = "package-lock.json") -> Lockfile:
    ordered = tuple(sorted(packages, key=lambda p: (p.name, p.version, p.integrity or "")))
    return Lockfile(path=path, lockfile_version=3, name="app", packages=ordered)


def identity(
    repo: str = REPO,
    workflow: str = WORKFLOW,
    repository_id: str | None = "100",
    owner_id: str | None = "7",
    issuer: str = ISSUER,
) -> Identity:
    return Identity(
        issuer=issuer,
        source_repository=repo,
        repository_id=repository_id,
        owner_id=owner_id,
        workflow=workflow,
    )


def result(
    package: Package,
    status: Status,
    ident: Identity | None = None,
    reason: str | None = None,
) -> PackageResult:
    verification = None
    if status in (Status.VERIFIED, Status.PUBLISH_ONLY):
        verification = VerificationResult(
            status=status, identity=ident if status is Status.VERIFIED else None
        )
    return PackageResult(package=package, status=status, reason=reason, verification=verification)


def by_spec(results: Iterable[PackageResult]) -> dict[str, PackageResult]:
    return {r.package.spec: r for r in results}


class Levels:
    """A policy stand-in: every rule at one level, some turned off."""

    def __init__(self, level: Level = Level.ERROR, off: Iterable[str] = ()) -> None:
        self._level = level
        self._off = set(off)

    def level(self, rule_id: str) -> Level:
        return Level.OFF if rule_id in self._off else self._level
