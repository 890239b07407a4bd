"""registry-no-attestations: once per registry that served neither evidence nor keys."""

from __future__ import annotations

from auditor.models import Level
from tests.policy._helpers import run

ON = '[rules]\nregistry-no-attestations = "error"\n'


def test_one_global_finding_per_attestation_less_registry() -> None:
    less = (("http://127.0.0.1:4873/", "project .npmrc"),)
    (f,) = run(ON, attestation_less=less)
    assert (f.rule, f.level, f.package, f.version) == (
        "registry-no-attestations",
        Level.ERROR,
        None,
        None,
    )
    assert f.evidence == {"registry": "http://127.0.0.1:4873/", "configured_by": "project .npmrc"}
    assert run(ON) == []
    assert run("", attestation_less=less) == []  # off by default
