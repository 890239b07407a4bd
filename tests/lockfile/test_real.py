"""Lockfiles written by the real npm client (see fixtures/lockfiles/real/README.md).

Equivalence with `npm ls --all --package-lock-only --json --long`: npm ls prints the tree
(every dependency edge, deduplicated ones included) without the root; links and workspace
members appear under their real name with the version of their directory, and missing
optional/peer dependencies appear with `"missing": true`.  So the set of `name@version`
over every non-missing node (real name from `name`, for aliases) must equal the set of
`Package.spec` over all parsed packages, links included.  Bundled packages would appear in
both as well.  For the v1 variant (npm ls would rewrite it, needing the network) the
expected set is the v3 one without the four local packages, whose v1 "version" is a
`file:` spec.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from auditor.models import SourceKind

from .conftest import FIXTURES, load

REAL = FIXTURES / "real"
NPM_LS = ["next-app", "ts-eslint", "workspaces-monorepo", "workspaces-monorepo-v2"]
ALL = [*NPM_LS, "workspaces-monorepo-v1"]


def expected(name: str) -> set[str]:
    return set((REAL / name / "expected-packages.txt").read_text().split())


def flatten_npm_ls(doc: dict[str, Any]) -> set[str]:
    """`npm ls --json --long` tree -> {name@version}.  Deduped nodes may lack `name`: take it
    from a full node of the same key and version."""
    nodes: list[tuple[str, str, str | None]] = []
    names: dict[tuple[str, str], str] = {}
    stack = [doc]
    while stack:
        node = stack.pop()
        for key, child in (node.get("dependencies") or {}).items():
            stack.append(child)
            if child.get("missing") or "version" not in child:
                continue
            real = child.get("name")
            if real:
                names[(key, child["version"])] = real
            nodes.append((key, child["version"], real))
    return {f"{real or names.get((k, v), k)}@{v}" for k, v, real in nodes}


@pytest.mark.parametrize("name", ALL)
def test_package_set_matches_npm(name: str) -> None:
    lf = load(f"real/{name}/package-lock.json")
    specs = {
        p.spec for p in lf.packages if not (name.endswith("v1") and p.source is SourceKind.LINK)
    }
    assert len(lf.packages) >= 500
    assert specs == expected(name)


def test_real_shapes() -> None:
    mono = load("real/workspaces-monorepo/package-lock.json")
    assert mono.workspaces == ("apps/web", "packages/core", "packages/utils")
    legacy = [p for p in mono.packages if "lodash-legacy" in p.aliases]
    assert [p.spec for p in legacy] == ["lodash@3.10.1"]
    noop = next(p for p in mono.packages if p.name == "lerna-lite-noop")
    assert noop.source is SourceKind.LINK and noop.dev and noop.direct
    # The same project as v2 (packages + legacy dependencies) and v3 parse identically.
    v2 = load("real/workspaces-monorepo-v2/package-lock.json")
    strip = [(p.spec, p.source, p.paths, p.direct, p.dev, p.integrity) for p in mono.packages]
    assert strip == [(p.spec, p.source, p.paths, p.direct, p.dev, p.integrity) for p in v2.packages]
    # npm was configured to omit registry URLs for this one: still registry packages.
    ts = load("real/ts-eslint/package-lock.json")
    assert all(p.source is SourceKind.REGISTRY and p.resolved is None for p in ts.packages)
    nxt = load("real/next-app/package-lock.json")
    assert all(p.source is SourceKind.REGISTRY and p.resolved for p in nxt.packages)
    assert all(p.sha512 for p in nxt.packages)


def _npm() -> str | None:
    return shutil.which("npm")


@pytest.mark.npm
@pytest.mark.skipif(_npm() is None, reason="npm is not on PATH")
@pytest.mark.parametrize("name", NPM_LS)
def test_live_npm_ls(name: str, tmp_path: Path) -> None:
    """Run npm ls on a copy (it reads the lockfile only; --offline and an unreachable
    registry guarantee no network) and compare with the stored expectation and the parser."""
    project = tmp_path / "project"
    shutil.copytree(REAL / name, project)
    env = {
        **os.environ,
        "npm_config_cache": str(tmp_path / "npm-cache"),
        "npm_config_userconfig": str(tmp_path / "npmrc"),
        "npm_config_update_notifier": "false",
    }
    run = subprocess.run(
        [
            str(_npm()),
            "ls",
            "--all",
            "--package-lock-only",
            "--json",
            "--long",
            "--offline",
            "--registry=http://127.0.0.1:9/",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    got = flatten_npm_ls(json.loads(run.stdout))
    assert got == expected(name)
    assert got == {p.spec for p in load(f"real/{name}/package-lock.json").packages}
