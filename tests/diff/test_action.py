"""action.yml, the example workflow and .pre-commit-hooks.yaml: structure and behaviour.

The audit step's shell script is run here with a stand-in `audit`, as the runner would.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash")
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.yml"))


def load(rel: str) -> Any:
    return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    doc: dict[str, Any] = load("action.yml")
    assert isinstance(doc, dict)
    return doc


def step(action: dict[str, Any], name_part: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [
        s for s in action["runs"]["steps"] if name_part in s.get("name", "")
    ]
    (found,) = matches
    return found


def test_action_inputs_outputs_and_steps(action: dict[str, Any]) -> None:
    assert action["name"] and action["description"]
    inputs = action["inputs"]
    for key in (
        "lockfile",
        "policy",
        "base-ref",
        "format",
        "fail-on",
        "sarif-file",
        "upload-sarif",
        "python-version",
    ):
        assert key in inputs and "description" in inputs[key]
    assert inputs["base-ref"]["default"] == (
        "${{ github.event.pull_request.base.sha || github.event.merge_group.base_sha }}"
    )
    assert inputs["upload-sarif"]["default"] == "true"
    assert {"args", "category", "annotations"} <= set(inputs)
    assert set(action["outputs"]) >= {"exit-code", "sarif-file", "markdown-file"}
    runs = action["runs"]
    assert runs["using"] == "composite"
    steps = runs["steps"]
    assert step(action, "Set up Python")["uses"].startswith("actions/setup-python@")
    install = step(action, "Install")
    # Hash-locked, wheels only, from the action's own requirements file.
    assert "--require-hashes" in install["run"] and "--only-binary :all:" in install["run"]
    assert '"$GITHUB_ACTION_PATH/requirements/action.txt"' in install["run"]
    audit = step(action, "Audit")
    for flag in ("--base-ref", "--sarif", "--markdown", "--policy", "--fail-on"):
        assert flag in audit["run"]
    assert "GITHUB_STEP_SUMMARY" in audit["run"]
    upload = step(action, "Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "always()" in upload["if"] and "sarif-exists" in upload["if"]
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    # The job fails last, after the uploads, by the audit's exit code.
    last = steps[-1]
    assert last["if"] == "always()"
    assert "steps.audit.outputs.exit-code" in last["env"]["AUDITOR_EXIT"]


def test_no_expression_is_spliced_into_a_script(action: dict[str, Any]) -> None:
    # Script injection: inputs and event data reach shell scripts only through env, and
    # the action's own path through $GITHUB_ACTION_PATH.
    for s in action["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), s["name"]


def test_every_action_is_pinned_by_commit_with_its_tag() -> None:
    for rel in ("action.yml", *(f"docs/examples/{p.name}" for p in EXAMPLES)):
        for line in (ROOT / rel).read_text().splitlines():
            match = re.search(r"uses: ([\w.-]+/[\w./-]+)@(\S+)(.*)", line)
            if match is None or match.group(1).startswith(("OWNER/", "./")):
                continue
            assert re.fullmatch(r"[0-9a-f]{40}", match.group(2)), (rel, line)
            assert re.fullmatch(r" # v\d+(\.\d+)*", match.group(3)), (rel, line)


def _write_fake_audit(bindir: Path, exit_code: int, reports: bool = True) -> Path:
    bindir.mkdir(parents=True)
    fake = bindir / "audit"
    # Records its argv and writes the reports it was asked for, like the real CLI.
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'printf "%s\\n" "$@" > "$RUNNER_TEMP/argv"\n'
        + ("" if reports else f"exit {exit_code}\n")
        + "while [ $# -gt 0 ]; do\n"
        '  case "$1" in\n'
        '    --sarif) echo "{}" > "$2"; shift ;;\n'
        '    --markdown) echo "## audit summary" > "$2"; shift ;;\n'
        "  esac; shift\n"
        "done\n"
        f"exit {exit_code}\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def _run_step(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert BASH is not None
    return subprocess.run(
        [BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={"PATH": os.environ["PATH"], **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


@pytest.mark.skipif(BASH is None, reason="bash not installed")
@pytest.mark.parametrize("exit_code", [0, 1, 2, 3])
def test_audit_and_fail_steps_behave(
    action: dict[str, Any], tmp_path: Path, exit_code: int
) -> None:
    temp = tmp_path / "runner-temp"
    _write_fake_audit(temp / "auditor-venv" / "bin", exit_code)
    output, summary = tmp_path / "output", tmp_path / "summary"
    summary.write_text("earlier\n")
    env = {
        "RUNNER_TEMP": str(temp),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "AUDITOR_LOCKFILE": "sub dir/package-lock.json",
        "AUDITOR_POLICY": "policy.toml",
        "AUDITOR_BASE_REF": "0123abcd",
        "AUDITOR_ALL": "false",
        "AUDITOR_FORMAT": "text",
        "AUDITOR_FAIL_ON": "warning",
        "AUDITOR_SARIF_FILE": "",
        "AUDITOR_REGISTRY": "",
        "AUDITOR_ARGS": "--concurrency 8",
    }
    proc = _run_step(step(action, "Audit")["run"], env, tmp_path)
    # The audit step itself never fails the job: the uploads must still run.
    assert proc.returncode == 0, proc.stderr
    argv = (temp / "argv").read_text().splitlines()
    sarif = f"{temp}/auditor.sarif"
    assert argv == [
        "sub dir/package-lock.json",
        "--format",
        "text",
        "--fail-on",
        "warning",
        "--sarif",
        sarif,
        "--markdown",
        f"{temp}/auditor-summary.md",
        "--policy",
        "policy.toml",
        "--base-ref",
        "0123abcd",
        "--sarif-category",
        "npm-provenance-auditor/sub dir/package-lock.json",
        "--json",
        f"{temp}/auditor-report.json",
        "--concurrency",
        "8",
    ]
    out = _outputs(output)
    assert out["exit-code"] == str(exit_code)
    assert out["sarif-file"] == sarif and out["sarif-exists"] == "true"
    assert summary.read_text() == "earlier\n## audit summary\n"

    fail = step(action, "Fail the job")["run"]
    done = _run_step(fail, {"AUDITOR_EXIT": out["exit-code"]}, tmp_path)
    assert done.returncode == exit_code
    if exit_code:
        assert done.stdout.startswith("::error title=npm provenance audit::")
    assert _run_step(fail, {"AUDITOR_EXIT": ""}, tmp_path).returncode == 2
    if exit_code == 3:
        both = _run_step(fail, {"AUDITOR_EXIT": "3", "AUDITOR_TAMPERED": "true"}, tmp_path)
        assert both.returncode == 3
        assert "(exit code 3), and tampering was found" in both.stdout


@pytest.mark.skipif(BASH is None, reason="bash not installed")
def test_audit_step_without_base_or_policy(action: dict[str, Any], tmp_path: Path) -> None:
    temp = tmp_path / "t"
    _write_fake_audit(temp / "auditor-venv" / "bin", 0)
    env = {
        "RUNNER_TEMP": str(temp),
        "GITHUB_OUTPUT": str(tmp_path / "o"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "s"),
        "AUDITOR_LOCKFILE": "package-lock.json",
        "AUDITOR_POLICY": "",
        "AUDITOR_BASE_REF": "",  # a push event: no pull request base
        "AUDITOR_ALL": "true",
        "AUDITOR_FORMAT": "markdown",
        "AUDITOR_FAIL_ON": "error",
        "AUDITOR_SARIF_FILE": "out.sarif",
        "AUDITOR_REGISTRY": "http://127.0.0.1:4873",
    }
    assert _run_step(step(action, "Audit")["run"], env, tmp_path).returncode == 0
    argv = (temp / "argv").read_text().splitlines()
    assert "--base-ref" not in argv and "--policy" not in argv
    assert argv[argv.index("--sarif") + 1] == "out.sarif"
    assert argv[-7:] == [
        "--all",
        "--registry",
        "http://127.0.0.1:4873",
        "--sarif-category",
        "npm-provenance-auditor/package-lock.json",
        "--json",
        f"{temp}/auditor-report.json",
    ]


def test_example_workflow_is_minimal_and_complete() -> None:
    wf = load("docs/examples/pull-request.yml")
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as true
    paths = on["pull_request"]["paths"]
    assert "package-lock.json" in paths and "npm-shrinkwrap.json" in paths
    assert set(on) == {"pull_request"}
    # Minimal permissions at the top level, and no job widens them.
    assert wf["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
    }
    (job,) = wf["jobs"].values()
    assert "permissions" not in job
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    # Shallow: the action fetches the base commit alone, not the whole history.
    assert "fetch-depth" not in checkout["with"]
    assert checkout["with"]["persist-credentials"] is False
    assert any("npm-provenance-auditor" in s.get("uses", "") for s in job["steps"])


def test_pre_commit_hooks() -> None:
    hooks = {h["id"]: h for h in load(".pre-commit-hooks.yaml")}
    main = hooks["auditor"]
    assert main["entry"] == "audit" and main["language"] == "python"
    assert main["pass_filenames"] is False  # `audit` takes one lockfile
    pattern = re.compile(main["files"])
    for name in ("package-lock.json", "web/npm-shrinkwrap.json"):
        assert pattern.search(name)
    for name in ("package.json", "package-lock.json.bak", "yarn.lock"):
        assert not pattern.search(name)
    changes = hooks["auditor-changes"]
    assert changes["entry"] == "python -m auditor.diff.hook"
    assert changes["pass_filenames"] is True and changes["files"] == main["files"]


@pytest.mark.skipif(BASH is None, reason="bash not installed")
def test_usage_error_writes_no_reports(action: dict[str, Any], tmp_path: Path) -> None:
    temp = tmp_path / "t"
    _write_fake_audit(temp / "auditor-venv" / "bin", 2, reports=False)
    output, summary = tmp_path / "o", tmp_path / "s"
    env = {
        "RUNNER_TEMP": str(temp),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "AUDITOR_LOCKFILE": "package-lock.json",
        "AUDITOR_FORMAT": "text",
        "AUDITOR_FAIL_ON": "error",
    }
    assert _run_step(step(action, "Audit")["run"], env, tmp_path).returncode == 0
    out = _outputs(output)
    assert out["exit-code"] == "2" and "sarif-exists" not in out
    assert "markdown-file" not in out and not summary.exists()


def test_code_scanning_example_uploads_full_analyses_and_gates_pull_requests() -> None:
    wf = load("docs/examples/code-scanning.yml")
    on = wf.get("on", wf.get(True))
    assert set(on) == {"push", "pull_request", "merge_group"}
    assert wf["permissions"]["actions"] == "read"
    (job,) = wf["jobs"].values()
    (audit,) = [s for s in job["steps"] if "npm-provenance-auditor" in s.get("uses", "")]
    w = audit["with"]
    assert w["upload-sarif"] == "${{ github.event_name != 'pull_request' }}"
    assert w["annotations"] == "${{ github.event_name == 'pull_request' }}"
    assert w["category"] == "npm-provenance-auditor/package-lock.json"
    assert "base-ref" not in w  # the action's default: pull request or merge group base


@pytest.mark.skipif(BASH is None, reason="bash not installed")
@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"AUDITOR_ALL": "yes"}, "input all must be true or false"),
        ({"AUDITOR_UPLOAD": "True"}, "input upload-sarif must be true or false"),
        ({"AUDITOR_FORMAT": "html"}, "input format must be text, json, sarif or markdown"),
        ({"AUDITOR_FAIL_ON": "warn"}, "input fail-on must be error, warning or never"),
        ({"AUDITOR_LOCKFILE": "../x/package-lock.json"}, "input lockfile must be a path inside"),
        ({"AUDITOR_POLICY": "/etc/policy.toml"}, "input policy must be a path inside"),
        ({"AUDITOR_LOCKFILE": "missing.json"}, "input lockfile: no file 'missing.json'"),
        ({"RUNNER_OS": "Windows"}, "this action runs on Linux and macOS runners"),
    ],
)
def test_inputs_are_checked(
    action: dict[str, Any], tmp_path: Path, inputs: dict[str, str], message: str
) -> None:
    (tmp_path / "package-lock.json").write_text("{}")
    valid = {
        "RUNNER_OS": "Linux",
        "AUDITOR_LOCKFILE": "package-lock.json",
        "AUDITOR_POLICY": "",
        "AUDITOR_ALL": "false",
        "AUDITOR_UPLOAD": "true",
        "AUDITOR_ANNOTATIONS": "false",
        "AUDITOR_FORMAT": "text",
        "AUDITOR_FAIL_ON": "error",
    }
    script = step(action, "Check the inputs")["run"]
    proc = _run_step(script, {**valid, **inputs}, tmp_path)
    assert proc.returncode == 2
    assert proc.stdout.startswith(f"::error title=npm provenance audit::{message}")
    ok = _run_step(script, valid, tmp_path)
    assert ok.returncode == 0, ok.stdout


def test_requirements_lock_matches_pyproject() -> None:
    """requirements/action.txt pins every runtime dependency of pyproject, with hashes."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    text = (ROOT / "requirements" / "action.txt").read_text()
    pins: dict[str, str] = {}
    for entry in re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)(.*?)(?=^\S|\Z)", text, re.M | re.S):
        name, version, rest = entry
        assert "--hash=sha256:" in rest, name  # every pin is hash-locked
        pins[canonicalize_name(name)] = version
    assert pins
    for dep in deps:
        req = Requirement(dep)
        if req.marker is not None and not req.marker.evaluate({"python_version": "3.11"}):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements/action.txt: run make requirements"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])


# Installed with the lint extra next to the interpreter running the tests.
ZIZMOR = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")


@pytest.mark.skipif(ZIZMOR is None, reason="zizmor (lint extra) not installed")
def test_zizmor_finds_nothing_in_the_action_and_the_examples() -> None:
    """zizmor --offline: pinned actions, no template injection, no excessive permissions."""
    assert ZIZMOR is not None
    files = ["action.yml", *(f"docs/examples/{p.name}" for p in EXAMPLES)]
    proc = subprocess.run(
        [ZIZMOR, "--offline", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(BASH is None, reason="bash not installed")
@pytest.mark.parametrize("invalid", [0, 1])
def test_exit_3_records_whether_tampering_was_found(
    action: dict[str, Any], tmp_path: Path, invalid: int
) -> None:
    temp = tmp_path / "t"
    bindir = temp / "auditor-venv" / "bin"
    _write_fake_audit(bindir, 3)
    (bindir / "python").symlink_to(sys.executable)
    # The fake audit's JSON report: what the step reads to tell "incomplete" from both.
    fake = bindir / "audit"
    fake.write_text(
        fake.read_text().replace(
            "    --markdown)",
            '    --json) echo \'{"summary": {"by_status": {"invalid": ' + str(invalid) + "}}}'"
            ' > "$2"; shift ;;\n    --markdown)',
        )
    )
    output = tmp_path / "o"
    env = {
        "RUNNER_TEMP": str(temp),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "s"),
        "AUDITOR_LOCKFILE": "package-lock.json",
        "AUDITOR_FORMAT": "text",
        "AUDITOR_FAIL_ON": "error",
    }
    assert _run_step(step(action, "Audit")["run"], env, tmp_path).returncode == 0
    out = _outputs(output)
    assert out["exit-code"] == "3"
    assert out.get("tampered") == ("true" if invalid else None)
