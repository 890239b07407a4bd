"""`audit policy explain`: the effective policy with every default.

The text form is itself a valid policy (TOML) that loads back to the same effective
policy, with comments for what is not set; the JSON form is for machines.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.errors import UsageError
from auditor.policy.catalog import RULES
from auditor.policy.model import IdentityRule, Policy

_IDENTITY_LISTS = (
    "repositories",
    "repository_ids",
    "owner_ids",
    "issuers",
    "workflows",
    "refs",
    "triggers",
    "deny_triggers",
    "runners",
    "builders",
)


def _identity(block: IdentityRule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "packages": [s.spec for s in block.packages],
        "exclude": [s.spec for s in block.exclude],
        "require_provenance": block.require_provenance,
    }
    for key in _IDENTITY_LISTS:
        out[key] = [str(v) for v in getattr(block, key)]
    out["require_claims"] = list(block.require_claims)
    return out


def policy_dict(policy: Policy) -> dict[str, Any]:
    """The effective policy as plain data (every key, defaults filled in)."""
    cov = policy.coverage
    return {
        "version": policy.version,
        "source": policy.source,
        "summary": policy.summary(),
        "needs_packuments": policy.needs_packuments,
        "rules": {rule: policy.level(rule).value for rule in RULES},
        "provenance": {
            "require": policy.provenance.require,
            "packages": [s.spec for s in policy.provenance.packages],
            "exclude": [s.spec for s in policy.provenance.exclude],
        },
        "coverage": {
            "overall": cov.overall,
            "production": cov.production,
            "development": cov.development,
        },
        "identity": [_identity(b) for b in policy.identity],
        "trust_downgrade": {
            "ignore_after": policy.trust_downgrade.ignore_after,
            "exclude": [s.spec for s in policy.trust_downgrade.exclude],
            "scope": policy.trust_downgrade.scope,
        },
        "identity_lock": {"file": policy.identity_lock.file},
        "publish_burst": {
            "versions": policy.publish_burst.versions,
            "within_minutes": policy.publish_burst.within_minutes,
            "exclude": [s.spec for s in policy.publish_burst.exclude],
        },
        "release_age": {
            "days": policy.release_age.days,
            "exclude": [s.spec for s in policy.release_age.exclude],
        },
        "source_hygiene": {
            "allow_packages": [s.spec for s in policy.source_hygiene.allow_packages],
            "allow_resolved": [g.pattern for g in policy.source_hygiene.allow_resolved],
            "registries": list(policy.source_hygiene.registries),
        },
        "install_script": {"allow": [s.spec for s in policy.install_script.allow]},
        "exceptions": [
            {
                "package": e.package.spec,
                "rules": list(e.rules),
                "reason": e.reason,
                "expires": e.expires.isoformat() if e.expires else None,
            }
            for e in policy.exceptions
        ],
    }


def explain_policy(policy: Policy, fmt: str = "text") -> str:
    """Render the effective policy as `text` (loadable TOML) or `json`; ends with a newline."""
    data = policy_dict(policy)
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    if fmt != "text":
        raise UsageError(f"unknown explain format {fmt!r}; use text or json")
    return _toml(data)


def _str(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _val(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_val(v) for v in value) + "]"
    raise TypeError(type(value).__name__)  # pragma: no cover


def _toml(d: dict[str, Any]) -> str:
    lines = [
        f"# Effective policy: {d['summary']}",
        f"# Needs registry metadata (packuments): {'yes' if d['needs_packuments'] else 'no'}",
        "version = 1",
        "",
        "[rules]  # error | warning | off; always-on rules stay at error",
    ]
    for rule, level in d["rules"].items():
        note = "  # always on" if RULES[rule].always_on else ""
        lines.append(f"{_str(rule)} = {_str(level)}{note}")

    def section(name: str, values: dict[str, Any]) -> None:
        lines.extend(["", f"[{name}]"])
        for key, value in values.items():
            lines.append(f"# {key}: not set" if value is None else f"{key} = {_val(value)}")

    section("provenance", d["provenance"])
    section("coverage", d["coverage"])
    section("trust_downgrade", d["trust_downgrade"])
    if d["identity_lock"]["file"] is not None:
        section("identity_lock", d["identity_lock"])
    else:
        lines.extend(["", "# [identity_lock]: no identity lock (file not set)"])
    section("publish_burst", d["publish_burst"])
    section("release_age", d["release_age"])
    section("source", d["source_hygiene"])
    section("install_script", d["install_script"])
    for block in d["identity"]:
        lines.extend(["", "[[identity]]"])
        for key, value in block.items():
            if isinstance(value, list) and not value:
                empty = key in ("exclude", "require_claims")
                lines.append(f"{key} = []" if empty else f"# {key}: not checked")
            else:
                lines.append(f"{key} = {_val(value)}")
    for exc in d["exceptions"]:
        lines.extend(["", "[[exception]]"])
        lines.append(f"package = {_str(exc['package'])}")
        lines.append(f"rules = {_val(exc['rules'])}")
        lines.append(f"reason = {_str(exc['reason'])}")
        lines.append(f"expires = {exc['expires']}" if exc["expires"] else "# expires: never")
    return "\n".join(lines) + "\n"
