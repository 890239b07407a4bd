"""Shared test configuration: every test runs hermetically.

The user's cache and npm configuration are redirected into a temporary directory so a
test can never read a developer's ~/.npmrc or cache, nor write outside tmp_path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.sanitize import forget_masks

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture(autouse=True)
def _hermetic_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # The cache key and refreshed trust material live in the data directory.
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", str(home / ".npmrc"))
    monkeypatch.setenv("NPM_CONFIG_GLOBALCONFIG", str(home / "global-npmrc"))
    for var in ("npm_config_registry", "NPM_CONFIG_REGISTRY", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    yield
    forget_masks()  # secrets one test's configuration registered are not another's


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
