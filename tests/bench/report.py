"""Report rendering: time and size of every format for a large synthetic audit.

python -m tests.bench report   (once "report" is in SUITES of tests/bench/__main__.py)
"""

from __future__ import annotations

import gzip
import time

from auditor.models import Finding, Level, PackageResult, Report, Status
from auditor.report import FORMATS, render
from tests.report.scenarios import package, report, verified

SIZES = (1_000, 10_000)


def _audit(n: int) -> Report:
    results: list[PackageResult] = []
    findings: list[Finding] = []
    for i in range(n):
        pkg = package(f"@scope-{i % 50}/pkg-{i}", f"1.{i % 7}.0", 10 + 12 * i, dev=i % 4 == 0)
        if i % 3:
            results.append(verified(pkg, f"org-{i % 50}/pkg-{i}"))
        else:
            results.append(PackageResult(pkg, Status.UNATTESTED, "NO_ATTESTATIONS"))
            findings.append(
                Finding(
                    "provenance-required",
                    Level.ERROR if i % 2 else Level.WARNING,
                    f"{pkg.spec} has no verified provenance (unattested)",
                    pkg.name,
                    pkg.version,
                    pkg.line,
                    {"expected": "verified provenance", "actual": "unattested"},
                )
            )
    return report(results, findings)


def run() -> None:
    for n in SIZES:
        audit = _audit(n)
        for fmt in FORMATS:
            start = time.perf_counter()
            text = render(audit, fmt)
            elapsed = time.perf_counter() - start
            data = text.encode("utf-8")
            extra = f", gzip {len(gzip.compress(data)) / 1024:.0f} KiB" if fmt == "sarif" else ""
            print(
                f"report {fmt:<8} {n:>6} packages {len(audit.findings):>5} findings: "
                f"{elapsed * 1000:7.1f} ms, {len(data) / 1024:8.0f} KiB{extra}",
                flush=True,
            )


if __name__ == "__main__":
    run()
