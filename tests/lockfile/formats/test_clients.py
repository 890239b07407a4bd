"""The parsed package set equals the package manager's own listing.

The committed fixtures (fixtures/lockfiles/{pnpm,pnpm-v6,bun}/<project>/) hold a lockfile
written by the real client and that client's listing of what it installed
(`pnpm ls --json --depth Infinity -r`, `bun pm ls --all`); these tests run in `make test`.
The `clients` tests re-install the projects with the live clients (`make test-clients`)
and skip cleanly when a client is absent.  Packages for another platform (an `os`/`cpu`
that excludes Linux x64) are in the lockfile but not installed, so not listed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from auditor.lockfile import parse_lockfile
from auditor.lockfile.formats.bun import load_bun_json
from auditor.lockfile.formats.yamlload import load_yaml
from auditor.models import Lockfile, Package
from tests.lockfile.formats import clients

PNPM_CASES = [("pnpm", p) for p in clients.PROJECTS["pnpm"]] + [
    ("pnpm8", p) for p in clients.PROJECTS["pnpm8"]
]
BUN_CASES = [("bun", p) for p in clients.PROJECTS["bun"]]


def _elsewhere(fields: Any) -> bool:
    """os/cpu fields that exclude Linux x64 (the machine the listings were made on)."""
    if not isinstance(fields, dict):
        return False
    for key, here in (("os", "linux"), ("cpu", "x64")):
        value = fields.get(key)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if here not in values or f"!{here}" in values:
            return True
    return False


def pnpm_elsewhere(lockfile_path: Path) -> set[tuple[str, str]]:
    doc = load_yaml(lockfile_path.read_text(), str(lockfile_path))
    assert isinstance(doc, dict)
    out = set()
    for key, entry in (doc.get("packages") or {}).items():
        if _elsewhere(entry):
            name, _, version = key.lstrip("/").rpartition("@")
            out.add((name, version))
    return out


def bun_elsewhere(lockfile: Lockfile, path: Path) -> set[str]:
    doc = load_bun_json(path.read_text(), str(path))
    return {
        key
        for key, value in doc["packages"].items()
        if any(_elsewhere(item) for item in value[1:] if isinstance(item, dict))
    }


def check_pnpm(lockfile_path: Path, listing: str) -> None:
    lockfile = parse_lockfile(lockfile_path)
    assert lockfile.format == "pnpm"
    every, direct, dev = clients.listed_pnpm(listing)
    elsewhere = pnpm_elsewhere(lockfile_path)
    got_every, got_direct, got_dev = clients.parsed_pnpm(lockfile)
    # pnpm lists some of another platform's packages (fsevents) and not others.
    assert got_every - elsewhere == every - elsewhere
    assert got_direct - elsewhere == direct - elsewhere
    assert got_dev - elsewhere == dev - elsewhere
    assert all(p.line > 0 for p in lockfile.packages)


def check_bun(lockfile_path: Path, listing: str) -> None:
    lockfile = parse_lockfile(lockfile_path)
    assert lockfile.format == "bun"
    elsewhere = bun_elsewhere(lockfile, lockfile_path)

    def skip(p: Package) -> bool:
        return all(path in elsewhere for path in p.paths)

    assert clients.parsed_bun(lockfile, skip) == clients.listed_bun(listing)
    assert all(p.line > 0 for p in lockfile.packages)


@pytest.mark.parametrize(("kind", "project"), PNPM_CASES)
def test_pnpm_fixture_equals_its_listing(kind: str, project: str) -> None:
    where = clients.FIXTURES / clients.FIXTURE_DIR[kind] / project
    check_pnpm(where / "pnpm-lock.yaml", (where / "pnpm-ls.json").read_text())


@pytest.mark.parametrize(("kind", "project"), BUN_CASES)
def test_bun_fixture_equals_its_listing(kind: str, project: str) -> None:
    where = clients.FIXTURES / "bun" / project
    check_bun(where / "bun.lock", (where / "bun-pm-ls.txt").read_text())


@pytest.mark.clients
@pytest.mark.parametrize(("kind", "project"), PNPM_CASES + BUN_CASES)
def test_live_client_listing(kind: str, project: str, tmp_path: Path) -> None:
    if os.environ.get("AUDITOR_CLIENTS") != "1":
        pytest.skip("live clients run in `make test-clients` (AUDITOR_CLIENTS=1)")
    exe = clients.client(kind)
    if exe is None:
        pytest.skip(f"{kind} is not installed (PATH, or AUDITOR_{kind.upper()})")
    lockfile, listing = clients.generate(kind, project, exe, tmp_path)
    if kind == "bun":
        check_bun(lockfile, listing)
    else:
        check_pnpm(lockfile, listing)
