"""The attestations endpoint is asked only for versions whose packument advertises
`dist.attestations` (`AuditOptions.attestations_when_advertised`, the default), as npm does.
The plain path (False) asks it for every registry package: both must give the same report
on an honest registry, and the fast path must give an attacker nothing new."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from auditor.models import Package, Report, Status
from auditor.registry.sources import attestations_url
from tests.engine.scenario import Scenario, _pkg, build, kit, statuses
from tests.engine.test_engine import _audit, _fetch_into, _options
from tests.support.registry import Fault, LoopbackRegistry, running_registry, sri_sha512


def _mixed(tmp: Path) -> Scenario:
    """verified, publish-only, unattested, stripped (build) plus invalid (attestations for
    another tarball), an error from the packument and an error from the endpoint."""
    sc = build(tmp)
    k = kit()
    extra: list[Package] = []
    tarball = b"tampered@1.0.0"
    other = sri_sha512(b"something else")
    wrong = k.attestations("tampered", "1.0.0", other)
    sc.data.add_version("tampered", "1.0.0", tarball=tarball, attestations=wrong)
    extra.append(_pkg("tampered", "1.0.0", sri_sha512(tarball)))
    for name in ("pk-broken", "att-broken"):
        tb = f"{name}@1.0.0".encode()
        body = k.attestations(name, "1.0.0", sri_sha512(tb)) if name == "att-broken" else None
        sc.data.add_version(name, "1.0.0", tarball=tb, attestations=body)
        extra.append(_pkg(name, "1.0.0", sri_sha512(tb)))
    lock = replace(sc.lockfile, packages=(*sc.lockfile.packages, *extra))
    return replace(sc, lockfile=lock)


def _faults(reg: LoopbackRegistry) -> None:
    reg.inject(Fault.server_error(500, times=None), name="pk-broken", endpoint="packument")
    reg.inject(Fault.reset(), name="att-broken", endpoint="attestations")


def _run(sc: Scenario, reg: LoopbackRegistry, tmp: Path, fast: bool) -> Report:
    opts = _options(reg, sc, tmp, use_cache=False, attestations_when_advertised=fast)
    return _audit(sc, opts)


def test_fast_and_plain_paths_give_identical_reports(tmp_path: Path) -> None:
    sc = _mixed(tmp_path)
    with running_registry(sc.data) as reg:
        _faults(reg)
        plain = _run(sc, reg, tmp_path, fast=False)
        plain_requests = reg.count("attestations")
        reg.reset_stats()
        fast = _run(sc, reg, tmp_path, fast=True)
        fast_requests = reg.count("attestations")
        assert reg.count("attestations", name="gamma") == 0
        assert reg.count("attestations", name="pk-broken") == 1  # packument failed: plain path
    got = statuses(fast.results)
    assert got == {
        **sc.expected,
        "tampered@1.0.0": "invalid",
        "pk-broken@1.0.0": "error",
        "att-broken@1.0.0": "error",
    }
    broken = next(r for r in fast.results if r.package.name == "pk-broken")
    assert broken.reason == "FETCH_HTTP_500"  # a packument failure is never unattested
    assert fast.results == plain.results
    assert fast.findings == plain.findings
    assert fast_requests == plain_requests - 1  # gamma's endpoint is not asked


def test_offline_fast_path_needs_no_record_it_did_not_ask_for(tmp_path: Path) -> None:
    """`audit fetch` still records every endpoint; the offline audit reads only what the
    fast path asks for and gives the online report, with gamma's record gone or not."""
    sc = build(tmp_path)
    into = tmp_path / "offline"
    with running_registry(sc.data) as reg:
        online = _run(sc, reg, tmp_path, fast=True)
        _fetch_into(sc, reg, into)
        url = reg.url
    offline = _audit(sc, _options(None, sc, tmp_path, offline=into, registry=url))
    assert offline.results == online.results
    assert offline.findings == online.findings
    assert statuses(offline.results)["gamma@0.1.0"] == "unattested"


def test_packument_hiding_attestations_gives_the_attacker_nothing_new(tmp_path: Path) -> None:
    """The registry is the attacker.  Its packument leaves out gamma's `dist.attestations`
    while the endpoint serves attestations that do not match the lockfile (plain path:
    `invalid`).  The fast path does not ask and says `unattested`, which is more lenient
    than `invalid`, but gives the attacker nothing: the same attacker could already serve
    that packument AND answer 404 on the plain path, which is `unattested` too.  So the fast
    verdict must equal the plain verdict under that 404, and never be `verified`.  With
    honest attestations that the packument hides, the fast path is less favourable than the
    plain one (`unattested` instead of `verified`): hiding only ever costs the package."""
    sc = build(tmp_path)
    k = kit()
    gamma = next(p for p in sc.lockfile.packages if p.name == "gamma")
    wrong = k.attestations("gamma", "0.1.0", sri_sha512(b"not gamma"))
    honest = k.attestations("gamma", "0.1.0", gamma.integrity or "")
    assert "attestations" not in sc.data.packuments["gamma"]["versions"]["0.1.0"]["dist"]
    with running_registry(sc.data) as reg:
        assert attestations_url(reg.url + "/", "gamma", "0.1.0")  # the endpoint exists
        sc.data.attestations["gamma@0.1.0"] = wrong
        plain = _run(sc, reg, tmp_path, fast=False)
        fast = _run(sc, reg, tmp_path, fast=True)
        sc.data.attestations.pop("gamma@0.1.0")
        plain_404 = _run(sc, reg, tmp_path, fast=False)
        sc.data.attestations["gamma@0.1.0"] = honest
        plain_honest = _run(sc, reg, tmp_path, fast=False)
        fast_honest = _run(sc, reg, tmp_path, fast=True)

    def one(report: Report) -> tuple[Status, str | None]:
        r = next(r for r in report.results if r.package.name == "gamma")
        return r.status, r.reason

    assert one(plain)[0] is Status.INVALID
    assert one(fast) == one(plain_404) == (Status.UNATTESTED, None)
    assert [f for f in fast.findings if f.package == "gamma"] == [
        f for f in plain_404.findings if f.package == "gamma"
    ]
    assert one(plain_honest)[0] is Status.VERIFIED
    assert one(fast_honest)[0] is Status.UNATTESTED
