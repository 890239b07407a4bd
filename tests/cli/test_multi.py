"""Several lockfiles in one run: `audit -r DIR` and several LOCKFILE paths (issue 17)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.models import Package
from tests.engine.scenario import Scenario, build
from tests.lockfile.formats.synth import Spec, bun_lockfile, pnpm_lockfile
from tests.report.validators import validate_report_json, validate_sarif
from tests.support.registry import running_registry, sri_sha512


def write_lockfile(packages: Sequence[Package], path: Path) -> Path:
    """An npm v3 lockfile of `packages` (each at node_modules/<name>), one entry per line
    group so that every package has its own line."""
    entries: dict[str, dict[str, object]] = {"": {"name": "project", "version": "1.0.0"}}
    for p in packages:
        entry: dict[str, object] = {"version": p.version, "resolved": p.resolved}
        if p.integrity:
            entry["integrity"] = p.integrity
        entries[f"node_modules/{p.name}"] = entry
    doc = {"name": "project", "version": "1.0.0", "lockfileVersion": 3, "packages": entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build(tmp_path_factory.mktemp("sc"), extra_unattested=6)


def _monorepo(sc: Scenario, root: Path, n: int = 5) -> list[Path]:
    """`n` lockfiles sharing most packages: each leaves out a different one."""
    packages = list(sc.lockfile.packages)
    return [
        write_lockfile(
            [p for j, p in enumerate(packages) if j != i], root / f"app{i}" / "package-lock.json"
        )
        for i in range(n)
    ]


def _trust(sc: Scenario) -> list[str]:
    return ["--trusted-root", str(sc.root), "--npm-keys", str(sc.keys)]


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_five_lockfiles_make_no_more_requests_than_their_union(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = scenario
    root = tmp_path / "mono"
    paths = _monorepo(sc, root)
    # node_modules is never searched.
    write_lockfile(sc.lockfile.packages, root / "app0" / "node_modules" / "x" / "package-lock.json")
    union = write_lockfile(sc.lockfile.packages, tmp_path / "union" / "package-lock.json")
    common = ["--format", "json", "--no-cache", *_trust(sc)]
    with running_registry(sc.data) as reg:
        code, out, err = _run(capsys, ["-r", str(root), "--registry", reg.url, *common])
        several = len(reg.requests)
        reg.reset_stats()
        ucode, uout, _ = _run(capsys, [str(union), "--registry", reg.url, *common])
        alone = len(reg.requests)
    assert 0 < several <= alone, (several, alone)
    doc = json.loads(out)
    validate_report_json(doc)
    # In path order, each named as the single report would name it.
    assert len(doc["lockfiles"]) == len(paths) == 5
    for entry, path in zip(doc["lockfiles"], paths, strict=True):
        assert entry["lockfile"].endswith(f"{path.parent.name}/package-lock.json")
    single = json.loads(uout)
    for entry in doc["lockfiles"]:
        got = {f"{p['name']}@{p['version']}": p["status"] for p in entry["packages"]}
        assert got == {k: v for k, v in sc.expected.items() if k in got}
        assert len(got) == len(sc.expected) - 1
        assert entry["lockfile_format"] == "npm"
    # The overall summary counts each distinct package once: the union's packages.
    assert doc["summary"]["packages"] == single["summary"]["packages"]
    assert doc["summary"]["by_status"] == single["summary"]["by_status"]
    # Every lockfile's stderr line comes first; the exit code is the worst of them.
    assert code == max(e["exit_code"] for e in doc["lockfiles"]) == doc["exit_code"] == ucode
    assert err.count("; registry ") == 5 and "audit: 5 lockfiles: " in err.splitlines()[-1]


def test_one_lockfile_under_r_is_the_single_report(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = scenario
    lock = write_lockfile(sc.lockfile.packages, tmp_path / "only" / "package-lock.json")
    off = tmp_path / "off"
    with running_registry(sc.data) as reg:
        assert main(["fetch", str(lock), "--into", str(off), "--registry", reg.url]) == 0
    common = ["--offline", str(off), "--registry", "http://127.0.0.1:9", "-f", "json"]
    _, several, _ = _run(capsys, ["-r", str(lock.parent), *common, *_trust(sc)])
    _, alone, _ = _run(capsys, [str(lock), *common, *_trust(sc)])
    a, b = json.loads(several), json.loads(alone)
    a.pop("generated_at")
    b.pop("generated_at")
    assert a == b and "lockfiles" not in a


def test_exit_code_is_the_worst_and_sarif_has_a_run_per_lockfile(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attacker: a tampered package in one lockfile of many still fails the run."""
    sc = scenario
    clean = [p for p in sc.lockfile.packages if p.name != "stripped"]
    good = write_lockfile(clean, tmp_path / "m" / "good" / "package-lock.json")
    bad = write_lockfile(sc.lockfile.packages, tmp_path / "m" / "bad" / "package-lock.json")
    sarif = tmp_path / "out.sarif"
    md = tmp_path / "out.md"
    with running_registry(sc.data) as reg:
        code, out, _ = _run(
            capsys,
            [str(good), str(bad), "--registry", reg.url, "--no-cache", "--sarif", str(sarif),
             "--markdown", str(md), "--json", "-", *_trust(sc)],
        )  # fmt: skip
    doc = json.loads(out)
    validate_report_json(doc)
    assert doc["root"] is None
    codes = {Path(e["lockfile"]).parent.name: e["exit_code"] for e in doc["lockfiles"]}
    assert codes == {"good": 0, "bad": 1} and code == doc["exit_code"] == 1
    log = json.loads(sarif.read_text())
    validate_sarif(log)
    runs = log["runs"]
    assert len(runs) == 2
    ids = [r["automationDetails"]["id"] for r in runs]
    assert len(set(ids)) == 2 and all(i.endswith("/package-lock.json/") for i in ids)
    # Each run's results point into its own lockfile, at the package's line there.
    bad_lines = {
        f"{p['name']}@{p['version']}": p["line"]
        for e in doc["lockfiles"]
        if "bad" in e["lockfile"]
        for p in e["packages"]
    }
    bad_run = next(r for r in runs if "/bad/" in r["automationDetails"]["id"])
    assert not next(r for r in runs if "/good/" in r["automationDetails"]["id"])["results"]
    for result in bad_run["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].endswith("bad/package-lock.json")
        spec = result["locations"][0]["logicalLocations"][0]["name"]
        assert location["region"]["startLine"] == bad_lines[spec] > 1
    text = md.read_text()
    assert text.startswith("## ❌ npm provenance audit: 2 lockfiles")
    assert text.count("npm provenance audit") == 3


def test_sarif_category_names_each_run(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = scenario
    root = tmp_path / "mono"
    _monorepo(sc, root, n=2)
    off = tmp_path / "off"
    with running_registry(sc.data) as reg:
        # `audit fetch -r` records what every lockfile under the directory needs, once.
        assert main(["fetch", "-r", str(root), "--into", str(off), "--registry", reg.url]) == 0
        fetched = len(reg.requests)
    _, err = capsys.readouterr()
    assert "attestation responses" in err and fetched > 0
    code, out, _ = _run(
        capsys,
        ["-r", str(root), "--offline", str(off), "--registry", "http://127.0.0.1:9",
         "-f", "sarif", "--sarif-category", "deps", *_trust(sc)],
    )  # fmt: skip
    assert code == 1  # the stripped package's invalid attestation, as live
    runs = json.loads(out)["runs"]
    assert all(r["invocations"][0]["executionSuccessful"] for r in runs)
    ids = [r["automationDetails"]["id"] for r in runs]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(i.startswith("deps/") and i.endswith("/package-lock.json/") for i in ids)


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").mkdir()
    code, _, err = _run(capsys, ["-r", str(tmp_path / "a")])
    assert code == 2 and "no lockfile under" in err
    write_lockfile([], tmp_path / "b" / "package-lock.json")
    code, _, err = _run(capsys, ["-r", str(tmp_path), "x.json"])
    assert code == 2 and "name no LOCKFILE" in err
    write_lockfile([], tmp_path / "c" / "package-lock.json")
    code, _, err = _run(
        capsys,
        [str(tmp_path / "b"), str(tmp_path / "c"), "--base", str(tmp_path / "b")],
    )
    assert code == 2 and "--base FILE compares one lockfile" in err
    # A malformed lockfile anywhere under -r: exit 2, one line naming it.
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "pnpm-lock.yaml").write_text("lockfileVersion: [\n")
    code, out, err = _run(capsys, ["-r", str(tmp_path), "--registry", "http://127.0.0.1:9"])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "pnpm-lock.yaml" in err


def test_a_shared_name_at_version_with_other_bytes_is_verified_on_its_own(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attacker: lockfile B pins other bytes for alpha@1.0.0 than lockfile A; sharing the
    fetch must not share A's verdict."""
    from dataclasses import replace

    from tests.support.registry import sri_sha512

    sc = scenario
    evil = sri_sha512(b"evil tarball")
    swapped = [replace(p, integrity=evil) if p.name == "alpha" else p for p in sc.lockfile.packages]
    a = write_lockfile(sc.lockfile.packages, tmp_path / "m" / "a" / "package-lock.json")
    b = write_lockfile(swapped, tmp_path / "m" / "b" / "package-lock.json")
    with running_registry(sc.data) as reg:
        code, out, _ = _run(
            capsys, [str(a), str(b), "--registry", reg.url, "--no-cache", "-f", "json",
                     *_trust(sc)],
        )  # fmt: skip
        assert reg.count(name="alpha") <= 2  # packument and attestations, once
    doc = json.loads(out)
    status = {
        Path(e["lockfile"]).parent.name: {p["name"]: p for p in e["packages"]}["alpha"]
        for e in doc["lockfiles"]
    }
    assert status["a"]["status"] == "verified"
    assert status["b"]["status"] == "invalid" and status["b"]["integrity"] == evil
    assert code == 1 and doc["lockfiles"][1]["exit_code"] == 1


def test_pull_request_mode_over_several_lockfiles(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-r with --base-ref: each lockfile is compared with its own base at the ref, and only
    what changed is fetched (once, whichever lockfiles changed it)."""
    from tests.diff.test_base import git

    sc = scenario
    packages = list(sc.lockfile.packages)
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    base_set = [p for p in packages if p.name not in ("alpha", "beta")]
    write_lockfile(base_set, root / "a" / "package-lock.json")
    write_lockfile(base_set, root / "b" / "package-lock.json")
    write_lockfile(base_set, root / "c" / "package-lock.json")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    # The pull request adds alpha to a and b, and beta to b; c is unchanged.
    alpha = [p for p in packages if p.name != "beta"]
    write_lockfile(alpha, root / "a" / "package-lock.json")
    write_lockfile(packages, root / "b" / "package-lock.json")
    with running_registry(sc.data) as reg:
        code, out, err = _run(
            capsys,
            ["-r", str(root), "--base-ref", "main", "--registry", reg.url, "--no-cache",
             "-f", "json", *_trust(sc)],
        )  # fmt: skip
        fetched = {r.name for r in reg.requests}
    doc = json.loads(out)
    validate_report_json(doc)
    changes = {
        Path(e["lockfile"]).parent.name: sorted((c["kind"], c["name"]) for c in e["changes"])
        for e in doc["lockfiles"]
    }
    assert changes == {
        "a": [("added", "alpha")],
        "b": [("added", "alpha"), ("added", "beta")],
        "c": [],
    }
    audited = {
        Path(e["lockfile"]).parent.name: sorted(p["name"] for p in e["packages"])
        for e in doc["lockfiles"]
    }
    assert audited == {"a": ["alpha"], "b": ["alpha", "beta"], "c": []}
    assert fetched == {"alpha", "beta"}
    assert code == doc["exit_code"] and err.count("to audit against the base main") == 3
    assert "(0 to audit against the base main)" in err  # c: nothing changed


# --------------------------------------------------------------------------- several formats


def _specs(packages: Sequence[Package]) -> list[Spec]:
    kinds = ["prod", "dev", "optional", "prod", "prod"]
    return [
        Spec(p.name, p.version, p.integrity or "", kinds[i % len(kinds)])
        for i, p in enumerate(packages)
    ]


def test_a_monorepo_of_every_format_makes_no_more_requests_than_its_union(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """npm, pnpm v9, pnpm v6 and Bun lockfiles sharing most packages: one fetch each."""
    sc = scenario
    registry = [p for p in sc.lockfile.packages if p.integrity is not None]
    root = tmp_path / "mono"

    def without(i: int) -> list[Package]:
        return [p for j, p in enumerate(registry) if j != i]

    write_lockfile(without(0), root / "a" / "package-lock.json")
    (root / "b").mkdir(parents=True)
    (root / "b" / "pnpm-lock.yaml").write_text(pnpm_lockfile(_specs(without(1))))
    (root / "c").mkdir()
    (root / "c" / "pnpm-lock.yaml").write_text(pnpm_lockfile(_specs(without(2)), v6=True))
    (root / "d").mkdir()
    (root / "d" / "bun.lock").write_text(bun_lockfile(_specs(without(3))))
    write_lockfile(without(4), root / "e" / "npm-shrinkwrap.json")
    union = write_lockfile(registry, tmp_path / "union" / "package-lock.json")
    common = ["--format", "json", "--no-cache", *_trust(sc)]
    with running_registry(sc.data) as reg:
        code, out, _ = _run(capsys, ["-r", str(root), "--registry", reg.url, *common])
        several = len(reg.requests)
        reg.reset_stats()
        ucode, uout, _ = _run(capsys, [str(union), "--registry", reg.url, *common])
        alone = len(reg.requests)
    assert 0 < several <= alone, (several, alone)
    doc = json.loads(out)
    validate_report_json(doc)
    formats = [(Path(e["lockfile"]).parent.name, e["lockfile_format"]) for e in doc["lockfiles"]]
    assert formats == [("a", "npm"), ("b", "pnpm"), ("c", "pnpm"), ("d", "bun"), ("e", "npm")]
    for entry in doc["lockfiles"]:
        got = {f"{p['name']}@{p['version']}": p["status"] for p in entry["packages"]}
        assert got == {k: v for k, v in sc.expected.items() if k in got}
        assert len(got) == len(registry) - 1
    assert doc["summary"]["by_status"] == json.loads(uout)["summary"]["by_status"]
    assert code == ucode == doc["exit_code"]


def test_pull_request_from_npm_to_pnpm_audits_only_the_change(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pull request migrates package-lock.json to pnpm-lock.yaml and adds one package:
    the base is read at the ref under its old name, and only the new package is fetched."""
    from tests.diff.test_base import git

    sc = scenario
    registry = [p for p in sc.lockfile.packages if p.integrity is not None]
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_lockfile([p for p in registry if p.name != "alpha"], root / "package-lock.json")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    (root / "package-lock.json").unlink()
    head = root / "pnpm-lock.yaml"
    head.write_text(pnpm_lockfile(_specs(registry)))
    with running_registry(sc.data) as reg:
        code, out, err = _run(
            capsys,
            [str(head), "--base-ref", "main", "--registry", reg.url, "--no-cache", "-f",
             "json", *_trust(sc)],
        )  # fmt: skip
        fetched = {r.name for r in reg.requests}
    doc = json.loads(out)
    assert doc["lockfile_format"] == "pnpm"
    assert [(c["kind"], c["name"]) for c in doc["changes"]] == [("added", "alpha")]
    assert [p["name"] for p in doc["packages"]] == ["alpha"]
    assert doc["packages"][0]["status"] == "verified" and fetched == {"alpha"}
    assert "(1 to audit against the base main)" in err and code == doc["exit_code"]


# --------------------------------------------------------------- the pull request's package.json


def _two_managers_repo(sc: Scenario, root: Path, *, base_declares: str | None) -> Path:
    """app/ at the base: package-lock.json (and pnpm-lock.yaml when the base declares pnpm);
    the pull request adds beta to package-lock.json with bytes nobody attested, and a clean
    pnpm-lock.yaml with `packageManager: pnpm`."""
    from tests.diff.test_base import git

    packages = [p for p in sc.lockfile.packages if p.integrity is not None]
    clean = [p for p in packages if p.name != "beta"]
    app = root / "app"
    app.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write_lockfile(clean, app / "package-lock.json")
    manifest: dict[str, object] = {"name": "app", "version": "1.0.0"}
    if base_declares is not None:
        manifest["packageManager"] = f"{base_declares}@10.0.0"
        (app / "pnpm-lock.yaml").write_text(pnpm_lockfile(_specs(clean)))
    (app / "package.json").write_text(json.dumps(manifest))
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    beta = next(p for p in packages if p.name == "beta")
    tampered = [*clean, replace(beta, integrity=sri_sha512(b"evil tarball"))]
    write_lockfile(tampered, app / "package-lock.json")
    (app / "pnpm-lock.yaml").write_text(pnpm_lockfile(_specs(clean)))
    (app / "package.json").write_text(json.dumps({**manifest, "packageManager": "pnpm@10.0.0"}))
    return app


def test_a_pull_request_cannot_steer_discovery_away_from_the_lockfile_the_base_installs(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attack: tamper package-lock.json, add a clean pnpm-lock.yaml and name pnpm in
    package.json.  The base installs with npm, so both lockfiles are audited."""
    sc = scenario
    app = _two_managers_repo(sc, tmp_path / "repo", base_declares=None)
    with running_registry(sc.data) as reg:
        code, out, err = _run(
            capsys,
            [str(app), "--base-ref", "main", "--registry", reg.url, "--no-cache",
             "-f", "json", *_trust(sc)],
        )  # fmt: skip
    doc = json.loads(out)
    validate_report_json(doc)
    audited = {Path(e["lockfile"]).name: e for e in doc["lockfiles"]}
    assert set(audited) == {"pnpm-lock.yaml", "package-lock.json"}
    beta = [p for p in audited["package-lock.json"]["packages"] if p["name"] == "beta"]
    assert [p["status"] for p in beta] == ["invalid"]
    assert code == doc["exit_code"] == 1
    assert "main installs" in err and "auditing both" in err


def test_a_base_that_declares_the_manager_decides_alone(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The base already installs with pnpm: its lockfile is the one audited (one report)."""
    sc = scenario
    app = _two_managers_repo(sc, tmp_path / "repo", base_declares="pnpm")
    with running_registry(sc.data) as reg:
        code, out, err = _run(
            capsys,
            [str(app), "--base-ref", "main", "--registry", reg.url, "--no-cache",
             "-f", "json", *_trust(sc)],
        )  # fmt: skip
    doc = json.loads(out)
    validate_report_json(doc)
    assert "lockfiles" not in doc and Path(doc["lockfile"]).name == "pnpm-lock.yaml"
    assert code == doc["exit_code"]
    assert "auditing both" not in err
