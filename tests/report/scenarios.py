"""Hand-made `Report` values: every format is rendered from these and compared with goldens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from auditor import __version__
from auditor.diff.changes import Change, ChangeKind
from auditor.models import (
    AttestationInfo,
    Finding,
    Identity,
    Level,
    Package,
    PackageResult,
    RegistrySignature,
    Report,
    SignatureStatus,
    SourceKind,
    Status,
    VerificationResult,
    WaivedFinding,
)
from auditor.policy import RuleInfo

LOCKFILE = "package-lock.json"
SLSA = "https://slsa.dev/provenance/v1"
PUBLISH = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
SIGNED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
INTEGRITY = "sha512-" + "A" * 86 + "=="
SIGNED_OK = RegistrySignature(SignatureStatus.VERIFIED, "SHA256:k")


def identity(repo: str, ref: str = "refs/heads/main", workflow: str = "release.yml") -> Identity:
    url = f"https://github.com/{repo}"
    return Identity(
        issuer="https://token.actions.githubusercontent.com",
        source_repository=url,
        repository_id="123456",
        owner_id="654321",
        ref=ref,
        commit="0123456789abcdef0123456789abcdef01234567",
        workflow=f"{url}/.github/workflows/{workflow}@{ref}",
        build_signer=f"{url}/.github/workflows/{workflow}@{ref}",
        runner_environment="github-hosted",
        trigger="push",
        invocation=f"{url}/actions/runs/1/attempts/1",
        visibility="public",
        builder_id="https://github.com/actions/runner/github-hosted",
    )


def package(name: str, version: str, line: int, **kw: object) -> Package:
    source = kw.pop("source", SourceKind.REGISTRY)
    assert isinstance(source, SourceKind)
    integrity = INTEGRITY if source is SourceKind.REGISTRY else None
    return Package(
        name=name,
        version=version,
        source=source,
        integrity=integrity,
        paths=(f"node_modules/{name}",),
        line=line,
        **kw,  # type: ignore[arg-type]
    )


def verified(pkg: Package, repo: str) -> PackageResult:
    atts = (
        AttestationInfo(SLSA, BUNDLE_V03, "dsse", 1000 + pkg.line, SIGNED),
        AttestationInfo(PUBLISH, BUNDLE_V03, "dsse", 2000 + pkg.line, SIGNED, key_id="SHA256:k"),
    )
    ver = VerificationResult(Status.VERIFIED, identity=identity(repo), attestations=atts)
    return PackageResult(pkg, Status.VERIFIED, verification=ver, registry_signature=SIGNED_OK)


def publish_only(pkg: Package) -> PackageResult:
    atts = (AttestationInfo(PUBLISH, BUNDLE_V03, "dsse", 3000 + pkg.line, SIGNED),)
    ver = VerificationResult(Status.PUBLISH_ONLY, attestations=atts)
    return PackageResult(pkg, Status.PUBLISH_ONLY, verification=ver, registry_signature=SIGNED_OK)


def report(results: list[PackageResult], findings: list[Finding], **kw: object) -> Report:
    return Report(
        tool_version=__version__,
        lockfile=LOCKFILE,
        results=tuple(sorted(results, key=lambda r: (r.package.name, r.package.version))),
        findings=tuple(findings),
        generated_at=NOW,
        **kw,  # type: ignore[arg-type]
    )


def all_verified() -> Report:
    return report(
        [
            verified(package("sigstore", "2.3.1", 10, direct=True), "sigstore/sigstore-js"),
            verified(package("@sigstore/bundle", "2.3.2", 20), "sigstore/sigstore-js"),
            verified(package("tuf-js", "2.2.1", 30, dev=True), "theupdateframework/tuf-js"),
        ],
        [],
    )


def mixed() -> Report:
    results = [
        verified(package("sigstore", "2.3.1", 10, direct=True), "sigstore/sigstore-js"),
        publish_only(package("left-pad", "1.3.0", 20, direct=True)),
        PackageResult(
            package("is-odd", "3.0.1", 30, dev=True),
            Status.UNATTESTED,
            "NO_ATTESTATIONS",
            registry_signature=RegistrySignature(
                SignatureStatus.MISSING, None, "SIGNATURE_MISSING", "no dist.signatures"
            ),
        ),
        PackageResult(
            package("my-fork", "1.0.0", 40, source=SourceKind.GIT, direct=True),
            Status.NOT_APPLICABLE,
            "NOT_REGISTRY",
        ),
        PackageResult(
            package("workspace-a", "0.0.0", 50, source=SourceKind.LINK),
            Status.NOT_APPLICABLE,
            "NOT_REGISTRY",
        ),
    ]
    findings = [
        Finding(
            "provenance-required",
            Level.ERROR,
            "left-pad@1.3.0 has no verified provenance (publish-only); the policy requires it "
            "for production dependencies",
            "left-pad",
            "1.3.0",
            20,
            {"expected": "verified provenance", "actual": "publish-only"},
        ),
        Finding(
            "release-age",
            Level.WARNING,
            "is-odd@3.0.1 was published 1.5 days ago; the policy wants 7 days",
            "is-odd",
            "3.0.1",
            30,
            {"expected": ">= 7 days", "actual": 1.5, "published": SIGNED},
        ),
        Finding(
            "coverage-minimum",
            Level.WARNING,
            "production coverage is 50.0%; the policy wants at least 80%",
            evidence={"scope": "production", "expected": 0.8, "actual": 0.5},
        ),
    ]
    waived = WaivedFinding(
        Finding(
            "identity-repository",
            Level.WARNING,
            "is-odd@3.0.1: source repository 'https://github.com/fork/is-odd' is not allowed "
            "by identity[0] (*)",
            "is-odd",
            "3.0.1",
            30,
            {"actual": "https://github.com/fork/is-odd", "policy": "identity[0] (*)"},
        ),
        exception=0,
        reason="fork reviewed by security (SEC-1)",
        expires=date(2027, 6, 30),
    )
    # The policy demoted identity-repository (catalogue 8.0) to a warning: SARIF says Medium.
    levels = {
        "attestation-invalid": Level.ERROR,
        "incomplete": Level.ERROR,
        "provenance-required": Level.ERROR,
        "coverage-minimum": Level.WARNING,
        "identity-repository": Level.WARNING,
        "release-age": Level.WARNING,
    }
    return report(
        results,
        findings,
        policy="policies/recommended.toml",
        waived=(waived,),
        rule_levels=levels,
    )


def invalid() -> Report:
    pkg = package("gundam-visor", "1.0.1", 12, direct=True)
    ver = VerificationResult(
        Status.INVALID,
        reason="DSSE_SIGNATURE",
        message="provenance DSSE signature does not verify with the certificate key",
    )
    results = [
        PackageResult(
            pkg,
            Status.INVALID,
            ver.reason,
            ver.message,
            verification=ver,
            registry_signature=RegistrySignature(
                SignatureStatus.INVALID,
                "SHA256:k",
                "INTEGRITY_MISMATCH",
                "the registry signed integrity 'sha512-B...', the lockfile has 'sha512-A...'",
            ),
        ),
        verified(package("sigstore", "1.0.0", 30), "sigstore/sigstore-js"),
    ]
    findings = [
        Finding(
            "attestation-invalid",
            Level.ERROR,
            "gundam-visor@1.0.1: provenance DSSE signature does not verify (DSSE_SIGNATURE)",
            "gundam-visor",
            "1.0.1",
            12,
            {"reason": "DSSE_SIGNATURE", "detail": ver.message},
        ),
        Finding(
            "registry-signature-invalid",
            Level.ERROR,
            "gundam-visor@1.0.1: the registry signature does not verify (INTEGRITY_MISMATCH)",
            "gundam-visor",
            "1.0.1",
            12,
            {"reason": "INTEGRITY_MISMATCH", "keyid": "SHA256:k"},
        ),
    ]
    return report(results, findings)


def errors() -> Report:
    results = [
        PackageResult(
            package("a-pkg", "1.0.0", 5), Status.ERROR, "FETCH_TIMEOUT", "timed out after 3 tries"
        ),
        PackageResult(
            package("b-pkg", "2.0.0", 15, dev=True), Status.ERROR, "FETCH_HTTP_500", "HTTP 500"
        ),
        verified(package("c-pkg", "3.0.0", 25), "example/c-pkg"),
    ]
    findings = [
        Finding(
            "incomplete",
            Level.ERROR,
            f"{r.package.spec} could not be checked ({r.reason})",
            r.package.name,
            r.package.version,
            r.package.line,
            {"reason": r.reason, "detail": r.message},
        )
        for r in results
        if r.status is Status.ERROR
    ]
    return report(results, findings)


def empty() -> Report:
    return report([], [])


def hostile() -> Report:
    """Strings a hostile lockfile or certificate could carry into a report."""
    name = "@evil/pkg|`x`<script>"
    pkg = package(name, "1.0.0\x1b[31m", 7, direct=True)
    ident = Identity(
        source_repository="https://github.com/evil/repo\u202egpj.exe",
        ref="refs/heads/**bold** [link](javascript:alert(1))",
        workflow="https://github.com/evil/repo/.github/workflows/r.yml@refs/heads/main",
        runner_environment="self-hosted\n| injected | row |",
    )
    ver = VerificationResult(Status.VERIFIED, identity=ident)
    findings = [
        Finding(
            "identity-repository",
            Level.ERROR,
            "built from @someone's repo | <img src=x onerror=alert(1)> \x07 `code` #1 :smile:",
            name,
            pkg.version,
            7,
            {
                "expected": ["github.com/good/*"],
                "actual": ident.source_repository,
                "n": float("nan"),
            },
        )
    ]
    return report([PackageResult(pkg, Status.VERIFIED, verification=ver)], findings)


def many() -> Report:
    """More packages and findings than any format shows, to exercise truncation."""
    results = []
    findings = []
    for i in range(120):
        pkg = package(f"pkg-{i:03d}", "1.0.0", 10 + i * 10, dev=i % 3 == 0)
        results.append(PackageResult(pkg, Status.UNATTESTED, "NO_ATTESTATIONS"))
        findings.append(
            Finding(
                "provenance-required",
                Level.ERROR if i % 2 else Level.WARNING,
                f"{pkg.spec} has no verified provenance; a deliberately long message that must "
                "be wrapped in the text table and still stay readable in one hundred columns",
                pkg.name,
                pkg.version,
                pkg.line,
                {"expected": "verified provenance", "actual": "unattested"},
            )
        )
    return report(results, findings)


def changes() -> Report:
    base = mixed()
    diff = (
        Change(ChangeKind.ADDED, "is-odd", None, "3.0.1", 30),
        Change(
            ChangeKind.UPDATED,
            "sigstore",
            "2.0.0",
            "2.3.1",
            10,
            package("sigstore", "2.0.0", 10),
            package("sigstore", "2.3.1", 10),
        ),
        Change(ChangeKind.REMOVED, "old-thing", "0.1.0", None, None),
    )
    finding = Finding(
        "change-provenance-lost",
        Level.ERROR,
        "left-pad@1.3.0 lost the provenance 1.2.0 had",
        "left-pad",
        "1.3.0",
        20,
        {"expected": "verified", "actual": "publish-only", "base_versions": ["1.2.0"]},
    )
    return Report(
        tool_version=base.tool_version,
        lockfile=base.lockfile,
        results=base.results,
        findings=(finding, *base.findings),
        policy=base.policy,
        changes=diff,
        generated_at=base.generated_at,
        base="origin/main",
    )


def signals() -> Report:
    """The trust signals (issue 18), made by the real rules: a pull request updating axios to
    a version without provenance that adds a new dependency, a re-created repository against
    the identity lock, and a publish burst."""
    from dataclasses import replace
    from datetime import timedelta

    from auditor.diff import diff_lockfiles, evaluate_changes
    from auditor.models import Lockfile, Packument, VersionInfo
    from auditor.policy import PolicyContext, evaluate, parse_policy
    from auditor.signals.identity_lock import record

    def at(days: float) -> datetime:
        return NOW - timedelta(days=days)

    def pk(name: str, *rows: tuple[str, float, dict[str, object]]) -> Packument:
        infos = {v: VersionInfo(v, published=at(d), **kw) for v, d, kw in rows}  # type: ignore[arg-type]
        return Packument(name, infos)

    prov: dict[str, object] = {
        "provenance_advertised": True,
        "attestations_advertised": True,
        "signed": True,
    }
    oidc = {**prov, "trusted_publisher": True, "trusted_publisher_id": "github",
            "publisher": "GitHub Actions"}  # fmt: skip
    token = {"signed": True, "publisher": "jasonsaayman", "publisher_email": "ifstap@proton.me"}
    axios_pk = pk("axios", ("1.14.0", 20, oidc), ("1.14.1", 0.1, token))
    crypto_pk = pk("plain-crypto-js", ("4.2.1", 0.2, {"signed": True, "publisher": "nrwl"}))
    burst_pk = pk("burst", ("3.0.0", 5, prov), ("3.0.1", 4.99, prov), ("3.0.2", 4.98, prov))
    old_axios = package("axios", "1.14.0", 10, direct=True)
    new_axios = package("axios", "1.14.1", 10, direct=True, dependencies=("plain-crypto-js@4.2.1",))
    crypto = package("plain-crypto-js", "4.2.1", 20)
    moved = package("moved", "1.1.0", 30, direct=True)
    burst = package("burst", "3.0.2", 40, direct=True)

    def with_pk(r: PackageResult, packument: Packument) -> PackageResult:
        return PackageResult(
            r.package,
            r.status,
            verification=r.verification,
            packument=packument,
            registry_signature=r.registry_signature,
        )

    def unattested(p: Package, packument: Packument) -> PackageResult:
        return PackageResult(
            p, Status.UNATTESTED, packument=packument, registry_signature=SIGNED_OK
        )

    base_axios = with_pk(verified(old_axios, "axios/axios"), axios_pk)
    base_moved = verified(package("moved", "1.0.0", 30, direct=True), "acme/moved")
    base_burst = verified(package("burst", "3.0.0", 40, direct=True), "acme/burst")
    head = [
        unattested(new_axios, axios_pk),
        unattested(crypto, crypto_pk),
        with_pk(verified(burst, "acme/burst"), burst_pk),
    ]
    re_created = verified(moved, "acme/moved")
    assert re_created.verification is not None and re_created.verification.identity is not None
    ident = re_created.verification.identity
    moved_pk = pk("moved", ("1.0.0", 30, prov), ("1.1.0", 10, prov))
    reborn = VerificationResult(
        Status.VERIFIED,
        identity=replace(ident, repository_id="999999"),
        attestations=re_created.verification.attestations,
    )
    head.append(
        PackageResult(
            moved,
            Status.VERIFIED,
            verification=reborn,
            packument=moved_pk,
            registry_signature=SIGNED_OK,
        )
    )
    policy = parse_policy(
        'version = 1\n[rules]\nchange-new-dependency = "warning"\nchange-new-publisher = '
        '"warning"\n[trust_downgrade]\n[publish_burst]\n[identity_lock]\nfile = "l.json"\n',
        "signals.toml",
    )
    lock = record([base_axios, base_moved, head[2]])
    findings = evaluate(policy, head, PolicyContext(now=NOW, identity_lock=lock))
    base_lock = Lockfile(
        LOCKFILE,
        3,
        "app",
        (old_axios, base_moved.package, base_burst.package),
        graph=True,
    )
    head_lock = Lockfile(LOCKFILE, 3, "app", (new_axios, crypto, moved, burst), graph=True)
    changes = diff_lockfiles(base_lock, head_lock)
    by_spec = {r.package.spec: r for r in head}
    base_results = {r.package.spec: r for r in (base_axios, base_moved, base_burst)}
    findings += evaluate_changes(changes, by_spec, base_results, policy, head=head_lock, now=NOW)
    from auditor.policy import finding_sort_key

    return report(
        head,
        sorted(findings, key=finding_sort_key),
        changes=changes,
        rule_levels=policy.rule_levels(),
        base="origin/main",
    )


SCENARIOS: dict[str, Callable[[], Report]] = {
    "all-verified": all_verified,
    "mixed": mixed,
    "invalid": invalid,
    "errors": errors,
    "empty": empty,
    "hostile": hostile,
    "many": many,
    "changes": changes,
    "signals": signals,
}


def _info(rule_id: str, level: Level, severity: str) -> RuleInfo:
    words = rule_id.replace("-", " ")
    return RuleInfo(
        id=rule_id,
        name="".join(p.capitalize() for p in rule_id.split("-")),
        short_description=f"Test rule {words}",
        full_description=f"The test catalogue's description of {words}.",
        help_text=f"Fix {words}.",
        help_markdown=f"Fix **{words}**.",
        default_level=level,
        security_severity=severity,
        tags=("security", "supply-chain"),
    )


# A fixed catalogue for the SARIF goldens, so policy wording changes do not churn them;
# the real catalogue is checked by test_sarif without goldens.
TEST_RULES: dict[str, RuleInfo] = {
    r.id: r
    for r in (
        _info("attestation-invalid", Level.ERROR, "9.5"),
        _info("incomplete", Level.ERROR, "5.0"),
        _info("provenance-required", Level.ERROR, "6.0"),
        _info("coverage-minimum", Level.WARNING, "4.0"),
        _info("identity-repository", Level.ERROR, "8.0"),
        _info("release-age", Level.WARNING, "5.5"),
    )
}
