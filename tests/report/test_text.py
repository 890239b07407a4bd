"""Text report: 100 columns, colour only on request, truncation, hostile strings made inert."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.models import Finding, Identity, Level, PackageResult, Status, VerificationResult
from auditor.report import render
from auditor.report.text import MAX_ROWS, WIDTH, render_text
from tests.report.scenarios import SCENARIOS, errors, hostile, many, package, report

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("verbose", [False, True])
def test_fits_in_100_columns_without_colour(scenario: str, verbose: bool) -> None:
    text = render_text(SCENARIOS[scenario](), verbose=verbose)
    assert "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) <= WIDTH


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_colour_changes_nothing_but_escape_codes(scenario: str) -> None:
    r = SCENARIOS[scenario]()
    coloured = render_text(r, color=True)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == render_text(r)


def test_long_lists_are_truncated_with_a_pointer_to_json() -> None:
    text = render(many(), "text")
    assert f"… {120 - MAX_ROWS} more; see --format json" in text
    # Errors come first, so no error hides behind the cut while warnings are shown.
    shown = [line for line in text.splitlines() if line.startswith(("error ", "warning "))]
    assert len(shown) == MAX_ROWS
    assert all(line.startswith("error") for line in shown)


def test_incomplete_audit_is_said_plainly() -> None:
    text = render(errors(), "text")
    assert "2 package(s) could not be checked: the audit is incomplete." in text
    assert "FETCH_TIMEOUT" in text


def test_hostile_strings_cannot_reach_the_terminal() -> None:
    text = render_text(hostile(), verbose=True)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x07" in text  # shown, escaped


def test_verbose_shows_signers() -> None:
    text = render_text(SCENARIOS["mixed"](), verbose=True)
    assert "github.com/sigstore/sigstore-js" in text and "github-hosted" in text
    assert "github.com/sigstore/sigstore-js" not in render_text(SCENARIOS["mixed"]())


def test_changes_are_listed() -> None:
    text = render(SCENARIOS["changes"](), "text")
    assert re.search(r"updated +sigstore +2\.0\.0 +2\.3\.1", text)
    assert re.search(r"removed +old-thing +0\.1\.0 +-", text)


_ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=300) | st.text(max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_ANY_TEXT, version=_ANY_TEXT, message=_ANY_TEXT, repo=_ANY_TEXT, rule=_ANY_TEXT)
def test_arbitrary_strings_stay_inert_and_narrow(
    name: str, version: str, message: str, repo: str, rule: str
) -> None:
    pkg = dataclasses.replace(package("x", "1", 3), name=name or "n", version=version or "v")
    ver = VerificationResult(Status.VERIFIED, identity=Identity(source_repository=repo, ref=repo))
    r = report(
        [
            PackageResult(pkg, Status.VERIFIED, verification=ver),
            PackageResult(pkg, Status.INVALID, message, message),
        ],
        [Finding(rule or "r", Level.ERROR, message, pkg.name, pkg.version, 3, {"k": message})],
    )
    for fmt in ("text", "markdown", "json", "sarif"):
        out = render(r, fmt)
        out.encode("utf-8")  # never a lone surrogate
        if fmt == "text":
            assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
            # Every line, truncated ones (…) and hostile text included, in code points.
            assert max(len(line) for line in out.splitlines()) <= WIDTH
    text = render_text(r, verbose=True)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", text)


def test_big_counts_wrap_the_summary_lines() -> None:
    from auditor.models import SourceKind

    pkgs = []
    for i, source in enumerate([*SourceKind] * 2):
        pkgs.append(dataclasses.replace(package(f"p{i}", "1", i + 1), source=source))
    r = report([PackageResult(p, Status.UNATTESTED) for p in pkgs], [])
    from auditor.report.text import _join_wrapped

    parts = [(f"status-{i} 1234567", f"status-{i} 1234567") for i in range(12)]
    lines = _join_wrapped("Status:   ", parts, "")
    assert len(lines) > 1 and all(len(line) <= WIDTH for line in lines)
    assert all(line.startswith("          ") for line in lines[1:])
    assert " ".join(line.strip() for line in lines).count("1234567") == 12
    assert render_text(r).splitlines()[3].startswith("Packages: 12 (registry 2, git 2,")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("x@1.0.0 has no provenance", "has no provenance"),
        ("x@1.0.0: bad signature", "bad signature"),
        ("x@1.0.0-beta has no provenance", "x@1.0.0-beta has no provenance"),
        ("x@1.0.0", "x@1.0.0"),
        ("other text", "other text"),
    ],
)
def test_finding_detail_drops_the_shown_spec(message: str, expected: str) -> None:
    from auditor.report._common import finding_detail

    assert finding_detail(message, "x", "1.0.0") == expected
    assert finding_detail(message, None, None) == message


def test_worst_statuses_come_first_in_the_cut_list() -> None:
    base = many()
    bad = PackageResult(package("zzz-tampered", "1.0.0", 9999), Status.INVALID, "DSSE_SIGNATURE")
    r = dataclasses.replace(base, results=(*base.results, bad))
    text = render(r, "text")
    assert "zzz-tampered@1.0.0" in text
    md = render(r, "markdown")
    assert md.index("zzz-tampered") < md.index("<code>pkg-000&#64;1.0.0</code> | 🟡")


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_fits_the_terminal_width(scenario: str, width: int) -> None:
    text = render_text(SCENARIOS[scenario](), verbose=True, width=width)
    assert max(len(line) for line in text.splitlines()) <= width


def test_package_names_are_wrapped_never_cut() -> None:
    name = "@a-very-long-scope-name/" + "x" * 90
    pkg = package(name, "1.0.0-with.a.long.prerelease", 7)
    r = report([PackageResult(pkg, Status.UNATTESTED, "NO_ATTESTATIONS")], [])
    for width in (80, 100):
        lines = render_text(r, width=width).splitlines()
        start = lines.index(next(line for line in lines if line.startswith("package"))) + 2
        column = lines[start].index("unattested")
        cells = []
        for line in lines[start:]:
            if not line.strip():
                break
            cells.append(line[:column].strip())
        assert "".join(cells) == pkg.spec
        assert "…" not in "\n".join(lines)
