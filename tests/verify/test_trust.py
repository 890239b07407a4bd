"""Trust material: loading, errors, pickling, and the validity windows it carries."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import TrustError
from auditor.models import Status
from auditor.verify import TrustMaterial, load_trust, verify_attestations
from tests.verify.fixtures import TRUST, case

GUNDAM = case("gundam-visor@1.0.1")  # npm key jl3b..., signed 2024-06-03
PLAYWRIGHT = case("@playwright/cli@0.1.1")  # npm key DhQ8..., signed 2026-02-14
SIGSTORE_100 = case("sigstore@1.0.0")  # signed 2023-02-09 (Fulcio CA #2, CT log 2022)


def _root() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((TRUST / "trusted_root.json").read_text())
    return doc


def _keys() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((TRUST / "npm-registry-keys.json").read_text())
    return doc


def _write(tmp_path: Path, root: dict[str, Any] | None = None, keys: Any = None) -> TrustMaterial:
    root_path = tmp_path / "trusted_root.json"
    keys_path = tmp_path / "keys.json"
    root_path.write_text(json.dumps(root if root is not None else _root()))
    keys_path.write_text(json.dumps(keys if keys is not None else _keys()))
    return load_trust(root_path, keys_path)


def _verify(c: Any, trust: TrustMaterial) -> Any:
    return verify_attestations(c.name, c.version, c.integrity(), c.response(), trust)


def test_pinned_trust_equals_fixture_trust(tmp_path: Path) -> None:
    pinned = load_trust()
    explicit = load_trust(TRUST / "trusted_root.json", TRUST / "npm-registry-keys.json")
    assert pinned.source == explicit.source
    assert len(pinned.tlogs) == 2 and len(pinned.fulcio) == 2 and len(pinned.ctlogs) == 2
    assert {k.usage for k in pinned.npm_keys} == {"npm:signatures", "npm:attestations"}
    rekor_v1 = [log for log in pinned.tlogs if log.rekor_v1]
    assert [log.host for log in rekor_v1] == ["rekor.sigstore.dev"]


def test_trust_material_pickles(trust: TrustMaterial) -> None:
    clone = pickle.loads(pickle.dumps(trust))
    assert clone.source == trust.source
    assert _verify(GUNDAM, clone).status is Status.VERIFIED
    assert len(pickle.dumps(trust)) < 64 * 1024


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"mediaType": "x"}', "mediaType"),
    ],
)
def test_bad_trusted_root(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "root.json"
    path.write_bytes(content)
    with pytest.raises(TrustError) as info:
        load_trust(path, None)
    assert "\n" not in str(info.value)


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(TrustError, match="cannot read trusted root"):
        load_trust(tmp_path / "nope.json")
    with pytest.raises(TrustError, match="cannot read npm keys"):
        load_trust(None, tmp_path / "nope.json")


@pytest.mark.parametrize(
    "keys",
    [[], {}, {"keys": []}, {"keys": [1]}, {"keys": [{"keyId": "x", "keyUsage": "u"}]}],
)
def test_bad_npm_keys(tmp_path: Path, keys: Any) -> None:
    with pytest.raises(TrustError, match="invalid npm keys"):
        _write(tmp_path, keys=keys)


def test_bad_key_bytes(tmp_path: Path) -> None:
    keys = _keys()
    keys["keys"][0]["publicKey"]["rawBytes"] = "AAAA"
    with pytest.raises(TrustError, match="invalid npm keys"):
        _write(tmp_path, keys=keys)
    root = _root()
    root["tlogs"][0]["publicKey"]["validFor"]["start"] = "yesterday"
    with pytest.raises(TrustError):
        _write(tmp_path, root=root)


# --- windows and key lookup ----------------------------------------------------------------


def test_npm_key_expired_at_signing_time(tmp_path: Path) -> None:
    keys = _keys()
    for k in keys["keys"]:
        if k["keyId"].startswith("SHA256:jl3b"):
            k["publicKey"]["validFor"]["end"] = "2024-01-01T00:00:00.000Z"
    trust = _write(tmp_path, keys=keys)
    r = _verify(GUNDAM, trust)
    assert (r.status, r.reason) == (Status.INVALID, "KEY_NOT_VALID_AT_TIME")
    assert "SHA256:jl3b" in r.message


def test_npm_key_not_yet_valid(tmp_path: Path) -> None:
    keys = _keys()
    for k in keys["keys"]:
        k["publicKey"]["validFor"]["start"] = "2026-03-01T00:00:00.000Z"
    r = _verify(PLAYWRIGHT, _write(tmp_path, keys=keys))
    assert r.reason == "KEY_NOT_VALID_AT_TIME"


def test_expired_key_still_verifies_old_packages(trust: TrustMaterial) -> None:
    # The 2023/2024 key ended 2025-01-29; packages signed before then keep verifying.
    assert _verify(GUNDAM, trust).status is Status.VERIFIED


def test_npm_key_unknown(tmp_path: Path) -> None:
    keys = _keys()
    keys["keys"] = [k for k in keys["keys"] if not k["keyId"].startswith("SHA256:jl3b")]
    assert _verify(GUNDAM, _write(tmp_path, keys=keys)).reason == "KEY_UNKNOWN"


def test_npm_key_only_for_signatures(tmp_path: Path) -> None:
    keys = _keys()
    keys["keys"] = [k for k in keys["keys"] if k["keyUsage"] == "npm:signatures"]
    assert _verify(GUNDAM, _write(tmp_path, keys=keys)).reason == "KEY_UNKNOWN"


def test_npm_key_id_bound_to_key(tmp_path: Path) -> None:
    # The hint selects the key: the other (valid) registry key under jl3b's id fails.
    keys = _keys()
    other = next(k for k in keys["keys"] if k["keyId"].startswith("SHA256:DhQ8"))
    for k in keys["keys"]:
        if k["keyId"].startswith("SHA256:jl3b"):
            k["publicKey"]["rawBytes"] = other["publicKey"]["rawBytes"]
    assert _verify(GUNDAM, _write(tmp_path, keys=keys)).reason == "DSSE_SIGNATURE"


def test_unknown_tlog(tmp_path: Path) -> None:
    root = _root()
    root["tlogs"] = [t for t in root["tlogs"] if "log2025" in t["baseUrl"]]
    r = _verify(GUNDAM, _write(tmp_path, root=root))
    assert r.reason == "LOG_UNKNOWN"


def test_tlog_window(tmp_path: Path) -> None:
    root = _root()
    root["tlogs"][0]["publicKey"]["validFor"]["end"] = "2024-01-01T00:00:00Z"
    r = _verify(GUNDAM, _write(tmp_path, root=root))
    assert r.reason == "LOG_UNKNOWN"
    assert _verify(SIGSTORE_100, _write(tmp_path, root=root)).status is Status.VERIFIED


def test_fulcio_ca_window(tmp_path: Path) -> None:
    root = _root()
    for ca in root["certificateAuthorities"]:
        ca["validFor"]["end"] = "2023-01-01T00:00:00Z"
    r = _verify(GUNDAM, _write(tmp_path, root=root))
    assert r.reason == "CERT_CHAIN"


def test_fulcio_ca_missing(tmp_path: Path) -> None:
    root = _root()
    root["certificateAuthorities"] = root["certificateAuthorities"][:1]
    assert _verify(GUNDAM, _write(tmp_path, root=root)).reason == "CERT_CHAIN"


def test_ct_log_missing_or_expired(tmp_path: Path) -> None:
    root = _root()
    root["ctlogs"] = root["ctlogs"][:1]
    assert _verify(GUNDAM, _write(tmp_path, root=root)).reason == "SCT"
    root = _root()
    root["ctlogs"][1]["publicKey"]["validFor"]["end"] = "2023-01-01T00:00:00Z"
    assert _verify(GUNDAM, _write(tmp_path, root=root)).reason == "SCT"


def test_ct_log_key_swapped(tmp_path: Path) -> None:
    root = _root()
    root["ctlogs"][1]["publicKey"]["rawBytes"] = root["ctlogs"][0]["publicKey"]["rawBytes"]
    assert _verify(GUNDAM, _write(tmp_path, root=root)).reason == "SCT"


def test_rekor_key_swapped(tmp_path: Path) -> None:
    root = _root()
    other = root["ctlogs"][1]["publicKey"]["rawBytes"]  # a valid P-256 key, not Rekor's
    root["tlogs"][0]["publicKey"]["rawBytes"] = other
    r = _verify(GUNDAM, _write(tmp_path, root=root))
    # logId no longer equals SHA-256(SPKI), so it is no Rekor v1 log: no SET is trusted,
    # and the checkpoint (origin, key) does not verify either.
    assert r.reason in {"SET_INVALID", "CHECKPOINT"}
    root = _root()
    root["tlogs"][0]["publicKey"]["rawBytes"] = other
    root["tlogs"][0]["logId"]["keyId"] = root["ctlogs"][1]["logId"]["keyId"]
    assert _verify(GUNDAM, _write(tmp_path, root=root)).reason == "LOG_UNKNOWN"


def _sigstore_accepts(path: Path) -> bool:
    from sigstore.models import TrustedRoot

    try:
        TrustedRoot.from_file(str(path))
    except Exception:
        return False
    return True


def _root_variants() -> list[tuple[str, Any]]:
    def edit(change: Any) -> dict[str, Any]:
        root = _root()
        change(root)
        return root

    return [
        ("valid", _root()),
        ("no tlog logId", edit(lambda r: r["tlogs"][0].pop("logId"))),
        ("unknown media type", edit(lambda r: r.update(mediaType=r["mediaType"] + "x"))),
        (
            "v0.2 media type",
            edit(
                lambda r: r.update(mediaType="application/vnd.dev.sigstore.trustedroot.v0.2+json")
            ),
        ),
        ("no media type", edit(lambda r: r.pop("mediaType"))),
        ("tlogs not a list", edit(lambda r: r.update(tlogs={}))),
        ("bad validFor", edit(lambda r: r["tlogs"][0]["publicKey"].update(validFor=7))),
        ("unknown key", edit(lambda r: r.update(surprise=1))),
        ("not an object", [1, 2]),
    ]


@pytest.mark.parametrize("label,root", _root_variants(), ids=[v[0] for v in _root_variants()])
def test_sigstore_trusted_root_contract(tmp_path: Path, label: str, root: Any) -> None:
    """The schema check of a user-supplied root uses sigstore's trusted-root model without
    importing `sigstore.models` (sigstore==4.5.1 pinned): it must accept and reject exactly
    the roots `sigstore.models.TrustedRoot.from_file` does."""
    from auditor.verify.trust import check_trusted_root

    path = tmp_path / "trusted_root.json"
    path.write_text(json.dumps(root))
    try:
        check_trusted_root(path)
        ours = True
    except TrustError as exc:
        assert str(exc).startswith(f"invalid trusted root {path}: ")
        assert "\n" not in str(exc) and len(str(exc)) < 400
        ours = False
    assert ours == _sigstore_accepts(path)


def test_sigstore_trusted_root_media_types_contract() -> None:
    from sigstore.models import TrustedRoot

    from auditor.verify.trust import SIGSTORE_ROOT_MEDIA_TYPES

    assert {t.value for t in TrustedRoot.TrustedRootType} == SIGSTORE_ROOT_MEDIA_TYPES
    assert _sigstore_accepts(TRUST / "trusted_root.json")


def test_user_supplied_root_failing_the_schema_is_a_trust_error(tmp_path: Path) -> None:
    root = _root()
    del root["tlogs"][0]["logId"]
    with pytest.raises(TrustError, match="invalid trusted root"):
        _write(tmp_path, root=root)


def test_trust_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    root = _root()
    del root["tlogs"][0]["logId"]
    path = tmp_path / "trusted_root.json"
    path.write_text(json.dumps(root))
    with pytest.raises(TrustError) as info:
        load_trust(path, TRUST / "npm-registry-keys.json", schema_check=False)
    assert str(info.value) == f"invalid trusted root {path}: missing 'logId'"
    keys = tmp_path / "keys.json"
    keys.write_text("{not json")
    with pytest.raises(TrustError, match=f"invalid npm keys {keys}: not JSON"):
        load_trust(None, keys)
