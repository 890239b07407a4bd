"""The identity lock on real recorded attestations (fixtures/real), through the CLI:
`sigstore` changed its release workflow between 1.0.0 and 2.3.1 (1.3.0, where the issue
saw it change, is not among the recorded responses), and @laurentsimon/provenance-npm-test
switched builder (to slsa-github-generator) between 1.0.3 and 1.0.5."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from tests.support.real import REAL_TRUST, RealProject, real_project
from tests.support.registry import PLACEHOLDER, LoopbackRegistry, running_registry

POLICY = 'version = 1\n[identity_lock]\nfile = "lock.json"\n'
PROVENANCE_TEST = "@laurentsimon/provenance-npm-test"


@pytest.fixture(scope="module")
def project() -> RealProject:
    return real_project()


@pytest.fixture(scope="module")
def registry(project: RealProject) -> Iterator[LoopbackRegistry]:
    with running_registry(project.registry) as reg:
        yield reg


def lockfile(project: RealProject, directory: Path, url: str, *keys: str) -> Path:
    """A lockfile of the real project's entries `keys` (install names), each installed
    under its real name."""
    entries = project.lockfile["packages"]
    packages: dict[str, Any] = {"": {"name": "app", "version": "1.0.0", "dependencies": {}}}
    for key in keys:
        entry = dict(entries[f"node_modules/{key}"])
        name = entry.pop("name", key)
        packages[""]["dependencies"][name] = entry["version"]
        packages[f"node_modules/{name}"] = entry
    doc = {"name": "app", "lockfileVersion": 3, "packages": packages}
    path = directory / "package-lock.json"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc).replace(PLACEHOLDER, url.rstrip("/")))
    return path


def run(*args: str, capsys: Any) -> tuple[int, str, str]:
    code = main([*args, "--trusted-root", str(REAL_TRUST[0]), "--npm-keys", str(REAL_TRUST[1]),
                 "--no-cache"])  # fmt: skip
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize(
    ("old", "new", "fields"),
    [
        ("sigstore-v1.0.0", "sigstore-v2.3.1", {"workflow", "signer"}),
        ("provenance-npm-test-v1.0.3", f"{PROVENANCE_TEST}", {"workflow", "builder", "signer"}),
    ],
)
def test_real_identity_change_is_caught(
    project: RealProject,
    registry: LoopbackRegistry,
    tmp_path: Path,
    capsys: Any,
    old: str,
    new: str,
    fields: set[str],
) -> None:
    (tmp_path / "policy.toml").write_text(POLICY)
    base = lockfile(project, tmp_path / "base", registry.url, old)
    code, _, err = run("lock", str(base), "--registry", registry.url, "--write",
                       str(tmp_path / "lock.json"), capsys=capsys)  # fmt: skip
    assert code == 0, err
    # The recorded version itself passes (positive control of the lock).
    code, out, err = run(str(base), "--policy", str(tmp_path / "policy.toml"), "--registry",
                         registry.url, "--format", "json", "-q", capsys=capsys)  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["findings"] == []
    head = lockfile(project, tmp_path / "head", registry.url, new)
    code, out, err = run(str(head), "--policy", str(tmp_path / "policy.toml"), "--registry",
                         registry.url, "--format", "json", "-q", capsys=capsys)  # fmt: skip
    assert code == 1, err
    (finding,) = json.loads(out)["findings"]
    assert finding["rule"] == "identity-changed"
    assert {d["field"] for d in finding["evidence"]["differences"]} == fields
