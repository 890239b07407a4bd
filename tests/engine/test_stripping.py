"""Stripped provenance for every registry package, whatever the attestations endpoint
answers instead of the attestations the packument advertises."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.models import Status, VersionInfo
from auditor.pipeline import audit_lockfile
from auditor.policy import default_policy
from auditor.registry.stripping import Served, stripped
from tests.engine.scenario import Scenario, build
from tests.engine.test_engine import _options
from tests.support.registry import Fault, running_registry

ANSWERS = {
    "404": Fault.not_found(),
    "410": Fault.http_status(410),
    "500": Fault.server_error(500, times=None),
    "html-200": Fault.html(),
    "empty-200": Fault.empty(),
}


@pytest.mark.parametrize("answer", sorted(ANSWERS))
@pytest.mark.parametrize("advertised", ["provenance", "publish-only"])
def test_advertised_attestations_the_endpoint_does_not_serve_are_stripped(
    tmp_path: Path, answer: str, advertised: str
) -> None:
    """No policy (no packuments asked for): the engine still checks every package the
    endpoint served nothing for.  alpha advertises provenance, beta only attestations."""
    sc: Scenario = build(tmp_path)
    name = "alpha" if advertised == "provenance" else "beta"
    with running_registry(sc.data) as reg:
        reg.inject(ANSWERS[answer], name=name, endpoint="attestations")
        report = audit_lockfile(
            sc.lockfile,
            Path(sc.lockfile.path),
            default_policy(),
            _options(reg, sc, tmp_path, use_cache=False),
        )
    result = next(r for r in report.results if r.package.name == name)
    assert (result.status, result.reason) == (Status.INVALID, "PROVENANCE_STRIPPED")
    assert [f.rule for f in report.findings if f.package == name] == ["provenance-stripped"]
    # A package whose packument advertises nothing stays as it was (gamma: unattested).
    gamma = next(r for r in report.results if r.package.name == "gamma")
    assert gamma.status is Status.UNATTESTED


def test_the_one_decision() -> None:
    nothing = VersionInfo("1.0.0")
    att = VersionInfo("1.0.0", attestations_advertised=True)
    prov = VersionInfo("1.0.0", attestations_advertised=True, provenance_advertised=True)
    assert stripped(None, Served.NOTHING) is None
    assert stripped(nothing, Served.NOTHING) is None
    assert stripped(att, Served.NOTHING) is not None
    assert stripped(prov, Served.NOTHING) is not None
    assert stripped(att, Served.PUBLISH_ONLY) is None
    assert stripped(prov, Served.PUBLISH_ONLY) is not None
