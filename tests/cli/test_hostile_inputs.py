"""Hostile configuration, lockfile URLs, redirects and policy numbers through the CLI: one
line and exit 2 for input errors, a per-package status for a package, never a traceback or
the findings code 1; and no environment value or credential in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.cli import main
from tests.engine.scenario import PLACEHOLDER, kit
from tests.support.registry import (
    Fault,
    RegistryData,
    running_registry,
    sri_sha512,
    tarball_filename,
)

TOKEN = "npm_S3cretTokenValue0123456789"


def _lockfile(directory: Path, **resolved: str) -> Path:
    packages: dict[str, object] = {"": {"name": "app", "version": "1.0.0"}}
    for name, url in resolved.items():
        packages[f"node_modules/{name}"] = {
            "version": "1.0.0",
            "resolved": url,
            "integrity": sri_sha512(f"{name}@1.0.0".encode()),
        }
    path = directory / "package-lock.json"
    doc = {"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    path.write_text(json.dumps(doc))
    return path


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_usage_error(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("audit: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


# ---------------------------------------------------------------- secrets (sub-point 3)


@pytest.mark.parametrize(
    "npmrc",
    [
        "registry=${NODE_AUTH_TOKEN}\n",
        "registry=ftp://${NODE_AUTH_TOKEN}@example.test/\n",
        "registry=https://[${NODE_AUTH_TOKEN}/\n",
        "@acme:registry=${NODE_AUTH_TOKEN}\nregistry=http://127.0.0.1:9/\n",
    ],
)
def test_an_npmrc_error_never_prints_the_environment_value(
    npmrc: str,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NODE_AUTH_TOKEN", TOKEN)
    (tmp_path / ".npmrc").write_text(npmrc)
    lock = _lockfile(tmp_path, a=f"{PLACEHOLDER}/a/-/a-1.0.0.tgz")
    code, out, err = _run(capsys, [str(lock), "--no-cache", "-v"])
    assert TOKEN not in out + err
    _one_line_usage_error(code, err)


def test_verbose_notes_and_reports_never_print_the_environment_value(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NODE_AUTH_TOKEN", TOKEN)
    with running_registry(RegistryData()) as reg:
        (tmp_path / ".npmrc").write_text(f"registry={reg.url}/${{NODE_AUTH_TOKEN}}/\n")
        lock = _lockfile(tmp_path, a=f"{reg.url}/{TOKEN}/a/-/a-1.0.0.tgz")
        md = tmp_path / "report.md"
        code, out, err = _run(
            capsys, [str(lock), "--no-cache", "-v", "--format", "json", "--markdown", str(md)]
        )
    assert "audit: registry " in err  # the -v note names the registry, masked
    for text in (out, err, md.read_text()):
        assert TOKEN not in text
    assert code == 0, err  # the registry has nothing: unattested, which the default allows


# ------------------------------------------------- bad IPv6 literals and ports (sub-point 5)


@pytest.mark.parametrize(
    "registry", ["http://[::1/", "http://127.0.0.1:99999/", "https://[zz::1]/", "http://h:x/"]
)
def test_a_bad_registry_url_in_npmrc_is_one_line_exit_2(
    registry: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".npmrc").write_text(f"registry={registry}\n")
    lock = _lockfile(tmp_path, a=f"{PLACEHOLDER}/a/-/a-1.0.0.tgz")
    code, _, err = _run(capsys, [str(lock), "--no-cache"])
    _one_line_usage_error(code, err)


@pytest.mark.parametrize(
    "resolved",
    [
        "http://[::1/bad/-/bad-1.0.0.tgz",
        "http://127.0.0.1:99999/bad/-/bad-1.0.0.tgz",
        "https://[::1]:0x50/bad/-/bad-1.0.0.tgz",
    ],
)
def test_a_bad_resolved_url_is_a_package_error_not_a_crash(
    resolved: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_registry(RegistryData()) as reg:
        lock = _lockfile(tmp_path, bad=resolved)
        code, out, err = _run(
            capsys, [str(lock), "--no-cache", "--registry", reg.url, "--format", "json"]
        )
    assert "Traceback" not in err
    (pkg,) = json.loads(out)["packages"]
    assert (pkg["status"], pkg["reason"]) == ("error", "RESOLVED_INVALID")
    assert code == 3  # incomplete, never 1 (findings) or 0


@pytest.mark.parametrize(
    "location", ["http://[::1/x", "http://127.0.0.1:99999/x", "https://[v1.x]:7/", "//[::1"]
)
def test_a_bad_redirect_location_is_a_fetch_error(
    location: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    k = kit()
    root, keys = k.write_trust(tmp_path / "trust")
    data = RegistryData(signer=k.sign_registry)
    tarball = b"a@1.0.0"
    body = k.attestations("a", "1.0.0", sri_sha512(tarball))
    data.add_version("a", "1.0.0", tarball=tarball, attestations=body)
    with running_registry(data) as reg:
        reg.inject(Fault.redirect(location))
        lock = _lockfile(tmp_path, a=f"{reg.url}/a/-/{tarball_filename('a', '1.0.0')}")
        trust = ["--trusted-root", str(root), "--npm-keys", str(keys)]
        argv = [str(lock), "--no-cache", "--registry", reg.url, "--format", "json", *trust]
        code, out, err = _run(capsys, argv)
    assert "Traceback" not in err
    (pkg,) = json.loads(out)["packages"]
    assert pkg["status"] == "error" and pkg["reason"].startswith("FETCH_")
    assert code == 3


# ------------------------------------------------------- huge numbers in the policy


# As TOML text: integers too large for 64 bits, for a float, or for Python's int-to-text
# conversion (4,300 digits by default).
HUGE = st.builds(
    lambda sign, first, digits: sign + first + "0" * digits,
    st.sampled_from(["", "-", "+"]),
    st.sampled_from(list("123456789")),
    st.one_of(st.integers(min_value=20, max_value=400), st.sampled_from([309, 4300, 5000])),
)
NUMBER_KEYS = [
    "[release_age]\ndays = {n}\n",
    "[coverage]\noverall = {n}\n",
    "[trust_downgrade]\nignore_after = {n}\n",
    '[[identity]]\npackages = ["*"]\nrepository_ids = [{n}]\n',
    '[[identity]]\npackages = ["*"]\nowner_ids = [{n}]\n',
    "concurrency = {n}\n",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(template=st.sampled_from(NUMBER_KEYS), number=HUGE)
def test_huge_integers_in_the_policy_are_one_line_exit_2(
    template: str, number: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("version = 1\n" + template.format(n=number))
    code, _, err = _run(capsys, ["policy", "check", str(policy)])
    _one_line_usage_error(code, err)
    assert len(err) < 600


def test_verbose_notes_show_escape_sequences_from_npmrc_as_text(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The registry URL comes from the pull request's .npmrc: its `-v` note must neither run
    terminal escapes nor start a workflow command."""
    with running_registry(RegistryData()) as reg:
        (tmp_path / ".npmrc").write_text(f"registry={reg.url}/\x1b]0;pwned\x07##[error]x/\n")
        lock = _lockfile(tmp_path, a=f"{PLACEHOLDER}/a/-/a-1.0.0.tgz")
        _, _, err = _run(capsys, [str(lock), "--no-cache", "-v", "--format", "json"])
    assert "audit: registry " in err
    assert "\x1b" not in err and "\x07" not in err and "##[" not in err
    assert "\\x1b]0;pwned\\x07" in err  # shown, not run
