"""The rig is shared by every test of the directory; the results table is printed at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.npm.rig import NPM, NpmRig

ROWS: list[dict[str, str]] = []
COLUMNS = (
    "variant",
    "class",
    "npm installs",
    "auditor (recommended)",
    "exit rec/strict/pinned",
    "oracle",
)


@pytest.fixture(scope="session")
def rig() -> Iterator[NpmRig]:
    if NPM is None:
        pytest.skip("npm is not on PATH: the differential harness needs the real client")
    with NpmRig.start() as started:
        yield started


def table() -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    seen: set[str] = set()
    for row in ROWS:
        if row["variant"] in seen:
            continue  # hypothesis replays its failing example
        seen.add(row["variant"])
        cells = [row.get(c, "").replace("|", "\\|") for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ROWS:
        return
    text = table()
    target = os.environ.get("NPM_DIFF_TABLE")
    if target:
        Path(target).write_text(text)
    if target or terminalreporter.config.getoption("verbose") > 0:
        terminalreporter.write_sep("-", f"npm differential: {len(ROWS)} runs")
        terminalreporter.write(text)
