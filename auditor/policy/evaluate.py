"""Policy evaluation: results -> findings.  Pure: no I/O, the clock comes from the context.

Decisions (docs/policy.md explains them to users):
- Tampering (attestation-invalid, provenance-stripped, registry-signature-invalid) is always
  an error and never waived.  registry-signature-missing applies only to packages from a
  registry that signs (`PolicyContext.signing_registries`).
- A check that lacks the data it needs (no publish time, no packument) yields an
  `incomplete` finding rather than a silent pass: an undecided package is not a pass.
- Identity rules judge only verified provenance; a package without provenance fails an
  identity block only through `require_provenance` (reported as provenance-required).
- Provenance requirements and coverage count registry packages only; git, tarball and file
  dependencies are source-non-registry's business.
- The change-* rules are evaluated by `auditor.diff` (levels from `Policy.level`); `waive`
  applies this policy's exceptions to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from auditor.lockfile.sources import tarball_paths
from auditor.models import (
    Evidence,
    Finding,
    Identity,
    Level,
    Package,
    PackageResult,
    SignatureStatus,
    SourceKind,
    Status,
    WaivedFinding,
    accepted_at,
)
from auditor.policy.globs import Glob, Selector, is_prerelease, uri_glob
from auditor.policy.model import IdentityRule, Policy, PolicyContext, PolicyException

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"
_SLSA_GENERATOR_SIGNER = uri_glob(
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/*@refs/tags/v*"
)
_SLSA_GENERATOR_BUILDER = uri_glob("https://github.com/slsa-framework/slsa-github-generator/**")

STRIPPED_REASON = "PROVENANCE_STRIPPED"
_NON_REGISTRY = (SourceKind.GIT, SourceKind.REMOTE, SourceKind.FILE)
_DECIDED = (Status.VERIFIED, Status.PUBLISH_ONLY, Status.UNATTESTED)


def evaluate(
    policy: Policy, results: Sequence[PackageResult], context: PolicyContext
) -> list[Finding]:
    """Every finding of every enabled rule, exceptions applied, sorted and de-duplicated."""
    return evaluate_waived(policy, results, context)[0]


def evaluate_waived(
    policy: Policy, results: Sequence[PackageResult], context: PolicyContext
) -> tuple[list[Finding], list[WaivedFinding]]:
    """`evaluate`, plus the findings exceptions waived (reports show them as waived)."""
    ev = _Evaluator(policy, context)
    raw: list[Finding] = []
    for result in results:
        raw.extend(ev.package(result))
    raw.extend(ev.coverage(results))
    raw.extend(ev.attestation_less(context))
    kept, waived = split_waived(policy, raw, ev.now)
    for exc in policy.exceptions:
        if exc.expired(ev.now):
            kept.extend(ev.expired(exc))
    return _unique_sorted(kept), sort_waived(waived)


def _unique_sorted(findings: Iterable[Finding]) -> list[Finding]:
    # Sort on the whole content so the order never depends on the input order.
    unique: dict[tuple[str, str, str, str, int, str], Finding] = {}
    for f in findings:
        unique.setdefault(finding_sort_key(f), f)
    return [unique[k] for k in sorted(unique)]


def sort_waived(waived: Iterable[WaivedFinding]) -> list[WaivedFinding]:
    """Waived findings in report order, each finding once."""
    unique: dict[tuple[str, str, str, str, int, str], WaivedFinding] = {}
    for w in waived:
        unique.setdefault(finding_sort_key(w.finding), w)
    return [unique[k] for k in sorted(unique)]


def finding_sort_key(f: Finding) -> tuple[str, str, str, str, int, str]:
    """The order of findings in every report: by package, then rule, then content."""
    return (
        f.package or "",
        f.version or "",
        f.rule,
        f.message,
        f.line or 0,
        repr(sorted(f.evidence.items())),
    )


def waive(policy: Policy, findings: Iterable[Finding], now: datetime) -> list[Finding]:
    """The findings the policy's unexpired exceptions do not waive.

    `evaluate` applies it; the pull-request mode applies it to its change-* findings.
    """
    return split_waived(policy, findings, now)[0]


def split_waived(
    policy: Policy, findings: Iterable[Finding], now: datetime
) -> tuple[list[Finding], list[WaivedFinding]]:
    """(findings kept, findings waived with the exception that waived them)."""
    active = [e for e in policy.exceptions if not e.expired(_aware(now))]
    kept: list[Finding] = []
    waived: list[WaivedFinding] = []
    for f in findings:
        exc = _waiver(f, active)
        if exc is None:
            kept.append(f)
        else:
            waived.append(WaivedFinding(f, exc.index, exc.reason, exc.expires))
    return kept, waived


def _waiver(finding: Finding, exceptions: Iterable[PolicyException]) -> PolicyException | None:
    if finding.package is None or finding.version is None:
        return None  # global findings (coverage) name no package to match
    for e in exceptions:
        if finding.rule in e.rules and e.package.matches(finding.package, finding.version):
            return e
    return None


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC so comparisons never raise."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _accepted_at(r: PackageResult) -> datetime | None:
    """When the registry accepted the version: never the earliest verified time, since
    provenance signed weeks before publication must not age a new version."""
    return accepted_at(r.attestations)


def _iso(moment: datetime | None) -> str | None:
    return _aware(moment).astimezone(UTC).isoformat() if moment else None


def _any_match(selectors: Iterable[Selector], name: str, version: str) -> bool:
    return any(s.matches(name, version) for s in selectors)


def _selector_names(p: Package) -> tuple[tuple[str, str], ...]:
    """The names a requirement selector is matched against: the real name, then every
    install name of an alias (`node_modules/lodash` installing `evil-lodash`).  Exemptions
    (allow lists, excludes, exceptions) match the real name only."""
    return ((p.name, "real name"), *((alias, "install name") for alias in p.aliases))


def _matched_by(selector: Selector, p: Package) -> tuple[str, str] | None:
    for name, role in _selector_names(p):
        if selector.matches(name, p.version):
            return name, role
    return None


def _via(matched: tuple[str, str], p: Package) -> str:
    """How a selector matched an aliased package, for messages ('' for its real name)."""
    name, role = matched
    return f" (matched its install name {name!r})" if role == "install name" else ""


def _patterns(globs: Iterable[Glob]) -> list[str]:
    return [g.pattern for g in globs]


# The runner environment a hosted builder of each issuer certifies.
_HOSTED_RUNNER = {GITHUB_ISSUER: "github-hosted", GITLAB_ISSUER: "gitlab-hosted"}
# Fulcio added the Build Signer URI (.9) and the other claims from .8 on in 2023; a
# certificate without any of them is one of the older ones (only trusted when signed
# before LEGACY_CUTOFF: a newer certificate missing them is odd, and claims stay required).
LEGACY_CUTOFF = datetime(2024, 1, 1, tzinfo=UTC)


def _legacy_certificate(r: PackageResult, ident: Identity) -> bool:
    """The certificate predates Fulcio's 2023 claims (.9 onwards), by content and by time."""
    if any(
        v is not None
        for v in (ident.build_signer, ident.runner_environment, ident.repository_id, ident.workflow)
    ):
        return False
    accepted = _accepted_at(r)  # the latest verified time: stricter than the earliest
    return accepted is not None and accepted < LEGACY_CUTOFF


def _builder_matches(builder: str, ident: Identity) -> bool:
    """Named builders read the certificate; builder-id globs read the (checked) predicate."""
    issuer = (ident.issuer or "").rstrip("/").lower()
    if builder == "github-hosted":
        return issuer == GITHUB_ISSUER and ident.runner_environment == "github-hosted"
    if builder == "gitlab-hosted":
        return issuer == GITLAB_ISSUER and ident.runner_environment == "gitlab-hosted"
    if builder == "slsa-github-generator":
        # The reusable workflow signs (Build Signer URI), pinned to a release tag.
        return _SLSA_GENERATOR_SIGNER.match(ident.build_signer) and _SLSA_GENERATOR_BUILDER.match(
            ident.builder_id
        )
    return uri_glob(builder).match(ident.builder_id)


def _below_registry(resolved: str, registry: str) -> str | None:
    """The path of `resolved` below the registry base URL (same scheme, host and port, path
    under its path), or None when it is not under it."""
    if resolved.startswith(registry) and "/../" not in resolved and _plain_base_url(registry):
        return resolved[len(registry) :]  # the common case, without parsing two URLs
    return _below_registry_parsed(resolved, registry)


@lru_cache(maxsize=64)
def _plain_base_url(registry: str) -> bool:
    """An http(s) URL ending in '/' with a host, no user, query or fragment: any string that
    starts with it has the same scheme, host and port, and a path under its path."""
    if not registry.endswith("/") or any(c in registry for c in "?#@\\"):
        return False
    try:
        parts = urlsplit(registry)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _below_registry_parsed(resolved: str, registry: str) -> str | None:
    try:
        r, b = urlsplit(resolved), urlsplit(registry)
        r_port, b_port = r.port, b.port
    except ValueError:
        return None
    defaults = {"http": 80, "https": 443}
    if r.scheme.lower() != b.scheme.lower() or (r.hostname or "") != (b.hostname or ""):
        return None
    if (r_port or defaults.get(r.scheme.lower())) != (b_port or defaults.get(b.scheme.lower())):
        return None
    base = b.path if b.path.endswith("/") else b.path + "/"
    path = r.path if r.path.startswith("/") else "/" + r.path
    if not path.startswith(base) or "/../" in path:
        return None
    rest = path[len(base) :]
    return rest + ("?" + r.query if r.query else "") + ("#" + r.fragment if r.fragment else "")


class _Evaluator:
    def __init__(self, policy: Policy, context: PolicyContext) -> None:
        self.policy = policy
        self.now = _aware(context.now)
        regs = [*context.registries, *policy.source_hygiene.registries]
        self.registries = tuple(dict.fromkeys(r if r.endswith("/") else r + "/" for r in regs))
        self.signing_registries = context.signing_registries

    def finding(
        self,
        rule: str,
        result: PackageResult | None,
        message: str,
        evidence: dict[str, object],
    ) -> Iterator[Finding]:
        level = self.policy.level(rule)
        if level is Level.OFF:
            return
        pkg = result.package if result else None
        yield Finding(
            rule=rule,
            level=level,
            message=message,
            package=pkg.name if pkg else None,
            version=pkg.version if pkg else None,
            line=(pkg.line or None) if pkg else None,
            evidence=evidence,
        )

    # --- per package ----------------------------------------------------------------------

    def package(self, r: PackageResult) -> Iterator[Finding]:
        yield from self.hygiene(r)
        if r.status is Status.ERROR:
            detail = ": ".join(x for x in (r.reason, r.message) if x) or "unknown error"
            yield from self.finding(
                "incomplete",
                r,
                f"{r.package.spec} could not be checked ({detail})",
                {"reason": r.reason, "detail": r.message},
            )
            return
        if r.package.source is not SourceKind.REGISTRY:
            return
        yield from self.signature(r)
        if self.stripped(r):
            yield from self.finding(
                "provenance-stripped",
                r,
                f"{r.package.spec}: the registry advertised provenance but served none "
                f"(status {r.status.value})",
                {"expected": "provenance attestation", "actual": r.status.value},
            )
            return
        if r.status is Status.INVALID:
            yield from self.finding(
                "attestation-invalid",
                r,
                f"{r.package.spec}: attestations do not verify"
                f" ({r.reason or 'INVALID'}: {r.message or 'no detail'})",
                {"reason": r.reason, "detail": r.message},
            )
            return
        if r.status not in _DECIDED:
            return
        yield from self.required(r)
        if r.status is Status.VERIFIED:
            ident = r.identity or Identity()  # fail closed: no identity = nothing matches
            names = _selector_names(r.package)
            for block in self.policy.identity:
                matched = block.matched_name(names, r.package.version)
                if matched is None:
                    continue
                if not r.package.aliases:
                    yield from self.identity(r, ident, block)
                    continue
                # An alias: say which of its names the block selected.
                for f in self.identity(r, ident, block):
                    yield replace(
                        f,
                        message=f.message + _via(matched, r.package),
                        evidence={**f.evidence, "matched": {"name": matched[0], "as": matched[1]}},
                    )
        elif r.package.aliases:
            yield from self.alias_pins(r)
        yield from self.downgrade(r)
        yield from self.release_age(r)

    def alias_pins(self, r: PackageResult) -> Iterator[Finding]:
        """An alias installed under a pinned name without verified provenance: the code that
        loads as the pinned name is another package, which cannot show the pinned
        repository.  (The pinned package itself without provenance is `provenance-required`,
        at the policy's level; an alias is a different package wearing its name.)"""
        p = r.package
        names = _selector_names(p)
        for block in self.policy.identity:
            matched = block.matched_name(names, p.version)
            if matched is None or matched[1] != "install name":
                continue
            if block.repositories:
                rule, expected = "identity-repository", _patterns(block.repositories)
            elif block.repository_ids or block.owner_ids:
                rule, expected = "identity-repository-id", [*block.repository_ids, *block.owner_ids]
            else:
                continue
            yield from self.finding(
                rule,
                r,
                f"{p.spec} is installed as {matched[0]!r}, which {block.label} pins, but it is "
                f"another package with no verified provenance ({r.status.value}): nothing shows "
                f"it was built from {expected}",
                {
                    "expected": expected,
                    "actual": None,
                    "policy": block.label,
                    "matched": {"name": matched[0], "as": matched[1]},
                },
            )

    def signature(self, r: PackageResult) -> Iterator[Finding]:
        sig = r.registry_signature
        if sig is None or sig.status is SignatureStatus.VERIFIED:
            return
        evidence: dict[str, object] = {"reason": sig.reason, "keyid": sig.keyid}
        if sig.status is SignatureStatus.INVALID:
            yield from self.finding(
                "registry-signature-invalid",
                r,
                f"{r.package.spec}: the registry signature does not verify"
                f" ({sig.reason or 'INVALID'}: {sig.message or 'no detail'})",
                evidence,
            )
        elif (r.registry or "") in self.signing_registries:
            yield from self.finding(
                "registry-signature-missing",
                r,
                f"{r.package.spec}: no registry signature, although {r.registry or 'its registry'}"
                f" signs packages ({sig.reason or 'SIGNATURE_MISSING'})",
                {**evidence, "registry": r.registry},
            )

    @staticmethod
    def stripped(r: PackageResult) -> bool:
        # Decided by the engine for every registry package (auditor.registry.stripping).
        return r.reason == STRIPPED_REASON

    def hygiene(self, r: PackageResult) -> Iterator[Finding]:
        p, cfg = r.package, self.policy.source_hygiene
        if p.source in _NON_REGISTRY and not (
            _any_match(cfg.allow_packages, p.name, p.version)
            or any(g.match(p.resolved) for g in cfg.allow_resolved)
        ):
            yield from self.finding(
                "source-non-registry",
                r,
                f"{p.spec} comes from a {p.source.value} source "
                f"({p.resolved or 'no resolved URL'})",
                {"expected": "registry", "actual": p.source.value, "resolved": p.resolved},
            )
        yield from self.registry_mismatch(r)
        if p.source in (SourceKind.REGISTRY, SourceKind.REMOTE) and p.sha512 is None:
            # Read as npm reads it: integrity npm would not check, or would check against
            # anything but one sha512, is no integrity (docs/lockfile.md).
            why = p.integrity_problem or "no integrity in the lockfile"
            yield from self.finding(
                "integrity-missing",
                r,
                f"{p.spec} has no usable integrity ({why})",
                {
                    "expected": "one sha512 integrity",
                    "actual": p.integrity,
                    "problem": why,
                    "reason": p.integrity_reason or "MISSING_INTEGRITY",
                },
            )
        if p.sha1_only:
            yield from self.finding(
                "integrity-weak",
                r,
                f"{p.spec} has only a sha1 integrity",
                {"expected": "sha512", "actual": "sha1"},
            )
        if p.has_install_script and not _any_match(
            self.policy.install_script.allow, p.name, p.version
        ):
            yield from self.finding(
                "install-script",
                r,
                f"{p.spec} runs install scripts (hasInstallScript)",
                {
                    "expected": [s.spec for s in self.policy.install_script.allow],
                    "actual": "hasInstallScript",
                },
            )

    def registry_mismatch(self, r: PackageResult) -> Iterator[Finding]:
        """npm fetches `resolved` as written (docs/lockfile.md): a registry entry must be
        its own tarball right below a configured registry, and a URL under a configured
        registry that is not the entry's own tarball is another package's (injection)."""
        p = r.package
        if p.registry_spec is not None and p.source in _NON_REGISTRY:
            # Every dependent asks the registry for it, but npm installs `resolved`.
            yield from self.finding(
                "source-registry-mismatch",
                r,
                f"{p.spec} is required as a registry version ({p.registry_spec!r}) but the "
                f"lockfile installs it from a {p.source.value} source "
                f"({p.resolved or 'no resolved URL'})",
                {"expected": "registry", "actual": p.resolved, "spec": p.registry_spec},
            )
            return
        if not p.resolved or not self.registries:
            return
        if p.source not in (SourceKind.REGISTRY, SourceKind.REMOTE):
            return
        below = [
            rest
            for rest in (_below_registry(p.resolved, reg) for reg in self.registries)
            if rest is not None
        ]
        if p.source is SourceKind.REGISTRY and not below:
            yield from self.finding(
                "source-registry-mismatch",
                r,
                f"{p.spec} is resolved from {p.resolved}, outside the configured registries",
                {"expected": list(self.registries), "actual": p.resolved},
            )
            return
        own = tarball_paths(p.name, p.version)
        if below and not any(rest in own for rest in below):
            yield from self.finding(
                "source-registry-mismatch",
                r,
                f"{p.spec} is resolved from {p.resolved}: under a configured registry but not "
                f"at this package's tarball path, so npm installs another package's tarball",
                {
                    "expected": [reg + own[0] for reg in self.registries],
                    "actual": p.resolved,
                },
            )

    def required(self, r: PackageResult) -> Iterator[Finding]:
        if r.status is Status.VERIFIED:
            return
        p, cfg = r.package, self.policy.provenance
        reasons: list[str] = []
        if not _any_match(cfg.exclude, p.name, p.version):
            scoped = {
                "all": True,
                "production": p.production,
                "direct": p.direct,
                "none": False,
            }[cfg.require]
            if scoped:
                reasons.append(f"provenance.require = {cfg.require!r}")
            for s in cfg.packages:
                by = _matched_by(s, p)
                if by is not None:
                    reasons.append(f"provenance.packages {s.spec!r}{_via(by, p)}")
        names = _selector_names(p)
        for b in self.policy.identity:
            by = b.matched_name(names, p.version) if b.require_provenance else None
            if by is not None:
                reasons.append(f"{b.label}{_via(by, p)}")
        if reasons:
            yield from self.finding(
                "provenance-required",
                r,
                f"{p.spec} has no verified provenance ({r.status.value}); required by "
                + "; ".join(reasons),
                {
                    "expected": "verified provenance",
                    "actual": r.status.value,
                    "required_by": reasons,
                },
            )

    def identity(self, r: PackageResult, ident: Identity, block: IdentityRule) -> Iterator[Finding]:
        spec = r.package.spec
        legacy = _legacy_certificate(r, ident)

        def shown(actual: str | None) -> str:
            if actual is not None:
                return repr(actual)
            if legacy:
                return "(absent: the certificate predates this claim)"
            return "(absent from the certificate)"

        def check(
            rule: str,
            what: str,
            ok: bool,
            expected: list[str],
            actual: str | None,
            key: str | None = None,
        ) -> Iterator[Finding]:
            if ok:
                return
            evidence: dict[str, object] = {
                "expected": expected,
                "actual": actual,
                "policy": block.label,
            }
            message = (
                f"{spec}: {what} {shown(actual)} is not allowed by {block.label}; "
                f"expected one of {expected}"
            )
            if actual is None and legacy and key is not None:
                # Fulcio added the claim in 2023: an older certificate cannot carry it, so
                # the claim is unknown, and fails only where the policy requires it.
                if key not in block.require_claims:
                    return
                evidence["claim"] = "absent: certificate issued before Fulcio carried it"
                evidence["required_by"] = f"{block.label}.require_claims"
                message += f" (required by require_claims: {key})"
            yield from self.finding(rule, r, message, evidence)

        if block.repositories:
            yield from check(
                "identity-repository",
                "source repository",
                any(g.match(ident.source_repository) for g in block.repositories),
                _patterns(block.repositories),
                ident.source_repository,
            )
        if block.repository_ids:
            yield from check(
                "identity-repository-id",
                "repository id",
                ident.repository_id in block.repository_ids,
                list(block.repository_ids),
                ident.repository_id,
                "repository_ids",
            )
        if block.owner_ids:
            yield from check(
                "identity-repository-id",
                "repository owner id",
                ident.owner_id in block.owner_ids,
                list(block.owner_ids),
                ident.owner_id,
                "owner_ids",
            )
        if block.issuers:
            issuer = ident.issuer.rstrip("/") if ident.issuer else None
            yield from check(
                "identity-issuer",
                "OIDC issuer",
                any(g.match(issuer) or g.match(ident.issuer) for g in block.issuers),
                _patterns(block.issuers),
                ident.issuer,
            )
        if block.workflows:
            yield from check(
                "identity-workflow",
                "workflow",
                any(g.match(ident.workflow_path) for g in block.workflows),
                _patterns(block.workflows),
                ident.workflow_path,
                "workflows",
            )
        if block.refs:
            yield from check(
                "identity-ref",
                "source ref",
                any(g.match(ident.ref) for g in block.refs),
                _patterns(block.refs),
                ident.ref,
            )
        if ident.trigger is not None and ident.trigger in block.deny_triggers:
            yield from self.finding(
                "identity-trigger",
                r,
                f"{spec}: trigger {ident.trigger!r} is denied by {block.label}",
                {
                    "denied": list(block.deny_triggers),
                    "actual": ident.trigger,
                    "policy": block.label,
                },
            )
        elif block.triggers:
            yield from check(
                "identity-trigger",
                "trigger",
                ident.trigger in block.triggers,
                list(block.triggers),
                ident.trigger,
            )
        if block.runners:
            yield from check(
                "identity-runner",
                "runner environment",
                ident.runner_environment in block.runners,
                list(block.runners),
                ident.runner_environment,
                "runners",
            )
        if block.builders:
            ok = any(_builder_matches(b, ident) for b in block.builders)
            if not ok and legacy and ident.runner_environment is None:
                # A hosted builder is judged by the runner claim: unknown on old certificates.
                hosted = replace(ident, runner_environment=_HOSTED_RUNNER.get(ident.issuer or ""))
                if any(_builder_matches(b, hosted) for b in block.builders):
                    yield from check(
                        "identity-builder", "runner environment", False,
                        list(block.builders), None, "builders",
                    )  # fmt: skip
                    return
            yield from check(
                "identity-builder",
                "builder",
                ok,
                list(block.builders),
                ident.builder_id,
            )

    # --- history ----------------------------------------------------------------------------

    def undecided(self, r: PackageResult, rule: str, missing: str) -> Iterator[Finding]:
        yield from self.finding(
            "incomplete",
            r,
            f"{r.package.spec}: {rule} cannot be decided: {missing}",
            {"rule": rule, "missing": missing},
        )

    def current_evidence(self, r: PackageResult) -> Evidence:
        # The audited version's evidence is what verified, not what the registry claims.
        if r.status is Status.VERIFIED:
            info = r.version_info
            return (
                Evidence.TRUSTED_PUBLISHER
                if info and info.trusted_publisher
                else Evidence.PROVENANCE
            )
        if r.status is Status.PUBLISH_ONLY:
            return Evidence.PUBLISH_ONLY
        return Evidence.NONE

    def downgrade(self, r: PackageResult) -> Iterator[Finding]:
        cfg, p = self.policy.trust_downgrade, r.package
        if not self.policy.enabled("trust-downgrade") or _any_match(cfg.exclude, p.name, p.version):
            return
        if r.packument is None:
            yield from self.undecided(r, "trust-downgrade", "registry metadata (packument)")
            return
        info = r.version_info
        published = info.published if info and info.published else None
        published = published or _accepted_at(r)
        if published is None:
            yield from self.undecided(r, "trust-downgrade", "publish time of this version")
            return
        published = _aware(published)
        if cfg.ignore_after is not None and published < self.now - timedelta(days=cfg.ignore_after):
            return
        current = self.current_evidence(r)
        stable = not is_prerelease(p.version)
        best: tuple[int, datetime, str] | None = None
        for version, vi in r.packument.versions.items():
            if version == p.version or vi.published is None:
                continue
            rank = vi.evidence.rank
            if rank <= current.rank:
                continue  # cheap filters first: semver parsing is the costly part
            when = _aware(vi.published)
            if when >= published or (stable and is_prerelease(version)):
                continue
            candidate = (rank, when, version)
            if best is None or candidate > best:
                best = candidate
        if best is None:
            return
        earlier = r.packument.versions[best[2]].evidence
        yield from self.finding(
            "trust-downgrade",
            r,
            f"{p.spec} has weaker evidence ({current.value}) than {best[2]} "
            f"({earlier.value}), published earlier: possible takeover",
            {
                "expected": earlier.value,
                "actual": current.value,
                "earlier_version": best[2],
                "earlier_published": _iso(best[1]),
                "published": _iso(published),
            },
        )

    def release_age(self, r: PackageResult) -> Iterator[Finding]:
        cfg, p = self.policy.release_age, r.package
        if not self.policy.enabled("release-age") or _any_match(cfg.exclude, p.name, p.version):
            return
        source = "transparency log"
        when = _accepted_at(r)
        if when is None:
            info = r.version_info
            when, source = (info.published if info else None), "registry publish time"
        if when is None:
            yield from self.undecided(r, "release-age", "publish time (no log time, no packument)")
            return
        age = self.now - _aware(when)
        if age >= timedelta(days=cfg.days):
            return
        days = age.total_seconds() / 86400
        yield from self.finding(
            "release-age",
            r,
            f"{p.spec} is {days:.1f} days old ({source}); the minimum release age is "
            f"{cfg.days:g} days",
            {
                "expected": f">= {cfg.days:g} days",
                "actual": round(days, 2),
                "published": _iso(when),
                "time_source": source,
            },
        )

    # --- global -------------------------------------------------------------------------------

    def attestation_less(self, context: PolicyContext) -> Iterator[Finding]:
        """Once per registry that served neither attestations nor signing keys."""
        for registry, source in context.attestation_less:
            yield from self.finding(
                "registry-no-attestations",
                None,
                f"registry {registry} (configured by {source}) serves no attestations and no "
                "signing keys: every package looks unattested; fetch the evidence from the "
                "origin registry (--attestations-registry URL or [registry] attestations)",
                {"registry": registry, "configured_by": source},
            )

    def coverage(self, results: Sequence[PackageResult]) -> Iterator[Finding]:
        cfg = self.policy.coverage
        registry = [r for r in results if r.package.source is SourceKind.REGISTRY]
        scopes = (
            ("overall", cfg.overall, registry),
            ("production", cfg.production, [r for r in registry if r.package.production]),
            ("development", cfg.development, [r for r in registry if not r.package.production]),
        )
        for scope, minimum, group in scopes:
            if minimum is None or not group:
                continue
            verified = sum(1 for r in group if r.status is Status.VERIFIED)
            ratio = verified / len(group)
            if ratio >= minimum:
                continue
            yield from self.finding(
                "coverage-minimum",
                None,
                f"{scope} provenance coverage {ratio:.1%} ({verified}/{len(group)} registry "
                f"packages) is below the minimum {minimum:.0%}",
                {
                    "scope": scope,
                    "expected": minimum,
                    "actual": round(ratio, 4),
                    "verified": verified,
                    "total": len(group),
                },
            )

    def expired(self, exc: PolicyException) -> Iterator[Finding]:
        expires = exc.expires.isoformat() if exc.expires else None
        for f in self.finding(
            "exception-expired",
            None,
            f"exception[{exc.index}] for {exc.package.spec} ({', '.join(exc.rules)}) "
            f"expired on {expires}; it no longer waives anything",
            {
                "expected": f"expires on or after {self.now.date().isoformat()}",
                "actual": expires,
                "package": exc.package.spec,
                "rules": list(exc.rules),
                "reason": exc.reason,
            },
        ):
            # The finding is about the policy entry; name its package glob.
            yield replace(f, package=exc.package.name.pattern)
