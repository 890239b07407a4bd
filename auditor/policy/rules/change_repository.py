"""change-repository: an updated package was built from another repository."""

from __future__ import annotations

from auditor.models import repository_key
from auditor.policy.rules.base import ChangeEmitter, ChangeSubject, Rule, rule_info, signers

INFO = rule_info(
    "change-repository",
    "Changed version was built from another repository",
    "Against the base lockfile, the verified source repository of the package changed.",
    "Confirm the project moved before accepting the update.",
    "[rules] change-repository",
    severity="8.0",
    tags=("diff",),
)


def check(emit: ChangeEmitter, c: ChangeSubject) -> None:
    both = signers(c)
    if both is None:
        return
    was, now = both
    repo: list[str] = []
    if repository_key(was.source_repository) != repository_key(now.source_repository):
        repo.append(f"repository {was.source_repository} -> {now.source_repository}")
    for label, a, b in (
        ("repository id", was.repository_id, now.repository_id),
        ("owner id", was.owner_id, now.owner_id),
    ):
        # Same URL with a new numeric id: the repository was deleted and re-created.
        if a is not None and b is not None and a != b:
            repo.append(f"{label} {a} -> {b}")
    if repo:
        emit.add(
            INFO.id,
            "source repository changed: " + "; ".join(repo),
            before_repository=was.source_repository,
            after_repository=now.source_repository,
            before_repository_id=was.repository_id,
            after_repository_id=now.repository_id,
            before_owner_id=was.owner_id,
            after_owner_id=now.owner_id,
        )


RULE = Rule(INFO, change=check)
