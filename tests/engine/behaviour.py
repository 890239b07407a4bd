"""The audits whose JSON reports guard the pipeline's behaviour (fixtures/golden/engine/).

Each scenario runs a whole audit the way the CLI does (trust files on disk, the policy a
command line names, the loopback registry or the demo's offline directory) and renders the
JSON report.  What varies from run to run is normalised: the loopback port and the
temporary directory; the clock is fixed (`AuditOptions.now`, the kit's `now`).

    UPDATE_GOLDENS=1 .venv/bin/pytest tests/engine/test_behaviour_golden.py   # regenerate
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.models import Report
from auditor.pipeline import AuditOptions, run_audit
from auditor.policy import default_policy, load_policy, parse_policy
from auditor.report import render
from tests.report.golden import normalize
from tests.support.generator import Mix, generate_project
from tests.support.kit import SigstoreKit
from tests.support.registry import running_registry

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = ROOT / "fixtures" / "golden" / "engine"
DEMO = ROOT / "fixtures" / "demo"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# The engine bench's mix (tests/bench/engine.py), and one with every category in it.
BENCH_MIX = "provenance=0.4,publish-only=0.1,none=0.5,invalid=0,downgrade=0"
EVERY_MIX = (
    "provenance=0.35,publish-only=0.1,none=0.25,invalid=0.1,downgrade=0.1,stripped=0.1,recent=0.2"
)


def _json(report: Report, tmp: Path, url: str | None) -> str:
    text = render(report, "json")
    if url is not None:
        text = text.replace(url, "http://127.0.0.1:PORT")
    text = normalize(text, root=tmp)
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)


def demo(tmp: Path, policy_name: str = "recommended.toml") -> str:
    """`make demo`: the bundled project offline, with the recommended policy."""
    path = ROOT / "policies" / policy_name
    options = AuditOptions(
        offline=DEMO / "offline",
        npm_keys=DEMO / "npm-registry-keys.json",
        policy_path=Path("policies") / policy_name,
        quiet=True,
        npm=False,
        env={},
        now=NOW,
        use_cache=False,
    )
    report = run_audit(DEMO / "package-lock.json", load_policy(path), options)
    text = render(report, "json").replace(str(DEMO), "/DEMO")
    return normalize(text, root=tmp)


def generated(tmp: Path, n: int, seed: int, mix: str, policy_name: str | None, **kw: Any) -> str:
    """A generated project (tests/support/generator.py) served by the loopback registry."""
    project = generate_project(n, seed=seed, mix=Mix.parse(mix), fast=True, now=NOW)
    root, keys = project.kit.write_trust(tmp / "trust")
    policy = load_policy(ROOT / "policies" / policy_name) if policy_name else default_policy()
    with running_registry(project.registry) as reg:
        lock = project.write(tmp / "project", reg.url)
        options = AuditOptions(
            registry=reg.url,
            trusted_root=root,
            npm_keys=keys,
            quiet=True,
            npm=False,
            env={},
            now=NOW,
            use_cache=False,
            **kw,
        )
        report = run_audit(lock, policy, options)
        return _json(report, tmp, reg.url)


def pull_request(tmp: Path) -> str:
    """Pull-request mode (--base): every change-* rule on minted histories."""
    from tests.diff import test_pr_mode as pr

    kit = SigstoreKit(seed=8, now=lambda: NOW)
    root, keys = kit.write_trust(tmp / "trust")
    data = pr.registry_data(kit)
    policy = parse_policy(pr.POLICY_TOML, "policy.toml")
    with running_registry(data) as reg:
        base = pr.write_lockfile(tmp / "base" / "package-lock.json", reg.url, pr.BASE)
        head = pr.write_lockfile(tmp / "head" / "package-lock.json", reg.url, pr.HEAD)
        options = AuditOptions(
            registry=reg.url,
            trusted_root=root,
            npm_keys=keys,
            base=base,
            quiet=True,
            npm=False,
            env={},
            now=NOW,
            use_cache=False,
            verify_workers=0,
        )
        report = run_audit(head, policy, options)
        return _json(report, tmp, reg.url)


SCENARIOS: dict[str, Callable[[Path], str]] = {
    "demo-recommended": demo,
    "demo-strict": lambda tmp: demo(tmp, "strict.toml"),
    # The bench project at a tenth of its size, default policy, verification workers.
    "bench-300": lambda tmp: generated(tmp, 300, 5, BENCH_MIX, None),
    # Every category, the strict policy (full packuments, history), verified in a thread.
    "every-category-strict": lambda tmp: generated(
        tmp, 120, 11, EVERY_MIX, "strict.toml", verify_workers=0
    ),
    "pull-request": pull_request,
}


def check(name: str, text: str) -> None:
    """Compare with the golden (or write it with UPDATE_GOLDENS=1)."""
    import os

    json.loads(text)
    path = GOLDEN_DIR / f"{name}.json"
    if os.environ.get("UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"missing golden {path.name}; run with UPDATE_GOLDENS=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name}: the JSON report changed (behaviour must not change in a refactor)"
    )
