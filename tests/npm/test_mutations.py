"""Hypothesis mutates a lockfile the real npm wrote; npm is the oracle (tests/npm/oracle.py).

The base project is installed once with `npm install` from the loopback registry (real npm
output: a direct dependency, a scoped one, an alias of the first under another name and a
third package).  Each example changes one to three fields of its entries (integrity,
resolved, name, version, link, inBundle, dev) to values an attacker would pick, optionally
in an npm-shrinkwrap.json beside the untouched package-lock.json, then runs `npm ci` and
the auditor on the result.  Bounded and deterministic: 25 examples (10 in `make test`),
derandomized, no shrinking (each example costs an npm run).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.npm.conftest import ROWS
from tests.npm.oracle import Verdicts, violations
from tests.npm.rig import (
    GOGGLES,
    GUNDAM,
    NPM,
    NPM_TIMEOUT,
    RECOMMENDED,
    STRICT,
    NpmRig,
    Project,
    npm_env,
    sri,
    unscoped,
)
from tests.npm.test_differential import describe_npm, measurement_problems

# `make test-npm` (AUDITOR_NPM_FULL=1): 25 examples; `make test`: the first 10 of them
# (derandomized, so the same ones every run), about 3 s each.
EXAMPLES = 25 if os.environ.get("AUDITOR_NPM_FULL") == "1" else 10
# Packages whose genuine provenance passes policies/strict.toml (tuf-js@1.0.0's 2023
# certificate has no runner environment), so every oracle of tests/npm/oracle.py bites.
DEPENDENCIES = {
    GUNDAM[0]: GUNDAM[1],
    GOGGLES[0]: GOGGLES[1],
    "gv-alias": f"npm:{GUNDAM[0]}@{GUNDAM[1]}",
    "sg-alias": f"npm:{GOGGLES[0]}@{GOGGLES[1]}",
}
FIELDS = ("integrity", "resolved", "name", "version", "link", "inBundle", "dev")
DELETE = object()

# Classes of issue 12 the product does not handle yet: an example that uses one of them
# and violates an invariant is recorded in the table as known, not failed.  Empty once
# every class is fixed.
Known = Callable[[dict[str, Any], dict[str, Any], bool], bool]


KNOWN: dict[str, Known] = {}


def known_class(doc: dict[str, Any], base: dict[str, Any], shrinkwrap: bool) -> str | None:
    return next((name for name, hit in KNOWN.items() if hit(doc, base, shrinkwrap)), None)


@pytest.fixture(scope="module")
def npm_lockfile(rig: NpmRig, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`npm install` of DEPENDENCIES: the lockfile exactly as npm writes it."""
    work = tmp_path_factory.mktemp("npm-install")
    project = work / "project"
    project.mkdir()
    manifest = {"name": "victim", "version": "1.0.0", "dependencies": DEPENDENCIES}
    (project / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    run = subprocess.run(
        [str(NPM), "install", "--ignore-scripts", "--package-lock-only", f"--registry={rig.url}/"],
        cwd=project,
        env=npm_env(work, rig.url),
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    doc: dict[str, Any] = json.loads((project / "package-lock.json").read_text())
    return doc


def pools(rig: NpmRig) -> dict[str, list[Any]]:
    """Attacker values per field (indexed by the drawn integer modulo the pool size)."""
    g, e = rig.genuine(GUNDAM), rig.attacker(f"path:{GUNDAM[0]}").data
    g64, e64 = sri("sha512", g), sri("sha512", e)
    return {
        "integrity": [
            e64,
            f"{g64} {e64}",
            f"{e64} {g64}",
            "SHA512-" + g64.split("-", 1)[1],
            f"{g64} {sri('sha1', e)}",
            sri("sha1", e),
            sri("sha256", e),
            sri("sha384", g),
            "",
            "sha512-%%%",
            DELETE,
        ],
        "resolved": [
            "{evil_path}",
            "{evil_host}",
            rig.tarball_url(*GOGGLES),
            "{https}",
            "{localhost}",
            "{evil_path}?x=/{name}/-/{file}",
            DELETE,
        ],
        "name": [f"evil-{unscoped(GUNDAM[0])}", GOGGLES[0], GUNDAM[0], DELETE],
        "version": ["1.0.0", "9.9.9", DELETE],
        "link": [True],
        "inBundle": [True],
        "dev": [True],
    }


def mutate(rig: NpmRig, entry: dict[str, Any], field: str, choice: int) -> None:
    pool = pools(rig)[field]
    value = pool[choice % len(pool)]
    if value is DELETE:
        entry.pop(field, None)
        return
    if isinstance(value, str) and "{" in value:
        name = str(entry.get("name", GUNDAM[0]))
        version = str(entry.get("version", GUNDAM[1]))
        genuine = str(entry.get("resolved", rig.tarball_url(name, version)))
        value = value.format(
            evil_path=rig.tarball_url(name, version, under=f"@attacker/{unscoped(name)}"),
            evil_host=f"{rig.other.url}/{name}/-/{unscoped(name)}-{version}.tgz",
            https=genuine.replace("http://", "https://"),
            localhost=genuine.replace("127.0.0.1", "localhost"),
            name=name,
            file=f"{unscoped(name)}-{version}.tgz",
        )
    entry[field] = value


mutation = st.tuples(
    st.integers(0, 3),  # which entry (in key order; four entries)
    st.sampled_from(FIELDS),
    st.integers(0, 10),  # which value of the field's pool
)


@pytest.mark.npm
@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutations=st.lists(mutation, min_size=1, max_size=3), shrinkwrap=st.booleans())
def test_mutated_npm_lockfile(
    rig: NpmRig,
    npm_lockfile: dict[str, Any],
    mutations: list[tuple[int, str, int]],
    shrinkwrap: bool,
) -> None:
    doc = copy.deepcopy(npm_lockfile)
    keys = sorted(k for k in doc["packages"] if k)
    for index, field, choice in mutations:
        mutate(rig, doc["packages"][keys[index % len(keys)]], field, choice)
    label = "; ".join(
        f"{keys[i % len(keys)].removeprefix('node_modules/')}.{f}#{c}" for i, f, c in mutations
    ) + (" (in npm-shrinkwrap.json)" if shrinkwrap else "")
    with tempfile.TemporaryDirectory(prefix="npm-mut-") as tmp:
        directory = Path(tmp) / "project"
        directory.mkdir()
        manifest = doc["packages"][""]
        (directory / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (directory / ".npmrc").write_text(f"registry={rig.url}/\n")
        mutated = json.dumps(doc, indent=2) + "\n"
        if shrinkwrap:
            (directory / "package-lock.json").write_text(json.dumps(npm_lockfile, indent=2) + "\n")
            (directory / "npm-shrinkwrap.json").write_text(mutated)
        else:
            (directory / "package-lock.json").write_text(mutated)
        project = Project(directory, rig)
        running = rig.start_npm(project)
        audits = Verdicts(*(rig.audit(project, p) for p in (RECOMMENDED, STRICT, rig.pinned)))
        npm = rig.finish_npm(running)
        problems = violations(npm, audits, manifest) + measurement_problems(rig, npm)
    known = known_class(doc, npm_lockfile, shrinkwrap) if problems else None
    ROWS.append(
        {
            "variant": f"mutation: {label}",
            "class": "hypothesis",
            "npm installs": describe_npm(rig, npm),
            "auditor (recommended)": audits.recommended.statuses(),
            "exit rec/strict/pinned": "/".join(
                str(a.exit_code) for a in (audits.recommended, audits.strict, audits.pinned)
            ),
            "oracle": "ok"
            if not problems
            else f"{'known (' + known + ') ' if known else ''}VIOLATION: " + "; ".join(problems),
        }
    )
    assert known or not problems, f"{label}:\n" + "\n".join(problems)
