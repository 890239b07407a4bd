"""npm configuration resolution: precedence, scopes, credentials, secrecy."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import ConfigError
from auditor.models import Package, SourceKind
from auditor.registry.config import (
    NpmConfig,
    Secret,
    encode_name,
    parse_npmrc,
    resolve_npm_config,
    resolved_registry,
)

A = "http://127.0.0.1:4873/"
B = "http://127.0.0.1:4874/"
C = "http://127.0.0.1:4875/"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "HOME": str(tmp_path / "home"),
        "NPM_CONFIG_USERCONFIG": str(tmp_path / "user-npmrc"),
        "NPM_CONFIG_GLOBALCONFIG": str(tmp_path / "global-npmrc"),
        "PATH": "/nonexistent",
    }
    env.update(extra)
    return env


def _never(npm: str, cwd: Path, env: object) -> str | None:
    raise AssertionError("npm must not run")


def test_precedence_cli_env_project_user_global(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (tmp_path / "global-npmrc").write_text("registry=http://127.0.0.1:1/\n")
    env = _env(tmp_path)
    cfg = resolve_npm_config(project, env=env, npm=None)
    assert cfg.registry == "http://127.0.0.1:1/"
    (tmp_path / "user-npmrc").write_text("registry=http://127.0.0.1:2/\n")
    assert resolve_npm_config(project, env=env, npm=None).registry == "http://127.0.0.1:2/"
    (project / ".npmrc").write_text("registry = http://127.0.0.1:3\n")
    assert resolve_npm_config(project, env=env, npm=None).registry == "http://127.0.0.1:3/"
    env["npm_config_registry"] = "http://127.0.0.1:4"
    cfg = resolve_npm_config(project, env=env, npm=None, npm_runner=_never)
    assert (cfg.registry, cfg.origin) == ("http://127.0.0.1:4/", "environment")
    cfg = resolve_npm_config(project, "http://localhost:5/x", env=env, npm=None)
    assert (cfg.registry, cfg.origin) == ("http://localhost:5/x/", "--registry")


def test_upper_case_env_variable(tmp_path: Path) -> None:
    env = _env(tmp_path, NPM_CONFIG_REGISTRY=A)
    assert resolve_npm_config(tmp_path, env=env, npm=None).registry == A


def test_npm_config_get_is_the_last_resort(tmp_path: Path) -> None:
    calls: list[tuple[str, Path]] = []

    def runner(npm: str, cwd: Path, env: object) -> str | None:
        calls.append((npm, cwd))
        return "https://mirror.example.test/npm/\n".strip()

    cfg = resolve_npm_config(tmp_path, env=_env(tmp_path), npm="/fake/npm", npm_runner=runner)
    assert cfg.registry == "https://mirror.example.test/npm/"
    assert cfg.origin == "npm config get registry"
    assert calls == [("/fake/npm", tmp_path)]


def test_nothing_configured_and_no_npm_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_npm_config(tmp_path, env=_env(tmp_path), npm=True)  # PATH has no npm
    assert "--registry" in str(err.value) and "npmrc" in str(err.value)
    assert err.value.exit_code == 2


def test_npm_failure_counts_as_not_configured(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        resolve_npm_config(
            tmp_path, env=_env(tmp_path), npm="/fake/npm", npm_runner=lambda *a: None
        )


@pytest.mark.parametrize(
    "url", ["http://registry.example.test/", "ftp://127.0.0.1/", "not a url", "file:///tmp/x"]
)
def test_insecure_or_bad_registry_urls_are_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError):
        resolve_npm_config(tmp_path, url, env=_env(tmp_path), npm=None)


def test_scoped_registries_and_routing(tmp_path: Path) -> None:
    (tmp_path / ".npmrc").write_text(f"registry={A}\n@acme:registry={B}\n")
    (tmp_path / "user-npmrc").write_text(f"@acme:registry={C}\n@other:registry={C}\n")
    cfg = resolve_npm_config(tmp_path, env=_env(tmp_path), npm=None)
    assert cfg.registry_for_name("@acme/x") == B  # project beats user
    assert cfg.registry_for_name("@other/y") == C
    assert cfg.registry_for_name("plain") == A
    assert cfg.registry_for_name("@nosuch/z") == A


def test_tokens_with_env_expansion_and_longest_prefix(tmp_path: Path) -> None:
    (tmp_path / ".npmrc").write_text(
        "; comment\n# comment\n"
        f"registry={A}\n"
        "//127.0.0.1:4873/:_authToken=${TOKEN_A}\n"
        '//127.0.0.1:4873/private/:_authToken="${TOKEN_P}"\n'
        "//127.0.0.1:4874/:_auth=dXNlcjpwYXNz\n"
        "//127.0.0.1:4875/:username=alice\n"
        "//127.0.0.1:4875/:_password=c2VjcmV0\n"
    )
    env = _env(tmp_path, TOKEN_A="tok-a", TOKEN_P="tok-p")
    cfg = resolve_npm_config(tmp_path, env=env, npm=None)
    assert cfg.auth_header(A + "-/npm/v1/attestations/x@1.0.0") == "Bearer tok-a"
    assert cfg.auth_header(A + "private/x") == "Bearer tok-p"
    assert cfg.auth_header(B + "x") == "Basic dXNlcjpwYXNz"
    assert cfg.auth_header(C + "x") == "Basic YWxpY2U6c2VjcmV0"
    assert cfg.auth_header("http://127.0.0.1:9999/x") is None
    # The secret never shows in a repr (reports, logs, tracebacks).
    assert "tok-a" not in repr(cfg) and "tok-a" not in str(cfg.credentials)


def test_missing_env_variable_names_the_variable_not_the_line(tmp_path: Path) -> None:
    (tmp_path / ".npmrc").write_text("//h/:_authToken=${NOPE}-secretsuffix\n")
    with pytest.raises(ConfigError) as err:
        resolve_npm_config(tmp_path, A, env=_env(tmp_path), npm=None)
    assert "NOPE" in str(err.value) and "secretsuffix" not in str(err.value)


def test_optional_and_escaped_env_references() -> None:
    out = parse_npmrc("a=${X?}b\nc=\\${Y}\n", {}, "f")
    assert out == {"a": "b", "c": "${Y}"}


def test_userinfo_becomes_basic_auth_and_leaves_the_url(tmp_path: Path) -> None:
    url = "http://bob:pw@127.0.0.1:4873/"
    cfg = resolve_npm_config(tmp_path, url, env=_env(tmp_path), npm=None)
    assert cfg.registry == A
    assert cfg.auth_header(A + "x") == "Basic Ym9iOnB3"


def test_secret_is_masked() -> None:
    s = Secret("hunter2")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s) and s.reveal() == "hunter2"


def _pkg(name: str, resolved: str | None) -> Package:
    return Package(name=name, version="1.0.0", source=SourceKind.REGISTRY, resolved=resolved)


def test_resolved_registry_is_derived_from_tarball_urls() -> None:
    assert resolved_registry("x", A + "x/-/x-1.0.0.tgz") == A
    assert resolved_registry("@s/x", B + "sub/@s/x/-/x-1.0.0.tgz") == B + "sub/"
    assert resolved_registry("x", "git+ssh://h/x.git") is None
    # Old lockfiles recorded http for public hosts: never fetch those in clear text.
    assert resolved_registry("x", "http://reg.example.test/x/-/x-1.tgz") == (
        "https://reg.example.test/"
    )


def test_resolved_other_registry_followed_only_when_configured() -> None:
    cfg = NpmConfig(registry=A, scopes={"@s": B})
    # B is a configured registry: a package resolved there is fetched there.
    assert cfg.registry_for(_pkg("x", B + "x/-/x-1.0.0.tgz")) == B
    # An unknown host named by the lockfile is never contacted.
    assert cfg.registry_for(_pkg("x", "https://evil.example.test/x/-/x-1.0.0.tgz")) == A
    assert cfg.registry_for(_pkg("x", A + "x/-/x-1.0.0.tgz")) == A
    always = NpmConfig(registry=A, scopes={"@s": B}, replace_registry_host="always")
    assert always.registry_for(_pkg("x", B + "x/-/x-1.0.0.tgz")) == A


def test_encode_name() -> None:
    assert encode_name("@scope/pkg") == "@scope%2fpkg"
    assert encode_name("plain") == "plain"


def test_insecure_scoped_registry_is_refused_only_for_its_scope(tmp_path: Path) -> None:
    (tmp_path / ".npmrc").write_text(f"registry={A}\n@corp:registry=http://corp.example.test/\n")
    cfg = resolve_npm_config(tmp_path, env=_env(tmp_path), npm=None)
    url = cfg.registry_for_name("@corp/x")
    assert url == "http://corp.example.test/"
    assert "http" in cfg.refused[url]
    assert cfg.registry_for_name("plain") == A and A not in cfg.refused


def test_npm_config_get_runs_npm_in_the_project_directory(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "npm"
    # Prints the registry and where it ran, as `npm config get registry` would.
    fake.write_text(
        '#!/bin/sh\n[ "$1 $2 $3" = "config get registry" ] || exit 9\n'
        'echo "https://mirror.example.test$(pwd)"\n'
    )
    fake.chmod(0o755)
    project = tmp_path / "proj"
    project.mkdir()
    cfg = resolve_npm_config(project, env=_env(tmp_path, PATH=str(bindir)), npm=True)
    assert cfg.registry == f"https://mirror.example.test{project.resolve()}/"


def test_a_hanging_npm_is_given_up(tmp_path: Path) -> None:
    from auditor.registry.config import npm_config_get_registry

    fake = tmp_path / "npm"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    assert npm_config_get_registry(str(fake), tmp_path, {"PATH": "/usr/bin:/bin"}, 0.2) is None


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_npmrc_parser_never_raises_anything_but_config_error(text: str) -> None:
    try:
        out = parse_npmrc(text, {"X": "1"}, "f")
    except ConfigError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in out.items())


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120), st.text(max_size=120))
def test_registry_routing_never_raises(name: str, resolved: str) -> None:
    cfg = NpmConfig(registry=A, scopes={"@s": B}, credentials={})
    url = cfg.registry_for(
        Package(name=name, version="1", source=SourceKind.REGISTRY, resolved=resolved)
    )
    assert url in (A, B)
