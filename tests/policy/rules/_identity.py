"""The identity rules' shared fixture: a block checking every claim, and one claim failing."""

from __future__ import annotations

from auditor.models import Level
from tests.policy._helpers import identity, run, verified

# An [[identity]] block that checks every key; `identity()` satisfies all of it.
ACME = """
[[identity]]
packages = ["@acme/*"]
repositories = ["https://github.com/acme/*"]
repository_ids = [1001]
owner_ids = ["2002"]
issuers = ["https://token.actions.githubusercontent.com"]
workflows = [".github/workflows/release.yml"]
refs = ["refs/tags/v*"]
triggers = ["push", "release"]
deny_triggers = ["pull_request_target", "issue_comment"]
runners = ["github-hosted"]
builders = ["github-hosted"]
"""


def claim_fails(override: dict[str, object], rule: str, actual: object) -> None:
    """The identity with `override` fails exactly one `rule` finding showing `actual`."""
    over = dict(override)
    repo = over.pop("repo", "https://github.com/acme/widget")
    ident = identity(str(repo), **over)
    found = run(ACME, verified(ident=ident))
    fs = [f for f in found if f.rule == rule]
    assert len(fs) == 1, found
    assert fs[0].evidence["actual"] == actual
    assert fs[0].level is Level.ERROR
    assert "identity[0]" in fs[0].message
