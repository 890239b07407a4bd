"""What `audit` says on stderr and stdout: first line, summary line, -q/-v, stdout targets,
short options, precise usage errors, policy discovery."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from auditor.cli import _color_allowed, _width, main
from auditor.progress import StderrProgress, make_progress
from tests.conftest import FIXTURES

DEMO = FIXTURES / "demo"
LOCK = str(DEMO / "package-lock.json")
OFFLINE = ["--offline", str(DEMO / "offline")]
RECOMMENDED = str(FIXTURES.parent / "policies" / "recommended.toml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_first_line_and_summary_line_without_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, LOCK, *OFFLINE, "--policy", RECOMMENDED)
    lines = err.splitlines()
    assert code == 1 and len(lines) == 2
    assert re.fullmatch(
        rf"audit: \S*package-lock\.json: \d+ packages; offline directory "
        rf"{re.escape(str(DEMO / 'offline'))}; policy {re.escape(RECOMMENDED)}",
        lines[0],
    )
    assert re.match(r"audit: \d+ errors?, \d+ warnings? in \d+ packages?; ", lines[1])
    assert re.search(r"; \d+ packages? failed verification \(tampering\); ", lines[1])
    assert lines[1].endswith("exit 1 (failing findings)")
    assert out.startswith("npm-provenance-auditor ")


def test_quiet_prints_the_summary_only_when_the_exit_code_is_not_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, LOCK, *OFFLINE, "-q", "-o", str(tmp_path / "r.txt"))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and re.match(r"audit: \d+ errors?, ", err)
    code, _, err = run(capsys, LOCK, *OFFLINE, "-q", "--fail-on", "never")
    assert code == 0 and err == ""


def test_verbose_changes_stderr_only(capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("text", "json", "markdown"):
        _, plain, _ = run(capsys, LOCK, *OFFLINE, "-f", fmt)
        _, verbose, err = run(capsys, LOCK, *OFFLINE, "-f", fmt, "-v")
        # generated_at may tick over between the two runs.
        stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        assert stamp.sub("T", verbose) == stamp.sub("T", plain), fmt
        assert "Verified packages and their signers (" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-q", "-v"], "-q/--quiet and -v/--verbose cannot be used together"),
        (["fetch", "--into", "x", "-q", "-v"], "audit fetch: -q/--quiet and -v/--verbose"),
        (["--all"], "--all needs --base FILE or --base-ref REF"),
        (["polcy"], "unknown command 'polcy'; did you mean 'policy'?"),
        (["fetsh"], "unknown command 'fetsh'; did you mean 'fetch'?"),
        (["/dev/null"], "/dev/null: the null device, not a lockfile"),
        (["package.json"], "package.json: a package manifest, not a lockfile; audit reads"),
        (["pnpm-lock.yaml"], "pnpm-lock.yaml: no such lockfile"),
        ([LOCK, "--json", "-", "--sarif", "-"], "only one report can go to stdout"),
        ([LOCK, "--json", "-", "-f", "text"], "--json - and --format text both write to stdout"),
    ],
)
def test_precise_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err == f"audit: error: {message}" + err.split(message, 1)[1]
    assert err.count("\n") == 1


def test_empty_lockfile_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "package-lock.json").write_text("")
    code, _, err = run(capsys, str(tmp_path / "package-lock.json"))
    assert code == 2 and "empty file, not a lockfile" in err


def test_json_dash_is_stdout_and_short_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, LOCK, *OFFLINE, "--json", "-")
    assert code == 1 and json.loads(out)["exit_code"] == 1
    code, out, _ = run(capsys, LOCK, *OFFLINE, "--json", "-", "-o", str(tmp_path / "r.md"),
                       "-f", "markdown")  # fmt: skip
    assert json.loads(out)["schema"] == "auditor-report/1"
    assert (tmp_path / "r.md").read_text().startswith("### ")
    code, out, _ = run(capsys, LOCK, *OFFLINE, "-f", "sarif")
    assert json.loads(out)["version"] == "2.1.0"


def test_base_equal_to_the_lockfile_says_no_changes(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, LOCK, *OFFLINE, "--base", LOCK)
    assert code == 0
    assert f"audit: no changes against the base ({LOCK}): nothing was audited" in err
    # With --all every package is audited all the same: only "no changes" is said.
    code, _, err = run(capsys, LOCK, *OFFLINE, "--base", LOCK, "--all", "--fail-on", "never")
    assert f"audit: no changes against the base ({LOCK})\n" in err


def test_policy_discovered_at_the_repository_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(DEMO, repo / "app")
    (repo / ".auditor.toml").write_text('version = 1\n[rules]\ninstall-script = "error"\n')
    monkeypatch.chdir(repo)
    _, out, err = run(capsys, "app/package-lock.json", "--offline", "app/offline",
                         "--json", "-")  # fmt: skip
    assert "policy .auditor.toml (found at the repository root)" in err.splitlines()[0]
    doc = json.loads(out)
    assert doc["policy"] == str(repo / ".auditor.toml")
    assert any(f["rule"] == "install-script" and f["level"] == "error" for f in doc["findings"])
    # --policy wins over the discovered file.
    _, out, err = run(capsys, "app/package-lock.json", "--offline", "app/offline",
                      "--json", "-", "--policy", RECOMMENDED)  # fmt: skip
    assert json.loads(out)["policy"] == RECOMMENDED and ".auditor.toml" not in err


def test_colour_and_width_rules() -> None:
    assert _color_allowed({"TERM": "xterm-256color"})
    assert not _color_allowed({"TERM": "xterm", "NO_COLOR": ""})
    assert not _color_allowed({"TERM": "dumb"})
    assert _width(False) == 100
    tty = type("Tty", (), {"isatty": lambda self: True, "write": lambda self, t: None})()
    assert isinstance(make_progress(quiet=False, verbose=0, stream=tty, env={}), StderrProgress)
    dumb = make_progress(quiet=False, verbose=0, stream=tty, env={"TERM": "dumb"})
    assert not isinstance(dumb, StderrProgress)


def test_progress_rate_and_eta_from_the_first_answers() -> None:
    bar = StderrProgress(stream=open("/dev/null", "w"))  # noqa: SIM115
    bar.start(100)
    bar._t0 -= 1.0  # one second in: 10 fetched, nothing verified yet
    bar.n_fetched = 10
    line = bar.line()
    assert line.startswith("fetched 10/100  verified 0  5/s  ETA ")
    assert "ETA -" not in line
    fetch = StderrProgress(stream=bar.stream, counting="fetched")
    fetch.start(100)
    fetch._t0 -= 2.0
    fetch.n_fetched = 50
    assert fetch.line() == "fetched 50/100  25/s  ETA 2s"
    bar.stream.close()
