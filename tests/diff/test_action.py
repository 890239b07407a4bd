"""action.yml, the example workflow and .pre-commit-hooks.yaml: structure and behaviour.

The audit step's shell script is run here with a stand-in `audit`, as the runner would.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash")


def load(rel: str) -> Any:
    return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    doc = load("action.yml")
    assert isinstance(doc, dict)
    return doc


def step(action: dict[str, Any], name_part: str) -> dict[str, Any]:
    (found,) = [s for s in action["runs"]["steps"] if name_part in s.get("name", "")]
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
    assert inputs["base-ref"]["default"] == "${{ github.event.pull_request.base.sha }}"
    assert inputs["upload-sarif"]["default"] == "true"
    assert set(action["outputs"]) >= {"exit-code", "sarif-file", "markdown-file"}
    runs = action["runs"]
    assert runs["using"] == "composite"
    steps = runs["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    install = step(action, "Install")
    assert (
        'pip install --quiet --disable-pip-version-check "${{ github.action_path }}"'
        in (install["run"])
    )
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


def test_no_input_is_spliced_into_a_script(action: dict[str, Any]) -> None:
    # Script injection: inputs and event data reach shell scripts only through env.
    for s in action["runs"]["steps"]:
        script = s.get("run", "")
        for expr in re.findall(r"\$\{\{(.*?)\}\}", script):
            assert expr.strip() == "github.action_path", (s["name"], expr)


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
    assert argv[-3:] == ["--all", "--registry", "http://127.0.0.1:4873"]


def test_example_workflow_is_minimal_and_complete() -> None:
    wf = load("docs/examples/pull-request.yml")
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as true
    paths = on["pull_request"]["paths"]
    assert "package-lock.json" in paths and "npm-shrinkwrap.json" in paths
    assert set(on) == {"pull_request"}
    # Minimal permissions at the top level, and no job widens them.
    assert wf["permissions"] == {"contents": "read", "security-events": "write"}
    (job,) = wf["jobs"].values()
    assert "permissions" not in job
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
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
