"""TrustMaterial crosses a process boundary (the engine verifies in a process pool)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from auditor.models import Status, VerificationResult
from auditor.verify import TrustMaterial, verify_attestations
from tests.verify.fixtures import case


def _verify_in_worker(trust: TrustMaterial, spec: str) -> VerificationResult:
    c = case(spec)
    return verify_attestations(c.name, c.version, c.integrity(), c.response(), trust)


def test_verify_in_spawned_worker(trust: TrustMaterial) -> None:
    context = multiprocessing.get_context("spawn")  # nothing inherited: only the pickle
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        results = list(
            pool.map(_verify_in_worker, [trust, trust], ["gundam-visor@1.0.1", "sigstore@1.8.0"])
        )
    assert [r.status for r in results] == [Status.VERIFIED, Status.PUBLISH_ONLY]
    assert results[0].identity is not None
    assert (
        results[0].identity.source_repository == "https://github.com/ramonpetgrave64/gundam-visor"
    )
