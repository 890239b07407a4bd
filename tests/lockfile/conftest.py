from __future__ import annotations

from pathlib import Path

import pytest

from auditor.lockfile import parse_lockfile
from auditor.models import Lockfile, Package

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lockfiles"


def fixture_path(name: str) -> Path:
    path = FIXTURES / name
    assert path.exists(), f"missing fixture {path}"
    return path


def load(name: str) -> Lockfile:
    return parse_lockfile(fixture_path(name))


def by_spec(lockfile: Lockfile) -> dict[str, Package]:
    """spec -> package; fails when a spec occurs twice (tests that expect that use lists)."""
    out: dict[str, Package] = {}
    for p in lockfile.packages:
        assert p.spec not in out, f"{p.spec} occurs twice"
        out[p.spec] = p
    return out


def flags(p: Package) -> str:
    """Compact flag string: D dev, O optional, X devOptional, P peer, B inBundle,
    S hasInstallScript, d direct."""
    values = (
        p.dev,
        p.optional,
        p.dev_optional,
        p.peer,
        p.in_bundle,
        p.has_install_script,
        p.direct,
    )
    return "".join(c for c, on in zip("DOXPBSd", values, strict=True) if on)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
