"""`npm audit signatures` side by side with `audit` (prints figures; nothing is asserted).

Runs the shared rig ../shared/bench/npm-audit-signatures/run.sh (root, unshare, node + npm)
with `BENCH_CMD` running this tool on the same project, against the same mock registry and
latency, at 0 ms and 50 ms.  Data: the kit's export (`python -m tests.support.export`) when
it exists, else the rig's own `real` set (12 real packages with production attestations).

    python -m tests.bench npm
    BENCH_NPM_N=1000 BENCH_NPM_RUNS=5 python -m tests.bench npm
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RIG = REPO.parent / "shared" / "bench" / "npm-audit-signatures" / "run.sh"
MIX = "provenance=0.4,publish-only=0.1,none=0.5,invalid=0,downgrade=0"  # as bench engine


def _audit_command() -> str:
    exe = REPO / ".venv" / "bin" / "audit"
    tool = f'"{exe}"' if exe.exists() else f'"{sys.executable}" -m auditor'
    # The rig shows `verified=<k>` when the command prints it: count from the JSON report.
    count = (
        f'"{sys.executable}" -c \'import json,sys; d=json.load(sys.stdin); '
        'print("verified=%d" % sum(p["status"] == "verified" for p in d["packages"]))\''
    )
    return (
        f'set -o pipefail; {tool} "$PROJECT_DIR/package-lock.json" --registry "$REGISTRY_URL" '
        '--trusted-root "$TRUSTED_ROOT_FILE" --npm-keys "$NPM_KEYS_FILE" '
        f"--no-cache -q --format json | {count}"
    )


def _export(n: int, out: Path) -> Path | None:
    """The kit's export of a generated project in the rig's data layout, if available."""
    if not (REPO / "tests" / "support" / "export.py").exists():
        return None
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.export",
            str(out),
            "--packages",
            str(n),
            "--mix",
            MIX,
            "--fast",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(f"  export failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
        return None
    return out


def _run_rig(label: str, runs: int, latency: int, data: Path | None) -> None:
    env = dict(os.environ, LATENCY_MS=str(latency), BENCH_CMD=_audit_command())
    if data is not None:
        env["DATA_SRC"] = str(data)
        root = data / "trusted_root.json"
        if root.exists():
            env["TRUSTED_ROOT"] = str(root)
    proc = subprocess.run(
        ["bash", str(RIG), label, str(runs)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        print(f"  rig failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
        return
    for line in lines:
        print(f"  latency={latency}ms  {line}")


def run() -> None:
    if not RIG.exists():
        print(f"  skipped: {RIG} not found")
        return
    missing = [c for c in ("unshare", "node", "npm") if shutil.which(c) is None]
    if missing or os.geteuid() != 0:
        print(f"  skipped: the rig needs root and {', '.join(missing) or 'unshare/node/npm'}")
        return
    n = int(os.environ.get("BENCH_NPM_N", "1000"))
    runs = int(os.environ.get("BENCH_NPM_RUNS", "3"))
    with tempfile.TemporaryDirectory(prefix="bench-npm-") as tmp:
        data = _export(n, Path(tmp) / "data")
        label = f"kit-{n}" if data is not None else "real"
        print(f"  data: {'kit export, ' + str(n) + ' packages' if data else 'rig set real'}")
        for latency in (0, 50):
            _run_rig(label, runs, latency, data)
    print("  (ratio npm/cmd > 1 means audit is faster; target >= 5)")
