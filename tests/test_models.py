"""The one-step paths of models.py against their plain ones: the `__init__` of Package,
IntegrityCheck and Hash (`slot_init`) against the dataclass's own, `check_integrity`
against `read_integrity`."""

from __future__ import annotations

import base64
import dataclasses
import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.models import (
    ONE_SHA512,
    Hash,
    IntegrityCheck,
    Package,
    SourceKind,
    check_integrity,
    read_integrity,
    slot_init,
)

_TEXT = st.text(max_size=12)
_OPT = st.none() | _TEXT
_TUPLE = st.lists(_TEXT, max_size=3).map(tuple)
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "name": _TEXT,
    "version": _TEXT,
    "source": st.sampled_from(SourceKind),
    "hashes": st.lists(st.builds(Hash, _TEXT, st.binary(max_size=4)), max_size=2).map(tuple),
    "line": st.integers(0, 10**6),
}


def _strategy(f: dataclasses.Field[Any]) -> st.SearchStrategy[Any]:
    if f.name in _VALUES:
        return _VALUES[f.name]
    if f.type == "bool":
        return st.booleans()
    if f.type.startswith("tuple"):
        return _TUPLE
    return _OPT


# Every class that `slot_init` gives its one-step __init__.
SLOT_INIT = (Package, IntegrityCheck, Hash)


def _plain(cls: type[Any], *args: Any, **values: Any) -> Any:
    made = object.__new__(cls)
    cls.__dataclass_init__(made, *args, **values)
    return made


@pytest.mark.parametrize("cls", SLOT_INIT, ids=lambda c: c.__name__)
@given(data=st.data())
def test_fast_init_builds_what_the_dataclass_builds(cls: type[Any], data: st.DataObject) -> None:
    fields = dataclasses.fields(cls)
    values = data.draw(
        st.fixed_dictionaries(
            {f.name: _strategy(f) for f in fields if f.default is dataclasses.MISSING},
            optional={f.name: _strategy(f) for f in fields if f.default is not dataclasses.MISSING},
        )
    )
    fast, plain = cls(**values), _plain(cls, **values)
    assert fast == plain
    assert hash(fast) == hash(plain)
    assert repr(fast) == repr(plain)
    first = fields[0].name
    assert dataclasses.replace(fast, **{first: "x"}) == dataclasses.replace(plain, **{first: "x"})


@pytest.mark.parametrize("cls", SLOT_INIT, ids=lambda c: c.__name__)
def test_same_parameters_and_defaults(cls: type[Any]) -> None:
    def shape(fn: Any) -> list[tuple[str, Any, Any]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]

    assert shape(cls.__init__) == shape(cls.__dataclass_init__)


def test_still_frozen_and_errors_alike() -> None:
    package = Package("a", "1.0.0", SourceKind.REGISTRY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        package.name = "b"  # type: ignore[misc]
    for args, kwargs in (
        ((), {}),
        (("a",), {"nope": 1}),
        (("a", "1", SourceKind.FILE, None), {"integrity": None}),
    ):
        with pytest.raises(TypeError):
            Package(*args, **kwargs)
        with pytest.raises(TypeError):
            _plain(Package, *args, **kwargs)


def test_refuses_what_it_cannot_copy() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        items: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Post:
        value: int

        def __post_init__(self) -> None:
            pass

    for cls in (Factory, Post):
        with pytest.raises(TypeError, match="slot_init"):
            slot_init(cls)


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@given(
    st.one_of(
        st.binary(min_size=64, max_size=64).map(
            lambda raw: "sha512-" + base64.b64encode(raw).decode()
        ),
        # Near misses: other lengths, a last character with spare bits set, stray padding,
        # whitespace and a second token around the common form.
        st.builds(
            lambda body, last, tail: f"sha512-{body}{last}{tail}",
            st.text(_B64, min_size=84, max_size=86),
            st.sampled_from("AQgwBRhx=/+"),
            st.sampled_from(["==", "=", "", "===", "== ", " sha1-AAAA", "?x", "\n"]),
        ),
        st.text(max_size=20),
        st.none(),
    )
)
def test_one_step_integrity_reads_as_the_general_path(value: str | None) -> None:
    assert check_integrity(value) == read_integrity(value)


def test_one_step_integrity_takes_only_canonical_sha512() -> None:
    digest = base64.b64encode(bytes(range(64))).decode()
    assert ONE_SHA512.fullmatch("sha512-" + digest)
    assert check_integrity("sha512-" + digest).sha512 == bytes(range(64))
    for other in (
        "sha512-" + digest[:-3] + "B==",  # spare bits set: not how Node prints it
        "sha512-" + digest + "=",
        " sha512-" + digest,
        "SHA512-" + digest,
        "sha512-" + digest + "?opt",
    ):
        assert not ONE_SHA512.fullmatch(other)
        assert check_integrity(other) == read_integrity(other)
