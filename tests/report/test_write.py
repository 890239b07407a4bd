"""write_reports: atomic, creates parents, one-line UsageError when it cannot write."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from auditor.errors import UsageError
from auditor.report import FORMATS, render, write_reports
from tests.report.scenarios import mixed


def test_writes_every_format_creating_parents(tmp_path: Path) -> None:
    targets = {fmt: tmp_path / "out" / fmt / f"report.{fmt}" for fmt in FORMATS}
    write_reports(mixed(), targets)
    for fmt, path in targets.items():
        assert path.read_text(encoding="utf-8") == render(mixed(), fmt)
    assert json.loads(targets["json"].read_text())["schema"] == "auditor-report/1"
    leftovers = list(tmp_path.rglob("*.tmp"))
    assert leftovers == []


def test_replaces_an_existing_file_with_the_umask_mode(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")
    old = os.umask(0o027)
    try:
        write_reports(mixed(), {"json": path})
    finally:
        os.umask(old)
    assert path.read_text().startswith("{")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_text_written_to_a_file_has_no_colour(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    write_reports(mixed(), {"text": path})
    assert "\x1b" not in path.read_text()


@pytest.mark.parametrize("kind", ["directory", "parent-is-file"])
def test_unwritable_target_is_a_one_line_usage_error(tmp_path: Path, kind: str) -> None:
    if kind == "directory":
        target = tmp_path / "adir"
        target.mkdir()
    else:
        (tmp_path / "afile").write_text("x")
        target = tmp_path / "afile" / "r.json"
    with pytest.raises(UsageError) as info:
        write_reports(mixed(), {"json": target})
    message = str(info.value)
    assert "\n" not in message and "json report" in message and str(target) in message
    assert list(tmp_path.rglob("*.tmp")) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="cannot write the sarif report"):
            write_reports(mixed(), {"sarif": ro / "r.sarif"})
    finally:
        ro.chmod(0o700)


def test_unknown_format_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown report format 'xml'"):
        write_reports(mixed(), {"json": tmp_path / "a.json", "xml": tmp_path / "b.xml"})
    assert list(tmp_path.iterdir()) == []
