"""The identity lock file: recording, the file format, strict loading and the comparison."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.models import Evidence, PackageResult, Packument, Status, VersionInfo
from auditor.signals.identity_lock import (
    IDENTITY_KEYS,
    IdentityLock,
    IdentityLockError,
    LockedIdentity,
    check,
    describe,
    differences,
    dump_lock,
    load_lock,
    observed,
    parse_lock,
    record,
)
from tests.policy._helpers import identity, result, verified
from tests.signals._real import real_result


def _lock_of(*results: PackageResult) -> IdentityLock:
    return parse_lock(dump_lock(record(results)).encode(), "lock.json")


# ------------------------------------------------------------------ real attestations


def test_sigstore_changed_workflow_between_1_0_0_and_2_3_1() -> None:
    """sigstore@1.0.0 (2023 certificate: workflow only in the SAN) was published by
    publish.yml at a tag; 2.3.1 by release.yml on main."""
    old, new = real_result("sigstore", "1.0.0"), real_result("sigstore", "2.3.1")
    lock = _lock_of(old)
    (entry,) = lock.packages["sigstore"]
    assert entry.workflow == ".github/workflows/publish.yml"
    assert entry.repository == "https://github.com/sigstore/sigstore-js"
    assert entry.repository_id is None and entry.builder is None  # the certificate predates them
    assert check(lock, old) is None
    got = check(lock, new)
    assert got is not None and got.kind == "changed"
    fields = {d.field: (d.recorded, d.observed) for d in got.differences}
    assert fields["workflow"] == (".github/workflows/publish.yml", ".github/workflows/release.yml")
    assert "repository" not in fields  # same repository; the old certificate has no ids


def test_sigstore_recorded_from_2_3_1_accepts_the_old_certificate_without_ids() -> None:
    """Recorded from a current certificate, a 2023 one lacks the ids: unknown, not changed;
    its workflow and signer (from the SAN) still differ."""
    lock = _lock_of(real_result("sigstore", "2.3.1"))
    got = check(lock, real_result("sigstore", "1.0.0"))
    assert got is not None
    assert [d.field for d in got.differences] == ["workflow", "signer"]
    assert check(lock, real_result("sigstore", "4.0.0")) is None


def test_provenance_npm_test_switched_builder_between_1_0_3_and_1_0_5() -> None:
    name = "@laurentsimon/provenance-npm-test"
    old, new = real_result(name, "1.0.3"), real_result(name, "1.0.5")
    lock = _lock_of(old)
    got = check(lock, new)
    assert got is not None and got.kind == "changed"
    fields = {d.field: (d.recorded, d.observed) for d in got.differences}
    assert fields["builder"] == (
        "https://github.com/actions/runner",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
        "builder_nodejs_slsa3.yml@refs/tags/v1.6.0",
    )
    assert fields["workflow"] == (
        ".github/workflows/release.yml",
        ".github/workflows/release-slsa3.yml",
    )
    assert "repository_id" not in fields and "owner_id" not in fields  # same repository
    assert "builder" in describe(got)


def test_both_versions_recorded_match_either() -> None:
    name = "@laurentsimon/provenance-npm-test"
    old, new = real_result(name, "1.0.3"), real_result(name, "1.0.5")
    lock = _lock_of(old, new)
    assert len(lock.packages[name]) == 2
    assert check(lock, old) is None and check(lock, new) is None


def test_publish_only_is_not_recorded_and_loses_provenance() -> None:
    publish_only = real_result("sigstore", "1.8.0")
    assert publish_only.status is Status.PUBLISH_ONLY
    assert record([publish_only]).packages == {}
    lock = _lock_of(real_result("sigstore", "2.3.1"))
    got = check(lock, publish_only)
    assert got is not None and got.kind == "lost"
    assert got.differences[0].field == "provenance"


# ------------------------------------------------------------------ the file


def test_file_is_sorted_stable_one_line_per_package() -> None:
    results = [
        verified("zeta", ident=identity("https://github.com/z/zeta")),
        verified("@acme/widget"),
        verified("alpha", ident=identity("https://github.com/a/alpha", repository_id="7")),
    ]
    text = dump_lock(record(results))
    assert text == dump_lock(record(list(reversed(results))))
    lines = text.splitlines()
    assert lines[:3] == ["{", '  "lockVersion": 1,', '  "packages": {']
    assert [json.loads("{" + line.rstrip(",") + "}").popitem()[0] for line in lines[3:-2]] == [
        "@acme/widget",
        "alpha",
        "zeta",
    ]
    assert lines[-2:] == ["  }", "}"]
    assert json.loads(text)["packages"]["alpha"][0]["repository_id"] == "7"
    assert list(json.loads(text)["packages"]["alpha"][0]) == list(IDENTITY_KEYS)
    assert text.isascii()


def test_hostile_text_is_written_escaped() -> None:
    repo = "https://github.com/acme/wi\u202edget"
    text = dump_lock(record([verified(ident=identity(repo))]))
    assert text.isascii() and "\\u202e" in text
    assert parse_lock(text.encode(), "l").packages["@acme/widget"][0].repository == repo


def test_update_keeps_other_names_and_replaces_audited_ones() -> None:
    old = record([verified("a"), verified("b")])
    new = record([verified("b", ident=identity(repository_id="9"))], previous=old)
    assert set(new.packages) == {"a", "b"}
    assert new.packages["b"][0].repository_id == "9"


def test_load_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(IdentityLockError, match="identity lock not found"):
        load_lock(tmp_path / "nope.json")


GOOD = {
    "builder": None,
    "issuer": "https://token.actions.githubusercontent.com",
    "level": "provenance",
    "owner_id": "2",
    "repository": "https://github.com/a/b",
    "repository_id": "1",
    "signer": None,
    "workflow": ".github/workflows/r.yml",
}


def _doc(**entry: object) -> bytes:
    return json.dumps({"lockVersion": 1, "packages": {"a": [{**GOOD, **entry}]}}).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not valid JSON"),
        (b"\xff", "not UTF-8"),
        (b"[]", "not a JSON object"),
        (b'{"lockVersion": 2, "packages": {}}', "lockVersion: expected 1"),
        (b'{"lockVersion": true, "packages": {}}', "lockVersion: expected 1"),
        (b'{"lockVersion": 1}', "packages: missing"),
        (b'{"lockVersion": 1, "packages": {}, "x": 1}', "unknown key"),
        (b'{"lockVersion": 1, "packages": {}, "packages": {}}', "duplicate key"),
        (b'{"lockVersion": 1, "packages": {"a": []}}', "non-empty list"),
        (b'{"lockVersion": 1, "packages": {"a": [1]}}', "not an object"),
        (b'{"lockVersion": 1, "packages": {"Bad Name": [{}]}}', "not a valid npm package name"),
        (_doc(repository_id="12x"), "repository_id: not a numeric id"),
        (_doc(owner_id=12), "owner_id: not a string or null"),
        (_doc(level="none"), "level: expected one of"),
        (_doc(level="publish-only"), "level: expected one of"),
        (_doc(issuer=None), "issuer: missing"),
        (_doc(workflow=""), "workflow: empty"),
        (_doc(workflow="a\nb"), "control characters"),
        (_doc(extra="x"), "unknown key"),
        (b'{"lockVersion": 1, "packages": {"a": [{"level": "provenance"}]}}', "missing"),
        (b'{"lockVersion": NaN, "packages": {}}', "not valid JSON"),
        (b"[" * 100000, "not valid JSON"),
    ],
)
def test_malformed_lock_is_one_line_error(data: bytes, message: str) -> None:
    with pytest.raises(IdentityLockError) as info:
        parse_lock(data, "provenance-lock.json")
    text = str(info.value)
    assert message in text and "\n" not in text and text.startswith("provenance-lock.json")
    assert info.value.exit_code == 2


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_fail_in_one_line(data: bytes) -> None:
    try:
        parse_lock(data, "l")
    except IdentityLockError as exc:
        assert "\n" not in str(exc)


_TEXT = st.text(alphabet="abc/:.-_\u202eé", min_size=1, max_size=20)
_value = st.one_of(st.none(), _TEXT)
_ids = st.one_of(st.none(), st.integers(0, 10**12).map(str))
_identities = st.builds(
    LockedIdentity,
    repository=_value,
    repository_id=_ids,
    owner_id=_ids,
    workflow=_value,
    builder=_value,
    signer=_value,
    issuer=_TEXT,
    level=st.sampled_from(
        [Evidence.PROVENANCE, Evidence.TRUSTED_PUBLISHER, Evidence.STAGED_PUBLISH]
    ),
)
_NAMES = st.sampled_from(["a", "b-c", "@s/x", "JSONStream", "z9"])


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_NAMES, st.lists(_identities, min_size=1, max_size=3), max_size=5))
def test_round_trip(packages: dict[str, list[LockedIdentity]]) -> None:
    lock = IdentityLock({k: tuple(v) for k, v in packages.items()})
    text = dump_lock(lock)
    again = parse_lock(text.encode(), "l")
    assert {k: set(v) for k, v in again.packages.items()} == {
        k: set(v) for k, v in packages.items()
    }
    assert dump_lock(again) == text


# ------------------------------------------------------------------ comparing


def test_each_field_change_is_a_difference() -> None:
    base = verified()
    lock = _lock_of(base)
    for over, field in [
        ({"repository_id": "999"}, "repository_id"),
        ({"owner_id": "999"}, "owner_id"),
        (
            {
                "workflow": "https://github.com/acme/widget/.github/workflows/evil.yml@refs/tags/v1.0.0"
            },
            "workflow",
        ),
        ({"builder_id": "https://example.test/builder"}, "builder"),
        (
            {"build_signer": "https://github.com/evil/x/.github/workflows/w.yml@refs/heads/main"},
            "signer",
        ),
        ({"issuer": "https://gitlab.com"}, "issuer"),
    ]:
        got = check(lock, verified(ident=identity(**over)))
        assert got is not None, over
        assert [d.field for d in got.differences] == [field], over


def test_same_ids_renamed_repository_is_not_a_change() -> None:
    lock = _lock_of(verified())
    renamed = identity(
        "https://github.com/acme/widget-renamed",
        workflow="https://github.com/acme/widget-renamed/.github/workflows/release.yml@refs/tags/v1.0.0",
        build_signer="https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v1.0.0",
    )
    assert check(lock, verified(ident=renamed)) is None


def test_repository_compared_without_ids() -> None:
    lock = _lock_of(verified(ident=identity(repository_id=None, owner_id=None)))
    # A current certificate without the ids: recorded nulls are not compared, the URI is.
    got = check(
        lock,
        verified(
            ident=identity("https://github.com/evil/widget", repository_id=None, owner_id=None)
        ),
    )
    assert got is not None and "repository" in [d.field for d in got.differences]


def test_missing_claim_in_a_current_certificate_is_a_change() -> None:
    lock = _lock_of(verified())
    got = check(lock, verified(ident=identity(repository_id=None)))
    assert got is not None
    assert [(d.field, d.observed) for d in got.differences] == [("repository_id", None)]


def test_new_package_and_unjudged_statuses() -> None:
    lock = _lock_of(verified("a"))
    new = check(lock, verified("b"))
    assert new is not None and new.kind == "new" and describe(new) == "not in the identity lock"
    assert check(lock, result(Status.UNATTESTED, "b")) is None  # not recorded, no provenance
    assert check(lock, result(Status.ERROR, "a")) is None  # incomplete reports it
    assert check(lock, result(Status.INVALID, "a")) is None  # attestation-invalid reports it
    lost = check(lock, result(Status.UNATTESTED, "a"))
    assert lost is not None and lost.kind == "lost"


def _tp_packument(name: str, version: str) -> Packument:
    info = VersionInfo(
        version=version, provenance_advertised=True, attestations_advertised=True,
        trusted_publisher=True, trusted_publisher_id="github",
    )  # fmt: skip
    return Packument(name=name, versions={version: info})


def test_level_fall_is_a_difference_and_rise_is_not() -> None:
    tp = verified("a", packument=_tp_packument("a", "1.0.0"))
    plain = verified("a")
    lock = _lock_of(tp)
    assert lock.packages["a"][0].level is Evidence.TRUSTED_PUBLISHER
    got = check(lock, plain)
    assert got is not None
    assert [(d.field, d.recorded, d.observed) for d in got.differences] == [
        ("level", "trusted-publisher", "provenance")
    ]
    assert check(_lock_of(plain), tp) is None


def test_differences_skip_unknown_recorded_values() -> None:
    now = observed(verified())
    assert now is not None
    blank = replace(
        now, repository_id=None, owner_id=None, workflow=None, builder=None, signer=None
    )
    assert differences(blank, now) == []


def test_an_alias_under_a_recorded_name_is_judged_by_that_entry() -> None:
    """Attack: `node_modules/lodash` now installs another package (`npm:evil@1.0.0`). The
    code that loads as lodash must show lodash's recorded identity."""
    lock = _lock_of(verified("lodash"))
    evil_unattested = result(Status.UNATTESTED, "evil", aliases=("lodash",))
    got = check(lock, evil_unattested)
    assert got is not None and (got.kind, got.name) == ("lost", "lodash")
    evil_built = verified("evil", ident=identity("https://github.com/evil/x", repository_id="6"),
                          aliases=("lodash",))  # fmt: skip
    got = check(lock, evil_built)
    assert got is not None and (got.kind, got.name) == ("changed", "lodash")
    # The real lodash under another install name still matches its own entry.
    assert check(lock, verified("lodash", aliases=("lodash-compat",))) is None
