"""Engine benchmark (prints figures; nothing is asserted).

A generated project (40% provenance, 10% publish-only, the rest without attestations) is
served by the loopback registry in a separate process with a fixed latency per response.
`audit` runs as a subprocess (wall time, peak RSS of it and its verification workers).

    python -m tests.bench engine                   # 3,000 packages at 50 ms, then 10,000
    BENCH_ENGINE_N=300 python -m tests.bench engine   # quick smoke run
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
LATENCY_MS = float(os.environ.get("BENCH_ENGINE_LATENCY_MS", "50"))


def plan(n: int) -> list[tuple[str, str, str]]:
    """(name, version, kind) for n packages; every 10th scoped, like the npm rig's sets."""
    out = []
    for i in range(n):
        name = f"@bench/pkg-{i:05d}" if i % 10 == 0 else f"bench-pkg-{i:05d}"
        r = i % 10
        kind = "provenance" if r < 4 else "publish" if r == 4 else "none"
        out.append((name, "1.0.0", kind))
    return out


def _tarball(name: str, version: str) -> bytes:
    return f"tarball of {name}@{version}".encode()


def build_data(n: int, trust_dir: Path) -> Any:
    from tests.support.kit import SigstoreKit
    from tests.support.registry import RegistryData, sri_sha512

    kit = SigstoreKit(seed="bench-engine", cache_leaf=True)
    kit.write_trust(trust_dir)
    data = RegistryData(signer=kit.sign_registry)
    for name, version, kind in plan(n):
        tgz = _tarball(name, version)
        att = None
        if kind != "none":
            att = kit.attestations(name, version, sri_sha512(tgz), provenance=kind == "provenance")
        data.add_version(name, version, tarball=tgz, attestations=att)
    return data


def write_lockfile(n: int, path: Path, registry: str) -> None:
    from tests.support.registry import sri_sha512, tarball_filename

    packages: dict[str, Any] = {"": {"name": "bench", "version": "1.0.0"}}
    for name, version, _ in plan(n):
        packages[f"node_modules/{name}"] = {
            "version": version,
            "resolved": f"{registry}/{name}/-/{tarball_filename(name, version)}",
            "integrity": sri_sha512(_tarball(name, version)),
        }
    doc = {"name": "bench", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    path.write_text(json.dumps(doc))


# --------------------------------------------------------------------------- server process


def serve(n: int, latency_ms: float, trust_dir: Path) -> None:
    """Child process: serve the data, print the port, answer 'stats' lines on stdin."""
    from tests.support.registry import LoopbackRegistry

    data = build_data(n, trust_dir)

    async def main() -> None:
        async with LoopbackRegistry(data, latency_ms=latency_ms) as reg:
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


class Server:
    def __init__(self, n: int, latency_ms: float, trust_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.bench.engine",
                "--serve",
                str(n),
                str(latency_ms),
                str(trust_dir),
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


def run_audit(lock: Path, server: Server, trust_dir: Path, *extra: str) -> tuple[float, int, dict]:
    """Wall seconds, exit code and the JSON report of one `audit` subprocess."""
    cmd = [
        sys.executable, "-m", "auditor", str(lock), "--registry", server.url,
        "--trusted-root", str(trust_dir / "trusted_root.json"),
        "--npm-keys", str(trust_dir / "npm-registry-keys.json"),
        "--format", "json", "-q", *extra,
    ]  # fmt: skip
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, check=False)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if proc.returncode not in (0, 1):
        print(f"  audit exited {proc.returncode}: {proc.stderr.decode()[-300:]}")
        return wall, proc.returncode, {}
    return wall, proc.returncode, json.loads(proc.stdout)


LAST_CPU = [0.0]  # user+system seconds of the last audit (and its verification workers)


def peak_rss_mb() -> float:
    # ru_maxrss of the largest waited-for descendant, in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


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


def summary(report: dict) -> str:
    counts: dict[str, int] = {}
    for p in report.get("packages", []):
        counts[p["status"]] = counts.get(p["status"], 0) + 1
    return " ".join(f"{k}={v}" for k, v in sorted(counts.items()))


def bench_size(n: int, *, sweep: bool) -> float:
    from auditor.registry.client import DEFAULT_CONCURRENCY
    from auditor.registry.sources import attestations_url

    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        work = Path(tmp)
        trust = work / "trust"
        t0 = time.perf_counter()
        server = Server(n, LATENCY_MS, trust)
        print(
            f"N={n} latency={LATENCY_MS:g}ms "
            f"(data minted and served in {time.perf_counter() - t0:.1f}s)"
        )
        try:
            lock = work / "package-lock.json"
            write_lockfile(n, lock, server.url)
            server.stats()
            wall, rc, report = run_audit(lock, server, trust, "--no-cache")
            st = server.stats()
            print(
                f"  cold      wall={wall:.2f}s  cpu={LAST_CPU[0]:.2f}s  "
                f"per_package={wall / n * 1000:.2f}ms  "
                f"req/s={st['requests'] / wall:.0f}  requests={st['requests']}  "
                f"server_max_in_flight={st['max_in_flight']}  rc={rc}  {summary(report)}"
            )
            cache = work / "cache"
            run_audit(lock, server, trust, "--cache-dir", str(cache))
            server.stats()
            wwall, _, _ = run_audit(lock, server, trust, "--cache-dir", str(cache))
            wst = server.stats()
            print(
                f"  warm      wall={wwall:.2f}s  cpu={LAST_CPU[0]:.2f}s  requests={wst['requests']}"
            )
            print(f"  peak RSS (largest audit process so far) {peak_rss_mb():.0f} MB")
            names = [(name, version) for name, version, _ in plan(n)]
            urls = [attestations_url(server.url + "/", a, b) for a, b in names]
            fl = asyncio.run(floor(urls, DEFAULT_CONCURRENCY))
            server.stats()
            print(
                f"  floor     bare aiohttp GET of the same {n} URLs at concurrency "
                f"{DEFAULT_CONCURRENCY}: {fl:.2f}s"
            )
            if sweep:
                for c in (16, 32, 64, 128, 256):
                    w, _, _ = run_audit(lock, server, trust, "--no-cache", "--concurrency", str(c))
                    s = server.stats()
                    print(
                        f"  sweep     concurrency={c:<4} wall={w:.2f}s  cpu={LAST_CPU[0]:.2f}s  "
                        f"server_max_in_flight={s['max_in_flight']}"
                    )
        finally:
            server.close()
        return wall


def run() -> None:
    sizes = [int(os.environ["BENCH_ENGINE_N"])] if "BENCH_ENGINE_N" in os.environ else [3000]
    walls = {}
    for i, n in enumerate(sizes):
        walls[n] = bench_size(n, sweep=i == 0)
    if "BENCH_ENGINE_N" not in os.environ:
        walls[10000] = bench_size(10000, sweep=False)
        a, b = walls[3000] / 3000 * 1000, walls[10000] / 10000 * 1000
        print(f"  scaling   per-package {a:.2f}ms at 3k, {b:.2f}ms at 10k (ratio {b / a:.2f})")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4]))
    else:
        run()
