"""Every name npm accepts works live and offline, with identical reports (docs/lockfile.md)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.names import valid_npm_name
from auditor.registry.offline import file_stem
from tests.engine.scenario import build
from tests.engine.test_engine import _audit, _fetch_into, _options
from tests.support.npm_modules import npm_bundled_module
from tests.support.registry import running_registry

# Legacy names npm still installs (validate-npm-package-name: validForOldPackages).
LEGACY = (
    ("JSONStream", "1.3.5", "verified"),
    ("@Scope/Up.Case", "1.0.0", "verified"),
    ("legacy!*'()~", "1.0.0", "unattested"),
    ("@s/_under-dash", "1.0.0", "publish-only"),
    ("@-odd_scope/x", "1.0.0", "unattested"),
)


def test_legacy_names_live_and_offline_identical(tmp_path: Path) -> None:
    sc = build(tmp_path, extra=LEGACY)
    into = tmp_path / "offline"
    with running_registry(sc.data) as reg:
        live = _audit(sc, _options(reg, sc, tmp_path, use_cache=False))
        summary = _fetch_into(sc, reg, into)
    assert not summary.errors
    offline = _audit(sc, _options(None, sc, tmp_path, offline=into, registry=reg.url))
    assert offline == live
    by_name = {r.package.name: r for r in live.results}
    for name, _, _ in LEGACY:
        assert by_name[name].reason != "INVALID_NAME", name
        assert by_name[name].status.value != "error", (name, by_name[name].reason)


_NAME_CHARS = st.sampled_from(list("abcXYZ019-_.!~*'()@/%: \t+é"))


@given(st.text(_NAME_CHARS, max_size=12))
def test_every_valid_name_is_one_offline_path_segment(name: str) -> None:
    if not valid_npm_name(name):
        return
    stem = file_stem(name)
    assert "/" not in stem and stem not in (".", "..") and "\x00" not in stem


_PROBE = """
const validate = require(process.argv[1])
const names = JSON.parse(require('fs').readFileSync(0, 'utf8'))
process.stdout.write(JSON.stringify(names.map(n => validate(n).validForOldPackages)))
"""


def test_same_names_as_npms_validator() -> None:
    validator = npm_bundled_module("validate-npm-package-name")
    if validator is None:
        pytest.skip("npm (with its bundled validate-npm-package-name) is not on PATH")
    import random

    rng = random.Random(5)
    alphabet = "aZ09-_.!~*'()@/% :+é"
    names = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(3000)]
    names += ["node_modules", "Favicon.ico", "@../x", "@s/.x", "@s/x/y", "JSONStream", "a" * 214]
    proc = subprocess.run(
        ["node", "-e", _PROBE, str(validator)],
        input=json.dumps(names),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    for name, npm_ok in zip(names, json.loads(proc.stdout), strict=True):
        assert valid_npm_name(name) == npm_ok, name
