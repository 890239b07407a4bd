"""Markdown: bounded size, balanced <details>, inert cells, no mentions."""

from __future__ import annotations

import re

import pytest

from auditor.models import Finding, Level, PackageResult, Report, Status
from auditor.report import render
from auditor.report.markdown import MAX_CHARS, escape, render_markdown
from tests.report.scenarios import SCENARIOS, hostile, many, package, report


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_structure(scenario: str) -> None:
    text = render(SCENARIOS[scenario](), "markdown")
    assert text.count("<details>") + text.count("<details open>") == text.count("</details>")
    assert len(text) <= MAX_CHARS
    # Every row of a table has as many cells as its header: no cell broke out.
    columns = 0
    for line in text.splitlines():
        if not line.startswith("|"):
            columns = 0
            continue
        cells = line.count("|") - 1
        columns = columns or cells
        assert cells == columns, line


def test_hostile_cells_are_inert() -> None:
    text = render(hostile(), "markdown")
    for raw in ("<script>", "<img", "`code`", "**bold**", "[link]", "\x1b", "\u202e", ":smile:"):
        assert raw not in text
    # Scopes and handles never mention anyone: `@` is an entity in code, broken elsewhere.
    assert not re.search(r"@\w", text)
    assert "<code>&#64;evil/pkg" in text


def test_escape() -> None:
    assert escape("a|b") == "<code>a&#124;b</code>"
    # No zero-width characters: the rendered text copies as the name itself.
    assert escape("@org/team") == "<code>&#64;org/team</code>"
    assert escape("see www.example.test") == "<code>see www&#46;example.test</code>"
    assert escape("line1\nline2") == "<code>line1 line2</code>"
    assert len(escape("x" * 10_000)) <= 300 + len("<code></code>")


def test_huge_report_is_cut_to_the_limit_with_a_note() -> None:
    pkgs = [package(f"package-{i:05d}", "1.0.0", i + 1) for i in range(3000)]
    findings = [
        Finding("provenance-required", Level.ERROR, "long " * 80, p.name, p.version, p.line)
        for p in pkgs
    ]
    r = report([PackageResult(p, Status.UNATTESTED, "NO_ATTESTATIONS") for p in pkgs], findings)
    text = render_markdown(r)
    assert len(text) <= MAX_CHARS < 65_536
    assert "more not shown (size limit); the JSON report has all of them." in text
    assert text.count("<details>") + text.count("<details open>") == text.count("</details>")
    small = render_markdown(r, max_chars=5_000)
    assert len(small) <= 5_000


def test_truncation_shows_errors_first() -> None:
    text = render_markdown(many(), max_chars=4_000)
    rows = [r for r in _table_rows(text) if r.startswith(("| error", "| warning"))]
    assert rows and all(r.startswith("| error") for r in rows)


def test_undecided_packages_never_get_a_green_tick() -> None:
    pkg = package("x", "1.0.0", 1)
    r = report([PackageResult(pkg, Status.ERROR, "FETCH_TIMEOUT")], [])
    head = render(r, "markdown").splitlines()[0]
    assert head == "### ⚠️ npm provenance audit: no findings, incomplete"


def test_errors_are_expanded_and_the_header_names_the_base() -> None:
    from tests.report.scenarios import changes

    text = render_markdown(changes())
    assert "<details open><summary>Findings" in text
    assert text.splitlines()[0].startswith(
        "### ❌ npm provenance audit of the changes against <code>origin/main</code>"
    )
    # Warnings only: collapsed, like every other section.
    assert "<details open>" not in render_markdown(many_warnings())


def many_warnings() -> Report:
    import dataclasses

    from auditor.models import Level as L
    from tests.report.scenarios import mixed

    r = mixed()
    return dataclasses.replace(
        r, findings=tuple(dataclasses.replace(f, level=L.WARNING) for f in r.findings)
    )


def test_no_invisible_characters_so_identities_copy_as_they_are() -> None:
    from tests.report.scenarios import SCENARIOS

    for build in SCENARIOS.values():
        text = render_markdown(build())
        assert not any(ch in text for ch in "\u200b\u200c\u200d\u2060\ufeff")
