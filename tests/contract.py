"""Public names that acceptance tests and users rely on: extend, never rename."""

# Stable rule ids: SARIF ruleId, JSON findings[].rule, policy [rules] keys.
STABLE_RULE_IDS = frozenset(
    {
        "attestation-invalid",
        "provenance-stripped",
        "registry-signature-invalid",
        "registry-signature-missing",
        "incomplete",
        "provenance-required",
        "coverage-minimum",
        "identity-repository",
        "identity-repository-id",
        "identity-issuer",
        "identity-workflow",
        "identity-ref",
        "identity-trigger",
        "identity-runner",
        "identity-builder",
        "trust-downgrade",
        "release-age",
        "source-non-registry",
        "source-registry-mismatch",
        "integrity-missing",
        "integrity-weak",
        "install-script",
        "exception-expired",
        "change-provenance-lost",
        "change-repository",
        "change-workflow",
        "change-install-script",
        "change-source",
        "change-audit-config",
        "registry-no-attestations",
    }
)
