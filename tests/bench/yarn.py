"""Bench: parse a generated 5,000-package yarn.lock of each Yarn format (target: 200 ms).

Figures are printed, never asserted; wall times on a busy machine wander, so the CPU time of
the process is printed beside them.  Also how long the exact readers alone take on the same
files (Yarn 1's token reader, libyaml for Berry), which a file outside the lines Yarn writes
falls back to.
"""

from __future__ import annotations

import statistics
import time

from auditor.lockfile import parse_lockfile_bytes
from auditor.lockfile.formats import yarn_berry, yarn_classic
from tests.lockfile.yarn.synth import big_berry, big_classic

TARGET_MS = 200.0


def _median(data: bytes, runs: int = 9) -> tuple[float, float, int]:
    packages = len(parse_lockfile_bytes(data, "yarn.lock").packages)
    parse_lockfile_bytes(data, "yarn.lock")  # warm up
    wall, cpu = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        parse_lockfile_bytes(data, "yarn.lock")
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    return statistics.median(wall), statistics.median(cpu), packages


def _cpu(fn: object, *args: object, **kwargs: object) -> float:
    assert callable(fn)
    start = time.process_time()
    fn(*args, **kwargs)
    return (time.process_time() - start) * 1000


def run() -> None:
    cases = [
        ("yarn.lock v1 (yarn-classic)", big_classic(5000)),
        ("yarn.lock v10 (yarn-berry)", big_berry(5000)),
    ]
    for label, data in cases:
        wall, cpu, packages = _median(data)
        verdict = "ok" if wall <= TARGET_MS else "OVER TARGET"
        print(
            f"parse 5,000-package {label} ({len(data) / 2**20:.1f} MiB, {packages} packages): "
            f"median {wall:.1f} ms wall, {cpu:.1f} ms CPU "
            f"(target <= {TARGET_MS:.0f} ms: {verdict})",
            flush=True,
        )
    classic, berry = (data.decode() for _, data in cases)
    slow_classic = _cpu(yarn_classic.read_document, classic, "bench", fast=False)
    slow_berry = _cpu(yarn_berry._load, berry, "bench", fast=False)
    print(
        f"the same files through the exact fallbacks alone: Yarn 1 token reader "
        f"{slow_classic:.0f} ms CPU, libyaml (PyYAML CSafeLoader) {slow_berry:.0f} ms CPU",
        flush=True,
    )
