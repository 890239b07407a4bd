"""The shipped policies fail on every lockfile entry npm would not pin to the audited bytes.

Each test takes the attacker's side: craft the lockfile field npm reads differently from a
naive reader and check that `recommended` and `strict` still fail (docs/lockfile.md).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.models import Finding, Level, PackageResult, SourceKind, Status, check_integrity
from auditor.policy import PolicyContext, evaluate, load_policy
from tests.policy._helpers import NOW, REGISTRY, identity, result, run, verified

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("recommended.toml", "strict.toml")


def sri(data: bytes, alg: str = "sha512") -> str:
    return f"{alg}-" + base64.b64encode(hashlib.new(alg, data).digest()).decode()


GOOD, EVIL = sri(b"good"), sri(b"evil")

# Integrity values npm would not pin to one sha512: (value, reason code).
UNPINNED = [
    (EVIL.replace("sha512", "SHA512"), "INTEGRITY_UNCHECKED"),
    ("sha3-512-" + EVIL[7:], "INTEGRITY_UNCHECKED"),
    (sri(b"evil", "sha1"), "WEAK_INTEGRITY"),
    (sri(b"evil", "sha256"), "WEAK_INTEGRITY"),
    ("sha512-!!notbase64", "INTEGRITY_MALFORMED"),
    (GOOD.rstrip("="), "INTEGRITY_MALFORMED"),
    (f"{GOOD} {EVIL}", "INTEGRITY_AMBIGUOUS"),
    ("", "MISSING_INTEGRITY"),
    (None, "MISSING_INTEGRITY"),
]


def _with_integrity(r: PackageResult, value: str | None) -> PackageResult:
    check = check_integrity(value)
    package = replace(
        r.package,
        integrity=value,
        hashes=check.hashes,
        integrity_reason=check.reason,
        integrity_problem=check.problem if value is not None else None,
    )
    return replace(r, package=package)


def _errors(policy_file: str, *results: PackageResult) -> list[Finding]:
    policy = load_policy(ROOT / "policies" / policy_file)
    context = PolicyContext(now=NOW, registries=(REGISTRY,))
    return [f for f in evaluate(policy, list(results), context) if f.level is Level.ERROR]


@pytest.mark.parametrize("policy_file", SHIPPED)
@pytest.mark.parametrize(("value", "reason"), UNPINNED)
@pytest.mark.parametrize("status", [Status.UNATTESTED, Status.PUBLISH_ONLY, Status.INVALID])
def test_unpinned_integrity_fails_shipped_policies(
    policy_file: str, value: str | None, reason: str, status: Status
) -> None:
    r = _with_integrity(result(status, name="dep"), value)
    assert r.package.sha512 is None
    errors = _errors(policy_file, r)
    missing = [f for f in errors if f.rule == "integrity-missing"]
    assert missing, (policy_file, value)
    assert missing[0].evidence["reason"] == reason


@pytest.mark.parametrize("policy_file", SHIPPED)
def test_pinned_integrity_is_not_flagged(policy_file: str) -> None:
    for value in (GOOD, f"{GOOD} {sri(b'evil', 'sha1')}", f"{GOOD} {EVIL.upper()}"):
        r = _with_integrity(verified(name="dep"), value)
        assert r.package.sha512 == hashlib.sha512(b"good").digest()
        assert not [f for f in _errors(policy_file, r) if f.rule.startswith("integrity")]


@pytest.mark.parametrize("policy_file", SHIPPED)
@pytest.mark.parametrize(
    ("resolved", "source"),
    [
        (f"{REGISTRY}@attacker/dep/-/dep-1.0.0.tgz", SourceKind.REMOTE),
        (f"{REGISTRY}@attacker%2fdep/-/dep-1.0.0.tgz", SourceKind.REMOTE),
        (f"{REGISTRY}dep/-/dep-1.0.0.tgz?x", SourceKind.REMOTE),
        (f"{REGISTRY}other/-/other-1.0.0.tgz", SourceKind.REMOTE),
        (f"{REGISTRY}extra/dep/-/dep-1.0.0.tgz", SourceKind.REGISTRY),
        ("https://elsewhere.example/dep/-/dep-1.0.0.tgz", SourceKind.REGISTRY),
    ],
)
def test_resolved_at_another_path_fails_shipped_policies(
    policy_file: str, resolved: str, source: SourceKind
) -> None:
    """Attacker: point `resolved` at another package's tarball (npm fetches it as written)."""
    for r in (
        result(Status.NOT_APPLICABLE, name="dep", resolved=resolved, source=source),
        verified(name="dep", resolved=resolved, source=source),
    ):
        rules = [f.rule for f in _errors(policy_file, r)]
        assert "source-registry-mismatch" in rules, (policy_file, resolved)


@pytest.mark.parametrize("policy_file", SHIPPED)
def test_own_tarball_under_the_registry_is_not_flagged(policy_file: str) -> None:
    for resolved in (f"{REGISTRY}dep/-/dep-1.0.0.tgz", None):
        r = verified(name="dep", resolved=resolved)
        assert "source-registry-mismatch" not in [f.rule for f in _errors(policy_file, r)]
    scoped = verified(name="@s/dep", resolved=f"{REGISTRY}@s%2fdep/-/dep-1.0.0.tgz")
    assert "source-registry-mismatch" not in [f.rule for f in _errors(policy_file, scoped)]


ALIAS_POLICY = """
[rules]
identity-repository = "error"
provenance-required = "error"
install-script = "error"

[[identity]]
packages = ["lodash"]
repositories = ["https://github.com/lodash/lodash"]
require_provenance = true

[install_script]
allow = ["esbuild"]
"""


def test_alias_cannot_escape_a_pin_on_its_install_name() -> None:
    """Attacker: install `evil-lodash` as `node_modules/lodash` (an npm alias)."""
    evil_repo = identity("https://github.com/evil/lodash")
    aliased = verified(name="evil-lodash", ident=evil_repo, aliases=("lodash",))
    [f] = [f for f in run(ALIAS_POLICY, aliased) if f.rule == "identity-repository"]
    assert f.level is Level.ERROR and f.package == "evil-lodash"
    assert f.evidence["matched"] == {"name": "lodash", "as": "install name"}
    assert "install name 'lodash'" in f.message
    unattested = result(Status.UNATTESTED, name="evil-lodash", aliases=("lodash",))
    [req] = [f for f in run(ALIAS_POLICY, unattested) if f.rule == "provenance-required"]
    assert "install name 'lodash'" in req.message


def test_real_name_still_selects_an_alias() -> None:
    """`node_modules/x` installing `lodash`: the lodash block applies by its real name."""
    good = identity("https://github.com/lodash/lodash")
    assert not run(ALIAS_POLICY, verified(name="lodash", ident=good, aliases=("x",)))
    evil = identity("https://github.com/evil/lodash")
    [f] = run(ALIAS_POLICY, verified(name="lodash", ident=evil, aliases=("x",)))
    assert f.evidence["matched"] == {"name": "lodash", "as": "real name"}


def test_alias_cannot_borrow_an_exemption_of_its_install_name() -> None:
    """Attacker: install a package with an install script as `node_modules/esbuild`."""
    aliased = verified(name="evil", aliases=("esbuild",), has_install_script=True)
    assert "install-script" in [f.rule for f in run(ALIAS_POLICY, aliased)]
    real = verified(name="esbuild", has_install_script=True)
    assert "install-script" not in [f.rule for f in run(ALIAS_POLICY, real)]


@pytest.mark.parametrize("policy_file", SHIPPED)
@pytest.mark.parametrize("source", [SourceKind.REMOTE, SourceKind.GIT, SourceKind.FILE])
def test_registry_spec_installed_from_elsewhere_fails_shipped_policies(
    policy_file: str, source: SourceKind
) -> None:
    """Attacker: keep `^4.17.0` in package.json, point the lockfile at another tarball."""
    r = result(
        Status.NOT_APPLICABLE,
        name="lodash",
        source=source,
        resolved="https://evil.example/lodash.tgz",
        registry_spec="^4.17.0",
    )
    errors = _errors(policy_file, r)
    assert "source-registry-mismatch" in [f.rule for f in errors]
    legit = replace(r, package=replace(r.package, registry_spec=None))
    assert "source-registry-mismatch" not in [f.rule for f in _errors(policy_file, legit)]


def test_unattested_alias_under_a_pinned_name_fails_the_pin() -> None:
    """Attacker: an attacker-owned, unattested name installed as the pinned `lodash`."""
    text = (ROOT / "policies" / "recommended.toml").read_text().replace("version = 1\n", "", 1)
    text += (
        '\n[[identity]]\npackages = ["lodash"]\nrequire_provenance = true\n'
        'repositories = ["https://github.com/lodash/lodash"]\n'
    )
    for status in (Status.UNATTESTED, Status.PUBLISH_ONLY):
        aliased = result(status, name="evil-lodash", aliases=("lodash",))
        pins = [f for f in run(text, aliased) if f.rule == "identity-repository"]
        assert [f.level for f in pins] == [Level.ERROR], status
        assert pins[0].evidence["matched"] == {"name": "lodash", "as": "install name"}
        # The genuine lodash without provenance stays at the policy's provenance-required level.
        plain = result(status, name="lodash")
        assert not [f for f in run(text, plain) if f.rule == "identity-repository"]
