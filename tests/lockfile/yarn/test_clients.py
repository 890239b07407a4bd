"""Live: the real Yarn 1 and Yarn 4 install the fixture projects again, and the lockfiles
they write parse to exactly what they list (marker `clients`, `make test-clients`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.lockfile import parse_lockfile

from . import clients
from .conftest import classic_listing, installed
from .projects import BERRY, CLASSIC
from .test_berry import berry_listing

pytestmark = pytest.mark.clients


@pytest.fixture
def registry() -> str:
    why = clients.available()
    if why is not None:
        pytest.skip(why)
    url = clients.registry()
    assert url is not None
    return url


@pytest.mark.parametrize("project", sorted(CLASSIC))
def test_classic_live(project: str, registry: str, tmp_path: Path) -> None:
    work, home = tmp_path / "p", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    clients.materialize(CLASSIC[project], work, registry)
    made = clients.classic(work, home, registry)
    lf = parse_lockfile(work / "yarn.lock")
    links = {p.name for p in lf.packages if p.source.value == "link"}
    full = classic_listing(made["listing.json"], links=links)
    assert installed(lf) == full
    production = classic_listing(made["listing-production.json"], links=links)
    dev = {f"{n}@{p.version}" for p in lf.packages if p.dev for n in (p.aliases or (p.name,))}
    assert dev == full - production


@pytest.mark.parametrize("project", sorted(BERRY))
def test_berry_live(project: str, registry: str, tmp_path: Path) -> None:
    work, home = tmp_path / "p", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    clients.materialize(BERRY[project], work, registry)
    made = clients.berry(work, home, registry, patch="left-pad" if project == "patched" else None)
    lf = parse_lockfile(work / "yarn.lock")
    assert lf.format == "yarn-berry"
    locators = {path for p in lf.packages for path in p.paths}
    assert locators == berry_listing(made["info.json"])
