"""The report-format registry: the CLI's --format choices and --NAME FILE options come
from it, and each entry renders what `render` renders."""

from __future__ import annotations

import argparse

import pytest

from auditor.cli import build_audit_parser
from auditor.errors import UsageError
from auditor.report import FORMATS, REPORT_FORMATS, RenderOptions, render
from tests.report.scenarios import mixed


def _option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action:
    return next(a for a in parser._actions if flag in a.option_strings)


def test_the_cli_offers_exactly_the_registered_formats() -> None:
    parser = build_audit_parser()
    assert list(_option(parser, "--format").choices or ()) == list(FORMATS)
    assert FORMATS == ("text", "json", "sarif", "markdown")  # contract: --format values
    files = [f"--{f.name}" for f in REPORT_FORMATS if f.file_help]
    assert files == ["--json", "--sarif", "--markdown", "--annotations"]
    for flag in files:
        assert _option(parser, flag).metavar == "FILE"


@pytest.mark.parametrize("fmt", REPORT_FORMATS, ids=lambda f: f.name)
def test_each_entry_renders_like_render(fmt: object) -> None:
    from auditor.report.format import ReportFormat

    assert isinstance(fmt, ReportFormat)
    assert fmt.render(mixed(), RenderOptions()) == render(mixed(), fmt.name)


def test_an_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown report format 'xml'; choose from text, json"):
        render(mixed(), "xml")
