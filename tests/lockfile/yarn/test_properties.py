"""Property tests for both Yarn formats: generated lockfiles parse to what generated them;
any other bytes raise only LockfileError, in one line."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import LockfileError
from auditor.lockfile.formats import yarn_berry, yarn_classic
from auditor.lockfile.formats.yarn_classic import fast_document, read_document
from auditor.models import SourceKind

from .conftest import BERRY, CLASSIC
from .synth import Want, berry_lockfiles, classic_lockfiles

CI = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def only_lockfile_error(parse: object, data: bytes) -> None:
    assert callable(parse)
    try:
        parse(data, "yarn.lock")
    except LockfileError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("yarn.lock")


@CI
@given(classic_lockfiles())
def test_generated_classic_lockfiles_round_trip(generated: tuple[str, list[Want]]) -> None:
    text, wants = generated
    lf = yarn_classic.parse(text.encode(), "gen/yarn.lock")
    got = [
        Want(p.name, p.version, p.aliases, p.resolved or "", p.integrity or "", p.line)
        for p in lf.packages
    ]
    assert got == wants
    assert all(p.source is SourceKind.REGISTRY and p.sha512 is not None for p in lf.packages)


@CI
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_lockfile_error(data: bytes) -> None:
    only_lockfile_error(yarn_classic.parse, data)


@CI
@given(st.text(alphabet=st.sampled_from(list('ab@^1:., "\\\n\r #-\tt')), max_size=300))
def test_yarnish_text_only_raises_lockfile_error(text: str) -> None:
    only_lockfile_error(yarn_classic.parse, text.encode())


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["basic", "monorepo", "sources"]), st.data())
def test_truncated_and_mutated_classic_fixtures(project: str, data: st.DataObject) -> None:
    raw = (CLASSIC / project / "yarn.lock").read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    only_lockfile_error(yarn_classic.parse, raw[:cut])
    pos = data.draw(st.integers(0, len(raw) - 1))
    byte = data.draw(st.integers(0, 255))
    only_lockfile_error(yarn_classic.parse, raw[:pos] + bytes([byte]) + raw[pos + 1 :])


# The line-at-a-time reader must build exactly what the token reader builds, or decline.
FRAGMENTS = [
    "a",
    "b@1",
    '"@s/x@^1"',
    '"x y"',
    ":",
    ",",
    ", ",
    " ",
    "  ",
    "    ",
    "\n",
    "\n",
    "\n",
    "# c",
    "# yarn lockfile v1",
    "true",
    "false",
    "trueish",
    "12",
    "9" * 20,
    '"\\""',
    '"1.0.0"',
    "version",
    "\t",
    "-x",
    "/p",
    ".q#r",
    '""',
]
LINES = st.lists(
    st.tuples(
        st.sampled_from(["", "  ", "    ", "      ", " "]),
        st.sampled_from(["a", '"@s/a@^1"', "b@1, b@2", "version", "dependencies", "x", '"q r"']),
        st.sampled_from([":", ' "1.0.0"', " 12", " true", " abc", " sha512-AB+/=", ":  ", ""]),
    ).map("".join),
    max_size=12,
).map(lambda lines: "\n".join(lines) + "\n")


KEYS = st.sampled_from(
    ["a", '"@s/a@^1"', "b@1, b@2", "version", "x", '"q r"', "trueish", "c", "d", "e/f", ".g", "-h"]
)
VALUES = st.sampled_from(['"1.0.0"', "12", "true", "abc", "sha512-AB+/=", '""', '"a#b"'])


@st.composite
def structured(draw: st.DrawFn) -> str:
    """Mostly the shape Yarn writes, with now and then a line that is not."""
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        lines.append(draw(KEYS) + ":")
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                lines.append("  " + draw(KEYS) + " " + draw(VALUES))
            else:
                lines.append("  " + draw(KEYS) + ":")
                lines.extend(
                    "    " + draw(KEYS) + " " + draw(VALUES) for _ in range(draw(st.integers(1, 2)))
                )
        lines.append("")
    perturb = draw(st.booleans())
    if lines and perturb:
        at = draw(st.integers(0, len(lines) - 1))
        lines.insert(
            at, draw(st.sampled_from(["", "# c", "  # c", "   x 1", "      y 2", " ", "a 1"]))
        )
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@CI
@given(
    st.one_of(structured(), LINES, st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
)
def test_line_reader_agrees_with_token_reader(text: str) -> None:
    fast = fast_document(text)
    try:
        slow: object = read_document(text, "yarn.lock", fast=False)
    except LockfileError:
        slow = LockfileError
    if fast is not None:
        assert fast == slow


@CI
@given(berry_lockfiles())
def test_generated_berry_lockfiles_round_trip(
    generated: tuple[str, list[tuple[str, str, tuple[str, ...], int]]],
) -> None:
    text, wants = generated
    lf = yarn_berry.parse(text.encode(), "gen/yarn.lock")
    assert sorted((p.name, p.version, p.aliases, p.line) for p in lf.packages) == wants
    assert all(p.integrity_source == "packument" for p in lf.packages)
    # The line reader and libyaml agree on what Yarn writes.
    assert yarn_berry.fast_load(text) == yarn_berry._load(text, "gen/yarn.lock", fast=False)


@CI
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_lockfile_error_berry(data: bytes) -> None:
    only_lockfile_error(yarn_berry.parse, b"__metadata:\n  version: 10\n" + data)
    only_lockfile_error(yarn_berry.parse, data)


YAML_KEYS = st.sampled_from(
    ['"a@npm:1"', "version", "resolution", "x y", "dependencies", "b", '"c: d"', "-e", "f#g", "..."]
)
YAML_VALUES = st.sampled_from(
    [
        "1.0.0",
        '"a@npm:1.0.0"',
        "hard",
        "^3 || ^4",
        "a  b",
        "a #b",
        '"q\\"r"',
        "'s'",
        "t ",
        "[1]",
        "",
    ]
)


@st.composite
def yamlish(draw: st.DrawFn) -> str:
    """Berry-shaped YAML with now and then a line only libyaml can judge."""
    lines = ["__metadata:", "  version: 10"]
    for _ in range(draw(st.integers(0, 4))):
        lines.append(draw(YAML_KEYS) + ":")
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                lines.append("  " + draw(YAML_KEYS) + ": " + draw(YAML_VALUES))
            else:
                lines.append("  " + draw(YAML_KEYS) + ":")
                lines.extend(
                    "    " + draw(YAML_KEYS) + ": " + draw(YAML_VALUES)
                    for _ in range(draw(st.integers(1, 2)))
                )
    if draw(st.booleans()):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(st.sampled_from(["", "# c", "   # c", "   x: 1", "\t", "---", " y"])))
    return "\n".join(lines) + "\n"


@CI
@given(yamlish())
def test_berry_line_reader_agrees_with_libyaml(text: str) -> None:
    fast = yarn_berry.fast_load(text)
    try:
        slow: object = yarn_berry._load(text, "yarn.lock", fast=False)
    except LockfileError:
        slow = LockfileError
    if fast is not None:
        assert fast == slow, text


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["basic", "monorepo", "patched"]), st.data())
def test_truncated_and_mutated_berry_fixtures(project: str, data: st.DataObject) -> None:
    raw = (BERRY / project / "yarn.lock").read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    only_lockfile_error(yarn_berry.parse, raw[:cut])
    pos = data.draw(st.integers(0, len(raw) - 1))
    byte = data.draw(st.integers(0, 255))
    only_lockfile_error(yarn_berry.parse, raw[:pos] + bytes([byte]) + raw[pos + 1 :])
