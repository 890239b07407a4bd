"""Bench: CPU time to verify one package's attestation set.

Median of `time.process_time()` per call over many interleaved iterations, per recorded
real response and per bundle format (plus the signing kit's Rekor v2 formats).  Target: a
2-bundle set in at most 1.5 ms.  Printed only, never asserted.  The machine's own ECDSA
cost is printed too: a v0.2 provenance + publish set needs one P-384 verification (the
Fulcio intermediate's signature on the leaf) and seven P-256 verifications.
"""

from __future__ import annotations

import base64
import hashlib
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from auditor.verify import load_trust, verify_attestations
from tests.verify.fixtures import REAL_CASES

ROUNDS = 5
PER_ROUND = 80
TARGET_MS = 1.5


def _cpu_ms(fn: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    return samples


def _ecdsa_floor() -> tuple[float, float]:
    out = []
    for curve, digest in ((ec.SECP256R1(), hashes.SHA256()), (ec.SECP384R1(), hashes.SHA384())):
        key = ec.generate_private_key(curve)
        sig = key.sign(b"x" * 256, ec.ECDSA(digest))
        public = key.public_key()
        out.append(
            statistics.median(
                _cpu_ms(partial(public.verify, sig, b"x" * 256, ec.ECDSA(digest)), 300)
            )
        )
    return out[0], out[1]


def _kit_cases() -> list[tuple[str, str, Callable[[], object]]]:
    try:
        from typing import get_args

        from tests.support import kit as kit_module
    except ImportError:  # the kit is optional for the bench
        return []
    kit = kit_module.SigstoreKit(seed="bench")
    root, keys = kit.write_trust(Path(tempfile.mkdtemp(prefix="bench-trust-")))
    trust = load_trust(root, keys)
    sha = hashlib.sha512(b"bench tarball").digest()
    integrity = "sha512-" + base64.b64encode(sha).decode()
    cases: list[tuple[str, str, Callable[[], object]]] = []
    for fmt in get_args(kit_module.BundleFormat):
        body = kit.attestations("@bench/pkg", "1.0.0", sha, fmt=fmt)
        call = partial(verify_attestations, "@bench/pkg", "1.0.0", integrity, body, trust)
        cases.append((f"kit {fmt}", f"kit {fmt}", call))
    return cases


def run() -> None:
    start = time.process_time()
    trust = load_trust()
    print(
        f"load_trust (pinned files, parsed once per process): "
        f"{(time.process_time() - start) * 1000:.2f} ms"
    )
    p256, p384 = _ecdsa_floor()
    floor = p384 + 7 * p256
    print(
        f"machine ECDSA verify: P-256 {p256:.3f} ms, P-384 {p384:.3f} ms "
        f"-> crypto floor of a v0.2 2-bundle set {floor:.3f} ms; "
        f"load average {os.getloadavg()[0]:.2f}"
    )

    cases: list[tuple[str, str, Callable[[], object]]] = []
    for case in REAL_CASES:
        response, integrity = case.response(), case.integrity()
        label = f"{len(case.entries)}-bundle {case.format_label}"

        def call(c=case, r=response, i=integrity) -> object:  # type: ignore[no-untyped-def]
            return verify_attestations(c.name, c.version, i, r, trust)

        status = call().status  # type: ignore[attr-defined]
        cases.append((f"{case.spec} [{status}]", label, call))
    cases += _kit_cases()

    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(ROUNDS):  # interleaved rounds: background load spreads evenly
        for name, _, fn in cases:
            samples[name] += _cpu_ms(fn, PER_ROUND)
    by_format: dict[str, list[float]] = defaultdict(list)
    print("per response (median CPU ms):")
    for name, label, _ in cases:
        med = statistics.median(samples[name])
        by_format[label] += samples[name]
        print(f"  {name:55s} {med:6.3f}")
    print(f"per format (median CPU ms; target <= {TARGET_MS} ms for a 2-bundle set):")
    for label, values in sorted(by_format.items()):
        med = statistics.median(values)
        over = " OVER" if med > TARGET_MS and not label.startswith("1-bundle") else ""
        print(f"  {label:75s} {med:6.3f}{over}")
