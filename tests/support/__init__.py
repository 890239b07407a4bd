"""The test kit shared by tests and `make bench` (nothing here is imported by auditor/).

* `registry`  -- `LoopbackRegistry` / `running_registry`: an aiohttp npm registry on
  127.0.0.1 (ephemeral port) with fault injection, auth, request records, ETags.
* `kit`       -- `SigstoreKit`: test Fulcio CA, CT log, Rekor v1/v2 logs, TSA and npm key;
  mints attestation responses in every format, with tampering; writes trust files.
* `generator` -- `generate_project`: synthetic v3 lockfiles + registry data + expectations.
* `real`      -- `real_project`: the recorded real fixtures served the same way.
* `export`    -- `python -m tests.support.export`: the npm-audit-signatures data layout.
"""
