"""Verification workers are forked only from a single-threaded process (else a forkserver
starts them), and both ways give the same verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.pipeline.schedule import POOL_THRESHOLD, worker_context
from tests.engine.scenario import build
from tests.engine.test_cli_live import write_lockfile
from tests.support.registry import running_registry

REPO = Path(__file__).resolve().parents[2]


def _start_method_in_fresh_process() -> str:
    code = "from auditor.pipeline.schedule import worker_context as w\n"
    code += "print(w().get_start_method())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_fork_only_while_the_process_runs_one_thread() -> None:
    assert _start_method_in_fresh_process() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert worker_context().get_start_method() in ("forkserver", "spawn")
    finally:
        stop.set()
        other.join()


def _verdicts(doc: dict[str, object]) -> list[tuple[object, ...]]:
    packages = doc["packages"]
    assert isinstance(packages, list)
    return sorted((p["name"], p["version"], p["status"], p["reason"]) for p in packages)


def test_forked_and_forkserver_workers_give_the_same_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI in a fresh process (one thread: forked workers) and in this one (the
    loopback registry's thread runs: forkserver workers), both with a worker pool."""
    sc = build(tmp_path / "sc", extra_unattested=POOL_THRESHOLD + 10)
    proj = tmp_path / "proj"
    proj.mkdir()
    lock = write_lockfile(sc, proj / "package-lock.json")
    with running_registry(sc.data) as reg:
        argv = [
            str(lock), "--registry", reg.url, "--no-cache", "--format", "json", "-q",
            "--trusted-root", str(sc.root), "--npm-keys", str(sc.keys),
        ]  # fmt: skip
        fresh = subprocess.run(
            [sys.executable, "-m", "auditor", *argv], cwd=REPO, capture_output=True, text=True
        )
        code = main(argv)
        here, _ = capsys.readouterr()
    assert fresh.returncode == code, fresh.stderr
    a, b = json.loads(fresh.stdout), json.loads(here)
    assert _verdicts(a) == _verdicts(b)
    assert any(p["status"] == "verified" for p in a["packages"])
    assert any(p["status"] == "invalid" for p in a["packages"])
