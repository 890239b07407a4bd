"""The response cache can only cost time: whatever its directory holds, the report is never
more favourable than a run with `--no-cache` (threat model: the cache is attacker-writable).

Entries are planted the way anyone who can write the cache directory can make them: the
format is public and the file names are predictable; only the MAC key (outside the cache
directory) is out of reach.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.models import Finding, Report, Status
from auditor.pipeline import AuditOptions, audit_lockfile
from auditor.policy import default_policy, load_policy
from auditor.policy.model import Policy
from auditor.progress import NullProgress
from auditor.registry import cache as cache_mod
from auditor.registry.cache import ATTESTATIONS, PACKUMENT, PACKUMENT_ABBREVIATED
from tests.engine.scenario import Scenario, build, verify
from tests.engine.test_engine import FAST
from tests.support.registry import LoopbackRegistry, abbreviate, running_registry

REPO = Path(__file__).resolve().parents[2]
POLICIES = sorted((REPO / "policies").glob("*.toml"))
NOW = datetime.now(UTC)


def _options(reg: LoopbackRegistry, sc: Scenario, cache_dir: Path | None) -> AuditOptions:
    return AuditOptions(
        registry=reg.url,
        network=FAST,
        now=NOW,
        npm=None,
        trust=sc.trust,
        verifier=verify,
        cache_dir=cache_dir,
        use_cache=cache_dir is not None,
        verify_workers=0,
        progress=NullProgress(),
    )


def _audit(sc: Scenario, reg: LoopbackRegistry, policy: Policy, cache: Path | None) -> Report:
    return audit_lockfile(sc.lockfile, Path(sc.lockfile.path), policy, _options(reg, sc, cache))


def plant(
    cache_dir: Path,
    registry: str,
    kind: str,
    ident: str,
    *,
    status: int = 200,
    body: bytes = b"",
    etag: str | None = None,
    stored_at: float | None = None,
    mac: str | None = None,
) -> None:
    """Write an entry as an attacker with write access to the cache directory would."""
    probe = cache_mod.ResponseCache(cache_dir, key=b"\0" * 32)  # only for the file name
    key = probe.key(registry, kind, ident)
    header: dict[str, Any] = {
        "key": key,
        "status": status,
        "etag": etag,
        "stored_at": NOW.timestamp() if stored_at is None else stored_at,
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    if mac is not None:
        header["mac"] = mac
    path = Path(probe._path(key))
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(header, separators=(",", ":")).encode() + b"\n"
    path.write_bytes(cache_mod._MAGIC + line + body)


def _scenario(tmp: Path) -> Scenario:
    """The engine scenario plus a tampered copy of a verified package (same name@version,
    so the same cache entries) and a package with attestations advertised in its packument."""
    sc = build(tmp)
    alpha = next(p for p in sc.lockfile.packages if p.name == "alpha")
    twin = replace(alpha, integrity="sha512-" + "A" * 86 + "==", hashes=(), paths=("x",))
    lock = replace(sc.lockfile, packages=(*sc.lockfile.packages, twin))
    return replace(sc, lockfile=lock)


# Most favourable first.  `error` ranks above `invalid` only in that it is not a pass either:
# a cache must never turn `invalid` (tampering) into anything else, `error` included.
_RANK = {
    Status.VERIFIED: 5,
    Status.PUBLISH_ONLY: 4,
    Status.UNATTESTED: 3,
    Status.NOT_APPLICABLE: 3,
    Status.ERROR: 2,
    Status.INVALID: 1,
}


def _finding_key(f: Finding) -> tuple[Any, ...]:
    return (f.rule, f.level.value, f.package, f.version)


def assert_not_more_favourable(cached: Report, honest: Report) -> None:
    """No package better off, and every finding of the honest run still there (except those
    about a package that is now worse off: its new status carries its own finding)."""
    got = {(r.package.spec, r.package.integrity): r.status for r in cached.results}
    want = {(r.package.spec, r.package.integrity): r.status for r in honest.results}
    assert got.keys() == want.keys()
    worse = set()
    for key, status in want.items():
        assert _RANK[got[key]] <= _RANK[status], (key, got[key], status)
        if got[key] is Status.INVALID and status is not Status.INVALID:
            worse.add(key[0])
        elif got[key] is not status:
            assert got[key] is Status.ERROR, (key, got[key], status)
            worse.add(key[0])
    have = {_finding_key(f) for f in cached.findings}
    for f in honest.findings:
        if f.package is None or f"{f.package}@{f.version}" not in worse:
            assert _finding_key(f) in have, f


# ----------------------------------------------------------------- the three observed attacks


def test_a_planted_404_does_not_hide_a_tampered_package(tmp_path: Path) -> None:
    sc = _scenario(tmp_path)
    policy = default_policy()  # no policy: no packuments, only the attestations endpoint
    with running_registry(sc.data) as reg:
        honest = _audit(sc, reg, policy, None)
        plant(tmp_path / "cache", reg.url + "/", ATTESTATIONS, "alpha@1.0.0", status=404)
        cached = _audit(sc, reg, policy, tmp_path / "cache")
    alphas = sorted(r.status.value for r in cached.results if r.package.name == "alpha")
    assert alphas == ["invalid", "verified"]
    assert_not_more_favourable(cached, honest)


def _aged(body: bytes) -> bytes:
    doc = json.loads(body)
    doc["time"] = dict.fromkeys(doc.get("time", {}), "2001-01-01T00:00:00.000Z")
    return json.dumps(doc).encode()


def test_a_planted_packument_with_old_publish_times_does_not_pass_release_age(
    tmp_path: Path,
) -> None:
    sc = _scenario(tmp_path)
    policy = load_policy(REPO / "policies" / "recommended.toml")
    with running_registry(sc.data) as reg:
        honest = _audit(sc, reg, policy, None)
        assert any(f.rule == "release-age" and f.package == "gamma" for f in honest.findings)
        body = reg._packument_body("gamma", False)
        assert body is not None
        plant(tmp_path / "cache", reg.url + "/", PACKUMENT, "gamma", body=_aged(body[0]))
        cached = _audit(sc, reg, policy, tmp_path / "cache")
    assert any(f.rule == "release-age" and f.package == "gamma" for f in cached.findings)
    assert_not_more_favourable(cached, honest)


def test_a_planted_packument_with_the_registrys_etag_is_not_revalidated(tmp_path: Path) -> None:
    sc = _scenario(tmp_path)
    policy = load_policy(REPO / "policies" / "recommended.toml")
    with running_registry(sc.data, etags=True) as reg:
        honest = _audit(sc, reg, policy, None)
        genuine = reg._packument_body("gamma", False)
        assert genuine is not None
        etag = _etag(reg, "gamma", False)
        stale = NOW.timestamp() - 86_400  # past the TTL: the cache asks If-None-Match
        plant(
            tmp_path / "cache",
            reg.url + "/",
            PACKUMENT,
            "gamma",
            body=_aged(genuine[0]),
            etag=etag,
            stored_at=stale,
        )
        reg.reset_stats()
        cached = _audit(sc, reg, policy, tmp_path / "cache")
        gamma = [r for r in reg.requests if r.endpoint == "packument" and r.name == "gamma"]
        assert gamma and all(r.if_none_match is None and r.status == 200 for r in gamma)
    assert any(f.rule == "release-age" and f.package == "gamma" for f in cached.findings)
    assert_not_more_favourable(cached, honest)


# ----------------------------------------------------------------- the property


def _bodies(sc: Scenario, reg: LoopbackRegistry) -> list[bytes]:
    """Bodies an attacker can get hold of: every genuine response of the registry, doctored
    packuments (old times, attestations removed) and junk."""
    out: list[bytes] = [b"", b'{"error":"Not found"}', b"<html>sign in</html>", b"{}"]
    out += sorted(sc.data.attestations.values())
    for _name, pack in sorted(sc.data.packuments.items()):
        full = json.dumps(pack).replace("{{REGISTRY}}", reg.url)
        doc = json.loads(full)
        out.append(full.encode())
        out.append(json.dumps(abbreviate(doc)).encode())
        doc["time"] = dict.fromkeys(doc.get("time", {}), "2001-01-01T00:00:00.000Z")
        for v in doc.get("versions", {}).values():
            v.get("dist", {}).pop("attestations", None)
        out.append(json.dumps(doc).encode())
        out.append(json.dumps(abbreviate(doc)).encode())
    return out


def _slots(sc: Scenario, registry: str) -> list[tuple[str, str]]:
    names = sorted({p.name for p in sc.lockfile.packages if p.source.value == "registry"})
    specs = sorted({p.spec for p in sc.lockfile.packages if p.source.value == "registry"})
    return (
        [(ATTESTATIONS, s) for s in specs]
        + [(PACKUMENT, n) for n in names]
        + [(PACKUMENT_ABBREVIATED, n) for n in names]
    )


def test_whatever_the_cache_holds_the_report_is_never_more_favourable(tmp_path: Path) -> None:
    """Property (hypothesis): planted entries (any status, body, ETag, time, MAC, or a genuine
    entry of another package) under every shipped policy never beat `--no-cache`."""
    sc = _scenario(tmp_path)
    policies = {p.stem: load_policy(p) for p in POLICIES}
    assert {"baseline", "recommended", "strict"} <= policies.keys()
    with running_registry(sc.data, etags=True) as reg:
        registry = reg.url + "/"
        honest = {name: _audit(sc, reg, pol, None) for name, pol in policies.items()}
        # Genuine entries under the real key, to replay under other names.
        genuine_dir = tmp_path / "genuine"
        for pol in policies.values():
            _audit(sc, reg, pol, genuine_dir)
        genuine = sorted(p.read_bytes() for p in genuine_dir.rglob("*") if p.is_file())
        bodies = _bodies(sc, reg)
        slots = _slots(sc, registry)
        etags = [_etag(reg, name, abbreviated) for name, abbreviated in _names_abbr(sc)]
        now = NOW.timestamp()
        entry = st.one_of(
            st.tuples(
                st.just("forged"),
                st.sampled_from([200, 404, 304, 500, 0]),
                st.one_of(st.sampled_from(bodies), st.binary(max_size=64)),
                st.one_of(st.none(), st.sampled_from(etags), st.text(max_size=8)),
                st.sampled_from([now, now - 10, now - 86_400 * 400, now + 86_400, 0.0]),
                st.one_of(
                    st.none(),
                    st.sampled_from(["", "0" * 64]),
                    st.binary(min_size=32, max_size=32),  # a MAC under another key
                ),
            ),
            st.tuples(st.just("replayed"), st.sampled_from(range(len(genuine)))),
        )
        counter = iter(range(10**9))

        @settings(
            max_examples=int(os.environ.get("CACHE_PROPERTY_EXAMPLES", "25")),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(
            planted=st.dictionaries(st.sampled_from(slots), entry, min_size=1, max_size=8),
            policy=st.sampled_from(sorted(policies)),
        )
        def check(planted: dict[tuple[str, str], tuple[Any, ...]], policy: str) -> None:
            cache_dir = tmp_path / f"c{next(counter)}"
            for (kind, ident), spec in planted.items():
                if spec[0] == "replayed":
                    probe = cache_mod.ResponseCache(cache_dir, key=b"\0" * 32)
                    path = Path(probe._path(probe.key(registry, kind, ident)))
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(genuine[spec[1]])
                    continue
                _, status, body, etag, stored, mac = spec
                if isinstance(mac, bytes):
                    msg = json.dumps(
                        [
                            f"{registry}\n{kind}\n{ident}",
                            status,
                            etag,
                            stored,
                            hashlib.sha256(body).hexdigest(),
                        ],
                        separators=(",", ":"),
                    )
                    mac = hmac.new(mac, msg.encode(), hashlib.sha256).hexdigest()
                plant(
                    cache_dir,
                    registry,
                    kind,
                    ident,
                    status=status,
                    body=body,
                    etag=etag,
                    stored_at=stored,
                    mac=mac,
                )
            cached = _audit(sc, reg, policies[policy], cache_dir)
            assert_not_more_favourable(cached, honest[policy])
            # And a second run, over whatever the first one left in the cache.
            again = _audit(sc, reg, policies[policy], cache_dir)
            assert_not_more_favourable(again, honest[policy])

        check()


def _etag(reg: LoopbackRegistry, name: str, abbreviated: bool) -> str:
    """The ETag the loopback registry gives this packument (what a 304 would confirm)."""
    served = reg._packument_body(name, abbreviated)
    assert served is not None
    return '"' + hashlib.sha256(served[0]).hexdigest()[:32] + '"'


def _names_abbr(sc: Scenario) -> list[tuple[str, bool]]:
    return [(n, a) for n in sorted(sc.data.packuments) for a in (False, True)]


def test_negative_answers_are_asked_again_every_run(tmp_path: Path) -> None:
    """A 404 is never cached: each run asks the registry again (the plain path, which asks
    gamma's endpoint although its packument advertises nothing)."""
    sc = _scenario(tmp_path)
    policy = load_policy(REPO / "policies" / "baseline.toml")
    with running_registry(sc.data) as reg:
        plain = replace(_options(reg, sc, tmp_path / "cache"), attestations_when_advertised=False)
        audit_lockfile(sc.lockfile, Path(sc.lockfile.path), policy, plain)
        reg.reset_stats()
        audit_lockfile(sc.lockfile, Path(sc.lockfile.path), policy, plain)
        assert reg.count("attestations") == reg.count("attestations", status=404) == 1  # gamma
