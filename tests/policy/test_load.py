"""Loading and validating policies: every error names the file, the key path and a fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import PolicyError
from auditor.models import Level
from auditor.policy import RULES, default_policy, explain_policy, load_policy, parse_policy

EXC_A1 = "version = 1\n[[exception]]\npackage = 'a@1'\n"
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "policies").glob("*.toml"))


def error(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "p.toml")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("p.toml: ")
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "version: missing"),
        ("version = 2", "version: unsupported policy version 2"),
        ('version = "1"', "unsupported policy version '1'"),
        ("version = 1\nrule = 1", "rule: unknown key; did you mean 'rules'?"),
        ("version = 1\n[provenanse]", "provenanse: unknown key; did you mean 'provenance'?"),
        ("version = 1\n[provenance]\nrequire = 'prod'", "provenance.require: unknown scope 'prod'"),
        ("version = 1\n[provenance]\nrequired = 'all'", "did you mean 'require'?"),
        ("version = 1\n[provenance]\npackages = 'a'", "provenance.packages: expected an array"),
        ("version = 1\n[provenance]\npackages = [1]", "provenance.packages[0]: expected a string"),
        ("version = 1\n[provenance]\npackages = ['a[b]']", "unsupported character '['"),
        ("version = 1\n[provenance]\nexclude = ['']", "provenance.exclude[0]: must not be empty"),
        (
            "version = 1\n[rules]\nrelese-age = 'error'",
            "rules.relese-age: unknown key; did you mean 'release-age'?",
        ),
        (
            "version = 1\n[rules]\nrelease-age = 'warn'",
            "rules.release-age: unknown level 'warn'; did you mean 'warning'?",
        ),
        ("version = 1\n[rules]\nrelease-age = true", "expected a string, got a boolean"),
        ("version = 1\n[rules]\nprovenance-stripped = 'warning'", "always-on rule"),
        (
            "version = 1\n[coverage]\noverall = 80",
            "coverage.overall: must be between 0 and 1, got 80",
        ),
        ("version = 1\n[coverage]\noverall = true", "expected a number, got a boolean"),
        ("version = 1\n[coverage]\noverall = nan", "must be between 0 and 1"),
        ("version = 1\n[release_age]\n", "release_age.days: missing"),
        ("version = 1\n[release_age]\ndays = -1", "release_age.days: must be between 0 and 3650"),
        (
            "version = 1\n[trust_downgrade]\nignore_after = inf",
            "trust_downgrade.ignore_after: must be",
        ),
        (
            "version = 1\n[trust_downgrade]\nexclude = ['x@not a range!']",
            "invalid npm semver range",
        ),
        ("version = 1\nidentity = 1", "identity: expected [[identity]] blocks"),
        ("version = 1\n[[identity]]\nrefs = ['x']", "identity[0].packages: missing"),
        (
            "version = 1\n[[identity]]\npackages = []\nrefs = ['x']",
            "identity[0].packages: must name",
        ),
        ("version = 1\n[[identity]]\npackages = ['*']", "identity[0]: checks nothing"),
        (
            "version = 1\n[[identity]]\npackages = ['*']\nrepos = ['x']",
            "identity[0].repos: unknown key; did you mean 'repositories'?",
        ),
        (
            "version = 1\n[[identity]]\npackages = ['*']\nrepositories = []",
            "identity[0].repositories: must not be empty",
        ),
        (
            "version = 1\n[[identity]]\npackages = ['*']\nrefs = ['refs/***']",
            "identity[0].refs[0]: bad glob",
        ),
        (
            "version = 1\n[[identity]]\npackages = ['*']\nrepository_ids = ['12a']",
            "identity[0].repository_ids[0]: expected a numeric id",
        ),
        (
            "version = 1\n[[identity]]\npackages = ['*']\nowner_ids = [-1]",
            "identity[0].owner_ids[0]: expected a numeric id",
        ),
        (
            "version = 1\n[[identity]]\npackages = ['*']\ndeny_triggers = ['pull_request_targt']",
            "did you mean 'pull_request_target'?",
        ),
        (
            "version = 1\n[[identity]]\npackages = ['*']\nrunners = ['github_hosted']",
            "did you mean 'github-hosted'?",
        ),
        (
            "version = 1\n[[identity]]\npackages = ['*']\nbuilders = ['github-hostd']",
            "unknown builder 'github-hostd'; did you mean 'github-hosted'?",
        ),
        (
            "version = 1\n[[identity]]\npackages = ['*']\nrequire_provenance = 'yes'",
            "expected true or false",
        ),
        (
            "version = 1\n[source]\nregistries = ['ftp://x']",
            "source.registries[0]: expected an http(s) registry base URL",
        ),
        (
            "version = 1\n[source]\nallow_resolved = ['git+{a,b}']",
            "source.allow_resolved[0]: bad glob",
        ),
        ("version = 1\n[install_script]\nallowed = []", "did you mean 'allow'?"),
        (
            "version = 1\n[[exception]]\nrules = ['release-age']\nreason = 'r'",
            "exception[0].package: missing",
        ),
        (
            "version = 1\n[[exception]]\npackage = 'a'\nrules = ['release-age']\nreason = 'r'",
            "needs a version range",
        ),
        (
            "version = 1\n[[exception]]\npackage = 'a@'\nrules = ['release-age']\nreason = 'r'",
            "empty version range",
        ),
        (
            "version = 1\n[[exception]]\npackage = 'a@>>1'\nrules = ['release-age']\nreason = 'r'",
            "invalid npm semver range '>>1'",
        ),
        (
            EXC_A1 + "rules = ['relase-age']\nreason = 'r'",
            "exception[0].rules[0]: unknown rule 'relase-age'; did you mean 'release-age'?",
        ),
        (
            EXC_A1 + "rules = ['attestation-invalid']\nreason = 'r'",
            "rule 'attestation-invalid' cannot be waived",
        ),
        (
            EXC_A1 + "rules = ['coverage-minimum']\nreason = 'r'",
            "cannot be waived",
        ),
        (
            EXC_A1 + "rules = []\nreason = 'r'",
            "must name at least one rule",
        ),
        (
            EXC_A1 + "rules = ['release-age']",
            "exception[0].reason: missing",
        ),
        (
            EXC_A1 + "rules = ['release-age']\nreason = ' '",
            "exception[0].reason: must not be empty",
        ),
        (
            EXC_A1 + "rules = ['release-age']\nreason = 'r'\nexpires = '2026-01-01'",
            "exception[0].expires: expected a date",
        ),
        (
            EXC_A1 + "rules = ['release-age']\nreason = 'r'\nexpires = 2026-01-01T00:00:00Z",
            "expected a date",
        ),
        ("version = [", "invalid TOML"),
        ("version = 1\n" + "a = " + "[" * 5000 + "]" * 5000, "p.toml: "),
    ],
)
def test_validation_errors(text: str, expected: str) -> None:
    assert expected in error(text)


def test_minimal_policy_is_the_default_with_a_source() -> None:
    policy = parse_policy("version = 1\n", "p.toml")
    assert policy.levels == default_policy().levels
    assert policy.source == "p.toml"
    assert "\n" not in policy.summary()


def test_configured_sections_enable_their_rules_and_rules_table_overrides() -> None:
    policy = parse_policy(
        'version = 1\n[rules]\nrelease-age = "off"\ninstall-script = "error"\n'
        "[release_age]\ndays = 2\n[trust_downgrade]\n[install_script]\n"
        '[[identity]]\npackages = ["*"]\nrefs = ["refs/tags/*"]\nrequire_provenance = false\n',
        "p.toml",
    )
    assert policy.level("release-age") is Level.OFF
    assert policy.level("trust-downgrade") is Level.ERROR
    assert policy.level("install-script") is Level.ERROR
    assert policy.level("identity-ref") is Level.ERROR
    assert policy.level("identity-repository") is Level.OFF
    assert policy.level("provenance-required") is Level.OFF
    assert policy.needs_packuments


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("", False),
        ("[release_age]\ndays = 1", True),
        ("[trust_downgrade]", True),
        ('[rules]\ntrust-downgrade = "warning"', True),
        ('[trust_downgrade]\n[rules]\ntrust-downgrade = "off"', False),
        ('[provenance]\nrequire = "all"\n[coverage]\noverall = 1.0', False),
    ],
)
def test_needs_packuments(text: str, needs: bool) -> None:
    assert parse_policy("version = 1\n" + text, "p.toml").needs_packuments is needs


def test_load_policy_file_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(tmp_path / "missing.toml")
    (tmp_path / "bin.toml").write_bytes(b"version = 1\n# \xff\xfe\n")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(tmp_path / "bin.toml")
    (tmp_path / "big.toml").write_bytes(b"version = 1\n" + b"#" * (1 << 20))
    with pytest.raises(PolicyError, match="larger than"):
        load_policy(tmp_path / "big.toml")
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(tmp_path)  # a directory


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_policies_load_and_explain_round_trips(path: Path) -> None:
    policy = load_policy(path)
    text = explain_policy(policy)
    again = parse_policy(text, "explained.toml")
    assert {r: again.level(r) for r in RULES} == {r: policy.level(r) for r in RULES}
    assert again.identity == policy.identity
    assert again.exceptions == policy.exceptions
    assert again.provenance == policy.provenance
    assert again.trust_downgrade == policy.trust_downgrade
    assert again.release_age == policy.release_age
    assert again.source_hygiene == policy.source_hygiene
    data = json.loads(explain_policy(policy, "json"))
    assert set(data["rules"]) == set(RULES)
    assert data["needs_packuments"] is policy.needs_packuments


def test_shipped_policy_set() -> None:
    names = {p.name for p in SHIPPED}
    assert {"baseline.toml", "recommended.toml", "strict.toml", "org-example.toml"} <= names
    baseline = load_policy(ROOT / "policies" / "baseline.toml")
    failing = {r for r in RULES if baseline.level(r) is Level.ERROR}
    # report only
    assert failing == {"attestation-invalid", "provenance-stripped", "registry-signature-invalid"}
    for shipped in ("recommended.toml", "strict.toml"):
        level = load_policy(ROOT / "policies" / shipped).level("registry-signature-missing")
        assert level is Level.ERROR
    org = load_policy(ROOT / "policies" / "org-example.toml")
    acme = org.identity[0]
    assert acme.repository_ids and acme.owner_ids and acme.require_provenance


def test_explain_default_and_bad_format() -> None:
    text = explain_policy(default_policy())
    assert text.endswith("\n") and "built-in default policy" in text
    assert parse_policy(text, "x").levels == default_policy().levels
    with pytest.raises(Exception, match="unknown explain format"):
        explain_policy(default_policy(), "yaml")


def test_explain_escapes_strings() -> None:
    policy = parse_policy(
        'version = 1\n[[exception]]\npackage = "a@1"\nrules = ["release-age"]\n'
        'reason = "quote \\" back\\\\slash \\u0001 \\u00e9 \\U0001F600"\n',
        "p.toml",
    )
    again = parse_policy(explain_policy(policy), "x")
    assert again.exceptions[0].reason == policy.exceptions[0].reason


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_gives_policy_or_policy_error(text: str) -> None:
    try:
        parse_policy(text, "fuzz.toml")
    except PolicyError as exc:
        assert "\n" not in str(exc)


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(
        [
            "rules",
            "provenance",
            "coverage",
            "identity",
            "trust_downgrade",
            "release_age",
            "source",
            "install_script",
            "exception",
        ]
    ),
    _VALUES,
)
def test_arbitrary_section_values_give_policy_or_policy_error(section: str, value: object) -> None:
    # Bypass TOML to reach the validator with every shape of value.
    from auditor.policy.load import _Loader

    try:
        _Loader("fuzz.toml").load({"version": 1, section: value})
    except PolicyError as exc:
        assert "\n" not in str(exc)
