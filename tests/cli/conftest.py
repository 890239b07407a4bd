"""Fixtures of the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user or global npmrc and no npm: only the project's configuration counts."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", str(home / "npmrc"))
    monkeypatch.setenv("NPM_CONFIG_GLOBALCONFIG", str(home / "global-npmrc"))
    monkeypatch.setenv("PATH", "/nonexistent")
    for name in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        monkeypatch.delenv(name, raising=False)
    return home
