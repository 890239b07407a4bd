"""Pull-request mode end to end: minted attestation histories on the loopback registry,
lockfile pairs, `run_audit` and the CLI with --base / --base-ref."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.models import Level, Report
from auditor.pipeline import AuditOptions, run_audit
from auditor.policy import parse_policy
from auditor.registry.client import NetworkSettings
from tests.diff.test_base import git
from tests.support.kit import GITHUB, SignerIdentity, SigstoreKit
from tests.support.registry import Fault, RegistryData, running_registry, sri_sha512

NOW = datetime(2026, 6, 1, tzinfo=UTC)
GIT_DEP = "git+ssh://git@example.test/acme/tool.git#5995008213440b070902a7a5666064bfdaba715d"
CHANGE_RULES = (
    "change-provenance-lost",
    "change-repository",
    "change-workflow",
    "change-install-script",
    "change-source",
)
POLICY_TOML = "version = 1\n\n[rules]\n" + "".join(f'{r} = "error"\n' for r in CHANGE_RULES)


# name -> version -> (signer or "publish" or None, install script)
Version = tuple[SignerIdentity | str | None, bool]
MOVED = SignerIdentity.github("evil/moved")
REBORN = replace(GITHUB, repository_id="999999")
OTHER_FLOW = replace(GITHUB, workflow_path=".github/workflows/other.yml")
HISTORY: dict[str, dict[str, Version]] = {
    "keep": {"1.0.0": (GITHUB, False)},
    "gone": {"1.0.0": (GITHUB, False)},
    "good": {"1.0.0": (GITHUB, False), "1.1.0": (replace(GITHUB, ref="refs/tags/v1.1.0"), False)},
    "lost": {"1.0.0": (GITHUB, False), "2.0.0": (None, False)},
    "weak": {"1.0.0": (GITHUB, False), "1.1.0": ("publish", False)},
    "moved": {"1.0.0": (GITHUB, False), "1.1.0": (MOVED, False)},
    "reborn": {"1.0.0": (GITHUB, False), "1.1.0": (REBORN, False)},
    "flow": {"1.0.0": (GITHUB, False), "1.1.0": (OTHER_FLOW, False)},
    "script": {"1.0.0": (GITHUB, False), "1.1.0": (GITHUB, True)},
    "fresh": {"1.0.0": (GITHUB, True)},
}
BASE = {n: "1.0.0" for n in HISTORY if n != "fresh"}
HEAD = {
    "keep": "1.0.0",
    "good": "1.1.0",
    "lost": "2.0.0",
    "weak": "1.1.0",
    "moved": "1.1.0",
    "reborn": "1.1.0",
    "flow": "1.1.0",
    "script": "1.1.0",
    "fresh": "1.0.0",
    "tool": "git",  # a new git dependency
}


def tarball(name: str, version: str) -> bytes:
    return f"{name}-{version} tarball".encode()


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed=8)


@pytest.fixture(scope="module")
def trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return kit.write_trust(tmp_path_factory.mktemp("trust"))


@pytest.fixture(scope="module")
def data(kit: SigstoreKit) -> RegistryData:
    return registry_data(kit)


def registry_data(kit: SigstoreKit) -> RegistryData:
    """Every version of HISTORY, minted with `kit`."""
    data = RegistryData()
    for name, versions in HISTORY.items():
        for version, (signer, script) in versions.items():
            blob = tarball(name, version)
            body = None
            if isinstance(signer, SignerIdentity):
                body = kit.attestations(name, version, sri_sha512(blob), identity=signer)
            elif signer == "publish":
                body = kit.attestations(name, version, sri_sha512(blob), provenance=False)
            data.add_version(name, version, tarball=blob, attestations=body, install_script=script)
    return data


def write_lockfile(path: Path, url: str, deps: dict[str, str]) -> Path:
    packages: dict[str, Any] = {"": {"name": "app", "version": "1.0.0", "dependencies": {}}}
    for name, version in sorted(deps.items()):
        packages[""]["dependencies"][name] = version
        if version == "git":
            packages[f"node_modules/{name}"] = {"version": "1.0.0", "resolved": GIT_DEP}
            continue
        entry: dict[str, Any] = {
            "version": version,
            "resolved": f"{url}/{name}/-/{name}-{version}.tgz",
            "integrity": sri_sha512(tarball(name, version)),
        }
        if HISTORY[name][version][1]:
            entry["hasInstallScript"] = True
        packages[f"node_modules/{name}"] = entry
    doc = {"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def options(url: str, trust: tuple[Path, Path], **kw: Any) -> AuditOptions:
    root, keys = trust
    return AuditOptions(
        registry=url,
        trusted_root=root,
        npm_keys=keys,
        use_cache=False,
        quiet=True,
        npm=None,
        now=NOW,
        verify_workers=0,
        **kw,
    )


def change_findings(report: Report) -> set[tuple[str, str | None]]:
    return {(f.rule, f.package) for f in report.findings if f.rule.startswith("change-")}


def test_each_change_kind_is_found_and_removed_packages_are_not_fetched(
    data: RegistryData, trust: tuple[Path, Path], tmp_path: Path
) -> None:
    policy = parse_policy(POLICY_TOML, "policy.toml")
    with running_registry(data) as reg:
        base = write_lockfile(tmp_path / "base" / "package-lock.json", reg.url, BASE)
        head = write_lockfile(tmp_path / "head" / "package-lock.json", reg.url, HEAD)
        report = run_audit(head, policy, options(reg.url, trust, base=base))
        counts = {n: reg.count("attestations", name=n) for n in [*HISTORY, "tool"]}

    assert change_findings(report) == {
        ("change-provenance-lost", "lost"),
        ("change-provenance-lost", "weak"),
        ("change-repository", "moved"),
        ("change-repository", "reborn"),
        ("change-workflow", "flow"),
        ("change-install-script", "script"),
        ("change-install-script", "fresh"),
        ("change-source", "tool"),
    }
    assert all(f.level is Level.ERROR for f in report.findings if f.rule.startswith("change-"))
    kinds = {(str(c.kind), c.name) for c in report.changes}
    assert ("removed", "gone") in kinds and ("added", "fresh") in kinds
    assert ("updated", "lost") in kinds and ("added", "tool") in kinds
    assert not any(name == "keep" for _, name in kinds)
    # Only added and updated packages are audited; removed and unchanged ones never fetched.
    assert {r.package.name for r in report.results} == set(HEAD) - {"keep"}
    assert counts["gone"] == 0 and counts["keep"] == 0
    # The base versions of updated packages are fetched and verified too.
    # (lost's head version advertises no attestations: only its base version's are asked.)
    assert counts["lost"] == 1 and counts["good"] == 2
    assert not any(f.rule == "incomplete" for f in report.findings)


def test_unchanged_lockfile_produces_no_findings(
    data: RegistryData, trust: tuple[Path, Path], tmp_path: Path
) -> None:
    policy = parse_policy(POLICY_TOML, "policy.toml")
    with running_registry(data) as reg:
        head = write_lockfile(tmp_path / "package-lock.json", reg.url, HEAD)
        base = write_lockfile(tmp_path / "base.json", reg.url, HEAD)
        report = run_audit(head, policy, options(reg.url, trust, base=base))
        requests = reg.count("attestations")
    assert report.findings == () and report.changes == () and report.results == ()
    assert requests == 0


def test_audit_all_audits_everything_and_still_reports_changes(
    data: RegistryData, trust: tuple[Path, Path], tmp_path: Path
) -> None:
    policy = parse_policy(POLICY_TOML, "policy.toml")
    with running_registry(data) as reg:
        head = write_lockfile(tmp_path / "package-lock.json", reg.url, HEAD)
        base = write_lockfile(tmp_path / "base.json", reg.url, BASE)
        report = run_audit(head, policy, options(reg.url, trust, base=base, audit_all=True))
        gone = reg.count("attestations", name="gone")
    assert {r.package.name for r in report.results} == set(HEAD)
    assert ("change-workflow", "flow") in change_findings(report)
    assert gone == 0


def test_cli_base_ref_in_a_git_repository(
    data: RegistryData, trust: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "policy.toml").write_text(POLICY_TOML)
    root, keys = trust
    with running_registry(data) as reg:
        lock = write_lockfile(repo / "package-lock.json", reg.url, BASE)
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "base")
        write_lockfile(lock, reg.url, {**BASE, "lost": "2.0.0"})
        sarif, md = tmp_path / "out.sarif", tmp_path / "out.md"
        code = main(
            [
                str(lock),
                "--base-ref",
                "HEAD",
                "--policy",
                str(repo / "policy.toml"),
                "--registry",
                reg.url,
                "--trusted-root",
                str(root),
                "--npm-keys",
                str(keys),
                "--no-cache",
                "--quiet",
                "--format",
                "json",
                "--sarif",
                str(sarif),
                "--markdown",
                str(md),
            ]
        )
        fetched = {n: reg.count("attestations", name=n) for n in ("lost", "keep")}
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in out["changes"]] == ["lost"]
    rules = {r["ruleId"] for run in json.loads(sarif.read_text())["runs"] for r in run["results"]}
    assert rules == {"change-provenance-lost"}
    assert "change-provenance-lost" in md.read_text()
    assert fetched == {"lost": 1, "keep": 0}  # the head version advertises none


def test_cli_unknown_base_ref_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(tmp_path, "init", "-q")
    lock = write_lockfile(tmp_path / "package-lock.json", "http://127.0.0.1:9", {})
    assert main([str(lock), "--base-ref", "no-such-ref", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("audit: error: --base-ref: unknown git ref 'no-such-ref'")
    assert "\n" not in err


def test_each_change_finding_appears_once(
    data: RegistryData, trust: tuple[Path, Path], tmp_path: Path
) -> None:
    policy = parse_policy(POLICY_TOML, "policy.toml")
    with running_registry(data) as reg:
        base = write_lockfile(tmp_path / "base.json", reg.url, BASE)
        head = write_lockfile(tmp_path / "package-lock.json", reg.url, HEAD)
        report = run_audit(head, policy, options(reg.url, trust, base=base))
    keys = [(f.rule, f.package) for f in report.findings if f.rule.startswith("change-")]
    assert len(keys) == len(set(keys))


def test_exceptions_waive_change_findings(
    data: RegistryData, trust: tuple[Path, Path], tmp_path: Path
) -> None:
    text = POLICY_TOML + (
        '\n[[exception]]\npackage = "moved@1.1.0"\nrules = ["change-repository"]\n'
        'reason = "the project moved to a new organisation"\nexpires = 2026-12-31\n'
        '\n[[exception]]\npackage = "flow@1.1.0"\nrules = ["change-workflow"]\n'
        'reason = "expired before the audit"\nexpires = 2026-01-01\n'
    )
    policy = parse_policy(text, "policy.toml")
    with running_registry(data) as reg:
        base = write_lockfile(tmp_path / "base.json", reg.url, BASE)
        head = write_lockfile(tmp_path / "package-lock.json", reg.url, HEAD)
        report = run_audit(head, policy, options(reg.url, trust, base=base))
    found = change_findings(report)
    assert ("change-repository", "moved") not in found
    assert ("change-repository", "reborn") in found
    assert ("change-workflow", "flow") in found  # its exception has expired


def test_base_version_that_cannot_be_fetched_is_incomplete(
    data: RegistryData, trust: tuple[Path, Path], tmp_path: Path
) -> None:
    policy = parse_policy(POLICY_TOML, "policy.toml")
    fast = NetworkSettings(attempts=2, backoff_base=0.001, backoff_max=0.01)
    with running_registry(data) as reg:
        reg.inject(Fault.server_error(503, times=None), name="lost", version="1.0.0")
        base = write_lockfile(tmp_path / "base.json", reg.url, BASE)
        head = write_lockfile(tmp_path / "package-lock.json", reg.url, {**BASE, "lost": "2.0.0"})
        report = run_audit(head, policy, options(reg.url, trust, base=base, network=fast))
    (f,) = report.findings
    assert (f.rule, f.package, f.level) == ("incomplete", "lost", Level.ERROR)
    assert f.message.startswith("lost@2.0.0 (was 1.0.0): could not compare with base version")


def test_pre_commit_hook_audits_what_the_commit_changes(
    data: RegistryData,
    trust: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from auditor.diff import hook

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    root, keys = trust
    with running_registry(data) as reg:
        lock = write_lockfile(repo / "package-lock.json", reg.url, BASE)
        # The policy is read at HEAD (as in a pull request, at the base).
        (repo / "policy.toml").write_text(POLICY_TOML)
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "base")
        write_lockfile(lock, reg.url, {**BASE, "script": "1.1.0"})
        monkeypatch.chdir(repo)  # pre-commit runs hooks at the repository root
        common = ["--registry", reg.url, "--trusted-root", str(root), "--npm-keys", str(keys)]
        code = hook.run(
            ["--policy", "policy.toml", *common, "--no-cache", "-q", "package-lock.json"]
        )
        fetched = reg.count("attestations", name="keep")
    assert code == 1
    out = capsys.readouterr().out
    assert "change-install-script" in out and "script@1.1.0" in out
    assert fetched == 0
