"""Engine benchmark (prints figures; nothing is asserted).

The kit's generated project (40% provenance, 10% publish-only, the rest without
attestations) is served by the loopback registry in a separate process with a fixed latency
per response.  `audit` runs as a subprocess: wall time, CPU time and peak RSS of it and its
verification workers.  Cold and warm are each run BENCH_ENGINE_RUNS times (3); the median
is printed with every run's wall time.

    python -m tests.bench engine                      # 3,000 packages at 50 ms, then 10,000
    BENCH_ENGINE_N=300 python -m tests.bench engine   # a quick run
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
LATENCY_MS = float(os.environ.get("BENCH_ENGINE_LATENCY_MS", "50"))
MIX = "provenance=0.4,publish-only=0.1,none=0.5,invalid=0,downgrade=0"


def generate(n: int) -> Any:
    from tests.support.generator import Mix, generate_project

    return generate_project(n, seed=5, mix=Mix.parse(MIX), fast=True)


# --------------------------------------------------------------------------- server process


def serve(n: int, latency_ms: float, work: Path) -> None:
    """Child process: generate and serve the project, write its lockfile and trust files
    into `work`, print the port, then answer 'stats' lines on stdin."""
    from tests.support.registry import LoopbackRegistry

    project = generate(n)
    project.kit.write_trust(work / "trust")

    async def main() -> None:
        async with LoopbackRegistry(project.registry, latency_ms=0) as reg:
            await warm_up(reg, list(project.registry.packuments))
            reg.latency_ms = latency_ms
            project.write(work / "project", reg.url)
            print(reg.port, flush=True)
            loop = asyncio.get_running_loop()
            done = asyncio.Event()

            def reader() -> None:
                for line in sys.stdin:
                    if line.strip() == "stats":
                        stats = {"requests": reg.count(), "max_in_flight": reg.max_in_flight}
                        reg.reset_stats()
                        print(json.dumps(stats), flush=True)
                loop.call_soon_threadsafe(done.set)

            threading.Thread(target=reader, daemon=True).start()
            await done.wait()

    asyncio.run(main())


async def warm_up(reg: Any, names: list[str]) -> None:
    """Make the mock serve packuments from memory, like a real registry's CDN: the kit
    builds each abbreviated document on first request, which is not what we measure."""
    import aiohttp

    from tests.support.registry import ABBREVIATED, encode_name

    sem = asyncio.Semaphore(32)
    async with aiohttp.ClientSession() as session:

        async def one(name: str) -> None:
            url = f"{reg.url}/{encode_name(name)}"
            async with sem, session.get(url, headers={"Accept": ABBREVIATED}) as resp:
                await resp.read()

        await asyncio.gather(*(one(n) for n in names))
    reg.reset_stats()


class Server:
    def __init__(self, n: int, latency_ms: float, work: Path) -> None:
        self.lockfile = work / "project" / "package-lock.json"
        self.trust = work / "trust"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.bench.engine",
                "--serve",
                str(n),
                str(latency_ms),
                str(work),
            ],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"

    def stats(self) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        result: dict[str, int] = json.loads(self.proc.stdout.readline())
        return result

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# --------------------------------------------------------------------------- measurements

LAST_CPU = [0.0]  # user+system seconds of the last audit (and its verification workers)
LAST_RSS = [0.0]  # peak RSS in MB of the audits of the current size (largest process)
RUNS = int(os.environ.get("BENCH_ENGINE_RUNS", "3"))  # cold and warm: the median is printed


# The audit's CPU time and peak RSS, every descendant included: the wrapper is a child
# subreaper, so verification workers started from a forkserver (a grandchild of the audit
# that outlives it by a moment) are reaped and counted here too.
# The wall time is the audit's own, from its start to its exit (not the wrapper's start-up).
_WAIT4_WRAPPER = """
import ctypes, json, os, resource, subprocess, sys, time
fd = int(sys.argv[1])
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
t0 = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, _ = os.wait4(proc.pid, 0)
wall = time.perf_counter() - t0
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
os.write(fd, json.dumps([usage.ru_utime + usage.ru_stime, usage.ru_maxrss, wall]).encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_audit(server: Server, *extra: str) -> tuple[float, int, dict[str, Any]]:
    """Wall seconds, exit code and the JSON report of one `audit` subprocess."""
    cmd = [
        sys.executable, "-m", "auditor", str(server.lockfile), "--registry", server.url,
        "--trusted-root", str(server.trust / "trusted_root.json"),
        "--npm-keys", str(server.trust / "npm-registry-keys.json"),
        "--format", "json", "-q", *extra,
    ]  # fmt: skip
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryFile() as usage_file,
    ):
        # A small wrapper process starts the audit: a child forked straight from this (large)
        # bench process would inherit its peak RSS in ru_maxrss.
        proc = subprocess.Popen(
            [sys.executable, "-c", _WAIT4_WRAPPER, str(usage_file.fileno()), *cmd],
            cwd=REPO,
            stdout=out,
            stderr=err,
            pass_fds=(usage_file.fileno(),),
        )
        proc.wait()
        out.seek(0)
        err.seek(0)
        usage_file.seek(0)
        stdout, stderr = out.read(), err.read()
        cpu, maxrss_kb, wall = json.loads(usage_file.read() or b"[0, 0, 0]")
    LAST_CPU[0] = cpu
    LAST_RSS[0] = max(LAST_RSS[0], maxrss_kb / 1024)
    if proc.returncode not in (0, 1):
        print(f"  audit exited {proc.returncode}: {stderr.decode()[-300:]}")
        return wall, proc.returncode, {}
    report: dict[str, Any] = json.loads(stdout)
    return wall, proc.returncode, report


async def floor(urls: list[str], concurrency: int) -> float:
    """A bare aiohttp loop fetching the same URLs at the same concurrency."""
    import aiohttp

    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            async with sem, session.get(url) as resp:
                await resp.read()

        t0 = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - t0


def median_run(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The (wall, cpu) of the run with the median wall time."""
    return sorted(runs)[len(runs) // 2]


def runs_text(runs: list[tuple[float, float]]) -> str:
    return " ".join(f"{w:.2f}" for w, _ in runs)


def summary(report: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for p in report.get("packages", []):
        counts[p["status"]] = counts.get(p["status"], 0) + 1
    return " ".join(f"{k}={v}" for k, v in sorted(counts.items()))


def bench_size(n: int, *, sweep: bool) -> float:
    from auditor.registry.client import DEFAULT_CONCURRENCY
    from auditor.registry.sources import attestations_url

    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        LAST_RSS[0] = 0.0
        server = Server(n, LATENCY_MS, work)
        print(
            f"N={n} latency={LATENCY_MS:g}ms mix={MIX} "
            f"(generated and served in {time.perf_counter() - t0:.1f}s)"
        )
        try:
            server.stats()
            cold: list[tuple[float, float]] = []
            for _ in range(RUNS):
                wall, rc, report = run_audit(server, "--no-cache")
                st = server.stats()
                cold.append((wall, LAST_CPU[0]))
            wall, cpu = median_run(cold)
            print(
                f"  cold      wall={wall:.2f}s  cpu={cpu:.2f}s  "
                f"per_package={wall / n * 1000:.2f}ms  req/s={st['requests'] / wall:.0f}  "
                f"requests={st['requests']}  "
                f"server_max_in_flight={st['max_in_flight']}  rc={rc}  {summary(report)}  "
                f"(median of {RUNS}: {runs_text(cold)})"
            )
            cache = work / "cache"
            run_audit(server, "--cache-dir", str(cache))
            server.stats()
            warm: list[tuple[float, float]] = []
            for _ in range(RUNS):
                w, _, _ = run_audit(server, "--cache-dir", str(cache))
                warm.append((w, LAST_CPU[0]))
            wst = server.stats()
            wwall, wcpu = median_run(warm)
            print(
                f"  warm      wall={wwall:.2f}s  cpu={wcpu:.2f}s  requests={wst['requests']}  "
                f"(median of {RUNS}: {runs_text(warm)})"
            )
            rss_target = "met" if LAST_RSS[0] <= 150 else "NOT MET"
            print(
                f"  peak RSS  {LAST_RSS[0]:.0f} MB (largest audit or worker process; "
                f"target at 3,000 packages <= 150 MB: {rss_target})"
            )
            specs = [(p["name"], p["version"]) for p in report.get("packages", [])]
            urls = [attestations_url(server.url + "/", a, b) for a, b in specs]
            fl = asyncio.run(floor(urls, DEFAULT_CONCURRENCY))
            server.stats()
            print(
                f"  floor     bare aiohttp GET of the same {len(urls)} attestation URLs at "
                f"concurrency {DEFAULT_CONCURRENCY}: {fl:.2f}s"
            )
            if sweep:
                for c in (16, 32, 64, 128, 256):
                    w, _, _ = run_audit(server, "--no-cache", "--concurrency", str(c))
                    s = server.stats()
                    print(
                        f"  sweep     concurrency={c:<4} wall={w:.2f}s  cpu={LAST_CPU[0]:.2f}s  "
                        f"server_max_in_flight={s['max_in_flight']}"
                    )
        finally:
            server.close()
        return wall


def run() -> None:
    if "BENCH_ENGINE_N" in os.environ:
        bench_size(int(os.environ["BENCH_ENGINE_N"]), sweep=False)
        return
    small = bench_size(3000, sweep=True)
    large = bench_size(10000, sweep=False)
    a, b = small / 3000 * 1000, large / 10000 * 1000
    print(f"  scaling   per-package {a:.2f}ms at 3k, {b:.2f}ms at 10k (ratio {b / a:.2f})")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4]))
    else:
        run()
