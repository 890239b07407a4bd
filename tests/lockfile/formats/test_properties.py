"""Properties of the pnpm and Bun readers: generated lockfiles round-trip, and arbitrary or
mutated bytes raise only `LockfileError` (never another exception, never a hang)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import LockfileError
from auditor.lockfile import parse_lockfile_bytes
from auditor.lockfile.formats.yamlload import load_yaml
from tests.lockfile.formats.synth import Spec, bun_lockfile, integrity_of, pnpm_lockfile

_NAME = st.from_regex(r"(@[a-z][a-z0-9-]{0,8}/)?[a-z][a-z0-9._-]{0,12}", fullmatch=True)
_VERSION = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}" + (f"-{pre}" if pre else ""),
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 30),
    st.sampled_from(["", "beta.1", "rc.0"]),
)


@st.composite
def package_sets(draw: st.DrawFn) -> list[Spec]:
    names = draw(st.lists(_NAME, min_size=1, max_size=12, unique=True))
    specs: list[Spec] = []
    for i, name in enumerate(names):
        version = draw(_VERSION)
        kind = draw(st.sampled_from(["prod", "dev", "optional", ""]))
        alias = None
        if kind and draw(st.booleans()) and not name.startswith("@"):
            alias = f"alias-{name}"
        deps = tuple(sorted(set(draw(st.lists(st.integers(0, len(names) - 1), max_size=3))) - {i}))
        specs.append(Spec(name, version, integrity_of(f"{name}@{version}"), kind, alias, deps))
    return specs


def _expect(specs: list[Spec]) -> tuple[set[str], set[str], set[str]]:
    every = {f"{s.name}@{s.version}" for s in specs}
    direct = {f"{s.name}@{s.version}" for s in specs if s.kind}
    aliased = {f"{s.name}@{s.version}:{s.alias}" for s in specs if s.alias}
    return every, direct, aliased


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(package_sets(), st.sampled_from(["pnpm9", "pnpm6", "bun"]))
def test_generated_lockfiles_round_trip(specs: list[Spec], fmt: str) -> None:
    if fmt == "bun":
        text, name = bun_lockfile(specs), "bun.lock"
    else:
        text, name = pnpm_lockfile(specs, v6=fmt == "pnpm6"), "pnpm-lock.yaml"
    lf = parse_lockfile_bytes(text.encode(), name)
    got = {p.spec for p in lf.packages}
    direct = {p.spec for p in lf.packages if p.direct}
    aliased = {f"{p.spec}:{a}" for p in lf.packages for a in p.aliases}
    assert (got, direct, aliased) == _expect(specs)
    lines = text.splitlines()
    for p in lf.packages:
        assert p.sha512 is not None and p.integrity == integrity_of(p.spec)
        assert p.line > 0 and p.name in lines[p.line - 1]
        # dev exactly when only the root's devDependencies reach it
        assert not (
            p.dev
            and p.direct
            and p.spec in {f"{s.name}@{s.version}" for s in specs if s.kind == "prod"}
        )
    if fmt != "bun":  # the fast YAML loader reads what the reference one reads
        assert load_yaml(text, name) == load_yaml(text, name, reference=True)


_SEEDS = [
    pnpm_lockfile([Spec("a", "1.0.0", integrity_of("a"), "prod", None, (1,)),
                   Spec("@s/b", "2.0.0", integrity_of("b"), "dev", "bb", ())]),
    bun_lockfile([Spec("a", "1.0.0", integrity_of("a"), "prod", None, (1,)),
                  Spec("@s/b", "2.0.0", integrity_of("b"), "dev", "bb", ())]),
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([0, 1]),
    st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=4)), max_size=6),
    st.sampled_from(["pnpm-lock.yaml", "bun.lock", "x.yaml", "bun.lockb"]),
)
def test_mutated_lockfiles_raise_only_lockfile_error(
    seed: int, edits: list[tuple[int, bytes]], name: str
) -> None:
    data = bytearray(_SEEDS[seed].encode())
    for at, chunk in edits:
        at %= len(data) + 1
        data[at : at + len(chunk)] = chunk
    try:
        parse_lockfile_bytes(bytes(data), name)
    except LockfileError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["pnpm-lock.yaml", "bun.lock", "old.lock"]))
def test_arbitrary_bytes_raise_only_lockfile_error(data: bytes, name: str) -> None:
    try:
        parse_lockfile_bytes(data, name)
    except LockfileError as exc:
        assert "\n" not in str(exc)
