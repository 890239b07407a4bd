"""Bench: CPU time to verify one package's attestation set on the real fixtures.

Median of `time.process_time()` over many iterations, per bundle format.  Target: a
2-bundle set in at most 1.5 ms.  Printed only; never asserted.
"""

from __future__ import annotations

import statistics
import time

from auditor.verify import load_trust, verify_attestations
from tests.verify.fixtures import REAL_CASES

ITERATIONS = 400


def run() -> None:
    t0 = time.process_time()
    trust = load_trust()
    print(f"load_trust (pinned files, parse once): {(time.process_time() - t0) * 1000:.2f} ms")
    for case in REAL_CASES:
        response = case.response()
        status = verify_attestations(case.name, case.version, case.integrity(), response, trust)
        samples = []
        for _ in range(ITERATIONS):
            start = time.process_time()
            verify_attestations(case.name, case.version, case.integrity(), response, trust)
            samples.append(time.process_time() - start)
        median = statistics.median(samples) * 1000
        flag = "ok" if median <= 1.5 or len(case.formats) < 2 else "OVER 1.5 ms"
        print(
            f"  {case.spec:45s} {case.format_label:38s} {len(case.formats)} bundles "
            f"{median:6.3f} ms  [{status.status}] {flag}"
        )
