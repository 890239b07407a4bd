"""Real projects installed by the real pnpm and Bun, and their own listings.

`python -m tests.lockfile.formats.clients --write` regenerates the committed fixtures under
fixtures/lockfiles/{pnpm,pnpm-v6,bun}/<project>/ (needs the clients: `pnpm`, `bun` on PATH,
or AUDITOR_PNPM / AUDITOR_PNPM8 / AUDITOR_BUN naming them; pnpm 8 writes lockfile v6).
The registry npm is configured with is rewritten to a loopback address in every fixture,
and the temporary directory to /fixture.  `listed_*` read a client's listing into the set
the parser must produce; the tests compare them (`test_clients.py`).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.models import Lockfile, Package, SourceKind

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "lockfiles"
LOOPBACK = "http://127.0.0.1:4873/"
TMP_MARK = "/fixture"
GIT_DATE = "2026-01-01T00:00:00+00:00"


def client(name: str) -> str | None:
    """The client's executable: AUDITOR_<NAME>, else on PATH (pnpm8: only by variable)."""
    env = os.environ.get(f"AUDITOR_{name.upper()}")
    if env:
        return env if Path(env).exists() else None
    return None if name == "pnpm8" else shutil.which(name)


def npm_registry() -> str:
    out = subprocess.run(
        ["npm", "config", "get", "registry"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return out if out.endswith("/") else out + "/"


def _manifest(**fields: Any) -> str:
    return json.dumps(fields, indent=2) + "\n"


def _tarball() -> bytes:
    """A tiny package tarball with a bin (deterministic bytes)."""
    files = {
        "package/package.json": _manifest(
            name="tar-dep", version="0.0.1", bin={"tar-dep": "cli.js"}
        ).encode(),
        "package/cli.js": b"#!/usr/bin/env node\n",
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def _git_repo(where: Path) -> str:
    """A local git repository holding a package; returns its commit (fixed dates and author:
    the same commit every time)."""
    where.mkdir(parents=True)
    (where / "package.json").write_text(
        _manifest(name="git-dep", version="1.2.3", dependencies={"is-number": "7.0.0"})
    )
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": GIT_DATE,
        "GIT_COMMITTER_DATE": GIT_DATE,
        "GIT_AUTHOR_NAME": "fixture",
        "GIT_AUTHOR_EMAIL": "fixture@example.invalid",
        "GIT_COMMITTER_NAME": "fixture",
        "GIT_COMMITTER_EMAIL": "fixture@example.invalid",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=where, env=env, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, check=True
    ).stdout.strip()


SIMPLE = {
    "dependencies": {
        "debug": "4.4.3",
        "lodash-alias": "npm:lodash@4.17.21",
        "react-dom": "18.2.0",
        "react": "18.2.0",
        "@sigstore/protobuf-specs": "0.3.2",
    },
    "devDependencies": {"semver": "7.6.0", "is-number": "7.0.0"},
    "optionalDependencies": {"fsevents": "2.3.3", "ms": "2.1.3"},
}


def write_project(kind: str, project: str, root: Path, registry: str) -> None:
    """The files of one project (`kind`: pnpm or bun) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    if project == "simple":
        (root / "package.json").write_text(
            _manifest(name=f"{kind}-simple", version="1.0.0", private=True, **SIMPLE)
        )
    elif project == "mono":
        top: dict[str, Any] = {"name": "mono-root", "version": "0.0.0", "private": True}
        if kind == "bun":
            top["workspaces"] = ["packages/*"]
        else:
            (root / "pnpm-workspace.yaml").write_text("packages:\n  - packages/*\n")
        top["devDependencies"] = {"is-odd": "3.0.1"}
        (root / "package.json").write_text(_manifest(**top))
        a_deps = {"@mono/b": "workspace:*", "ms": "2.1.3", "local-dir": "file:../../local-dir"}
        # Bun links only registered packages (`bun link`); pnpm links any directory.
        a_deps["@mono/c" if kind == "bun" else "linked"] = (
            "workspace:^" if kind == "bun" else "link:../c"
        )
        members = {
            "a": _manifest(
                name="@mono/a",
                version="1.0.0",
                dependencies=a_deps,
                devDependencies={"is-number": "7.0.0"},
            ),
            "b": _manifest(
                name="@mono/b",
                version="2.0.0",
                dependencies={"is-number": "6.0.0", "ms-old": "npm:ms@2.0.0"},
                optionalDependencies={"is-odd": "3.0.1"},
            ),
            "c": _manifest(name="@mono/c", version="3.0.0", dependencies={"kind-of": "6.0.3"}),
        }
        for name, text in members.items():
            (root / "packages" / name).mkdir(parents=True)
            (root / "packages" / name / "package.json").write_text(text)
        (root / "local-dir").mkdir()
        (root / "local-dir" / "package.json").write_text(
            _manifest(name="local-dir", version="0.1.0", dependencies={"is-buffer": "2.0.5"})
        )
    elif project == "sources":
        (root / "vendor").mkdir()
        (root / "vendor" / "tar-dep-0.0.1.tgz").write_bytes(_tarball())
        commit = _git_repo(root.parent / f"{root.name}-git")
        deps = {
            "ms-tarball": f"{registry}ms/-/ms-2.1.2.tgz",
            "tar-dep": "file:vendor/tar-dep-0.0.1.tgz",
            "git-dep": f"git+file://{root.parent / f'{root.name}-git'}#{commit}",
            "@scope-alias/debug": "npm:debug@4.3.4",
            "esbuild": "0.20.2",
        }
        (root / "package.json").write_text(
            _manifest(name=f"{kind}-sources", version="1.0.0", private=True, dependencies=deps)
        )
    else:
        raise ValueError(project)


PROJECTS = {
    "pnpm": ("simple", "mono", "sources"),
    "pnpm8": ("simple", "mono"),
    "bun": ("simple", "mono", "sources"),
}
LOCKFILE = {"pnpm": "pnpm-lock.yaml", "pnpm8": "pnpm-lock.yaml", "bun": "bun.lock"}
LISTING = {"pnpm": "pnpm-ls.json", "pnpm8": "pnpm-ls.json", "bun": "bun-pm-ls.txt"}
FIXTURE_DIR = {"pnpm": "pnpm", "pnpm8": "pnpm-v6", "bun": "bun"}


def run_client(kind: str, exe: str, root: Path) -> str:
    """Install with the real client; returns its listing."""
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "FORCE_COLOR": "0"}
    if kind == "bun":
        subprocess.run(
            [exe, "install", "--ignore-scripts"], cwd=root, env=env, check=True, capture_output=True
        )
        return subprocess.run(
            [exe, "pm", "ls", "--all"],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    subprocess.run(
        [exe, "install", "--ignore-scripts", "--config.confirmModulesPurge=false"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return subprocess.run(
        [exe, "ls", "--json", "--depth", "Infinity", "-r"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def generate(kind: str, project: str, exe: str, workdir: Path) -> tuple[Path, str]:
    """Install `project` with the live client in `workdir`: (lockfile path, listing)."""
    registry = npm_registry()
    root = workdir / project
    write_project("pnpm" if kind.startswith("pnpm") else "bun", project, root, registry)
    listing = run_client(kind, exe, root)
    return root / LOCKFILE[kind], listing


def _rewrite(text: str, registry: str, tmp: str) -> str:
    return text.replace(registry, LOOPBACK).replace(tmp, TMP_MARK)


def write_fixtures() -> None:
    registry = npm_registry()
    for kind, projects in PROJECTS.items():
        exe = client(kind)
        if exe is None:
            print(f"{kind}: not found, skipped", file=sys.stderr)
            continue
        for project in projects:
            with tempfile.TemporaryDirectory() as tmp:
                real = str(Path(tmp).resolve())
                lockfile, listing = generate(kind, project, exe, Path(real))
                dest = FIXTURES / FIXTURE_DIR[kind] / project
                if dest.exists():
                    shutil.rmtree(dest)
                dest.mkdir(parents=True)
                lock_text = _rewrite(lockfile.read_text(), registry, real)
                (dest / LOCKFILE[kind]).write_text(lock_text)
                (dest / LISTING[kind]).write_text(_rewrite(listing, registry, real))
                print(f"wrote {dest}", file=sys.stderr)


# ---- the listings, read into what the parser must produce -------------------------------

Key = tuple[str, str]  # (name, version) as the client shows it


def _os_skipped(values: object) -> bool:
    """A package pnpm or Bun skips here (Linux x64) for its os/cpu fields."""
    return False if values is None else "linux" not in str(values) and "x64" not in str(values)


def listed_pnpm(listing: str) -> tuple[set[Key], set[Key], set[Key]]:
    """(every package, the direct ones, the dev-only ones) of `pnpm ls --json`."""
    projects = json.loads(listing)
    every: set[Key] = set()
    prod: set[Key] = set()
    direct: set[Key] = set()

    def walk(node: dict[str, Any], into: set[Key]) -> None:
        for field in ("dependencies", "devDependencies", "optionalDependencies"):
            for dep in (node.get(field) or {}).values():
                key = (dep.get("from"), dep.get("version"))
                if not str(key[1]).startswith("link:"):
                    into.add(key)
                walk(dep, into)

    for project in projects:
        for field in ("dependencies", "devDependencies", "optionalDependencies"):
            for dep in (project.get(field) or {}).values():
                key = (dep.get("from"), dep.get("version"))
                if str(key[1]).startswith("link:"):
                    continue
                direct.add(key)
        walk(project, every)
        only_prod = {k: v for k, v in project.items() if k != "devDependencies"}
        walk(only_prod, prod)
    return every, direct, every - prod


def parsed_pnpm(lockfile: Lockfile) -> tuple[set[Key], set[Key], set[Key]]:
    mine = [p for p in lockfile.packages if not p.paths[0].startswith("link:")]
    return (
        {(p.name, p.version) for p in mine},
        {(p.name, p.version) for p in mine if p.direct},
        {(p.name, p.version) for p in mine if p.dev},
    )


_TREE = re.compile(r"^[│├└─\s]*([^\s].*)$")


def listed_bun(listing: str) -> set[Key]:
    """(install name, shown version) of every line of `bun pm ls --all`."""
    out: set[Key] = set()
    for line in listing.splitlines()[1:]:
        m = _TREE.match(line)
        if m is None or not m.group(1).strip():
            continue
        item = m.group(1).strip()
        at = item.find("@", 1)
        out.add((item[:at], item[at + 1 :]))
    return out


def shown_bun(p: Package, workspaces: tuple[str, ...]) -> str:
    """The version `bun pm ls` shows for a package."""
    if p.source is SourceKind.LINK and p.resolved is not None:
        return f"workspace:{p.resolved}" if p.resolved in workspaces else p.resolved
    if p.source is SourceKind.REGISTRY:
        return p.version
    return p.resolved or p.version


def parsed_bun(lockfile: Lockfile, skip: Callable[[Package], bool]) -> set[Key]:
    out: set[Key] = set()
    for p in lockfile.packages:
        if skip(p):
            continue
        for path in p.paths:
            install = path.rsplit("/", 1)[-1]
            if "/" in path and path.split("/")[-2].startswith("@"):
                install = "/".join(path.split("/")[-2:])
            out.add((install, shown_bun(p, lockfile.workspaces)))
    return out


if __name__ == "__main__":
    if "--write" not in sys.argv:
        print(__doc__)
        sys.exit(2)
    write_fixtures()
