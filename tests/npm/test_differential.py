"""npm as the oracle: for each crafted lockfile, what `npm ci` installs vs what `audit` says.

See tests/npm/rig.py (the rig), tests/npm/variants.py (the lockfiles) and
tests/npm/oracle.py (the invariants).  The variants marked quick run in `make test`; all of
them run in `make test-npm`.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main as audit_main
from tests.npm.conftest import ROWS
from tests.npm.oracle import Verdicts, fetched, violations
from tests.npm.rig import RECOMMENDED, STRICT, NpmOutcome, NpmRig, in_cache
from tests.npm.variants import VARIANTS, Built, Variant

# Variants whose class the product does not handle yet (issue 12): strict xfails, so the
# day a fix lands the harness says so.  Empty: every class is handled.
KNOWN: dict[str, str] = {}

# `make test` runs the quick variants; `make test-npm` sets this and runs them all.
FULL = os.environ.get("AUDITOR_NPM_FULL") == "1"


def _param(v: Variant) -> Any:
    marks: list[pytest.MarkDecorator] = [pytest.mark.npm]
    if not v.quick:
        marks.append(pytest.mark.slow)
        marks.append(pytest.mark.skipif(not FULL, reason="full npm set: make test-npm"))
    if v.id in KNOWN:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[v.id]))
    return pytest.param(v, id=v.id, marks=marks)


def run_oracle(rig: NpmRig, built: Built, label: str, klass: str) -> list[str]:
    running = rig.start_npm(built.project)  # npm and the auditor run side by side
    audits = Verdicts(
        *(rig.audit(built.project, p, base=built.base) for p in (RECOMMENDED, STRICT, rig.pinned))
    )
    npm = rig.finish_npm(running)
    manifest = json.loads((built.project.directory / "package.json").read_text())
    problems = violations(npm, audits, manifest)
    problems += measurement_problems(rig, npm)
    ROWS.append(
        {
            "variant": label,
            "class": klass,
            "npm installs": describe_npm(rig, npm),
            "auditor (recommended)": audits.recommended.statuses()
            if audits.recommended.report
            else f"no report: {audits.recommended.stderr.strip()[:120]}",
            "exit rec/strict/pinned": "/".join(
                str(a.exit_code) for a in (audits.recommended, audits.strict, audits.pinned)
            ),
            "oracle": "ok" if not problems else "VIOLATION: " + "; ".join(problems),
        }
    )
    return problems


def describe_npm(rig: NpmRig, npm: NpmOutcome) -> str:
    if not npm.ok:
        return f"failed ({npm.error_code or 'exit ' + str(npm.returncode)})"
    if npm.lockfile_rewritten:
        return "rewrote the lockfile; " + describe_npm(rig, replace(npm, lockfile_rewritten=False))
    parts = []
    for path, tag in sorted(npm.installed.items()):
        kind = tag.split(":", 1)[0]
        parts.append(f"{path.removeprefix('node_modules/')}={kind if kind != 'attacker' else tag}")
    return ", ".join(parts) or "nothing"


def measurement_problems(rig: NpmRig, npm: NpmOutcome) -> list[str]:
    """The three records agree: every fetched artefact installed is in npm's cache index."""
    out = []
    for path, tag in npm.installed.items():
        if tag in ("unknown", "missing"):
            out.append(f"unrecognised install at {path}")
            continue
        art = rig.catalogue.by_tag.get(tag)
        if art is not None and fetched(tag) and not in_cache(art.data, npm.cache_integrities):
            out.append(f"{path}: {tag} installed but not in npm's cache index")
    return out


@pytest.mark.parametrize("v", [_param(v) for v in VARIANTS])
def test_variant(v: Variant, rig: NpmRig, tmp_path: Path) -> None:
    built = v.build(rig, tmp_path)
    problems = run_oracle(rig, built, v.id, v.klass)
    if built.offline_parity:
        offline = offline_problems(rig, built, tmp_path)
        if offline:
            ROWS[-1]["oracle"] = "VIOLATION: " + "; ".join(problems + offline)
        problems += offline
    assert not problems, "\n".join(problems)


def offline_problems(rig: NpmRig, built: Built, tmp_path: Path) -> list[str]:
    """`audit fetch` then `--offline` gives the live report (class 6)."""
    off = tmp_path / "offline"
    code = audit_main(
        [
            "fetch",
            str(built.project.directory),
            "--into",
            str(off),
            "--registry",
            rig.url,
            "--policy",
            str(RECOMMENDED),
            "--packuments",
            "--no-cache",
            "-q",
        ]
    )
    live = rig.audit(built.project, RECOMMENDED)
    offline = rig.audit(built.project, RECOMMENDED, offline=off)

    def strip(doc: dict[str, Any] | None) -> str:
        doc = dict(doc or {})
        doc.pop("generated_at", None)
        return json.dumps(doc, sort_keys=True)

    if code != 0 or (live.exit_code, strip(live.report)) != (
        offline.exit_code,
        strip(offline.report),
    ):
        return [
            f"offline differs from live: fetch exit {code}, live {live.exit_code} "
            f"{live.statuses()} vs offline {offline.exit_code} {offline.statuses()} "
            f"{offline.stderr.strip()[:200]}"
        ]
    return []
