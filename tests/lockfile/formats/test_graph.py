"""The shared graph of the pnpm and Bun readers: the integrity fast path agrees with npm's
reader, and flags and dependencies come from the walk."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.lockfile.formats.graph import Entry, Graph, read_integrity
from auditor.models import SourceKind, check_integrity

_DIGEST = st.binary(min_size=64, max_size=64).map(lambda b: base64.b64encode(b).decode())
_VALUES = st.one_of(
    st.none(),
    _DIGEST.map(lambda d: f"sha512-{d}"),
    _DIGEST.map(lambda d: f"sha512-{d[:-3]}{'A' if d[-3] != 'A' else 'B'}=="),  # non-canonical
    _DIGEST.map(lambda d: f"sha512-{d} sha1-{d[:28]}"),
    st.text(max_size=100),
    st.from_regex(r"sha512-[A-Za-z0-9+/]{86}==", fullmatch=True),
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_the_integrity_fast_path_reads_as_check_integrity(value: str | None) -> None:
    check = check_integrity(value)
    problem = check.problem if value is not None else None
    assert read_integrity(value) == (check.hashes, problem, check.reason)


def _entry(key: str) -> Entry:
    return Entry(key, key, "1.0.0", SourceKind.REGISTRY, None, None, 1)


def test_flags_and_dependencies_from_the_walk() -> None:
    g = Graph()
    ids = {k: g.add(_entry(k)) for k in ("prod", "dev", "opt", "both", "orphan", "shared")}
    g.entries[ids["prod"]].edges.append((ids["shared"], False))
    g.entries[ids["dev"]].edges.append((ids["shared"], False))
    g.entries[ids["opt"]].edges.append((ids["both"], False))
    g.entries[ids["dev"]].edges.append((ids["both"], False))
    g.roots += [(ids["prod"], "prod"), (ids["dev"], "dev"), (ids["opt"], "optional")]
    got = {p.name: (p.dev, p.optional, p.dev_optional, p.dependencies) for p in g.packages()}
    assert got == {
        "prod": (False, False, False, ("shared@1.0.0",)),
        "dev": (True, False, False, ("both@1.0.0", "shared@1.0.0")),
        "opt": (False, True, False, ("both@1.0.0",)),
        "both": (False, False, True, ()),  # optional in production, required in dev
        "orphan": (False, False, False, ()),  # reached by nothing: audited as production
        "shared": (False, False, False, ()),
    }
