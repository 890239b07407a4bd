"""`audit trust update` against a loopback TUF repository, and `audit` using what it stored
(issue 14).  Sigstore's public TUF mirror is never contacted: every test passes --tuf-url."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.registry.trustupdate import stored_trust, trust_dir
from tests.diff.test_pr_mode import registry_data, write_lockfile
from tests.support.kit import SigstoreKit
from tests.support.registry import running_registry
from tests.support.tuf import KEYS_TARGET, TufRepository, serving


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed=8)


@pytest.fixture
def material(kit: SigstoreKit, tmp_path: Path) -> tuple[bytes, bytes]:
    """The test Sigstore's trust material (not the pinned one): only it verifies the kit."""
    root, keys = kit.write_trust(tmp_path / "kit-trust")
    return root.read_bytes(), keys.read_bytes()


def update(url: str, root: Path, *extra: str) -> int:
    return main(["trust", "update", "--tuf-url", url, "--tuf-root", str(root), "-q", *extra])


def test_update_stores_tuf_verified_material_and_audit_uses_it(
    kit: SigstoreKit,
    material: tuple[bytes, bytes],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = TufRepository(*material)
    (tmp_path / "root.json").write_bytes(repo.root_bytes())
    repo.publish(tmp_path / "served")
    with running_registry(registry_data(kit)) as reg:
        lock = write_lockfile(tmp_path / "app" / "package-lock.json", reg.url, {"keep": "1.0.0"})
        audit = [str(lock), "--registry", reg.url, "--no-cache", "-q", "--format", "json"]
        # Before: the pinned material does not know the test Sigstore.
        assert main(audit) == 1
        before = json.loads(capsys.readouterr().out)
        unknown = before["packages"][0]
        assert unknown["status"] == "invalid"  # tampering or old trust: still invalid
        assert "the trust material may be out of date: run 'audit trust update'" in str(unknown)
        assert {t["source"] for t in before["trust_material"].values()} == {"pinned"}

        with serving(tmp_path / "served") as url:
            code = update(url, tmp_path / "root.json", "--npm-keys-target", KEYS_TARGET)
        assert code == 0
        stored = stored_trust()
        assert stored is not None and stored.tuf_url == url
        assert stored.trusted_root.read_bytes() == material[0]
        assert stored.npm_keys.read_bytes() == material[1]

        assert main(audit) == 0
        after = json.loads(capsys.readouterr().out)
        assert after["packages"][0]["status"] == "verified"
        trust = after["trust_material"]
        assert trust["trusted_root"] == {
            "source": "refreshed",
            "path": str(stored.trusted_root),
            "date": stored.updated_at,
        }
        assert trust["npm_keys"]["source"] == "refreshed"
        # The text report says it too; an option still wins over the stored copy.
        assert (
            main(
                [*audit[:-2], "--npm-keys", str(tmp_path / "kit-trust" / "npm-registry-keys.json")]
            )
            == 0
        )
        text = capsys.readouterr().out
        assert f"trusted root: refreshed {stored.updated_at} (" in text
        assert "npm keys: option " in text


def test_target_that_does_not_match_its_metadata_is_not_stored(
    material: tuple[bytes, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = TufRepository(*material)
    (tmp_path / "root.json").write_bytes(repo.root_bytes())
    forged = material[0].replace(b'"', b" ", 0) + b" "
    repo.publish(tmp_path / "served", served={"trusted_root.json": forged})
    with serving(tmp_path / "served") as url:
        code = update(url, tmp_path / "root.json", "--npm-keys-target", KEYS_TARGET)
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert err.startswith(f"audit: error: TUF update from {url} failed")
    assert stored_trust() is None and not (trust_dir() / "trusted_root.json").exists()


def test_repository_signed_by_another_root_is_refused(
    material: tuple[bytes, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    honest, attacker = TufRepository(*material), TufRepository(*material)
    (tmp_path / "root.json").write_bytes(honest.root_bytes())
    attacker.publish(tmp_path / "served")
    with serving(tmp_path / "served") as url:
        assert update(url, tmp_path / "root.json", "--npm-keys-target", KEYS_TARGET) == 2
    assert "failed" in capsys.readouterr().err
    assert stored_trust() is None


def test_expired_metadata_is_refused(
    material: tuple[bytes, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = TufRepository(*material, expires_in=-1)
    (tmp_path / "root.json").write_bytes(repo.root_bytes())
    repo.publish(tmp_path / "served")
    with serving(tmp_path / "served") as url:
        assert update(url, tmp_path / "root.json", "--npm-keys-target", KEYS_TARGET) == 2
    assert "expired" in capsys.readouterr().err.lower()
    assert stored_trust() is None


def test_material_the_verifier_rejects_is_not_stored(
    tmp_path: Path, material: tuple[bytes, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = TufRepository(b"{}", material[1])  # TUF-valid, but not a trusted root
    (tmp_path / "root.json").write_bytes(repo.root_bytes())
    repo.publish(tmp_path / "served")
    with serving(tmp_path / "served") as url:
        assert update(url, tmp_path / "root.json", "--npm-keys-target", KEYS_TARGET) == 2
    assert capsys.readouterr().err.startswith("audit: error:")
    assert stored_trust() is None


def test_npm_keys_role_is_found_by_the_registry_host_digest(
    material: tuple[bytes, bytes],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = TufRepository(*material)
    (tmp_path / "root.json").write_bytes(repo.root_bytes())
    repo.publish(tmp_path / "served")
    with serving(tmp_path / "served") as url:
        # The test repository's role is not the public registry's: not guessed.
        assert update(url, tmp_path / "root.json") == 2
        assert "delegates no role for the npm registry's keys" in capsys.readouterr().err
        # With the digest of the test host standing in for the registry's, it is found.
        import hashlib

        import auditor.registry.config as config

        digest = hashlib.sha256(KEYS_TARGET.split("/")[0].encode()).hexdigest()
        monkeypatch.setattr(config, "_PUBLIC_REGISTRY_HOST_SHA256", digest)
        assert update(url, tmp_path / "root.json") == 0
    state: Any = json.loads((trust_dir() / "trust.json").read_text())
    assert state["targets"]["npm-registry-keys.json"] == KEYS_TARGET


def test_unknown_repository_needs_a_root(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trust", "update", "--tuf-url", "http://127.0.0.1:9", "-q"]) == 2
    assert "--tuf-root is needed" in capsys.readouterr().err


def test_corrupt_stored_copy_falls_back_to_the_pinned_material(
    material: tuple[bytes, bytes], tmp_path: Path
) -> None:
    repo = TufRepository(*material)
    (tmp_path / "root.json").write_bytes(repo.root_bytes())
    repo.publish(tmp_path / "served")
    with serving(tmp_path / "served") as url:
        assert update(url, tmp_path / "root.json", "--npm-keys-target", KEYS_TARGET) == 0
    assert stored_trust() is not None
    (trust_dir() / "trusted_root.json").write_bytes(b"{}")  # no longer what TUF verified
    assert stored_trust() is None


def _store(root: bytes, keys: bytes, url: str) -> None:
    """A copy a previous `audit trust update` left (as trust.json describes it)."""
    import hashlib

    target = trust_dir()
    target.mkdir(parents=True)
    (target / "trusted_root.json").write_bytes(root)
    (target / "npm-registry-keys.json").write_bytes(keys)
    state = {
        "updated_at": "2026-01-01T00:00:00Z",
        "tuf_url": url,
        "files": {
            "trusted_root.json": hashlib.sha256(root).hexdigest(),
            "npm-registry-keys.json": hashlib.sha256(keys).hexdigest(),
        },
    }
    (target / "trust.json").write_text(json.dumps(state))


@pytest.mark.parametrize(("shift", "source"), [("1999", "pinned"), ("2999", "refreshed")])
def test_public_good_copy_older_than_the_pinned_one_is_not_used(shift: str, source: str) -> None:
    """After a package upgrade the pinned material can be newer than an old refresh."""
    from importlib import resources

    from auditor.registry.trustupdate import DEFAULT_TUF_URL, trust_in_use

    data = resources.files("auditor").joinpath("data")
    root = json.loads(data.joinpath("trusted_root.json").read_bytes())
    keys = json.loads(data.joinpath("npm-registry-keys.json").read_bytes())
    for doc in (root, keys):
        text = json.dumps(doc)
        # Move every validFor.start to the given year: all older, or all newer.
        import re

        doc.clear()
        doc.update(json.loads(re.sub(r'"start": "\d{4}', f'"start": "{shift}', text)))
    _store(json.dumps(root).encode(), json.dumps(keys).encode(), DEFAULT_TUF_URL)
    _, _, files = trust_in_use(None, None)
    assert {f.source for f in files} == {source}
