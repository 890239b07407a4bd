"""The `auditor-changes` pre-commit hook: `python -m auditor.diff.hook [OPTIONS] LOCKFILE...`.

pre-commit appends the staged lockfiles after the hook's `args`; every one of them is a path,
even one named like an option (see `split_argv`).  Each lockfile is audited
on its own (the `audit` command takes one) against the lockfile at HEAD, so a commit is
checked for what it changes; before the first commit everything is audited.  The exit
code is the most serious one of the runs.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from auditor.errors import AuditorError

LOCKFILE_NAME = re.compile(r"(package-lock|npm-shrinkwrap)\.json$")
# Worst last: findings, then incomplete, then usage errors; anything else (130) above.
_SEVERITY = {0: 0, 1: 1, 3: 2, 2: 3}


def split_argv(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(audit options, lockfiles): the trailing lockfile names pre-commit appended.

    File names come from the commit, so they are attacker text: a staged file named
    `--offline=o/package-lock.json` must stay a path.  A trailing lockfile name that starts
    with `-` is a file when it exists; an explicit `--` ends the options.
    """
    from auditor.cli import build_audit_parser

    args = list(argv)
    if "--" in args:
        cut = args.index("--")
        return args[:cut], args[cut + 1 :]
    takes_value = {
        opt
        for action in build_audit_parser()._actions
        if action.option_strings and action.nargs != 0
        for opt in action.option_strings
    }
    cut = len(args)
    while cut > 0:
        arg = args[cut - 1]
        previous = args[cut - 2] if cut > 1 else ""
        if not LOCKFILE_NAME.search(arg) or previous in takes_value:
            break
        if arg.startswith("-") and not os.path.lexists(arg):
            break
        cut -= 1
    return args[:cut], args[cut:]


def _has_base_option(options: Sequence[str]) -> bool:
    return any(
        o in ("--base", "--base-ref") or o.startswith(("--base=", "--base-ref=")) for o in options
    )


def _head_exists(lockfile: Path) -> bool:
    from auditor.diff.base import _git

    try:
        _git(
            lockfile.resolve().parent, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", what=""
        )
    except AuditorError:
        return False  # not a repository, or no commit yet: audit everything
    return True


def run(argv: Sequence[str]) -> int:
    from auditor.cli import main

    options, lockfiles = split_argv(argv)
    if not lockfiles:
        return main(options)
    worst = 0
    for lockfile in lockfiles:
        extra = (
            []
            if _has_base_option(options) or not _head_exists(Path(lockfile))
            else [
                "--base-ref",
                "HEAD",
            ]
        )
        code = main([*options, *extra, "--", lockfile])  # a name is never an option
        if _SEVERITY.get(code, 4) > _SEVERITY.get(worst, 4):
            worst = code
    return worst


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(sys.argv[1:]))
