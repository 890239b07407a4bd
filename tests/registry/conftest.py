from __future__ import annotations

from auditor.registry.client import NetworkSettings

# Small timeouts and backoffs keep fault tests fast; a fake sleep records the delays.
FAST = NetworkSettings(
    concurrency=8,
    connect_timeout=2.0,
    read_timeout=0.5,
    request_timeout=2.0,
    budget=30.0,
    attempts=3,
    backoff_base=0.001,
    backoff_max=0.01,
    retry_after_cap=5.0,
    max_attestation_bytes=64 * 1024,
    max_packument_bytes=256 * 1024,
)
