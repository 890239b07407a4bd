"""Export in the npm-audit-signatures rig's data layout."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.export import main


def test_export_generated_set(tmp_path: Path) -> None:
    out = tmp_path / "set"
    assert main([str(out), "--packages", "25", "--seed", "3", "--formats", "v0.2,v0.3"]) == 0
    rows = json.loads((out / "manifest.json").read_text())["packages"]
    assert len(rows) == 25
    keys = json.loads((out / "keys.json").read_text())["keys"]
    assert keys[0]["keytype"] == "ecdsa-sha2-nistp256" and keys[0]["keyid"].startswith("SHA256:")
    for row in rows:
        enc = row["name"].replace("/", "%2f")
        pack = json.loads((out / "packuments" / f"{enc}.json").read_text())
        dist = pack["versions"][row["version"]]["dist"]
        assert dist["integrity"] == row["integrity"]
        assert dist["tarball"].startswith("{{REGISTRY}}/" + row["name"] + "/-/")
        assert dist["signatures"][0]["keyid"] == keys[-1]["keyid"]  # the current key
        file = dist["tarball"].rsplit("/", 1)[1]
        assert (out / "tarballs" / enc / file).is_file()
        att = out / "attestations" / f"{enc}@{row['version']}.json"
        assert att.is_file() == row["attested"]
        if row["attested"]:
            assert dist["attestations"]["url"] == (
                f"{{{{REGISTRY}}}}/-/npm/v1/attestations/{enc}@{row['version']}"
            )
    project = json.loads((out / "project" / "package.json").read_text())
    assert project["dependencies"]
    assert (out / "trusted_root.json").is_file() and (out / "npm-registry-keys.json").is_file()
    assert not (tmp_path / "set.tmp").exists()


def test_export_real_set(tmp_path: Path) -> None:
    out = tmp_path / "real"
    assert main([str(out), "--real", "invalidsigprov"]) == 0
    rows = json.loads((out / "manifest.json").read_text())["packages"]
    assert sum(r["expected"] == "invalid" for r in rows) == 5
    keys = {k["keyid"] for k in json.loads((out / "keys.json").read_text())["keys"]}
    assert "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA" in keys
    deps = json.loads((out / "project" / "package.json").read_text())["dependencies"]
    assert deps["sigstore-v1.0.0"] == "npm:sigstore@1.0.0"


def test_export_rejects_bad_arguments(tmp_path: Path) -> None:
    assert main([str(tmp_path / "x"), "--formats", "v9"]) == 2
    assert main([str(tmp_path / "y"), "--mix", "nonsense=1"]) == 2
