"""Every format over every scenario, compared with fixtures/golden/report/<scenario>/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.report import render
from auditor.report.sarif import render_sarif
from auditor.report.text import render_text
from tests.report.golden import GOLDEN_DIR, assert_golden, normalize
from tests.report.scenarios import SCENARIOS, TEST_RULES
from tests.report.validators import validate_report_json, validate_sarif

FILES = {
    "text": "report.txt",
    "json": "report.json",
    "sarif": "report.sarif",
    "markdown": "report.md",
}
# Extra variants rendered for some scenarios only.
EXTRAS = {
    "mixed": ("report.color.txt", "report.verbose.txt"),
    "hostile": ("report.color.txt", "report.verbose.txt"),
    "many": ("report.verbose.txt",),
}


def expected_goldens() -> set[str]:
    names = {f"{s}/{f}" for s in SCENARIOS for f in FILES.values()}
    names |= {f"{s}/{f}" for s, files in EXTRAS.items() for f in files}
    return names


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Render from a directory outside any git checkout, so the SARIF root is cwd."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("fmt", sorted(FILES))
def test_golden(scenario: str, fmt: str, in_tmp: Path) -> None:
    report = SCENARIOS[scenario]()
    if fmt == "sarif":
        text = render_sarif(report, rules=TEST_RULES)
        validate_sarif(json.loads(text))
    else:
        text = render(report, fmt)
    if fmt == "json":
        validate_report_json(json.loads(text))
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert_golden(f"{scenario}/{FILES[fmt]}", normalize(text, root=in_tmp))


@pytest.mark.parametrize(
    ("scenario", "name"), sorted((s, f) for s, files in EXTRAS.items() for f in files)
)
def test_golden_text_variants(scenario: str, name: str, in_tmp: Path) -> None:
    report = SCENARIOS[scenario]()
    text = render_text(report, color="color" in name, verbose="verbose" in name)
    assert_golden(f"{scenario}/{name}", normalize(text, root=in_tmp))


def test_no_unused_goldens() -> None:
    present = {p.relative_to(GOLDEN_DIR).as_posix() for p in GOLDEN_DIR.rglob("*") if p.is_file()}
    unused = present - expected_goldens()
    assert not unused, f"golden files no test uses (delete them): {sorted(unused)}"
