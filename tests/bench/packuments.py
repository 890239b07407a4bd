"""Peak memory with large packuments (prints figures; nothing is asserted).

The review measured 2.6 GiB at 300 packages whose packuments are 8 MiB each.  A loopback
server (its own process) serves 300 unattested packages, each with a full packument of
about 8 MiB (800 versions of 10 KiB, a signed version 1.0.0), for both Accept headers (the
worst case: a registry without abbreviated documents).  `audit` runs as a subprocess with
the default policy (abbreviated document, only 1.0.0 decoded) and with a policy that reads
history (`[release_age]`: every version's time and evidence), and its peak RSS is printed.

    python -m tests.bench packuments
    BENCH_PACK_N=100 BENCH_PACK_MIB=8 python -m tests.bench packuments
    BENCH_AUDIT_REPO=/path/to/other/checkout python -m tests.bench packuments   # before/after
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
N = int(os.environ.get("BENCH_PACK_N", "300"))
MIB = float(os.environ.get("BENCH_PACK_MIB", "8"))
LATENCY_MS = float(os.environ.get("BENCH_PACK_LATENCY_MS", "50"))
# The checkout whose `auditor` is measured (default: this one), for before/after figures.
AUDIT_REPO = Path(os.environ.get("BENCH_AUDIT_REPO", str(REPO)))

HISTORY_POLICY = 'version = 1\n[release_age]\ndays = 0\n[rules]\nincomplete = "warning"\n'


def _bulk(mib: float) -> bytes:
    """The shared part of every packument: versions 0.0.0 .. 0.0.k of about 10 KiB each."""
    versions = max(1, int(mib * 1024 * 1024 / 10_300))
    pad = "x" * 9_800
    docs = []
    for i in range(versions):
        v = f"0.0.{i}"
        doc = {
            "name": "p",
            "version": v,
            "description": pad,
            "dist": {"integrity": "sha512-" + "A" * 86 + "==", "tarball": "t"},
        }
        docs.append(json.dumps(v) + ":" + json.dumps(doc, separators=(",", ":")))
    return ",".join(docs).encode()


def serve(work: Path) -> None:
    """Child process: serve the packuments, print the port, run until stdin closes."""
    import asyncio
    import threading

    from aiohttp import web

    from tests.support.kit import SigstoreKit
    from tests.support.registry import sri_sha512

    kit = SigstoreKit(seed="bench-packuments")
    kit.write_trust(work / "trust")
    bulk = _bulk(MIB)
    times = b",".join(
        b'"0.0.%d":"2020-01-01T00:00:00.000Z"' % i for i in range(bulk.count(b'"version"'))
    )
    heads: dict[str, bytes] = {}
    lock: dict[str, object] = {"": {"name": "bench", "version": "1.0.0"}}
    for i in range(N):
        name = f"bench-pack-{i:04d}"
        integrity = sri_sha512(name.encode())
        doc = {
            "name": name,
            "version": "1.0.0",
            "dist": {
                "integrity": integrity,
                "tarball": "t",
                "signatures": [kit.sign_registry(f"{name}@1.0.0:{integrity}")],
            },
        }
        heads[name] = (
            f'{{"name":{json.dumps(name)},"dist-tags":{{"latest":"1.0.0"}},"versions":{{'
            f'"1.0.0":{json.dumps(doc)},'
        ).encode()
        lock[f"node_modules/{name}"] = {
            "version": "1.0.0",
            "resolved": f"http://127.0.0.1:4873/{name}/-/{name}-1.0.0.tgz",
            "integrity": integrity,
        }
    (work / "project").mkdir()
    (work / "project" / "package-lock.json").write_text(
        json.dumps({"name": "bench", "lockfileVersion": 3, "packages": lock})
    )
    tail = b'},"time":{"1.0.0":"2024-01-01T00:00:00.000Z",' + times + b"}}"

    async def handle(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(LATENCY_MS / 1000)
        name = request.path.lstrip("/")
        head = heads.get(name)
        if head is None:
            return web.Response(status=404, body=b'{"error":"Not found"}')
        body = b"".join((head, bulk, tail))
        return web.Response(body=body, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        size = len(next(iter(heads.values()))) + len(bulk) + len(tail)
        print(runner.addresses[0][1], size, flush=True)
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        threading.Thread(
            target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(done.set)), daemon=True
        ).start()
        await done.wait()
        await runner.cleanup()

    asyncio.run(main())


def run() -> None:
    from tests.bench.engine import _WAIT4_WRAPPER

    with tempfile.TemporaryDirectory(prefix="bench-pack-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.packuments", "--serve", str(work)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdin is not None
        port, size = (int(x) for x in proc.stdout.readline().split())
        print(
            f"N={N} packuments of {size / 2**20:.1f} MiB, latency={LATENCY_MS:g}ms, "
            f"auditor from {AUDIT_REPO} (served in {time.perf_counter() - t0:.1f}s)"
        )
        policy = work / "history.toml"
        policy.write_text(HISTORY_POLICY)
        try:
            for label, extra in (
                ("default policy", []),
                ("history policy", ["--policy", str(policy)]),
            ):
                cmd = [
                    sys.executable, "-m", "auditor", str(work / "project" / "package-lock.json"),
                    "--registry", f"http://127.0.0.1:{port}/", "--no-cache", "-q",
                    "--trusted-root", str(work / "trust" / "trusted_root.json"),
                    "--npm-keys", str(work / "trust" / "npm-registry-keys.json"),
                    "--format", "json", *extra,
                ]  # fmt: skip
                with tempfile.TemporaryFile() as usage, tempfile.TemporaryFile() as out:
                    audit = subprocess.Popen(
                        [sys.executable, "-c", _WAIT4_WRAPPER, str(usage.fileno()), *cmd],
                        cwd=AUDIT_REPO,
                        stdout=out,
                        stderr=subprocess.DEVNULL,
                        pass_fds=(usage.fileno(),),
                    )
                    audit.wait()
                    usage.seek(0)
                    cpu, maxrss_kb, wall = json.loads(usage.read() or b"[0, 0, 0]")
                    out.seek(0)
                    try:
                        doc = json.loads(out.read())
                        sigs = doc.get("summary", {}).get("registry_signatures", "-")
                        statuses = doc.get("summary", {}).get("by_status", {})
                    except ValueError:
                        sigs, statuses = "-", {}
                print(
                    f"  {label:<15} peak RSS {maxrss_kb / 1024:.0f} MB  wall={wall:.2f}s  "
                    f"cpu={cpu:.2f}s  rc={audit.returncode}  "
                    f"statuses={ {k: v for k, v in statuses.items() if v} }  signatures={sigs}"
                )
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]))
    else:
        run()
