"""Bench: parse a generated 5,000-package v3 lockfile (target: median <= 150 ms).

Also parses a generated 50 MB lockfile in a child process and prints its time and peak
RSS, for the "bounded time and memory" requirement.  Figures are printed, never asserted.
Wall times on a busy machine wander; the CPU time of the process is printed alongside.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from auditor.lockfile import parse_lockfile_bytes
from auditor.models import Lockfile, Package, check_integrity, read_integrity
from tests.lockfile.formats.synth import big_specs, bun_lockfile, pnpm_lockfile
from tests.lockfile.synth import big_lockfile

TARGET_MS = 150.0
FORMAT_TARGET_MS = 200.0  # issue 17: every format's 5,000-package lockfile
_CHILD = """
import sys, time
from pathlib import Path
from auditor.lockfile import parse_lockfile
start, cpu = time.perf_counter(), time.process_time()
lf = parse_lockfile(Path(sys.argv[1]))
print(len(lf.packages), time.perf_counter() - start, time.process_time() - cpu)
"""


def _median(data: bytes, name: str, runs: int = 9) -> tuple[float, float, int]:
    packages = len(parse_lockfile_bytes(data, name).packages)
    parse_lockfile_bytes(data, name)  # warm up
    wall, cpu = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        parse_lockfile_bytes(data, name)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    return statistics.median(wall), statistics.median(cpu), packages


def formats() -> None:
    """One line per non-npm format: a generated 5,000-package lockfile (target 200 ms)."""
    from auditor.lockfile.formats import yamlload

    specs = big_specs(5000)
    cases = [
        ("pnpm-lock.yaml v9", pnpm_lockfile(specs).encode(), "pnpm-lock.yaml"),
        ("pnpm-lock.yaml v6", pnpm_lockfile(specs, v6=True).encode(), "pnpm-lock.yaml"),
        ("bun.lock", bun_lockfile(specs).encode(), "bun.lock"),
    ]
    for label, data, name in cases:
        wall, cpu, packages = _median(data, name)
        verdict = "ok" if wall <= FORMAT_TARGET_MS else "OVER TARGET"
        print(
            f"parse 5,000-package {label} ({len(data) / 2**20:.1f} MiB, {packages} packages): "
            f"median {wall:.1f} ms wall, {cpu:.1f} ms CPU "
            f"(target <= {FORMAT_TARGET_MS:.0f} ms: {verdict})",
            flush=True,
        )
    text = cases[0][1].decode()
    timings = []
    for reference in (False, True):
        start = time.process_time()
        yamlload.load_yaml(text, "bench", reference=reference)
        timings.append((time.process_time() - start) * 1000)
    print(
        f"YAML loader in use: {yamlload.LOADER}; the v9 file alone: yaml-rs "
        f"{timings[0]:.0f} ms CPU, {yamlload.PY_LOADER} {timings[1]:.0f} ms CPU",
        flush=True,
    )


def run() -> None:
    formats()
    data = big_lockfile(5000)
    lf = parse_lockfile_bytes(data, "bench.json")
    for _ in range(2):  # warm up
        parse_lockfile_bytes(data, "bench.json")
    wall, cpu = [], []
    for _ in range(15):
        start, cpu_start = time.perf_counter(), time.process_time()
        parse_lockfile_bytes(data, "bench.json")
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    median = statistics.median(wall)
    verdict = "ok" if median <= TARGET_MS else "OVER TARGET"
    print(
        f"parse 5,000-package v3 lockfile ({len(data) / 2**20:.1f} MiB, "
        f"{len(lf.packages)} packages): median {median:.1f} ms wall, "
        f"{statistics.median(cpu):.1f} ms CPU (target <= {TARGET_MS:.0f} ms: {verdict})",
        flush=True,
    )

    # The parser pauses the cyclic collector while decoding: its worth against the plain
    # path (`_parse`, the same code with the collector running), in CPU time.
    from auditor.lockfile.parser import _parse

    for n, runs in ((5000, 9), (50_000, 3)):
        body = data if n == 5000 else big_lockfile(n, seed=3)
        paused, plain = [], []
        for _ in range(runs):
            cpu_start = time.process_time()
            parse_lockfile_bytes(body, "bench.json")
            paused.append((time.process_time() - cpu_start) * 1000)
            cpu_start = time.process_time()
            _parse(body, "bench.json")
            plain.append((time.process_time() - cpu_start) * 1000)
        print(
            f"parse {n:,} packages, median CPU: collector paused {statistics.median(paused):.0f} "
            f"ms, plain path {statistics.median(plain):.0f} ms",
            flush=True,
        )

    one_step_paths(lf)

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "package-lock.json"
        big.write_bytes(big_lockfile(110_000, seed=2))
        size = big.stat().st_size
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(big)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(
        f"parse {size / 2**20:.0f} MiB lockfile ({out[0]} packages): {float(out[1]):.2f} s wall, "
        f"{float(out[2]):.2f} s CPU, peak RSS {peak:.0f} MiB"
    )


def one_step_paths(lf: Lockfile) -> None:
    """The worth of models.py's one-step paths, each against its plain path, over the
    packages of a 5,000-package lockfile (CPU ms, median of 9)."""
    from dataclasses import fields as dataclass_fields

    plain_init = Package.__dataclass_init__  # type: ignore[attr-defined]
    names = [f.name for f in dataclass_fields(Package)]
    fields = [{name: getattr(p, name) for name in names} for p in lf.packages]
    integrities = [p.integrity for p in lf.packages]

    def build(fast: bool) -> None:
        for values in fields:
            if fast:
                Package(**values)
            else:
                plain_init(object.__new__(Package), **values)

    def read(fast: bool) -> None:
        reader = check_integrity if fast else read_integrity
        for value in integrities:
            reader(value)

    for label, fn in (("Package()", build), ("integrity", read)):
        timings: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(9):
            for fast in (True, False):
                start = time.process_time()
                fn(fast)
                timings[fast].append((time.process_time() - start) * 1000)
        print(
            f"one-step path, {label} x {len(fields):,}, median CPU: "
            f"{statistics.median(timings[True]):.1f} ms, plain path "
            f"{statistics.median(timings[False]):.1f} ms",
            flush=True,
        )
