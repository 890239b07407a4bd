"""The synthetic project generator: deterministic, realistic lockfiles, consistent data."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor import lockfile, verify
from tests.support.generator import Mix, generate_project
from tests.support.registry import running_registry

NOW = datetime(2026, 6, 1, tzinfo=UTC)
MIX = Mix(
    provenance=0.4,
    publish_only=0.2,
    none=0.15,
    invalid=0.15,
    downgrade=0.1,
    stripped=0.05,
    alias=0.1,
    dev_optional=0.1,
)


@pytest.fixture(scope="module")
def project():  # type: ignore[no-untyped-def]
    return generate_project(80, seed=11, mix=MIX, now=NOW, formats=("v0.1", "v0.2", "v0.3"))


def test_deterministic_by_seed() -> None:
    a = generate_project(30, seed=5, now=NOW)
    b = generate_project(30, seed=5, now=NOW)
    c = generate_project(30, seed=6, now=NOW)
    assert a.lockfile_text() == b.lockfile_text()
    assert [(p.spec, p.category) for p in a.packages] == [(p.spec, p.category) for p in b.packages]
    assert a.lockfile_text() != c.lockfile_text()


def test_counts_and_mix(project) -> None:  # type: ignore[no-untyped-def]
    assert len(project.packages) == 80
    assert len({p.spec for p in project.packages}) == 80
    cats = Counter(p.category for p in project.packages)
    assert set(cats) == {"provenance", "publish-only", "none", "invalid", "downgrade", "stripped"}
    assert any(p.name.startswith("@") for p in project.packages)
    assert any(p.aliases for p in project.packages)
    assert any(len(p.paths) and "/node_modules/" in p.paths[0][13:] for p in project.packages)
    assert {p.group for p in project.packages} == {"prod", "dev", "optional", "dev-optional"}


def test_lockfile_parses_into_the_generated_packages(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = project.write(tmp_path, "http://127.0.0.1:9")
    parsed = lockfile.parse_lockfile(path)
    assert parsed.lockfile_version == 3
    got = {(p.name, p.version): p for p in parsed.packages}
    assert set(got) == {(p.name, p.version) for p in project.packages}
    for p in project.packages:
        q = got[(p.name, p.version)]
        assert q.integrity == p.integrity
        assert set(q.paths) == set(p.paths)
        assert set(q.aliases) == set(p.aliases)
        assert q.dev == (p.group == "dev")
        assert q.optional == (p.group == "optional")
        assert q.dev_optional == (p.group == "dev-optional")
        assert q.has_install_script == p.install_script
        assert q.resolved and q.resolved.startswith("http://127.0.0.1:9/")


def test_registry_data_matches(project) -> None:  # type: ignore[no-untyped-def]
    data = project.registry
    for p in project.packages:
        pack = data.packuments[p.name]
        doc = pack["versions"][p.version]
        assert doc["dist"]["integrity"] == p.integrity
        assert doc["dist"]["signatures"][0]["keyid"] == project.kit.npm_key_id
        key = f"{p.name}@{p.version}"
        assert (key in data.attestations) == (p.category != "none")
        advertised = doc["dist"].get("attestations", {})
        assert ("provenance" in advertised) == (p.category in ("provenance", "invalid", "stripped"))
        times = [pack["time"][v] for v in p.history]
        assert times == sorted(times) and times[-1] <= NOW.isoformat()[:10] + "T99"
        if p.category == "downgrade":
            older = [pack["versions"][v] for v in p.history if v != p.version]
            assert any("provenance" in o["dist"].get("attestations", {}) for o in older)
            assert any("trustedPublisher" in o["_npmUser"] for o in older)


def test_served_end_to_end(project) -> None:  # type: ignore[no-untyped-def]
    p = next(x for x in project.packages if x.category == "provenance" and x.name.startswith("@"))
    with running_registry(project.registry) as reg:
        with urllib.request.urlopen(f"{reg.url}/{p.name.replace('/', '%2f')}", timeout=5) as r:
            doc = json.load(r)
        url = doc["versions"][p.version]["dist"]["attestations"]["url"]
        assert url.startswith(reg.url)
        with urllib.request.urlopen(url, timeout=5) as r:
            assert len(json.load(r)["attestations"]) == 2
        with urllib.request.urlopen(doc["versions"][p.version]["dist"]["tarball"], timeout=5) as r:
            assert r.read()[:2] == b"\x1f\x8b"


def test_every_package_verifies_as_expected(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, keys = project.kit.write_trust(tmp_path)
    trust = verify.load_trust(root, keys)
    for p in project.packages:
        body = project.registry.attestations.get(p.spec)
        if body is None:
            assert p.expected == "unattested"
            continue
        result = verify.verify_attestations(p.name, p.version, p.integrity, body, trust)
        assert result.status == p.expected, (p, result)


def test_mix_parse() -> None:
    assert Mix.parse("provenance=0.5, invalid=0.1,publish-only=0.2").publish_only == 0.2
    with pytest.raises(ValueError, match="bad mix"):
        Mix.parse("bogus=1")


def test_tarballs_are_real_and_reproducible() -> None:
    import io
    import tarfile

    from tests.support.generator import make_tarball

    tgz = make_tarball("@s/x", "1.0.0", {"scripts": {"install": "exit 0"}})
    assert tgz == make_tarball("@s/x", "1.0.0", {"scripts": {"install": "exit 0"}})
    with tarfile.open(fileobj=io.BytesIO(tgz)) as tf:
        members = tf.getmembers()
        assert [m.name for m in members] == ["package/package.json", "package/index.js"]
        assert all(m.mtime == 499162500 and m.mode == 0o644 for m in members)
        manifest = tf.extractfile("package/package.json")
        assert manifest is not None
        assert json.load(manifest)["scripts"] == {"install": "exit 0"}


def test_fast_mode_shares_leaves_and_keeps_times(tmp_path: Path) -> None:
    project = generate_project(40, seed=2, now=NOW, fast=True, mix=Mix(recent=0.5))
    assert project.kit.cache_leaf
    repos = {p.identity.repository for p in project.packages if p.identity}
    assert all(r.endswith("/packages") for r in repos)
    trust = verify.load_trust(*project.kit.write_trust(tmp_path))
    for p in project.packages:
        body = project.registry.attestations.get(p.spec)
        if body is None:
            continue
        result = verify.verify_attestations(p.name, p.version, p.integrity, body, trust)
        assert result.status == p.expected, (p, result)
        if result.status == "verified":
            assert result.signed_at == p.published
