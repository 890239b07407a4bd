"""Fuzz target: the attestation response parser and verifier (hypothesis).

Property: `verify_attestations` never raises, returns a known status and reason code, and
a mutated response never verifies to anything but the original verdict.

    python -m tests.fuzz --seconds 60      (make fuzz)
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.models import Status
from auditor.verify import REASON_CODES, TrustMaterial, load_trust, verify_attestations
from tests.verify.fixtures import REAL_CASES, RealCase

_TRUST: TrustMaterial | None = None
_BASELINE: dict[str, Any] = {}


def _trust() -> TrustMaterial:
    global _TRUST
    if _TRUST is None:
        _TRUST = load_trust()
    return _TRUST


def _baseline(c: RealCase) -> Any:
    if c.spec not in _BASELINE:
        _BASELINE[c.spec] = verify_attestations(
            c.name, c.version, c.integrity(), c.response(), _trust()
        )
    return _BASELINE[c.spec]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "AAAA", "0", "intoto", "0.0.2", "dsse", "MEUCIQ==", "=="]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _mutate_string(value: str, data: st.DataObject) -> str:
    """Flip a bit inside base64 content (keeps it valid base64) or edit the text."""
    try:
        raw = bytearray(base64.b64decode(value, validate=True))
    except ValueError:
        raw = bytearray()
    if raw and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= 1 << data.draw(st.integers(0, 7))
        return base64.b64encode(bytes(raw)).decode()
    i = data.draw(st.integers(0, len(value)))
    return value[:i] + data.draw(st.text(max_size=3)) + value[i + data.draw(st.integers(0, 2)) :]


def _apply(doc: Any, data: st.DataObject) -> Any:
    paths = _paths(doc)
    path = data.draw(st.sampled_from(paths))
    action = data.draw(st.sampled_from(["replace", "delete", "string", "duplicate"]))
    if not path:
        return data.draw(json_values)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    current = parent[key]
    if action == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif action == "string" and isinstance(current, str):
        parent[key] = _mutate_string(current, data)
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(current)))
    else:
        parent[key] = data.draw(json_values)
    return doc


def _check(c: RealCase, body: bytes) -> None:
    result = verify_attestations(c.name, c.version, c.integrity(), body, _trust())
    assert result.status in (Status.VERIFIED, Status.PUBLISH_ONLY, Status.INVALID)
    if result.status is Status.INVALID:
        assert result.reason in REASON_CODES, result.reason
        assert result.message and "\n" not in result.message
    else:
        # A mutation may drop an attestation (provenance stripped: publish-only; publish
        # dropped: provenance-only), or touch unsigned optional fields; it never yields
        # another identity, registry, or a stronger verdict.
        base = _baseline(c)
        assert base.status is not Status.INVALID
        if result.status is Status.VERIFIED:
            assert base.status is Status.VERIFIED
            assert result.identity == base.identity
        else:
            assert result.identity is None
        assert set(result.attestations) <= set(base.attestations)


cases = st.sampled_from(REAL_CASES)


def structural(c: RealCase, data: st.DataObject) -> None:
    doc = c.document()
    for _ in range(data.draw(st.integers(1, 3))):
        doc = _apply(doc, data)
    _check(c, json.dumps(doc).encode())


def bytewise(c: RealCase, data: st.DataObject) -> None:
    body = bytearray(c.response())
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(body) - 1))
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip":
            body[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "cut":
            del body[i : i + data.draw(st.integers(1, 64))]
        else:
            body[i:i] = data.draw(st.binary(min_size=1, max_size=8))
        if not body:
            break
    _check(c, bytes(body))


def arbitrary(body: bytes) -> None:
    _check(REAL_CASES[0], body)


_STRATEGIES: dict[Any, dict[str, Any]] = {
    structural: {"c": cases, "data": st.data()},
    bytewise: {"c": cases, "data": st.data()},
    arbitrary: {
        "body": st.binary(max_size=512) | json_values.map(lambda v: json.dumps(v).encode())
    },
}


def _run(body: Any, examples: int, derandomize: bool) -> None:
    # A fresh wrapper per run: hypothesis refuses to re-apply settings to one test.
    test = given(**_STRATEGIES[body])(body)
    settings(
        max_examples=examples,
        deadline=None,
        derandomize=derandomize,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(test)()


def run_targets(examples: int) -> None:
    """Each target once with `examples` examples, deterministic (the CI test)."""
    for body in _STRATEGIES:
        _run(body, examples, derandomize=True)


def fuzz(seconds: float) -> None:
    """Run every target in rounds until `seconds` have passed (`make fuzz`)."""
    end = time.monotonic() + seconds
    rounds = 0
    while True:
        for body in _STRATEGIES:
            _run(body, 200, derandomize=False)
        rounds += 1
        if time.monotonic() >= end:
            break
    print(f"response fuzz: {rounds} rounds x {len(_STRATEGIES)} targets x 200 examples, no failure")
