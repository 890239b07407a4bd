"""The pipeline's behaviour, pinned: the JSON reports of the demo, a bench project, a
project with every category and the pull-request mode are identical to their goldens
(fixtures/golden/engine/, recorded before the engine was split into auditor/pipeline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.behaviour import SCENARIOS, check


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_report_is_unchanged(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    check(name, SCENARIOS[name](tmp_path))
