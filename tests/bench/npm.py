"""`npm audit signatures` side by side with `audit` (prints figures; nothing is asserted).

Runs the shared rig ../shared/bench/npm-audit-signatures/run.sh (root, unshare, node + npm)
with `BENCH_CMD` running this tool on the same project, against the same mock registry and
latency, at 0 ms and 50 ms.  Data: the kit's export (`python -m tests.support.export`) when
it exists, else the rig's own `real` set (12 real packages with production attestations).

    python -m tests.bench npm                       # 3,000 packages at 50 ms (the targets)
    BENCH_NPM_N=1000 BENCH_NPM_RUNS=5 BENCH_NPM_LATENCIES=0,50 python -m tests.bench npm

Targets (issue 13, with registry signatures on): at 3,000 packages and 50 ms, `audit` at
least 8x faster than `npm audit signatures` (the rig's interleaved `ratio npm/cmd`), and its
peak RSS at most 150 MB (the rig's `rss_mb` of the custom command); each is printed with
"met" or "NOT MET".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_RIG_PATH = Path("shared") / "bench" / "npm-audit-signatures" / "run.sh"
# The rig lives next to the checkout (../shared); a git worktree one level deeper finds it
# too.  BENCH_NPM_RIG names it explicitly.
RIG = Path(
    os.environ.get("BENCH_NPM_RIG")
    or next((str(p / _RIG_PATH) for p in REPO.parents if (p / _RIG_PATH).exists()), "")
    or str(REPO.parent / _RIG_PATH)
)
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


TARGET_RATIO = 8.0
TARGET_RSS_MB = 150.0


def _targets(lines: list[str], n: int, latency: int) -> str | None:
    ratio = rss = None
    for line in lines:
        if line.startswith("ratio npm/cmd="):
            ratio = float(line.split("=", 1)[1].split()[0])
        if line.startswith("custom "):
            for part in line.split():
                if part.startswith("rss_mb="):
                    rss = float(part.split("=", 1)[1].strip("[],"))
    if ratio is None or rss is None:
        return None

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    return (
        f"  targets N={n} latency={latency}ms: audit {ratio:.2f}x faster than npm "
        f"(target >= {TARGET_RATIO:g}x: {verdict(ratio >= TARGET_RATIO)}); audit peak RSS "
        f"{rss:.0f} MB (target <= {TARGET_RSS_MB:g} MB: {verdict(rss <= TARGET_RSS_MB)})"
    )


def _run_rig(label: str, runs: int, latency: int, data: Path | None, n: int = 0) -> None:
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
    summary = _targets(lines, n, latency)
    if summary:
        print(summary)


def run() -> None:
    if not RIG.exists():
        print(f"  skipped: {RIG} not found")
        return
    missing = [c for c in ("unshare", "node", "npm") if shutil.which(c) is None]
    if missing or os.geteuid() != 0:
        print(f"  skipped: the rig needs root and {', '.join(missing) or 'unshare/node/npm'}")
        return
    n = int(os.environ.get("BENCH_NPM_N", "3000"))
    latencies = [int(x) for x in os.environ.get("BENCH_NPM_LATENCIES", "50").split(",") if x]
    runs = int(os.environ.get("BENCH_NPM_RUNS", "3"))
    with tempfile.TemporaryDirectory(prefix="bench-npm-") as tmp:
        data = _export(n, Path(tmp) / "data")
        label = f"kit-{n}" if data is not None else "real"
        print(f"  data: {'kit export, ' + str(n) + ' packages' if data else 'rig set real'}")
        for latency in latencies:
            _run_rig(label, runs, latency, data, n)
    print(f"  (ratio npm/cmd > 1 means audit is faster; target >= {TARGET_RATIO:g})")
