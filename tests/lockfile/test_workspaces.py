"""Workspace patterns are attacker text: fnmatch's meaning, bounded cost."""

from __future__ import annotations

import fnmatch
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auditor.errors import LockfileError
from auditor.lockfile import workspaces
from auditor.lockfile.workspaces import STEP_BUDGET, match_workspaces

PATTERN = st.text(alphabet="ab/-*?[]!", max_size=12)
TEXT = st.text(alphabet="ab/-[]!", max_size=12)


@settings(max_examples=500)
@given(PATTERN, TEXT)
def test_same_answer_as_fnmatch(pattern: str, text: str) -> None:
    # A reversed range (`?-/`) is where Python's fnmatch is no reference: it drops the range and
    # a `!` that follows becomes the class's negation (see the test below).
    assume(not _reversed_range(pattern))
    expected = fnmatch.fnmatchcase(text, pattern)
    assert (match_workspaces([pattern], [text], "x") == [text]) == expected


def _reversed_range(pattern: str) -> bool:
    return any(
        pattern[i] == "-" and 0 < i < len(pattern) - 1 and pattern[i - 1] > pattern[i + 1]
        for i in range(len(pattern))
    )


def test_reversed_range_matches_nothing_and_keeps_the_rest_of_the_class() -> None:
    # fnmatch.fnmatchcase("[", "[?-/!]") is True: the `!` left after dropping `?-/` negates.
    assert match_workspaces(["[?-/!]"], ["[", "!", "?"], "x") == ["!"]
    assert match_workspaces(["[b-a]"], ["a", "b"], "x") == []
    assert match_workspaces(["[!b-a]"], ["c"], "x") == ["c"]


def test_literal_and_wildcard_patterns() -> None:
    dirs = ["packages/a", "packages/b/c", "apps/web", "tools/x"]
    assert match_workspaces(["packages/*", "apps/web"], dirs, "x") == dirs[:3]
    assert match_workspaces(["*/[!a]*"], dirs, "x") == ["packages/b/c", "apps/web", "tools/x"]


def _hostile(
    n_patterns: int = 1000, length: int = 4000, n_dirs: int = 200
) -> tuple[list[str], list[str]]:
    patterns = [("*a" * (length // 2))[: length - 4] + f"{i:04d}" for i in range(n_patterns)]
    return patterns, [f"packages/{'a' * 40}{i}" for i in range(n_dirs)]


def test_hostile_patterns_cost_at_most_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted, not timed: every step of the matcher goes through the budget."""
    spent: list[int] = []
    real = workspaces._Budget.spend

    def counting(self: workspaces._Budget, steps: int, path: str) -> None:
        spent.append(steps)
        real(self, steps, path)

    monkeypatch.setattr(workspaces._Budget, "spend", counting)
    patterns, dirs = _hostile(length=1000)
    with pytest.raises(LockfileError, match="workspace patterns too costly"):
        match_workspaces(patterns, dirs, "lock.json")
    # The last call may overshoot by one state set (bounded by the pattern length).
    assert sum(spent) <= STEP_BUDGET + workspaces.MAX_PATTERN_LENGTH
    with pytest.raises(LockfileError, match="longer than"):
        match_workspaces(["*" * 2000], dirs, "lock.json")
    with pytest.raises(LockfileError, match="more than 1000"):
        match_workspaces([f"p{i}/*" for i in range(1001)], dirs, "lock.json")


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize(("length", "n_dirs"), [(4000, 200), (1000, 20_000)])
def test_a_4_mb_hostile_lockfile_is_refused_in_bounded_memory(
    tmp_path: Path, length: int, n_dirs: int
) -> None:
    """The reported case: 1,000 patterns of 4 KB (a 4 MB lockfile) took 26 s and 1.9 GB
    as one regular expression.  Under a 1 GiB address-space limit and a generous timeout
    (not a timing assertion: it only turns a hang into a failure) the audit ends with a
    one-line error and exit 2."""
    patterns, dirs = _hostile(length=length, n_dirs=n_dirs)
    packages: dict[str, object] = {"": {"name": "app", "version": "1.0.0", "workspaces": patterns}}
    for i, d in enumerate(dirs):
        packages[d] = {"name": f"p{i}", "version": "1.0.0"}
        packages[f"node_modules/p{i}"] = {"resolved": d, "link": True}
    lock = tmp_path / "package-lock.json"
    doc = {"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    lock.write_text(json.dumps(doc))
    assert lock.stat().st_size > length * 1000  # 4 MB of patterns, or 1 MB and 20,000 dirs
    offline = tmp_path / "offline"
    offline.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", str(lock), "--offline", str(offline), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_memory,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.count("\n") == 1 and "workspace pattern" in proc.stderr
