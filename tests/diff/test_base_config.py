"""Configuration from the base: in pull-request mode the pull request's .npmrc, policy and
trust files cannot weaken the audit of its own changes (issue 14).

The attacker's registry is a second loopback registry that has nothing (404 for every
request) or serves the versions without attestations (stripped)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from tests.diff.test_base import git
from tests.diff.test_pr_mode import (
    HISTORY,
    POLICY_TOML,
    registry_data,
    tarball,
    write_lockfile,
)
from tests.support.kit import SigstoreKit
from tests.support.registry import LoopbackRegistry, RegistryData, running_registry

# The pull request updates `lost` (provenance -> none) and `flow` (another workflow).
BASE = {"keep": "1.0.0", "lost": "1.0.0", "flow": "1.0.0"}
HEAD = {"keep": "1.0.0", "lost": "2.0.0", "flow": "1.1.0"}
GUARDED = {("change-provenance-lost", "lost"), ("change-workflow", "flow")}
WEAK_POLICY = (
    POLICY_TOML.replace('change-provenance-lost = "error"', "").replace(
        'change-workflow = "error"', 'change-workflow = "off"'
    )
    + '\nchange-audit-config = "off"\nincomplete = "off"\n'
)
BASE_POLICY = POLICY_TOML + 'change-audit-config = "error"\n'


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed=8)


@pytest.fixture(scope="module")
def good(kit: SigstoreKit) -> Iterator[LoopbackRegistry]:
    with running_registry(registry_data(kit)) as reg:
        yield reg


@pytest.fixture(scope="module")
def empty() -> Iterator[LoopbackRegistry]:
    """The attacker's registry: 404 for everything."""
    with running_registry(RegistryData()) as reg:
        yield reg


@pytest.fixture(scope="module")
def stripping() -> Iterator[LoopbackRegistry]:
    """The attacker's mirror: every version, no attestations, nothing advertised."""
    data = RegistryData()
    for name, versions in HISTORY.items():
        for version in versions:
            data.add_version(name, version, tarball=tarball(name, version), attestations=None)
    with running_registry(data) as reg:
        yield reg


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CI's own configuration names no registry: only the repository's .npmrc does."""
    for name in list(os.environ):
        if name.lower().startswith("npm_config_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NPM_CONFIG_GLOBALCONFIG", str(home / "no-global-npmrc"))
    # No npm to ask; git only.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real_git = shutil.which("git")
    assert real_git is not None
    (bin_dir / "git").symlink_to(real_git)
    monkeypatch.setenv("PATH", str(bin_dir))


def make_repo(tmp_path: Path, registry: str, trust: tuple[Path, Path]) -> Path:
    """The base branch: lockfile, .npmrc naming the real registry, policy, trust files."""
    repo = tmp_path / "repo"
    (repo / "ci").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write_lockfile(repo / "package-lock.json", registry, BASE)
    (repo / ".npmrc").write_text(f"registry={registry}/\n")
    (repo / "ci" / "policy.toml").write_text(BASE_POLICY)
    root, keys = trust
    (repo / "ci" / "trusted_root.json").write_bytes(root.read_bytes())
    (repo / "ci" / "npm-keys.json").write_bytes(keys.read_bytes())
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    # The pull request's lockfile.
    write_lockfile(repo / "package-lock.json", registry, HEAD)
    return repo


@pytest.fixture
def trust(kit: SigstoreKit, tmp_path: Path) -> tuple[Path, Path]:
    return kit.write_trust(tmp_path / "trust")


def audit(repo: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    ci = repo / "ci"
    code = main(
        [
            str(repo / "package-lock.json"),
            "--policy",
            str(ci / "policy.toml"),
            "--trusted-root",
            str(ci / "trusted_root.json"),
            "--npm-keys",
            str(ci / "npm-keys.json"),
            "--no-cache",
            "--quiet",
            "--format",
            "json",
            *extra,
        ]
    )
    out = capsys.readouterr().out
    return code, json.loads(out) if out else None


def rules(report: Any) -> set[tuple[str, str | None]]:
    return {(f["rule"], f["package"]) for f in report["findings"]}


def config_files(report: Any) -> set[str]:
    return {f["evidence"]["file"] for f in report["findings"] if f["rule"] == "change-audit-config"}


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("attacker", ["empty", "stripping"])
def test_hostile_npmrc_does_not_hide_change_findings(
    attacker: str,
    request: pytest.FixtureRequest,
    good: LoopbackRegistry,
    trust: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    evil: LoopbackRegistry = request.getfixturevalue(attacker)
    repo = make_repo(tmp_path, good.url, trust)
    honest_code, honest = audit(repo, "--base-ref", "HEAD", capsys=capsys)
    assert honest_code == 1 and rules(honest) >= GUARDED
    assert config_files(honest) == set()

    evil.reset_stats()
    (repo / ".npmrc").write_text(f"registry={evil.url}/\n")  # the pull request's .npmrc
    code, report = audit(repo, "--base-ref", "HEAD", capsys=capsys)
    assert code == 1
    assert rules(report) >= GUARDED
    assert rules(report) - {("change-audit-config", None)} == rules(honest)
    assert config_files(report) == {".npmrc"}
    (finding,) = [f for f in report["findings"] if f["rule"] == "change-audit-config"]
    assert finding["level"] == "error" and finding["evidence"]["change"] == "modified"
    assert ".npmrc" in finding["message"]
    assert evil.count("attestations") == 0  # the pull request's registry is never asked


@pytest.mark.usefixtures("env")
def test_pull_request_editing_the_policy_does_not_weaken_it(
    good: LoopbackRegistry,
    trust: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_repo(tmp_path, good.url, trust)
    (repo / "ci" / "policy.toml").write_text(WEAK_POLICY)
    code, report = audit(repo, "--base-ref", "HEAD", capsys=capsys)
    assert code == 1
    assert rules(report) >= GUARDED
    assert config_files(report) == {"ci/policy.toml"}
    # Deleting it, or replacing it by a symlink to a weak one, is the same.
    (repo / "weak.toml").write_text(WEAK_POLICY)
    (repo / "ci" / "policy.toml").unlink()
    (repo / "ci" / "policy.toml").symlink_to(repo / "weak.toml")
    code, report = audit(repo, "--base-ref", "HEAD", capsys=capsys)
    assert code == 1 and rules(report) >= GUARDED
    assert config_files(report) == {"ci/policy.toml"}


@pytest.mark.usefixtures("env")
def test_pull_request_adding_a_policy_gets_the_default_policy(
    good: LoopbackRegistry,
    trust: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_repo(tmp_path, good.url, trust)
    (repo / "ci" / "new.toml").write_text(WEAK_POLICY)
    code = main(
        [
            str(repo / "package-lock.json"),
            "--policy",
            str(repo / "ci" / "new.toml"),
            "--base-ref",
            "HEAD",
            "--trusted-root",
            str(repo / "ci" / "trusted_root.json"),
            "--npm-keys",
            str(repo / "ci" / "npm-keys.json"),
            "--no-cache",
            "--quiet",
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0  # the built-in default: report only
    assert report["policy"] is None
    (finding,) = [f for f in report["findings"] if f["rule"] == "change-audit-config"]
    assert finding["level"] == "warning"
    assert finding["evidence"] == {
        "file": "ci/new.toml",
        "role": "policy",
        "change": "added",
        "ref": "HEAD",
    }


@pytest.mark.usefixtures("env")
def test_pull_request_replacing_trust_files_is_found_and_not_used(
    good: LoopbackRegistry,
    trust: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_repo(tmp_path, good.url, trust)
    # A trust file the verification cannot use: were it read, the run would fail (exit 2).
    (repo / "ci" / "trusted_root.json").write_text("{}")
    (repo / "ci" / "npm-keys.json").unlink()
    code, report = audit(repo, "--base-ref", "HEAD", capsys=capsys)
    assert code == 1 and rules(report) >= GUARDED
    assert config_files(report) == {"ci/trusted_root.json", "ci/npm-keys.json"}
    changes = {
        f["evidence"]["file"]: f["evidence"]["change"]
        for f in report["findings"]
        if f["rule"] == "change-audit-config"
    }
    assert changes == {"ci/trusted_root.json": "modified", "ci/npm-keys.json": "deleted"}


@pytest.mark.usefixtures("env")
def test_trust_file_the_base_lacks_is_a_usage_error(
    good: LoopbackRegistry,
    trust: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_repo(tmp_path, good.url, trust)
    (repo / "ci" / "mine.json").write_bytes(trust[0].read_bytes())
    code = main(
        [
            str(repo / "package-lock.json"),
            "--base-ref",
            "HEAD",
            "--trusted-root",
            str(repo / "ci" / "mine.json"),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert err.startswith("audit: error: --trusted-root") and "HEAD:ci/mine.json" in err


@pytest.mark.usefixtures("env")
def test_base_file_with_explicit_registry_ignores_the_pull_requests_npmrc(
    good: LoopbackRegistry,
    empty: LoopbackRegistry,
    trust: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_repo(tmp_path, good.url, trust)
    base = write_lockfile(tmp_path / "base.json", good.url, BASE)
    # The pull request's .npmrc names the attacker's registry and makes the real one's
    # host "known" to npm with a credential, so `resolved` URLs would pick it.
    host = empty.url.removeprefix("http://")
    (repo / ".npmrc").write_text(f"registry={empty.url}/\n//{host}/:_authToken=x\n")
    # ... and the lockfile resolves from the attacker's registry.
    text = (repo / "package-lock.json").read_text().replace(good.url, empty.url)
    (repo / "package-lock.json").write_text(text)
    empty.reset_stats()
    code, report = audit(repo, "--base", str(base), "--registry", good.url, capsys=capsys)
    assert rules(report) >= GUARDED
    assert code == 1
    assert empty.count("attestations") == 0


@pytest.mark.usefixtures("env")
def test_policy_from_ref_with_a_base_file(
    good: LoopbackRegistry,
    empty: LoopbackRegistry,
    trust: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_repo(tmp_path, good.url, trust)
    base = write_lockfile(tmp_path / "base.json", good.url, BASE)
    (repo / ".npmrc").write_text(f"registry={empty.url}/\n")
    (repo / "ci" / "policy.toml").write_text(WEAK_POLICY)
    code, report = audit(repo, "--base", str(base), "--policy-from-ref", "main", capsys=capsys)
    assert code == 1 and rules(report) >= GUARDED
    assert config_files(report) == {".npmrc", "ci/policy.toml"}
    assert empty.count("attestations") == 0
    # Without it, --base FILE reads the work tree (what the option is for).
    code, report = audit(repo, "--base", str(base), capsys=capsys)
    assert code == 0 and not GUARDED & rules(report)


@pytest.mark.usefixtures("env")
def test_npm_is_asked_outside_the_work_tree(
    good: LoopbackRegistry,
    empty: LoopbackRegistry,
    trust: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With no registry in the base's configuration, `npm config get registry` answers;
    it must not read the pull request's .npmrc (here a stand-in npm that would)."""
    repo = make_repo(tmp_path, good.url, trust)
    git(repo, "rm", "-q", ".npmrc")
    git(repo, "commit", "-q", "-m", "no npmrc")
    npm = tmp_path / "bin" / "npm"
    npm.write_text(
        "#!/bin/sh\n"
        "if [ -f .npmrc ]; then\n"
        '  while IFS="=" read -r k v; do [ "$k" = registry ] && echo "$v"; done < .npmrc\n'
        f'else echo "{good.url}/"; fi\n'
    )
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    (repo / ".npmrc").write_text(f"registry={empty.url}/\n")
    code, report = audit(repo, "--base-ref", "HEAD", capsys=capsys)
    assert code == 1 and rules(report) >= GUARDED
    assert config_files(report) == {".npmrc"}
    (finding,) = [f for f in report["findings"] if f["rule"] == "change-audit-config"]
    assert finding["evidence"]["change"] == "added"
