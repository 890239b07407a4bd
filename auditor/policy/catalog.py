"""The catalogue of stable rule ids: what each rule means, how to fix it, which key controls it.

SARIF builds its `tool.driver.rules` from `RULES`; reports and diff mode use the same ids.
Ids are a public contract: never rename one, only add.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.models import Level

__all__ = ["ALWAYS_ON_RULES", "INCOMPLETE_RULES", "RULES", "UNWAIVABLE_RULES", "RuleInfo"]


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """One policy rule, as SARIF and `audit policy explain` describe it.

    `default_level` is the level the rule gets when a policy configures its check without
    naming a level in `[rules]` (never `off`; the built-in default policy turns most rules
    off, see `default_policy`).
    """

    id: str
    name: str  # PascalCase identifier (SARIF `name`)
    short_description: str
    full_description: str
    help_text: str
    help_markdown: str  # remediation plus the policy key that controls the rule
    default_level: Level
    security_severity: str  # SARIF `properties.security-severity` (0.0 to 10.0)
    tags: tuple[str, ...]
    always_on: bool = False


def _rule(
    rule_id: str,
    short: str,
    full: str,
    fix: str,
    key: str,
    *,
    level: Level = Level.ERROR,
    severity: str,
    tags: tuple[str, ...] = (),
    always_on: bool = False,
) -> RuleInfo:
    name = "".join(part.capitalize() for part in rule_id.split("-"))
    control = (
        "Always on: no policy key can disable or waive it."
        if always_on
        else f"Controlled by `{key}` (level in `[rules]` `{rule_id}`)."
    )
    return RuleInfo(
        id=rule_id,
        name=name,
        short_description=short,
        full_description=full,
        help_text=f"{fix} {control.replace('`', '')}",
        help_markdown=f"{fix}\n\n{control}",
        default_level=level,
        security_severity=severity,
        tags=("security", "supply-chain", *tags),
        always_on=always_on,
    )


_ALL: tuple[RuleInfo, ...] = (
    # --- verification (always on) ---
    _rule(
        "attestation-invalid",
        "Attestations are present but do not verify",
        "The registry served attestations for this version, but a signature, certificate, "
        "transparency-log entry or the binding to the lockfile integrity failed to verify. "
        "This is what tampering (a forged bundle, a swapped tarball, a mirror serving other "
        "bytes) looks like.",
        "Do not install this version. Compare the lockfile integrity with the registry, "
        "re-resolve from a trusted registry and report the package if the failure persists.",
        "",
        severity="9.5",
        tags=("tampering",),
        always_on=True,
    ),
    _rule(
        "provenance-stripped",
        "The registry advertised provenance it did not serve",
        "The packument says this version has a provenance attestation, but the attestations "
        "response lacked it. A mirror or proxy that strips attestations would hide a "
        "tampered or re-published version.",
        "Fetch the attestations directly from the origin registry; do not install the "
        "version until its provenance verifies.",
        "",
        severity="9.0",
        tags=("tampering",),
        always_on=True,
    ),
    _rule(
        "registry-signature-invalid",
        "The registry signature does not verify",
        "The version's registry signature (dist.signatures, ECDSA P-256 over "
        "<name>@<version>:<integrity>) names an unknown or expired key, does not verify, or "
        "signs another integrity than the lockfile's. The registry did not accept these "
        "bytes under this name and version: a mirror, proxy or cache is serving something else, "
        "or the lockfile was edited.",
        "Do not install this version. Compare the lockfile integrity with the registry's, "
        "re-resolve from a trusted registry, and refresh the pinned keys if a new key is in use.",
        "",
        severity="9.5",
        tags=("tampering", "signature"),
        always_on=True,
    ),
    _rule(
        "registry-signature-missing",
        "The registry served no signature for this version",
        "The version carries no registry signature although its registry signs packages "
        "(other packages from it carry dist.signatures). A registry that signs every version "
        "does not drop one: stripping the signature hides a version the registry never "
        "accepted. Registries that sign nothing (many mirrors and private registries) are "
        "exempt, and the report says so.",
        "Fetch the version from the origin registry and compare; do not install it until its "
        "registry signature verifies.",
        "[rules] registry-signature-missing",
        severity="7.5",
        tags=("signature",),
    ),
    _rule(
        "incomplete",
        "The package could not be fetched or decided",
        "The audit could not decide this package: its attestations or registry metadata "
        "could not be fetched or decoded, or a check lacked the data it needs (for example "
        "a publish time). An incomplete audit is not a pass; at level error it makes the "
        "exit code 3.",
        "Re-run when the registry is reachable, or record the responses with `audit fetch` "
        "and audit with `--offline`.",
        "[rules] incomplete",
        severity="5.0",
        tags=("availability",),
    ),
    # --- required provenance ---
    _rule(
        "provenance-required",
        "Provenance is required but was not verified",
        "The policy requires verified build provenance for this package (all packages, "
        "production or direct dependencies, a package glob, or an identity rule with "
        "require_provenance), and the version has none.",
        "Ask the maintainers to publish with provenance (trusted publishing), pin an "
        "earlier version that has it, or add a dated [[exception]] with a reason.",
        "[provenance] require / packages / exclude",
        severity="6.0",
        tags=("provenance",),
    ),
    _rule(
        "registry-no-attestations",
        "The registry serves no attestations and no signing keys",
        "The registry this audit talked to has no signing keys endpoint (/-/npm/v1/keys) and "
        "not one audited package with attestations or signatures. Many mirrors and proxies "
        "do not serve the attestations endpoint and strip dist.attestations and "
        "dist.signatures: every package then looks unattested, and tampering would go "
        "unnoticed.",
        "Fetch the evidence from the origin registry while installing through the mirror: "
        "--attestations-registry URL, or [registry] attestations in the policy.",
        "[registry] attestations",
        severity="7.0",
        tags=("provenance", "configuration"),
    ),
    _rule(
        "coverage-minimum",
        "Provenance coverage is below the minimum",
        "The share of registry packages with verified provenance is below the threshold "
        "the policy sets (overall, production or development dependencies).",
        "Replace unattested dependencies, or lower the threshold while the ecosystem catches up.",
        "[coverage] overall / production / development",
        level=Level.WARNING,
        severity="4.0",
        tags=("provenance",),
    ),
    # --- identity ---
    _rule(
        "identity-repository",
        "Built from a repository the policy does not allow",
        "The Source Repository URI in the signing certificate does not match any repository "
        "glob the identity rule allows. A stolen publish token used from the attacker's own "
        "CI produces valid provenance naming the attacker's repository.",
        "Check who published this version and from where; if the project moved, update "
        "the allowed repositories.",
        "[[identity]] repositories",
        severity="8.5",
        tags=("identity",),
    ),
    _rule(
        "identity-repository-id",
        "Repository or owner id differs from the pinned id",
        "The numeric repository id or owner id in the certificate differs from the pinned "
        "value. Repositories can be deleted and re-registered under the same name; the "
        "numeric id cannot be reused.",
        "Treat as a takeover until proven otherwise; update the pin only after confirming "
        "the repository was legitimately recreated or transferred.",
        "[[identity]] repository_ids / owner_ids",
        severity="8.5",
        tags=("identity",),
    ),
    _rule(
        "identity-issuer",
        "Signed by an OIDC issuer the policy does not allow",
        "The OIDC issuer in the certificate (the CI system that vouched for the build) is "
        "not in the allowed list.",
        "Confirm the package's CI system and add its issuer if legitimate.",
        "[[identity]] issuers",
        severity="8.0",
        tags=("identity",),
    ),
    _rule(
        "identity-workflow",
        "Built by a workflow the policy does not allow",
        "The top-level workflow path (certificate Build Config URI) does not match the "
        "allowed workflow paths.",
        "Check why a different workflow published this version; update the allowed paths "
        "if the release workflow was renamed.",
        "[[identity]] workflows",
        severity="7.0",
        tags=("identity",),
    ),
    _rule(
        "identity-ref",
        "Built from a git ref the policy does not allow",
        "The source ref in the certificate does not match the allowed ref globs (for "
        "example only release tags `refs/tags/v*`).",
        "Check why the release came from another branch or tag.",
        "[[identity]] refs",
        severity="6.5",
        tags=("identity",),
    ),
    _rule(
        "identity-trigger",
        "Built by a workflow trigger the policy does not allow",
        "The event that triggered the publishing workflow is not allowed or is denied. "
        "`pull_request_target` and `issue_comment` let outsiders run code with the "
        "repository's secrets and caused real publish compromises.",
        "Publish only from push, release or workflow_dispatch events.",
        "[[identity]] triggers / deny_triggers",
        severity="7.5",
        tags=("identity",),
    ),
    _rule(
        "identity-runner",
        "Built on a runner environment the policy does not allow",
        "The runner environment in the certificate is not allowed (for example a "
        "self-hosted runner where only GitHub-hosted runners are expected). Self-hosted "
        "runners have been abused as command-and-control by worms.",
        "Publish from hosted runners, or allow the runner environment explicitly.",
        "[[identity]] runners",
        severity="7.0",
        tags=("identity",),
    ),
    _rule(
        "identity-builder",
        "Built by a builder the policy does not trust",
        "The build platform (named builder or SLSA builder id) is not among the trusted "
        "builders of the identity rule.",
        "Add the builder if it is legitimate.",
        "[[identity]] builders",
        severity="7.0",
        tags=("identity",),
    ),
    # --- history ---
    _rule(
        "trust-downgrade",
        "Weaker evidence than earlier versions (possible takeover)",
        "This version's evidence (none < publish-only < provenance < trusted publisher; "
        "verified for this version, registry claims for earlier ones) is weaker than that "
        "of a version published earlier. Token-based re-publishes after a compromise look "
        "exactly like this.",
        "Check the maintainers' announcements before installing; pin the last version "
        "with strong evidence, or exclude the package with a reason.",
        "[trust_downgrade] ignore_after / exclude",
        severity="8.0",
        tags=("history",),
    ),
    _rule(
        "release-age",
        "Version is younger than the minimum release age",
        "The version was published more recently than the cooldown allows. Every recent "
        "npm compromise was caught and removed within hours to days; a cooldown keeps "
        "fresh malicious versions out.",
        "Wait until the version is old enough, or pin an older version; add a dated "
        "[[exception]] for urgent security fixes.",
        "[release_age] days / exclude",
        severity="5.5",
        tags=("freshness",),
    ),
    # --- source hygiene ---
    _rule(
        "source-non-registry",
        "Dependency does not come from a registry",
        "A git, remote-tarball or file dependency cannot carry registry provenance and "
        "bypasses registry review; attackers have used git dependencies on orphan commits.",
        "Depend on a registry release, or allow the dependency explicitly.",
        "[source] allow_packages / allow_resolved",
        severity="6.0",
        tags=("source",),
    ),
    _rule(
        "source-registry-mismatch",
        "Lockfile resolves the package from another registry",
        "npm installs the lockfile's `resolved` URL as written, and it is not this package's "
        "registry tarball: it points outside the configured registries, at another "
        "package's tarball under one, or (while every dependent asks for a registry "
        "version) at a git, file or remote source. What is installed is not what was "
        "audited (lockfile injection).",
        "Re-resolve the lockfile against the configured registry, or add the mirror.",
        "[source] registries",
        severity="7.5",
        tags=("source",),
    ),
    _rule(
        "integrity-missing",
        "Lockfile entry has no usable integrity",
        "Read as npm reads it, the lockfile integrity does not pin this package to one sha512: "
        "it is missing, npm recognises no hash in it (an unknown or upper-case algorithm: npm "
        "then checks nothing), npm would check only a weaker algorithm, a digest is malformed, "
        "or npm would accept any of several different sha512 hashes. The installed bytes are "
        "not pinned and cannot be bound to an attestation (reason code in the evidence).",
        "Regenerate the lockfile with a current npm.",
        "[rules] integrity-missing",
        severity="6.5",
        tags=("integrity",),
    ),
    _rule(
        "integrity-weak",
        "Lockfile integrity is sha1 only",
        "Only a sha1 integrity is recorded; sha1 is broken for collision resistance and "
        "cannot be bound to the sha512 attestation subject.",
        "Regenerate the lockfile so it records sha512 integrity.",
        "[rules] integrity-weak",
        level=Level.WARNING,
        severity="5.0",
        tags=("integrity",),
    ),
    _rule(
        "install-script",
        "Package runs an install script",
        "The package declares preinstall/install/postinstall scripts (hasInstallScript), "
        "the usual way npm worms execute on install.",
        "Review the script, install with --ignore-scripts, or allow the package.",
        "[install_script] allow",
        level=Level.WARNING,
        severity="5.5",
        tags=("behaviour",),
    ),
    # --- policy hygiene ---
    _rule(
        "exception-expired",
        "A policy exception has expired",
        "An [[exception]] passed its expires date. It no longer waives anything; the "
        "findings it waived are reported again.",
        "Remove the exception, or renew it with a new date and reason after review.",
        "[[exception]] expires",
        level=Level.WARNING,
        severity="3.0",
        tags=("policy",),
    ),
    # --- pull-request (base lockfile) diff mode ---
    _rule(
        "change-provenance-lost",
        "Changed version lost the provenance the base version had",
        "Against the base lockfile, the package moved to a version without verified "
        "provenance although the base version had it.",
        "Keep the base version until the maintainers explain the change.",
        "[rules] change-provenance-lost",
        severity="8.0",
        tags=("diff",),
    ),
    _rule(
        "change-repository",
        "Changed version was built from another repository",
        "Against the base lockfile, the verified source repository of the package changed.",
        "Confirm the project moved before accepting the update.",
        "[rules] change-repository",
        severity="8.0",
        tags=("diff",),
    ),
    _rule(
        "change-workflow",
        "Changed version was built by another workflow",
        "Against the base lockfile, the verified top-level workflow path changed.",
        "Confirm the release workflow changed legitimately.",
        "[rules] change-workflow",
        level=Level.WARNING,
        severity="6.0",
        tags=("diff",),
    ),
    _rule(
        "change-install-script",
        "Changed version gained an install script",
        "Against the base lockfile, the package now declares install scripts that the base "
        "version did not.",
        "Review the new script before accepting the update.",
        "[rules] change-install-script",
        severity="7.0",
        tags=("diff",),
    ),
    _rule(
        "change-source",
        "Changed dependency comes from another kind of source",
        "Against the base lockfile, the package's source kind changed (for example from "
        "the registry to a git or tarball URL).",
        "Keep registry dependencies on the registry.",
        "[rules] change-source",
        severity="7.0",
        tags=("diff",),
    ),
    _rule(
        "change-audit-config",
        "The pull request changes the audit's own configuration",
        "In pull-request mode the audit reads its configuration files that live in the "
        "repository (the .npmrc registry configuration, the policy file, the trusted root "
        "and npm keys files) at the base ref, so the pull request cannot weaken the audit "
        "of its own changes. This pull request adds, edits or deletes one of them: the "
        "change takes effect only after it is merged.",
        "Review the configuration change on its own (a registry pointed elsewhere, a rule "
        "turned off, a key added) before merging; the finding names the file.",
        "[rules] change-audit-config",
        severity="8.0",
        tags=("diff", "policy"),
    ),
)

RULES: dict[str, RuleInfo] = {r.id: r for r in _ALL}

# Rules whose ERROR-level findings make the audit incomplete (exit code 3).
INCOMPLETE_RULES: frozenset[str] = frozenset({"incomplete"})

# Tampering signals: level fixed at error, never waivable.
ALWAYS_ON_RULES: frozenset[str] = frozenset(r.id for r in _ALL if r.always_on)

# Rules an [[exception]] may not name: tampering, the expiry meta-rule, and the global
# rules (they have no package to match).
UNWAIVABLE_RULES: frozenset[str] = ALWAYS_ON_RULES | {
    "exception-expired",
    "coverage-minimum",
    "change-audit-config",  # names a file, not a package
}
