"""A mirror that strips attestations: detected once as `registry-no-attestations`, and
audited soundly with `--attestations-registry` (or `[registry] attestations`) pointing at
the origin while tarballs keep resolving through the mirror."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import PolicyError
from auditor.policy import parse_policy
from tests.engine.scenario import Scenario, build
from tests.engine.test_cli_live import write_lockfile
from tests.support.registry import running_registry

REPO = Path(__file__).resolve().parents[2]
RECOMMENDED = str(REPO / "policies" / "recommended.toml")


def _project(tmp_path: Path) -> tuple[Scenario, Path]:
    sc = build(tmp_path / "sc")
    proj = tmp_path / "proj"
    proj.mkdir()
    return sc, write_lockfile(sc, proj / "package-lock.json")


def _audit(
    capsys: pytest.CaptureFixture[str], sc: Scenario, lock: Path, *extra: str
) -> tuple[int, dict[str, object], str]:
    code = main(
        [
            str(lock),
            "--policy",
            RECOMMENDED,
            "--no-cache",
            "--format",
            "json",
            "--trusted-root",
            str(sc.root),
            "--npm-keys",
            str(sc.keys),
            *extra,
        ]
    )
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def _statuses(doc: dict[str, object]) -> dict[str, str]:
    packages = doc["packages"]
    assert isinstance(packages, list)
    return {f"{p['name']}@{p['version']}": p["status"] for p in packages}


def _no_attestations(doc: dict[str, object]) -> list[dict[str, object]]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return [f for f in findings if f["rule"] == "registry-no-attestations"]


def test_a_stripping_mirror_is_reported_once_naming_the_registry_and_its_npmrc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc, lock = _project(tmp_path)
    with running_registry(sc.data, strip_attestations=True) as mirror:
        mirror.write_npmrc(lock.parent)
        code, doc, _ = _audit(capsys, sc, lock)
    statuses = _statuses(doc)
    assert {s for k, s in statuses.items() if k != "gitdep@1.0.0"} == {"unattested"}
    (finding,) = _no_attestations(doc)
    assert finding["level"] == "error" and finding["package"] is None
    assert f"registry {mirror.url}/ " in str(finding["message"])
    assert str(lock.parent / ".npmrc") in str(finding["message"])
    assert code == 1


def test_the_origin_registry_gives_the_direct_verdicts_through_the_mirror(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc, lock = _project(tmp_path)
    with running_registry(sc.data) as origin:
        direct_code, direct, _ = _audit(capsys, sc, lock, "--registry", origin.url)
        assert not _no_attestations(direct)  # the origin serves evidence: no finding
        with running_registry(sc.data, strip_attestations=True) as mirror:
            mirror.write_npmrc(lock.parent)
            code, doc, _ = _audit(capsys, sc, lock, "--attestations-registry", origin.url)
            assert mirror.count("attestations") == mirror.count("packument") == 0
            assert mirror.count("keys") == 0
            # The policy key does the same.
            policy = tmp_path / "policy.toml"
            policy.write_text(
                Path(RECOMMENDED).read_text() + f'\n[registry]\nattestations = "{origin.url}"\n'
            )
            pcode, pdoc, _ = _audit(capsys, sc, lock, "--policy", str(policy))
    assert _statuses(doc) == _statuses(direct) == sc.expected
    assert _statuses(pdoc) == sc.expected
    assert not _no_attestations(doc) and not _no_attestations(pdoc)
    assert code == direct_code == pcode


def test_a_plain_http_attestations_registry_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lock = _project(tmp_path)
    args = ["--registry", "http://127.0.0.1:9/", "--no-cache"]
    code = main([str(lock), *args, "--attestations-registry", "http://mirror.invalid/"])
    assert code == 2
    assert "--attestations-registry" in capsys.readouterr().err


def test_policy_key_is_checked() -> None:
    policy = parse_policy('version = 1\n[registry]\nattestations = "https://o.test/x"\n', "p")
    assert policy.attestations_registry == "https://o.test/x/"
    with pytest.raises(PolicyError):
        parse_policy('version = 1\n[registry]\nattestations = "ftp://o.test/"\n', "p")
    with pytest.raises(PolicyError):
        parse_policy('version = 1\n[registry]\nmirror = "https://o.test/"\n', "p")
