"""The audit pipeline, one module a stage of the data flow:

    lockfile (auditor.lockfile) → plan → fetch → schedule (verify) → verdict → run
    (policy evaluation, the Report) → report (auditor.report)

- `options`: `AuditOptions`, `FetchOptions` and the seams (clock, cache, trust, verifier).
- `plan`: which packages a run fetches; the ones decided without fetching.
- `fetch`: `Fetcher` (one request per response, shared) and the source a run reads from.
- `schedule`: `Verifier` (a thread or a process pool, batches, trust loading).
- `verdict`: `Auditor`, a package's fetched responses into its `PackageResult`.
- `failures`: what a run finds about its registries (unreachable, attestation-less).
- `run`: `run_audit` / `audit_lockfile` / `audit_lockfiles` (several lockfiles, each
  distinct package fetched once), the orchestration.
- `prefetch`: `fetch_into`, `audit fetch --into DIR`.
"""

from auditor.pipeline.options import AuditOptions, FetchOptions, VerifyFn
from auditor.pipeline.prefetch import FetchSummary, fetch_into
from auditor.pipeline.run import audit_lockfile, audit_lockfiles, run_audit

__all__ = [
    "AuditOptions",
    "FetchOptions",
    "FetchSummary",
    "VerifyFn",
    "audit_lockfile",
    "audit_lockfiles",
    "fetch_into",
    "run_audit",
]
