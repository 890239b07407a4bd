"""The trust signals through the CLI against the loopback registry: `audit lock`, the
identity lock, trust continuity, publish bursts, new dependencies and new publishers, each
with a positive and a negative case; the axios pattern end to end; and the attacks (a
pull request editing the lock, a registry editing `_npmUser`)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from tests.diff.test_base import git
from tests.support.kit import GITHUB, SigstoreKit
from tests.support.registry import LoopbackRegistry, RegistryData, running_registry, sri_sha512

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
REBORN = replace(GITHUB, repository_id="999999")  # the same URL, a re-created repository
OIDC_USER = {
    "name": "GitHub Actions",
    "email": "npm-oidc-no-reply@github.com",
    "trustedPublisher": {"id": "github", "oidcConfigId": "oidc:x"},
}


def tarball(name: str, version: str) -> bytes:
    return f"{name}-{version} tarball".encode()


# name -> version -> (signer: GITHUB-like identity | "none", days ago, extra packument fields)
HISTORY: dict[str, dict[str, tuple[Any, float, dict[str, Any]]]] = {
    # axios: trusted publishing until a patch release published with a token, without
    # provenance, by the maintainer's account with another email, adding a dependency.
    "axios": {
        "1.14.0": (GITHUB, 20, {"_npmUser": OIDC_USER}),
        "1.14.1": (
            "none",
            0.1,
            {
                "_npmUser": {"name": "jasonsaayman", "email": "ifstap@proton.example"},
                "dependencies": {"plain-crypto-js": "^4.2.1"},
            },
        ),
    },
    "plain-crypto-js": {
        "4.2.0": ("none", 0.3, {"_npmUser": {"name": "nrwl", "email": "n@example.test"}}),
        "4.2.1": ("none", 0.2, {"_npmUser": {"name": "nrwl", "email": "n@example.test"}}),
    },
    # Controls: updated, same builder, published days apart.
    "steady": {
        "2.0.0": (GITHUB, 30, {"_npmUser": OIDC_USER}),
        "2.0.1": (replace(GITHUB, ref="refs/tags/v2.0.1"), 10, {"_npmUser": OIDC_USER}),
    },
    # A repository deleted and re-created under the same name (new repository id).
    "moved": {"1.0.0": (GITHUB, 30, {}), "1.1.0": (REBORN, 10, {})},
    # Three versions within 40 minutes.
    "burst": {
        "3.0.0": (GITHUB, 5, {}),
        "3.0.1": (GITHUB, 5 - 20 / 1440, {}),
        "3.0.2": (GITHUB, 5 - 40 / 1440, {}),
    },
    # The registry claims a trusted and staged publish for an unattested version.
    "faker": {
        "1.0.0": (GITHUB, 30, {"_npmUser": OIDC_USER}),
        "1.0.1": ("none", 10, {"_npmUser": {**OIDC_USER, "approver": {"name": "a"}}}),
    },
}
BASE = {"axios": "1.14.0", "steady": "2.0.0", "moved": "1.0.0", "burst": "3.0.0", "faker": "1.0.0"}
HEAD = {"axios": "1.14.1", "steady": "2.0.1", "moved": "1.1.0", "burst": "3.0.2", "faker": "1.0.1"}

POLICY = """version = 1
[rules]
trust-downgrade = "error"
change-provenance-lost = "error"
change-new-dependency = "warning"
change-new-publisher = "warning"
[trust_downgrade]
[publish_burst]
versions = 3
within_minutes = 60
[identity_lock]
file = "provenance-lock.json"
"""


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed=18)


@pytest.fixture(scope="module")
def trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return kit.write_trust(tmp_path_factory.mktemp("trust"))


def registry_data(kit: SigstoreKit) -> RegistryData:
    data = RegistryData()
    for name, versions in HISTORY.items():
        for version, (signer, days, extra) in versions.items():
            blob = tarball(name, version)
            when = NOW - timedelta(days=days)
            body = None
            if signer != "none":
                body = kit.attestations(
                    name, version, sri_sha512(blob), identity=signer, signed_at=when
                )
            data.add_version(
                name, version, tarball=blob, attestations=body, published=when, extra=extra
            )
    return data


@pytest.fixture(scope="module")
def registry(kit: SigstoreKit) -> Iterator[LoopbackRegistry]:
    with running_registry(registry_data(kit)) as reg:
        yield reg


def write_lockfile(path: Path, url: str, deps: dict[str, str]) -> Path:
    """A v3 lockfile; plain-crypto-js (when present) is axios 1.14.1's dependency."""
    packages: dict[str, Any] = {"": {"name": "app", "version": "1.0.0", "dependencies": {}}}
    for name, version in sorted(deps.items()):
        if name != "plain-crypto-js":
            packages[""]["dependencies"][name] = version
        entry: dict[str, Any] = {
            "version": version,
            "resolved": f"{url}/{name}/-/{name}-{version}.tgz",
            "integrity": sri_sha512(tarball(name, version)),
        }
        deps_of = HISTORY[name][version][2].get("dependencies")
        if deps_of:
            entry["dependencies"] = deps_of
        packages[f"node_modules/{name}"] = entry
    doc = {"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def head_deps() -> dict[str, str]:
    return {**HEAD, "plain-crypto-js": "4.2.1"}


def cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def trust_args(trust: tuple[Path, Path]) -> list[str]:
    return ["--trusted-root", str(trust[0]), "--npm-keys", str(trust[1]), "--no-cache"]


def audit_json(
    lock: Path, policy: Path, url: str, trust: tuple[Path, Path], *extra: str, capsys: Any
) -> tuple[int, Any]:
    code, out, err = cli(
        str(lock), "--policy", str(policy), "--registry", url, *trust_args(trust),
        "--format", "json", "--quiet", *extra, capsys=capsys,
    )  # fmt: skip
    assert out, err
    return code, json.loads(out)


def found(report: Any, rule: str) -> dict[str, Any]:
    """package -> finding of `rule`."""
    return {f["package"]: f for f in report["findings"] if f["rule"] == rule}


@pytest.fixture
def project(
    tmp_path: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], home: Path, capsys: Any
) -> Path:
    """base/ and head/ lockfiles, the policy and an identity lock recorded from the base
    with `audit lock --write`."""
    base = write_lockfile(tmp_path / "base" / "package-lock.json", registry.url, BASE)
    write_lockfile(tmp_path / "head" / "package-lock.json", registry.url, head_deps())
    (tmp_path / "policy.toml").write_text(POLICY)
    lock = tmp_path / "provenance-lock.json"
    code, _, err = cli(
        "lock", str(base), "--registry", registry.url, *trust_args(trust), "--write", str(lock),
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "audit lock: 5 packages (5 identities) recorded in" in err
    return tmp_path


def test_audit_lock_records_the_base(project: Path) -> None:
    text = (project / "provenance-lock.json").read_text()
    lines = text.splitlines()
    assert [json.loads("{" + line.rstrip(",") + "}").popitem()[0] for line in lines[3:-2]] == [
        "axios", "burst", "faker", "moved", "steady",
    ]  # fmt: skip
    axios = json.loads(text)["packages"]["axios"][0]
    assert axios["level"] == "trusted-publisher"
    assert axios["repository_id"] == GITHUB.repository_id
    assert axios["workflow"] == ".github/workflows/release.yml"
    assert json.loads(text)["packages"]["moved"][0]["level"] == "provenance"


def test_axios_pattern_end_to_end(
    project: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], capsys: Any
) -> None:
    """A patch release that lost provenance and adds a brand-new dependency."""
    code, report = audit_json(
        project / "head" / "package-lock.json", project / "policy.toml", registry.url, trust,
        "--base", str(project / "base" / "package-lock.json"), capsys=capsys,
    )  # fmt: skip
    assert code == 1
    rules = {(f["rule"], f["package"]) for f in report["findings"]}
    assert {
        ("trust-downgrade", "axios"),
        ("identity-changed", "axios"),
        ("change-provenance-lost", "axios"),
        ("change-new-publisher", "axios"),
        ("change-new-dependency", "plain-crypto-js"),
    } <= rules
    down = found(report, "trust-downgrade")["axios"]
    assert down["evidence"]["expected"] == "trusted-publisher"
    assert down["evidence"]["actual"] == "none"
    assert down["evidence"]["last_trusted_version"] == "1.14.0"
    assert down["evidence"]["publisher"] == "npm user 'jasonsaayman'"
    assert "within major 1" in down["message"]
    lost = found(report, "identity-changed")["axios"]
    assert lost["evidence"]["recorded"]["level"] == "trusted-publisher"
    assert lost["evidence"]["actual"] == "unattested"
    new = found(report, "change-new-dependency")["plain-crypto-js"]
    assert new["evidence"]["introduced_by"] == "axios@1.14.1"
    assert new["evidence"]["introducer_before"] == "1.14.0"
    assert new["evidence"]["time_source"] == "registry publish time"
    assert new["evidence"]["level"] == "none"
    published = datetime.fromisoformat(new["evidence"]["published"])
    assert NOW - published < timedelta(hours=6)
    assert 0 < new["evidence"]["age_days"] < 0.25 and "hours ago" in new["message"]
    publisher = found(report, "change-new-publisher")["axios"]
    assert "published by an account instead of its CI builder" in publisher["message"]
    assert "ifstap@proton.example" in publisher["message"]


def test_negative_controls(
    project: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], capsys: Any
) -> None:
    """steady (same builder, versions days apart) and the project's own additions: none of
    the new signals fire."""
    _, report = audit_json(
        project / "head" / "package-lock.json", project / "policy.toml", registry.url, trust,
        "--base", str(project / "base" / "package-lock.json"), capsys=capsys,
    )  # fmt: skip
    new_rules = {
        "trust-downgrade", "identity-changed", "identity-new", "publish-burst",
        "change-new-dependency", "change-new-publisher",
    }  # fmt: skip
    assert not [
        f for f in report["findings"] if f["package"] == "steady" and f["rule"] in new_rules
    ]
    # A dependency the project itself adds is not a new dependency of an update.
    deps = {**BASE, "plain-crypto-js": "4.2.1"}
    added = write_lockfile(project / "added" / "package-lock.json", registry.url, deps)
    doc = json.loads(added.read_text())
    doc["packages"][""]["dependencies"]["plain-crypto-js"] = "4.2.1"
    added.write_text(json.dumps(doc))
    _, report = audit_json(
        added, project / "policy.toml", registry.url, trust,
        "--base", str(project / "base" / "package-lock.json"), capsys=capsys,
    )  # fmt: skip
    assert found(report, "change-new-dependency") == {}


def test_identity_changed_positive_and_negative(
    project: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], capsys: Any
) -> None:
    code, report = audit_json(
        project / "head" / "package-lock.json", project / "policy.toml", registry.url, trust,
        capsys=capsys,
    )  # fmt: skip
    assert code == 1
    changed = found(report, "identity-changed")
    assert set(changed) == {"axios", "moved", "faker"}  # faker and axios lost provenance
    assert changed["moved"]["evidence"]["differences"] == [
        {"field": "repository_id", "recorded": GITHUB.repository_id, "observed": "999999"}
    ]
    # identity-new is off by default; on, a verified package outside the lock is reported.
    assert found(report, "identity-new") == {}
    lock = json.loads((project / "provenance-lock.json").read_text())
    del lock["packages"]["steady"]
    (project / "provenance-lock.json").write_text(json.dumps(lock))
    (project / "new.toml").write_text(
        POLICY.replace("[rules]\n", '[rules]\nidentity-new = "warning"\n')
    )
    _, report = audit_json(
        project / "head" / "package-lock.json", project / "new.toml", registry.url, trust,
        capsys=capsys,
    )  # fmt: skip
    assert set(found(report, "identity-new")) == {"steady"}


def test_publish_burst_positive_and_negative(
    project: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], capsys: Any
) -> None:
    _, report = audit_json(
        project / "head" / "package-lock.json", project / "policy.toml", registry.url, trust,
        capsys=capsys,
    )  # fmt: skip
    burst = found(report, "publish-burst")
    assert set(burst) == {"burst"}
    assert burst["burst"]["evidence"]["actual"] == 3
    assert [v["version"] for v in burst["burst"]["evidence"]["versions"]] == [
        "3.0.0", "3.0.1", "3.0.2",
    ]  # fmt: skip


def test_registry_npmuser_cannot_raise_a_trust_level(
    project: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], capsys: Any
) -> None:
    """faker@1.0.1 has no attestations; the registry says it was a trusted, staged publish."""
    _, report = audit_json(
        project / "head" / "package-lock.json", project / "policy.toml", registry.url, trust,
        capsys=capsys,
    )  # fmt: skip
    down = found(report, "trust-downgrade")["faker"]
    assert (down["evidence"]["expected"], down["evidence"]["actual"]) == (
        "trusted-publisher",
        "none",
    )
    assert "faker" in found(report, "identity-changed")


def test_exception_for_one_version(
    project: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], capsys: Any
) -> None:
    waived = POLICY + (
        '[[exception]]\npackage = "faker@1.0.1"\nrules = ["trust-downgrade"]\n'
        'reason = "maintainer lost CI access (SEC-1)"\n'
    )
    (project / "waived.toml").write_text(waived)
    _, report = audit_json(
        project / "head" / "package-lock.json", project / "waived.toml", registry.url, trust,
        capsys=capsys,
    )  # fmt: skip
    assert "faker" not in found(report, "trust-downgrade")
    assert "axios" in found(report, "trust-downgrade")
    assert [w["package"] for w in report["waived"] if w["rule"] == "trust-downgrade"] == ["faker"]


def test_malformed_lock_is_one_line_exit_2(
    project: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], capsys: Any
) -> None:
    (project / "provenance-lock.json").write_text('{"lockVersion": 1, "packages": {"a": [{}]}}')
    code, out, err = cli(
        str(project / "head" / "package-lock.json"), "--policy", str(project / "policy.toml"),
        "--registry", registry.url, *trust_args(trust), capsys=capsys,
    )  # fmt: skip
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and 'provenance-lock.json: packages["a"][0]' in err
    (project / "provenance-lock.json").unlink()
    code, _, err = cli(
        str(project / "head" / "package-lock.json"), "--policy", str(project / "policy.toml"),
        "--registry", registry.url, *trust_args(trust), capsys=capsys,
    )  # fmt: skip
    assert code == 2 and "identity lock not found" in err and err.count("\n") == 1


def test_audit_lock_update_and_offline(
    project: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], capsys: Any
) -> None:
    """`--update` refreshes the audited names and keeps the others; `--offline` works for
    recording and auditing."""
    head = project / "head" / "package-lock.json"
    offline = project / "offline"
    code, _, err = cli(
        "fetch", str(head), "--into", str(offline), "--registry", registry.url, "--packuments",
        "--no-cache", "--quiet", capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    # Audit offline against the base's lock: same findings as live.
    code, report = audit_json(
        head, project / "policy.toml", registry.url, trust, "--offline", str(offline),
        capsys=capsys,
    )  # fmt: skip
    assert set(found(report, "identity-changed")) == {"axios", "moved", "faker"}
    # Refreshing from the head: the moved identity is recorded; names without provenance
    # now (axios, faker) keep their entries (nothing verified to replace them with).
    code, _, err = cli(
        "lock", str(head), "--offline", str(offline), *trust_args(trust), "--update",
        "--policy", str(project / "policy.toml"), capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "changed (" in err and "moved" in err
    lock = json.loads((project / "provenance-lock.json").read_text())
    assert lock["packages"]["moved"][0]["repository_id"] == "999999"
    assert "axios" in lock["packages"]  # kept: 1.14.1 has no provenance to record
    code, report = audit_json(
        head, project / "policy.toml", registry.url, trust, "--offline", str(offline),
        capsys=capsys,
    )  # fmt: skip
    assert set(found(report, "identity-changed")) == {"axios", "faker"}


def test_audit_lock_usage_errors(project: Path, capsys: Any) -> None:
    code, _, err = cli("lock", str(project / "head" / "package-lock.json"), capsys=capsys)
    assert code == 2 and "--write FILE is required" in err


# ------------------------------------------------------------------ pull requests (git)


@pytest.fixture
def with_git(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The isolated home, with git (and nothing else) on PATH."""
    real = shutil.which("git", path=os.defpath + ":/usr/local/bin")
    assert real is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(real)
    monkeypatch.setenv("PATH", str(bin_dir))


@pytest.mark.usefixtures("with_git")
def test_pull_request_editing_the_lock_is_change_audit_config(
    tmp_path: Path, registry: LoopbackRegistry, trust: tuple[Path, Path], capsys: Any
) -> None:
    """The lock is read at the base ref: a pull request that re-records it to accept the
    moved identity still gets identity-changed, plus change-audit-config naming the file."""
    repo = tmp_path / "repo"
    (repo / "ci").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    lockfile = write_lockfile(repo / "package-lock.json", registry.url, BASE)
    (repo / "ci" / "policy.toml").write_text(
        POLICY.replace("[rules]\n", '[rules]\nchange-audit-config = "error"\n')
    )
    code, _, err = cli(
        "lock", str(lockfile), "--registry", registry.url, *trust_args(trust),
        "--write", str(repo / "ci" / "provenance-lock.json"), capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    write_lockfile(lockfile, registry.url, head_deps())
    args = [
        str(lockfile), "--policy", str(repo / "ci" / "policy.toml"), "--registry", registry.url,
        *trust_args(trust), "--format", "json", "--quiet", "--base-ref", "main",
    ]  # fmt: skip
    code, out, _ = cli(*args, capsys=capsys)
    honest = json.loads(out)
    assert "moved" in found(honest, "identity-changed")
    assert found(honest, "change-audit-config") == {}
    # The pull request re-records the lock from its own lockfile.
    code, _, err = cli(
        "lock", str(lockfile), "--registry", registry.url, *trust_args(trust), "--update",
        "--write", str(repo / "ci" / "provenance-lock.json"), capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = cli(*args, capsys=capsys)
    attacked = json.loads(out)
    assert code == 1
    assert "moved" in found(attacked, "identity-changed")  # the base's lock still applies
    config = [f for f in attacked["findings"] if f["rule"] == "change-audit-config"]
    assert [(f["evidence"]["file"], f["evidence"]["role"]) for f in config] == [
        ("ci/provenance-lock.json", "identity lock")
    ]
    # A lock the pull request deletes is still read at the base.
    (repo / "ci" / "provenance-lock.json").unlink()
    code, out, _ = cli(*args, capsys=capsys)
    deleted = json.loads(out)
    assert "moved" in found(deleted, "identity-changed")
    assert [
        f["evidence"]["change"] for f in deleted["findings"] if f["rule"] == "change-audit-config"
    ] == ["deleted"]
