"""SARIF: the official 2.1.0 schema, the real rule catalogue, locations, fingerprints, limits."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.models import Finding, Level, PackageResult, Status
from auditor.policy import RULES
from auditor.report import render
from auditor.report.sarif import (
    FINGERPRINT_KEY,
    MAX_RESULTS,
    artifact_location,
    fingerprint,
    render_sarif,
    repository_root,
)
from tests.contract import STABLE_RULE_IDS
from tests.report.scenarios import SCENARIOS, TEST_RULES, changes, many, mixed, package, report
from tests.report.validators import validate_sarif


def sarif(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    validate_sarif(doc)
    return doc


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_real_catalogue_output_is_valid(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    doc = sarif(render(SCENARIOS[scenario](), "sarif"))
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_driver_has_one_rule_per_catalogue_check() -> None:
    run = sarif(render_sarif(mixed(), root=Path.cwd()))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "npm-provenance-auditor"
    assert driver["version"] and driver["informationUri"]
    ids = [r["id"] for r in driver["rules"]]
    assert set(ids) >= STABLE_RULE_IDS
    assert ids[: len(RULES)] == list(RULES)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        props = rule["properties"]
        assert 0.0 <= float(props["security-severity"]) <= 10.0
        assert 0 < len(props["tags"]) <= 10


def test_unknown_rule_gets_a_generic_descriptor() -> None:
    run = sarif(render_sarif(changes(), root=Path.cwd(), rules=TEST_RULES))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert rules[-1]["id"] == "change-provenance-lost"
    lost = next(r for r in run["results"] if r["ruleId"] == "change-provenance-lost")
    assert lost["ruleIndex"] == len(rules) - 1


def test_location_relative_to_git_top_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "app" / "web").mkdir(parents=True)
    monkeypatch.chdir(repo / "app")
    r = mixed()
    r = dataclasses.replace(r, lockfile="web/package-lock.json")
    run = sarif(render(r, "sarif"))["runs"][0]
    loc = run["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "app/web/package-lock.json", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"
    assert run["automationDetails"]["id"] == "npm-provenance-auditor/app/web/package-lock.json/"
    assert repository_root("web/package-lock.json", repo / "app") == repo


def test_git_file_marks_a_worktree_and_cwd_is_the_fallback(tmp_path: Path) -> None:
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text("gitdir: elsewhere\n")
    assert repository_root("package-lock.json", tmp_path / "wt") == tmp_path / "wt"
    plain = tmp_path / "plain"
    plain.mkdir()
    assert repository_root("package-lock.json", plain) in {plain, *plain.parents}


def test_lockfile_outside_the_root_is_an_absolute_uri(tmp_path: Path) -> None:
    loc = artifact_location("/elsewhere/package-lock.json", tmp_path / "root", tmp_path)
    assert loc == {"uri": "file:///elsewhere/package-lock.json"}


def test_global_and_lineless_findings_point_at_line_one() -> None:
    run = sarif(render_sarif(mixed(), root=Path.cwd(), rules=TEST_RULES))["runs"][0]
    cov = next(r for r in run["results"] if r["ruleId"] == "coverage-minimum")
    assert cov["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert "logicalLocations" not in cov["locations"][0]
    req = next(r for r in run["results"] if r["ruleId"] == "provenance-required")
    assert req["locations"][0]["physicalLocation"]["region"]["startLine"] == 20
    assert req["locations"][0]["logicalLocations"][0]["name"] == "left-pad@1.3.0"


def _finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "rule": "identity-repository",
        "level": Level.ERROR,
        "message": "m",
        "package": "x",
        "version": "1.0.0",
        "line": 10,
        "evidence": {"expected": "a", "actual": "b", "policy": "block 1"},
    }
    base.update(kw)
    return Finding(**base)


def test_fingerprint_ignores_line_message_and_measurements() -> None:
    fp = fingerprint(_finding(), "package-lock.json")
    assert fingerprint(_finding(line=999, message="other"), "package-lock.json") == fp
    moved = _finding(evidence={"expected": "c", "actual": 3.5, "policy": "block 1"})
    assert fingerprint(moved, "package-lock.json") == fp


def test_fingerprint_separates_subjects() -> None:
    fp = fingerprint(_finding(), "package-lock.json")
    assert fingerprint(_finding(version="1.0.1"), "package-lock.json") != fp
    assert fingerprint(_finding(rule="identity-ref"), "package-lock.json") != fp
    assert fingerprint(_finding(), "sub/package-lock.json") != fp
    assert fingerprint(_finding(evidence={"policy": "block 2"}), "package-lock.json") != fp
    prod = _finding(package=None, version=None, evidence={"scope": "production"})
    dev = _finding(package=None, version=None, evidence={"scope": "development"})
    assert fingerprint(prod, "p") != fingerprint(dev, "p")


def test_fingerprints_survive_moved_lines() -> None:
    before = sarif(render_sarif(mixed(), root=Path.cwd(), rules=TEST_RULES))["runs"][0]
    r = mixed()
    shifted = tuple(
        Finding(f.rule, f.level, f.message, f.package, f.version, (f.line or 0) + 40, f.evidence)
        for f in r.findings
    )
    r2 = dataclasses.replace(r, findings=shifted)
    after = sarif(render_sarif(r2, root=Path.cwd(), rules=TEST_RULES))["runs"][0]
    fps = [x["partialFingerprints"][FINGERPRINT_KEY] for x in before["results"]]
    assert fps == [x["partialFingerprints"][FINGERPRINT_KEY] for x in after["results"]]
    assert len(set(fps)) == len(fps)


def test_results_are_capped_errors_first_with_a_note() -> None:
    run = sarif(render_sarif(many(), root=Path.cwd(), rules=TEST_RULES, max_results=10))["runs"][0]
    assert len(run["results"]) == 10
    assert all(r["level"] == "error" for r in run["results"])
    assert run["properties"]["truncated"] is True
    assert run["properties"]["resultsOmitted"] == 110


def test_upload_limits_hold_for_a_huge_audit() -> None:
    pkgs = [package(f"p{i}", "1.0.0", i + 1) for i in range(MAX_RESULTS + 500)]
    findings = [
        Finding(
            "provenance-required",
            Level.ERROR,
            "m" * 5000,
            p.name,
            p.version,
            p.line,
            {"detail": "d" * 5000},
        )
        for p in pkgs
    ]
    r = report([PackageResult(p, Status.UNATTESTED) for p in pkgs], findings)
    text = render_sarif(r, root=Path.cwd(), rules=TEST_RULES)
    doc = json.loads(text)
    run = doc["runs"][0]
    assert len(doc["runs"]) == 1
    assert len(run["results"]) == MAX_RESULTS <= 25_000
    assert len(run["tool"]["driver"]["rules"]) <= 25_000
    assert all(len(r["locations"]) <= 1000 for r in run["results"])
    assert len(gzip.compress(text.encode())) < 10 * 1024 * 1024
    assert all(len(r["message"]["text"]) <= 2000 for r in run["results"])


def test_incomplete_audit_is_a_tool_notification() -> None:
    from tests.report.scenarios import errors

    run = sarif(render_sarif(errors(), root=Path.cwd(), rules=TEST_RULES))["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert "2 package(s) could not be checked" in notes[0]["message"]["text"]


def test_relative_uri_is_percent_encoded(tmp_path: Path) -> None:
    loc = artifact_location("my app/package-lock.json", tmp_path, tmp_path)
    assert loc == {"uri": "my%20app/package-lock.json", "uriBaseId": "%SRCROOT%"}


@pytest.mark.parametrize("rule_id", sorted(RULES))
@pytest.mark.parametrize("level", [Level.ERROR, Level.WARNING])
def test_severity_follows_the_level_the_policy_gave(rule_id: str, level: Level) -> None:
    """GitHub's default check fails on High: an error is High or worse, a warning never."""
    finding = Finding(rule_id, level, f"x@1.0.0: {rule_id}", "x", "1.0.0", 3)
    r = report([], [finding], rule_levels={rule_id: level})
    run = sarif(render_sarif(r, root=Path.cwd()))["runs"][0]
    result = run["results"][0]
    descriptor = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    severity = float(descriptor["properties"]["security-severity"])
    if level is Level.ERROR:
        assert severity >= 7.0
    else:
        assert severity < 7.0
    assert result["level"] == descriptor["defaultConfiguration"]["level"] == str(level)


def test_severity_follows_the_findings_when_the_report_has_no_levels() -> None:
    # A report built without rule_levels (older callers): the findings' level decides.
    finding = Finding("identity-repository", Level.WARNING, "x@1.0.0: repo", "x", "1.0.0", 3)
    run = sarif(render_sarif(report([], [finding]), root=Path.cwd()))["runs"][0]
    descriptor = run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]
    assert float(descriptor["properties"]["security-severity"]) < 7.0


def test_rules_the_policy_turned_off_are_disabled() -> None:
    r = report([], [], rule_levels=dict.fromkeys(RULES, Level.OFF))
    rules = sarif(render_sarif(r, root=Path.cwd()))["runs"][0]["tool"]["driver"]["rules"]
    release_age = next(d for d in rules if d["id"] == "release-age")
    assert release_age["defaultConfiguration"] == {"enabled": False, "level": "none"}


def test_every_rule_links_to_its_anchor_in_the_policy_docs() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text("utf-8")
    run = sarif(render_sarif(mixed(), root=Path.cwd()))["runs"][0]
    for descriptor in run["tool"]["driver"]["rules"]:
        uri = descriptor["helpUri"]
        assert uri.startswith(run["tool"]["driver"]["informationUri"])
        anchor = uri.rsplit("#", 1)[1]
        assert f'<a id="{anchor}"></a>' in docs, anchor


def test_category_is_the_automation_id_upload_sarif_keeps() -> None:
    # upload-sarif's `category` input only fills runs without automationDetails: the id
    # written here is the category, so the CLI takes it as an option.
    default = sarif(render_sarif(mixed(), root=Path.cwd()))["runs"][0]
    assert default["automationDetails"]["id"] == "npm-provenance-auditor/package-lock.json/"
    chosen = sarif(render_sarif(mixed(), root=Path.cwd(), category="npm-provenance-auditor/pr"))
    assert chosen["runs"][0]["automationDetails"]["id"] == "npm-provenance-auditor/pr/"
    via_render = sarif(render(mixed(), "sarif", sarif_category="team/x/"))
    assert via_render["runs"][0]["automationDetails"]["id"] == "team/x/"


def test_waived_findings_are_suppressed_results_after_the_open_ones() -> None:
    run = sarif(render_sarif(mixed(), root=Path.cwd(), rules=TEST_RULES))["runs"][0]
    open_results = [r for r in run["results"] if "suppressions" not in r]
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert len(open_results) == len(mixed().findings)
    assert [r["ruleId"] for r in suppressed] == ["identity-repository"]
    assert run["results"][-1] is suppressed[0]
    (suppression,) = suppressed[0]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert "fork reviewed by security (SEC-1)" in suppression["justification"]
    # A waived finding never takes the place of an open one when results are capped.
    capped = sarif(render_sarif(mixed(), root=Path.cwd(), max_results=len(open_results)))
    assert all("suppressions" not in r for r in capped["runs"][0]["results"])
    assert capped["runs"][0]["properties"]["resultsOmitted"] == 1
