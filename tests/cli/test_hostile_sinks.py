"""Attacker text through every sink: a forged lockfile and a registry that serves validly
signed attestations whose signer identity is hostile text.

Each sink interprets something (see `auditor.sanitize`): the terminal runs escape
sequences, the GitHub Actions runner runs `::command::` lines (after leading spaces) and
`##[command]` anywhere in a line, GitHub's Markdown links `www.` text, URLs and e-mail
addresses and mentions `@handles`, SARIF messages hold embedded links `[text](id)`.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from auditor.cli import main
from tests.engine.scenario import PLACEHOLDER, kit
from tests.support.kit import SignerIdentity
from tests.support.registry import RegistryData, running_registry, sri_sha512, tarball_filename

# What GitHub's runner takes as a command: a line whose trimmed start is `::name...::`, or
# `##[name...]` anywhere (actions/runner ActionCommand.TryParseV2 / TryParse).
V2_COMMAND = re.compile(r"^\s*::[^:\s]*(?: [^:]*)?::", re.MULTILINE)
V1_COMMAND = "##["
LINKY = re.compile(r"www\.|https?://|@[A-Za-z]")

HOSTILE_REF = (
    "refs/heads/main ::add-mask::hunter2 ##[error file=x.js]forged annotation "
    "::stop-commands::tok \x1b]0;pwned\x07 \x1b[2J www.evil-link.test @octocat "
    "[click](1) <img src=x onerror=alert(1)> ::warning::w1 ::warning::w2 ::warning::w3 "
    "::warning::w4 ::warning::w5 ::warning::w6 ::warning::w7 ::warning::w8"
)
HOSTILE_IDENTITY = SignerIdentity.github(
    "evil/widget", ref=HOSTILE_REF, workflow_path=".github/workflows/##[group]x.yml"
)
POLICY = """version = 1
[[identity]]
packages = ["*"]
refs = ["refs/tags/*"]
"""


@pytest.fixture
def hostile_project(tmp_path: Path) -> tuple[RegistryData, Path, list[str]]:
    k = kit()
    root, keys = k.write_trust(tmp_path / "trust")
    data = RegistryData(signer=k.sign_registry)
    packages: dict[str, dict[str, object]] = {"": {"name": "project", "version": "1.0.0"}}
    for name in ("www.evil-link.test", "@octocat/widget"):
        tarball = f"{name}@1.0.0".encode()
        sri = sri_sha512(tarball)
        body = k.attestations(name, "1.0.0", sri, identity=HOSTILE_IDENTITY)
        data.add_version(name, "1.0.0", tarball=tarball, attestations=body)
        packages[f"node_modules/{name}"] = {
            "version": "1.0.0",
            "resolved": f"{PLACEHOLDER}/{name}/-/{tarball_filename(name, '1.0.0')}",
            "integrity": sri,
        }
    project = tmp_path / "proj"
    project.mkdir()
    lock = project / "package-lock.json"
    doc = {"name": "project", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    lock.write_text(json.dumps(doc))
    policy = project / "policy.toml"
    policy.write_text(POLICY)
    args = [str(lock), "--policy", str(policy), "--trusted-root", str(root)]
    return data, project, [*args, "--npm-keys", str(keys), "--no-cache"]


def _audit(
    data: RegistryData, args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str, dict[str, str]]:
    files = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "sarif", "markdown")}
    outputs = [a for fmt, path in files.items() for a in (f"--{fmt}", str(path))]
    with running_registry(data) as reg:
        code = main([*args, "--registry", reg.url, "-v", *outputs])
    out, err = capsys.readouterr()
    assert code == 1, err
    return code, out, err, {fmt: path.read_text() for fmt, path in files.items()}


def _no_runner_command(text: str) -> None:
    assert V1_COMMAND not in text
    assert not V2_COMMAND.search(text), V2_COMMAND.search(text)


def test_terminal_and_actions_log_sinks(
    hostile_project: tuple[RegistryData, Path, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, _, args = hostile_project
    code, out, err, _ = _audit(data, [*args, "--format", "text"], tmp_path, capsys)
    assert code == 1  # the identity findings: the hostile text is in the report
    assert "identity-ref" in out and "add-mask" in out and "evil-link" in out
    for stream in (out, err):
        assert "\x1b" not in stream and "\x07" not in stream
        _no_runner_command(stream)
    assert "\\x1b]0;pwned\\x07" in out  # visible, not executed


def test_json_on_stdout_keeps_values_and_runs_nothing(
    hostile_project: tuple[RegistryData, Path, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, _, args = hostile_project
    _, out, _, files = _audit(data, [*args, "--format", "json"], tmp_path, capsys)
    for text in (out, files["json"], files["sarif"]):
        _no_runner_command(text)
    doc = json.loads(out)
    refs = {p["identity"]["ref"] for p in doc["packages"]}
    assert refs == {HOSTILE_REF}  # the JSON value itself is exact


def test_markdown_sink_links_and_mentions_nothing(
    hostile_project: tuple[RegistryData, Path, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, _, args = hostile_project
    _, out, _, files = _audit(data, [*args, "--format", "markdown"], tmp_path, capsys)
    for text in (out, files["markdown"]):
        _no_runner_command(text)
        assert "<img" not in text and "\x1b" not in text
        # Outside <code> nothing from the registry or lockfile; inside, no raw link text.
        outside = re.sub(r"<code>.*?</code>", "", text)
        assert not LINKY.search(outside), LINKY.search(outside)
        for span in re.findall(r"<code>(.*?)</code>", text):
            assert not LINKY.search(span) and "`" not in span and "|" not in span
    # Rendered, the cells read (and copy) as the values: no zero-width characters.
    spans = [html.unescape(s) for s in re.findall(r"<code>(.*?)</code>", files["markdown"])]
    assert "www.evil-link.test@1.0.0" in spans and "@octocat/widget@1.0.0" in spans
    assert not any(ch in s for s in spans for ch in "\u200b\u200c\u200d\u2060\ufeff")


def test_sarif_sink_messages_hold_no_links_or_controls(
    hostile_project: tuple[RegistryData, Path, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, _, args = hostile_project
    _, _, _, files = _audit(data, [*args, "--format", "text"], tmp_path, capsys)
    doc = json.loads(files["sarif"])
    messages = [r["message"]["text"] for r in doc["runs"][0]["results"]]
    assert any("[click]" in m.replace("\\[", "[").replace("\\]", "]") for m in messages)
    for m in messages:
        assert not re.search(r"(?<!\\)\[", m)  # every bracket escaped: no embedded link
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", m)
