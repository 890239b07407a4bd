"""Special files: never followed, replaced or blocked on where the attacker may have put them
(the cache), written through where the user named them (report outputs)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.registry import cache as cache_mod
from tests.cli.test_end_to_end import DEMO

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")


def _audit_demo(*args: str) -> int:
    return main([str(DEMO / "package-lock.json"), "--offline", str(DEMO / "offline"), "-q", *args])


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_a_report_to_a_device_node_writes_through_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json /dev/null` as root used to replace the device with a regular file.  A node
    made here (the same device as /dev/null) keeps the test away from the real one."""
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    _audit_demo("--json", str(null), "--markdown", str(null))
    capsys.readouterr()
    st = os.lstat(null)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)


def test_a_report_through_a_symlink_keeps_the_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "reports" / "real.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "report.json"
    link.symlink_to(real)
    _audit_demo("--json", str(link))
    capsys.readouterr()
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["schema"] == "auditor-report/1"


def test_a_report_to_a_fifo_reaches_its_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    _audit_demo("--json", str(fifo))
    capsys.readouterr()
    reader.join(timeout=60)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not a regular file
    assert json.loads(received[0])["schema"] == "auditor-report/1"


def test_a_regular_report_file_is_still_replaced_atomically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    out.write_text("old")
    inode = out.stat().st_ino
    _audit_demo("--json", str(out))
    capsys.readouterr()
    assert out.stat().st_ino != inode and json.loads(out.read_text())["schema"]


def _entry_path(cache_dir: Path, registry: str, kind: str, ident: str) -> Path:
    probe = cache_mod.ResponseCache(cache_dir, key=b"\0" * 32)  # only for the file name
    return Path(probe._path(probe.key(registry, kind, ident)))


def test_a_fifo_planted_in_the_cache_neither_blocks_nor_counts(tmp_path: Path) -> None:
    """A FIFO at a cache entry's name used to block the run forever: the read now opens it
    non-blocking, sees it is no regular file, and fetches; the new entry replaces it.  A
    shard directory that is a symlink is not written through."""
    from tests.engine.scenario import build
    from tests.engine.test_cli_live import write_lockfile
    from tests.support.registry import running_registry

    sc = build(tmp_path / "sc")
    (tmp_path / "proj").mkdir()
    lock = write_lockfile(sc, tmp_path / "proj" / "package-lock.json")
    cache_dir = tmp_path / "cache"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with running_registry(sc.data) as reg:
        fifo = _entry_path(cache_dir, reg.url + "/", "attestations", "alpha@1.0.0")
        fifo.parent.mkdir(parents=True)
        os.mkfifo(fifo)
        beta = _entry_path(cache_dir, reg.url + "/", "attestations", "beta@1.0.0")
        if beta.parent != fifo.parent:
            beta.parent.symlink_to(elsewhere, target_is_directory=True)
        argv = [
            sys.executable, "-m", "auditor", str(lock), "--registry", reg.url,
            "--cache-dir", str(cache_dir), "--format", "json",
            "--trusted-root", str(sc.root), "--npm-keys", str(sc.keys),
        ]  # fmt: skip
        # The timeout only turns a hang into a failure; it is no timing assertion.
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr
    statuses = {
        f"{p['name']}@{p['version']}": p["status"] for p in json.loads(proc.stdout)["packages"]
    }
    assert statuses["alpha@1.0.0"] == "verified" and statuses["beta@1.0.0"] == "publish-only"
    assert not stat.S_ISFIFO(os.lstat(fifo).st_mode)  # replaced by a real entry
    assert list(elsewhere.iterdir()) == []  # nothing written through the planted symlink


@pytest.mark.parametrize("which", ["lockfile", "policy", "npmrc", "shrinkwrap"])
def test_a_fifo_as_an_input_file_is_a_one_line_error_not_a_hang(tmp_path: Path, which: str) -> None:
    """Input files come from the pull request (a symlink in git can name a FIFO elsewhere):
    opening one used to block until a writer came, that is forever."""
    project = tmp_path / "proj"
    project.mkdir()
    lock = project / "package-lock.json"
    lock.write_bytes((DEMO / "package-lock.json").read_bytes())
    policy = tmp_path / "policy.toml"
    policy.write_text("version = 1\n")
    fifo = {
        "lockfile": lock,
        "policy": policy,
        "npmrc": project / ".npmrc",
        "shrinkwrap": project / "npm-shrinkwrap.json",
    }[which]
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    argv = [sys.executable, "-m", "auditor", str(lock), "--policy", str(policy), "--no-cache"]
    # The timeout only turns a hang into a failure; it is no timing assertion.
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert "not a regular file" in proc.stderr and proc.stderr.count("\n") == 1
