"""Policy evaluation throughput (printed, never asserted).

python -m tests.bench policy        (once "policy" is in tests/bench SUITES)
python -m tests.bench.policy
"""

from __future__ import annotations

import time
from pathlib import Path

from auditor.models import Status
from auditor.policy import PolicyContext, evaluate, load_policy
from auditor.policy.globs import uri_glob
from tests.policy._helpers import NOW, REGISTRY, history, identity, result, verified

ROOT = Path(__file__).resolve().parents[2]


def _results(n: int) -> list:  # type: ignore[type-arg]
    out = []
    for i in range(n):
        versions = [(f"1.{v}.0", 400 - v * 7, "prov" if v % 3 else "none") for v in range(50)]
        pk = history(f"pkg{i}", *versions)
        if i % 3 == 0:
            ident = identity(f"https://github.com/org{i % 50}/pkg{i}")
            out.append(verified(name=f"pkg{i}", version="1.49.0", ident=ident, packument=pk))
        elif i % 3 == 1:
            out.append(result(Status.UNATTESTED, name=f"pkg{i}", version="1.49.0", packument=pk))
        else:
            out.append(result(Status.PUBLISH_ONLY, name=f"pkg{i}", version="1.48.0", packument=pk))
    return out


def run() -> None:
    results = _results(5000)
    context = PolicyContext(now=NOW, registries=(REGISTRY,))
    for name in ("baseline", "recommended", "strict", "org-example"):
        t0 = time.perf_counter()
        policy = load_policy(ROOT / "policies" / f"{name}.toml")
        t1 = time.perf_counter()
        findings = evaluate(policy, results, context)
        t2 = time.perf_counter()
        print(
            f"policy {name:12s} load {1000 * (t1 - t0):6.2f} ms  evaluate {len(results)} "
            f"packages (50 versions each) {1000 * (t2 - t1):8.1f} ms  "
            f"({len(results) / (t2 - t1):,.0f} pkg/s, {len(findings)} findings)",
            flush=True,
        )
    glob = uri_glob("*a*a*a*a*a*a*a*a*a*a*a*b")
    t0 = time.perf_counter()
    glob.match("a" * 4096)
    print(f"adversarial glob on 4096 chars: {1000 * (time.perf_counter() - t0):.1f} ms")


if __name__ == "__main__":
    run()
