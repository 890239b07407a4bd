"""Trust documents the parser refuses, each with its exact one-line error (mutation
survivors of issue 13: every refusal of `trust.py` and its message), and the bounds of the
files it reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sigstore_models.trustroot.v1 import TrustedRoot

from auditor.errors import TrustError
from auditor.verify import TrustMaterial, load_trust
from auditor.verify._util import parse_time
from auditor.verify.trust import (
    _MAX_TRUST_FILE,
    Window,
    _one_line,
    _schema_error,
    check_trusted_root,
)
from tests.verify.fixtures import TRUST

KEYS = TRUST / "npm-registry-keys.json"
# An Ed448 SubjectPublicKeyInfo: DER SPKI that cryptography loads, of a type no log uses.
ED448_SPKI = (
    "MEMwBQYDK2VxAzoAJt1f43+v4QVHQHGMgK2wbHaC4gzUoTbsKfLplbqCWNVhjBXWmQTw9JPL7FLXegp4YLfkF78LkbAA"
)
LONG = "x" * 300
Edit = Callable[[dict[str, Any]], Any]


def _doc(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((TRUST / name).read_text())
    return doc


def _set(path: str, value: Any) -> Edit:
    """An edit that sets (or, for value _DELETE, deletes) the member at a dotted path."""

    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if isinstance(node, list) else last] = value

    return edit


_DELETE = object()
_TLOG_KEY = "tlogs.0.publicKey"
_CA0 = "certificateAuthorities.0.certChain.certificates"


def _reversed_chain(doc: dict[str, Any]) -> None:
    chain = doc["certificateAuthorities"][1]["certChain"]["certificates"]
    assert len(chain) == 2
    chain.reverse()


def _stray_character(doc: dict[str, Any]) -> None:
    raw = doc["tlogs"][0]["publicKey"]["rawBytes"]
    doc["tlogs"][0]["publicKey"]["rawBytes"] = raw[:8] + "!" + raw[8:]


ROOT_CASES: list[tuple[str, Any, str]] = [
    ("not an object", [], "not a JSON object"),
    ("no mediaType", _set("mediaType", _DELETE), "unexpected mediaType ''"),
    ("mediaType not a string", _set("mediaType", 7), "unexpected mediaType '7'"),
    (
        "other mediaType",
        _set("mediaType", "application/json"),
        "unexpected mediaType 'application/json'",
    ),
    ("long mediaType", _set("mediaType", LONG), f"unexpected mediaType {LONG[:80]!r}"),
    ("no tlog", _set("tlogs", []), "no transparency log"),
    ("tlog not an object", _set("tlogs.0", 7), "tlogs[0] is not an object"),
    ("baseUrl not a string", _set("tlogs.0.baseUrl", 7), "tlogs[0]: baseUrl is not a string"),
    ("no publicKey", _set(_TLOG_KEY, _DELETE), "missing 'publicKey'"),
    (
        "rawBytes not a string",
        _set(f"{_TLOG_KEY}.rawBytes", 7),
        "tlogs[0] rawBytes is not a base64 string",
    ),
    ("rawBytes with a stray character", _stray_character, "Only base64 data is allowed"),
    (
        "rawBytes not a key",
        _set(f"{_TLOG_KEY}.rawBytes", "AAAA"),
        "tlogs[0]: public key is not DER SPKI",
    ),
    (
        "Ed448 key",
        _set(f"{_TLOG_KEY}.rawBytes", ED448_SPKI),
        "tlogs[0]: unsupported key type Ed448PublicKey",
    ),
    ("no validFor", _set(f"{_TLOG_KEY}.validFor", _DELETE), "tlogs[0]: validFor.start is missing"),
    (
        "validFor not an object",
        _set(f"{_TLOG_KEY}.validFor", 7),
        "tlogs[0]: validFor.start is missing",
    ),
    (
        "validFor without start",
        _set(f"{_TLOG_KEY}.validFor", {}),
        "tlogs[0]: validFor.start is missing",
    ),
    (
        "start not a string",
        _set(f"{_TLOG_KEY}.validFor.start", 7),
        "tlogs[0] validFor.start is not a timestamp string",
    ),
    (
        "start without zone",
        _set(f"{_TLOG_KEY}.validFor.start", "2021-01-12T11:53:27"),
        "tlogs[0] validFor.start has no time zone",
    ),
    (
        "end without zone",
        _set(f"{_TLOG_KEY}.validFor.end", "2031-01-12T11:53:27"),
        "tlogs[0] validFor.end has no time zone",
    ),
    (
        "start not a time",
        _set(f"{_TLOG_KEY}.validFor.start", LONG),
        f"Invalid isoformat string: {LONG!r}"[:200],
    ),
    ("empty CA chain", _set(_CA0, []), "certificateAuthorities[0]: empty certChain"),
    ("CA chain not a list", _set(_CA0, {}), "certificateAuthorities[0]: empty certChain"),
    (
        "CA certificate not X.509",
        _set(_CA0, [{"rawBytes": "AAAA"}]),
        "certificateAuthorities[0]: certificate 0 is not DER X.509",
    ),
    ("CA chain reversed", _reversed_chain, "certificateAuthorities[1]: certChain is not a chain"),
]


@pytest.mark.parametrize(("label", "edit", "message"), ROOT_CASES, ids=[c[0] for c in ROOT_CASES])
def test_refused_trusted_root_names_its_problem(
    tmp_path: Path, label: str, edit: Any, message: str
) -> None:
    """Our own parser (the schema check off) refuses each root with exactly this message."""
    doc: Any = _doc("trusted_root.json")
    if callable(edit):
        edit(doc)
    else:
        doc = edit
    path = tmp_path / "root.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(TrustError) as info:
        load_trust(path, KEYS, schema_check=False)
    assert str(info.value) == f"invalid trusted root {path}: {message}"


def _key0(field: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["keys"][0][field] = value

    return edit


KEY_CASES: list[tuple[str, Any, str]] = [
    ("not an object", [], "expected an object with a 'keys' array"),
    ("keys not a list", {"keys": {}}, "expected an object with a 'keys' array"),
    ("no keys", {"keys": []}, "no keys"),
    ("key not an object", {"keys": [1]}, "keys[0] is not an object"),
    ("empty keyId", _key0("keyId", ""), "keys[0]: keyId/keyUsage missing"),
    ("keyId not a string", _key0("keyId", 7), "keys[0]: keyId/keyUsage missing"),
    ("keyUsage not a string", _key0("keyUsage", None), "keys[0]: keyId/keyUsage missing"),
    ("no publicKey", _key0("publicKey", {}), "missing 'rawBytes'"),
]


@pytest.mark.parametrize(("label", "edit", "message"), KEY_CASES, ids=[c[0] for c in KEY_CASES])
def test_refused_npm_keys_name_their_problem(
    tmp_path: Path, label: str, edit: Any, message: str
) -> None:
    doc: Any = _doc("npm-registry-keys.json")
    if callable(edit):
        edit(doc)
    else:
        doc = edit
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(TrustError) as info:
        load_trust(None, path)
    assert str(info.value) == f"invalid npm keys {path}: {message}"


def test_a_log_without_base_url_has_no_host(tmp_path: Path) -> None:
    doc = _doc("trusted_root.json")
    del doc["tlogs"][0]["baseUrl"]
    path = tmp_path / "root.json"
    path.write_text(json.dumps(doc))
    log = load_trust(path, KEYS, schema_check=False).tlogs[0]
    assert (log.base_url, log.host) == ("", "")


def test_user_root_of_a_media_type_sigstore_does_not_take_is_refused(tmp_path: Path) -> None:
    """Our parser reads any trusted-root media type; the schema check, on by default for a
    user-supplied root, refuses the ones sigstore's TrustedRoot does not take (v0.2)."""
    doc = _doc("trusted_root.json")
    doc["mediaType"] = "application/vnd.dev.sigstore.trustedroot.v0.2+json"
    path = tmp_path / "root.json"
    path.write_text(json.dumps(doc))
    assert load_trust(path, KEYS, schema_check=False).tlogs
    with pytest.raises(TrustError) as info:
        load_trust(path, KEYS)
    assert str(info.value) == (
        f"invalid trusted root {path}: unsupported trusted root format "
        "'application/vnd.dev.sigstore.trustedroot.v0.2+json'"
    )


def test_schema_errors_are_one_line_and_bounded(tmp_path: Path) -> None:
    doc = _doc("trusted_root.json")
    doc["tlogs"][0]["publicKey"]["keyDetails"] = "NOPE"  # pydantic lists all 22 values
    path = tmp_path / "root.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(TrustError) as info:
        check_trusted_root(path)
    prefix = f"invalid trusted root {path}: "
    assert str(info.value).startswith(prefix + "tlogs.0.publicKey.keyDetails: Input should be ")
    assert len(str(info.value)) == len(prefix) + 200
    with pytest.raises(TrustError) as info:
        check_trusted_root(tmp_path / "gone.json")
    assert str(info.value) == (
        f"cannot read trusted root {tmp_path / 'gone.json'}: No such file or directory"
    )


def test_schema_error_text() -> None:
    def pydantic_error(data: bytes) -> Exception:
        try:
            TrustedRoot.from_json(data)
        except Exception as exc:
            return exc
        raise AssertionError("accepted")

    root = _doc("trusted_root.json")
    del root["tlogs"][0]["logId"]
    assert _schema_error(pydantic_error(json.dumps(root).encode())) == (
        "tlogs.0.logId: Field required"
    )
    # A document-level error has no location: only pydantic's message.
    assert _schema_error(pydantic_error(b"[]")) == "Input should be an object"

    class NotPydantic(ValueError):
        def errors(self) -> list[Any]:
            return []

    assert _schema_error(ValueError("first line\nsecond line")) == "first line"
    assert _schema_error(NotPydantic(" one\ntwo")) == "one"
    assert _schema_error(ValueError()) == "ValueError"
    assert _schema_error(ValueError(" \n ")) == "ValueError"


def test_one_line() -> None:
    assert _one_line(KeyError("logId")) == "missing 'logId'"
    assert _one_line(KeyError("k" * 300)) == ("missing '" + "k" * 300)[:200]
    assert _one_line(ValueError("bad\nworse")) == "bad"
    assert _one_line(ValueError("v" * 300)) == "v" * 200
    assert _one_line(ValueError()) == "ValueError"
    assert _one_line(KeyError()) == "KeyError"


def test_missing_file_names_the_path_and_the_cause(tmp_path: Path) -> None:
    for where in ("root", "keys"):
        gone = tmp_path / f"{where}.json"
        with pytest.raises(TrustError) as info:
            load_trust(gone, None) if where == "root" else load_trust(None, gone)
        what = "trusted root" if where == "root" else "npm keys"
        assert str(info.value) == f"cannot read {what} {gone}: No such file or directory"


def test_trust_file_size_bound(tmp_path: Path) -> None:
    """Up to _MAX_TRUST_FILE bytes are read; one more is refused (not parsed truncated)."""
    body = json.dumps(_doc("npm-registry-keys.json")).encode()
    path = tmp_path / "keys.json"
    path.write_bytes(body + b" " * (_MAX_TRUST_FILE - len(body)))
    assert load_trust(None, path).npm_keys
    path.write_bytes(body + b" " * (_MAX_TRUST_FILE + 1 - len(body)))
    with pytest.raises(TrustError) as info:
        load_trust(None, path)
    assert str(info.value) == f"npm keys {path} is larger than {_MAX_TRUST_FILE} bytes"


def test_window_text() -> None:
    start = datetime(2021, 1, 12, 11, 53, 27, tzinfo=UTC)
    assert str(Window(start)) == "[2021-01-12T11:53:27+00:00, open)"
    end = start + timedelta(days=1)
    assert str(Window(start, end)) == "[2021-01-12T11:53:27+00:00, 2021-01-13T11:53:27+00:00]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-01-12T11:53:27Z", datetime(2021, 1, 12, 11, 53, 27, tzinfo=UTC)),
        ("2021-01-12T11:53:27.5z", datetime(2021, 1, 12, 11, 53, 27, 500000, tzinfo=UTC)),
        (" 2021-01-12T11:53:27+02:00 ", datetime(2021, 1, 12, 9, 53, 27, tzinfo=UTC)),
    ],
)
def test_parse_time_reads_rfc3339_into_utc(text: str, expected: datetime) -> None:
    """RFC 3339 allows a lower-case `z`; any offset is converted to UTC itself (the
    messages print these times), not merely to an equal instant."""
    parsed = parse_time(text, "t")
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_window_is_closed_at_both_ends() -> None:
    """Like Sigstore's TimeRange: a time equal to the start or the end is inside."""
    start = datetime(2021, 1, 12, tzinfo=UTC)
    end = start + timedelta(days=1)
    tick = timedelta(microseconds=1)
    closed, open_ended = Window(start, end), Window(start)
    assert closed.contains(start) and closed.contains(end)
    assert not closed.contains(start - tick) and not closed.contains(end + tick)
    assert open_ended.contains(start) and open_ended.contains(end + timedelta(days=10**5))
    assert not open_ended.contains(start - tick)


def test_lookup_by_id_and_usage(trust: TrustMaterial) -> None:
    """A key is found only under its own id and usage; a log under its log id or its
    checkpoint key id."""
    for key in trust.npm_keys:
        assert trust.npm_key(key.key_id, key.usage) is key
        assert trust.npm_key(key.key_id, key.usage + "x") is None
        assert trust.npm_key(key.key_id + "x", key.usage) is None
    for log in trust.tlogs:
        assert trust.tlog(log.log_id) is log
    assert trust.tlog(b"\0" * 32) is None
