"""In-toto statements: subject binding, publish predicate, provenance-vs-certificate checks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from auditor.models import GITHUB_ISSUER, Identity, strip_ref
from auditor.verify._errors import Reject

PUBLISH_TYPE = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
PROVENANCE_TYPES = frozenset({"https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v1"})
STATEMENT_TYPES = frozenset(
    {"https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"}
)
PAYLOAD_TYPE = "application/vnd.in-toto+json"

BT_V1 = "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"
BT_GHA_V0 = "https://github.com/npm/cli/gha@v0"
BT_GHA_V1 = "https://github.com/npm/cli/gha@v1"
BT_GHA_V2 = "https://github.com/npm/cli/gha/v2"
BT_GITLAB = "https://github.com/npm/cli/gitlab/v0alpha1"
BT_BYOB = "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0"

_BYOB_SIGNER = re.compile(
    r"https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/"
    r"delegator_(lowperms-)?generic_slsa3\.yml@refs/tags/v\d+\.\d+\.\d+"
)
_BYOB_BUILDER = re.compile(
    r"https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/"
    r"[A-Za-z0-9_.-]+\.yml@refs/tags/v\d+\.\d+\.\d+"
)


@dataclass(frozen=True, slots=True)
class Statement:
    predicate_type: str
    subject_name: str
    sha512: str  # lower-case hex
    predicate: dict[str, Any]


def purl(name: str, version: str) -> str:
    """npm-package-arg's purl: only the scope's `@` is percent-encoded."""
    encoded = "%40" + name[1:] if name.startswith("@") else name
    return f"pkg:npm/{encoded}@{version}"


def parse_statement(payload: bytes, label: str) -> Statement:
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError):
        raise Reject("STATEMENT_MALFORMED", f"{label}: DSSE payload is not JSON") from None
    if not isinstance(doc, dict):
        raise Reject("STATEMENT_MALFORMED", f"{label}: statement is not a JSON object")
    stype = doc.get("_type")
    if stype not in STATEMENT_TYPES:
        raise Reject("STATEMENT_MALFORMED", f"{label}: unknown statement _type {str(stype)[:80]!r}")
    ptype = doc.get("predicateType")
    if not isinstance(ptype, str):
        raise Reject("STATEMENT_MALFORMED", f"{label}: statement predicateType missing")
    subjects = doc.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1:
        count = len(subjects) if isinstance(subjects, list) else 0
        raise Reject("SUBJECT_NAME", f"{label}: statement has {count} subjects, expected exactly 1")
    subject = subjects[0]
    if not isinstance(subject, dict) or not isinstance(subject.get("name"), str):
        raise Reject("STATEMENT_MALFORMED", f"{label}: subject has no name")
    digest = subject.get("digest")
    sha512 = digest.get("sha512") if isinstance(digest, dict) else None
    if not isinstance(sha512, str) or not re.fullmatch(r"[0-9a-fA-F]{128}", sha512):
        raise Reject("SUBJECT_DIGEST", f"{label}: subject has no sha512 digest")
    predicate = doc.get("predicate")
    if not isinstance(predicate, dict):
        raise Reject("STATEMENT_MALFORMED", f"{label}: statement predicate is not an object")
    return Statement(ptype, subject["name"], sha512.lower(), predicate)


def check_publish_predicate(st: Statement, name: str, version: str, label: str) -> None:
    """Publish predicate names the package (its `registry` is not evidence of anything)."""
    p = st.predicate
    if p.get("name") != name or p.get("version") != version:
        raise Reject(
            "PUBLISH_PREDICATE",
            f"{label}: publish predicate is for {str(p.get('name'))[:100]!r}@"
            f"{str(p.get('version'))[:40]!r}, expected {name}@{version}",
        )


# --- provenance <-> certificate (spec 3.11) ---------------------------------------------


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


class _Checker:
    def __init__(self, label: str) -> None:
        self.label = label

    def eq(self, field: str, actual: Any, expected: str | None) -> None:
        """The predicate field must equal the certificate value (skipped if unattested)."""
        if expected is None:
            return
        if actual != expected:
            raise Reject(
                "CERT_PREDICATE_MISMATCH",
                f"{self.label}: predicate {field} is {str(actual)[:120]!r}, "
                f"certificate says {expected[:120]!r}",
            )


def _run_parts(invocation: str | None) -> tuple[str | None, str | None]:
    m = re.fullmatch(r".*/actions/runs/(\d+)/attempts/(\d+)", invocation or "")
    return (m.group(1), m.group(2)) if m else (None, None)


def _config_path(identity: Identity) -> str | None:
    return identity.workflow_path if identity.workflow else None


def check_provenance(
    st: Statement, identity: Identity, config_digest: str | None, label: str
) -> Identity:
    """Check the SLSA predicate against the certificate; returns identity + builder facts.

    `builder_id` on the result is the predicate's `builder.id` only where the certificate
    vouches for it (equal to a value derived from its claims, or set by a trusted reusable
    workflow); otherwise None, so that a `builders` pin can never pass on a value the build
    job wrote about itself.
    """
    p = st.predicate
    c = _Checker(label)
    repo = identity.source_repository
    sha = identity.commit
    if repo is None or sha is None:
        raise Reject("CERT_IDENTITY", f"{label}: certificate has no source repository/commit")
    vouched: str | None
    if st.predicate_type == "https://slsa.dev/provenance/v1":
        build_type = _get(p, "buildDefinition", "buildType")
        if build_type != BT_V1:
            raise Reject(
                "BUILD_TYPE_UNKNOWN",
                f"{label}: unsupported SLSA v1 buildType {str(build_type)[:100]!r}",
            )
        vouched = _check_v1(p, identity, c)
    else:
        build_type = _get(p, "buildType")
        if build_type in (BT_GHA_V0, BT_GHA_V1, BT_GHA_V2):
            vouched = _check_gha_v02(p, identity, config_digest, build_type, c)
        elif build_type == BT_BYOB:
            vouched = _check_byob(p, identity, c)
        elif build_type == BT_GITLAB:
            vouched = _check_gitlab(p, identity, c)
        else:
            raise Reject(
                "BUILD_TYPE_UNKNOWN",
                f"{label}: unsupported SLSA v0.2 buildType {str(build_type)[:100]!r}",
            )
    return replace(identity, builder_id=vouched, build_type=build_type)


def _require_github(identity: Identity, c: _Checker) -> None:
    if identity.issuer != GITHUB_ISSUER:
        raise Reject(
            "CERT_PREDICATE_MISMATCH",
            f"{c.label}: GitHub build type but certificate issuer is "
            f"{str(identity.issuer)[:100]!r}",
        )


def _check_v1(p: dict[str, Any], identity: Identity, c: _Checker) -> str | None:
    """Returns the builder id the certificate vouches for: the runner environment (.11)."""
    _require_github(identity, c)
    bd = _get(p, "buildDefinition")
    wf = _get(bd, "externalParameters", "workflow")
    c.eq("workflow.repository", _get(wf, "repository"), identity.source_repository)
    c.eq("workflow.ref", _get(wf, "ref"), identity.ref)
    c.eq("workflow.path", _get(wf, "path"), _config_path(identity))
    gh = _get(bd, "internalParameters", "github")
    if not isinstance(gh, dict):
        raise Reject(
            "CERT_PREDICATE_MISMATCH", f"{c.label}: predicate lacks internalParameters.github"
        )
    extra = set(gh) - {"event_name", "repository_id", "repository_owner_id", "runner_environment"}
    if extra:
        raise Reject(
            "CERT_PREDICATE_MISMATCH",
            f"{c.label}: unattested internalParameters.github keys {sorted(extra)[:5]}",
        )
    c.eq("github.event_name", gh.get("event_name"), identity.trigger)
    c.eq("github.repository_id", gh.get("repository_id"), identity.repository_id)
    c.eq("github.repository_owner_id", gh.get("repository_owner_id"), identity.owner_id)
    deps = _get(bd, "resolvedDependencies")
    if not isinstance(deps, list) or len(deps) != 1:
        raise Reject(
            "CERT_PREDICATE_MISMATCH", f"{c.label}: expected exactly one resolvedDependency"
        )
    c.eq(
        "resolvedDependencies[0].uri",
        _get(deps[0], "uri"),
        f"git+{identity.source_repository}@{identity.ref}",
    )
    c.eq(
        "resolvedDependencies[0].digest.gitCommit",
        _get(deps[0], "digest", "gitCommit"),
        identity.commit,
    )
    c.eq(
        "runDetails.metadata.invocationId",
        _get(p, "runDetails", "metadata", "invocationId"),
        identity.invocation,
    )
    if identity.runner_environment is None:
        return None  # a certificate without .11 vouches for no runner
    runner = "https://github.com/actions/runner/" + identity.runner_environment
    c.eq("runDetails.builder.id", _get(p, "runDetails", "builder", "id"), runner)
    return runner


def _owner_repo(identity: Identity) -> str | None:
    repo = identity.source_repository or ""
    prefix = "https://github.com/"
    return repo[len(prefix) :] if repo.startswith(prefix) else None


def _check_v02_common(
    p: dict[str, Any], identity: Identity, c: _Checker, *, materials_ref_optional: bool
) -> None:
    repo, ref, sha = identity.source_repository, identity.ref, identity.commit
    cs = _get(p, "invocation", "configSource")
    c.eq("configSource.uri", _get(cs, "uri"), f"git+{repo}@{ref}")
    c.eq("configSource.digest.sha1", _get(cs, "digest", "sha1"), sha)
    materials = _get(p, "materials")
    if not isinstance(materials, list) or len(materials) != 1:
        raise Reject("CERT_PREDICATE_MISMATCH", f"{c.label}: expected exactly one material")
    uri = _get(materials[0], "uri")
    if not (materials_ref_optional and uri == f"git+{repo}"):
        c.eq("materials[0].uri", uri, f"git+{repo}@{ref}")
    c.eq("materials[0].digest.sha1", _get(materials[0], "digest", "sha1"), sha)


def _check_github_env(
    p: dict[str, Any], identity: Identity, config_digest: str | None, c: _Checker
) -> None:
    env = _get(p, "invocation", "environment")
    if not isinstance(env, dict):
        raise Reject(
            "CERT_PREDICATE_MISMATCH", f"{c.label}: predicate lacks invocation.environment"
        )
    run_id, attempt = _run_parts(identity.invocation)
    c.eq("GITHUB_EVENT_NAME", env.get("GITHUB_EVENT_NAME"), identity.trigger)
    c.eq("GITHUB_REF", env.get("GITHUB_REF"), identity.ref)
    c.eq("GITHUB_REPOSITORY", env.get("GITHUB_REPOSITORY"), _owner_repo(identity))
    c.eq("GITHUB_SHA", env.get("GITHUB_SHA"), identity.commit)
    c.eq("GITHUB_REPOSITORY_ID", env.get("GITHUB_REPOSITORY_ID"), identity.repository_id)
    c.eq("GITHUB_REPOSITORY_OWNER_ID", env.get("GITHUB_REPOSITORY_OWNER_ID"), identity.owner_id)
    c.eq("GITHUB_RUN_ID", env.get("GITHUB_RUN_ID"), run_id)
    c.eq("GITHUB_RUN_ATTEMPT", env.get("GITHUB_RUN_ATTEMPT"), attempt)
    owner_repo, cfg = _owner_repo(identity), _config_path(identity)
    if owner_repo and cfg and identity.ref:
        c.eq(
            "GITHUB_WORKFLOW_REF",
            env.get("GITHUB_WORKFLOW_REF"),
            f"{owner_repo}/{cfg}@{identity.ref}",
        )
    c.eq("GITHUB_WORKFLOW_SHA", env.get("GITHUB_WORKFLOW_SHA"), config_digest)
    if run_id and attempt:
        c.eq(
            "metadata.buildInvocationId",
            _get(p, "metadata", "buildInvocationId"),
            f"{run_id}-{attempt}",
        )


def _check_gha_v02(
    p: dict[str, Any], identity: Identity, config_digest: str | None, build_type: str, c: _Checker
) -> str | None:
    """`/v2` names the GitHub Actions runner, which a GitHub certificate vouches for;
    `@v0`/`@v1` name the npm CLI version that wrote the predicate, which nothing vouches for."""
    _require_github(identity, c)
    _check_v02_common(p, identity, c, materials_ref_optional=True)
    cs = _get(p, "invocation", "configSource")
    owner_repo, cfg = _owner_repo(identity), _config_path(identity)
    vouched = None
    if build_type == BT_GHA_V2:
        c.eq("configSource.entryPoint", _get(cs, "entryPoint"), cfg)
        vouched = "https://github.com/actions/runner"
        c.eq("builder.id", _get(p, "builder", "id"), vouched)
    elif owner_repo and cfg and identity.ref:
        c.eq(
            "configSource.entryPoint", _get(cs, "entryPoint"), f"{owner_repo}/{cfg}@{identity.ref}"
        )
    meta = _get(p, "metadata")
    completeness = _get(meta, "completeness")
    if not isinstance(completeness, dict | None):  # npm writes an object of booleans
        raise Reject(
            "CERT_PREDICATE_MISMATCH",
            f"{c.label}: npm CLI provenance metadata.completeness is not an object",
        )
    flags = [*(completeness or {}).values(), _get(meta, "reproducible")]
    if any(flag not in (None, False) for flag in flags):
        raise Reject(
            "CERT_PREDICATE_MISMATCH",
            f"{c.label}: npm CLI provenance claims completeness/reproducibility",
        )
    params = _get(p, "invocation", "parameters")
    if params not in (None, {}):
        raise Reject(
            "CERT_PREDICATE_MISMATCH", f"{c.label}: npm CLI provenance has invocation.parameters"
        )
    _check_github_env(p, identity, config_digest, c)
    return vouched


def _check_byob(p: dict[str, Any], identity: Identity, c: _Checker) -> str:
    """The signer is a released slsa-github-generator delegator (a trusted reusable
    workflow that writes the predicate), so its `builder.id` is vouched for."""
    _require_github(identity, c)
    signer = identity.build_signer or identity.san or ""
    if not _BYOB_SIGNER.fullmatch(signer):
        raise Reject(
            "CERT_PREDICATE_MISMATCH",
            f"{c.label}: delegator build type signed by {signer[:120]!r}, "
            "not a slsa-github-generator delegator",
        )
    builder = _get(p, "builder", "id")
    if not isinstance(builder, str) or not _BYOB_BUILDER.fullmatch(builder):
        raise Reject(
            "CERT_PREDICATE_MISMATCH",
            f"{c.label}: builder.id {str(builder)[:120]!r} is not a released generator workflow",
        )
    _check_v02_common(p, identity, c, materials_ref_optional=False)
    c.eq(
        "configSource.entryPoint",
        _get(p, "invocation", "configSource", "entryPoint"),
        _config_path(identity),
    )
    _check_github_env(p, identity, None, c)
    return builder


def _check_gitlab(p: dict[str, Any], identity: Identity, c: _Checker) -> str | None:
    """npm's GitLab predicate.  Its `builder.id` (`<project URL>/-/runners/<runner id>`)
    must lie under the certified project, but the runner id is not in the certificate:
    nothing to vouch for (returns None)."""
    project = identity.source_repository or ""
    issuer = (identity.issuer or "").rstrip("/")
    if identity.issuer == GITHUB_ISSUER or not issuer or not project.startswith(issuer + "/"):
        raise Reject(
            "CERT_PREDICATE_MISMATCH",
            f"{c.label}: GitLab build type but the certificate's issuer "
            f"{str(identity.issuer)[:100]!r} is not the GitLab instance of {project[:100]!r}",
        )
    builder = _get(p, "builder", "id")
    if not (
        isinstance(builder, str)
        and builder.startswith(project + "/-/runners/")
        and re.fullmatch(r"[0-9]{1,20}", builder[len(project) + len("/-/runners/") :])
    ):
        raise Reject(
            "CERT_PREDICATE_MISMATCH",
            f"{c.label}: builder.id {str(builder)[:120]!r} is not a runner of {project[:100]!r}",
        )
    params = _get(p, "invocation", "parameters")
    if not isinstance(params, dict):
        raise Reject(
            "CERT_PREDICATE_MISMATCH", f"{c.label}: GitLab predicate lacks invocation.parameters"
        )
    c.eq("CI_PROJECT_URL", params.get("CI_PROJECT_URL"), identity.source_repository)
    c.eq("CI_COMMIT_SHA", params.get("CI_COMMIT_SHA"), identity.commit)
    c.eq("CI_JOB_URL", params.get("CI_JOB_URL"), identity.invocation)
    c.eq(
        "metadata.buildInvocationId", _get(p, "metadata", "buildInvocationId"), identity.invocation
    )
    c.eq("CI_PIPELINE_SOURCE", params.get("CI_PIPELINE_SOURCE"), identity.trigger)
    c.eq("CI_PROJECT_ID", params.get("CI_PROJECT_ID"), identity.repository_id)
    c.eq("CI_PROJECT_NAMESPACE_ID", params.get("CI_PROJECT_NAMESPACE_ID"), identity.owner_id)
    if identity.ref is not None:
        short = re.sub(r"^refs/(heads|tags)/", "", identity.ref)
        c.eq("CI_COMMIT_REF_NAME", params.get("CI_COMMIT_REF_NAME"), short)
    # Build Config URI (.18) = <project URL>//<CI_CONFIG_PATH>@<ref>
    prefix = f"{identity.source_repository}//"
    if identity.workflow and identity.workflow.startswith(prefix):
        config_path = strip_ref(identity.workflow, identity.ref)[len(prefix) :]
        c.eq("CI_CONFIG_PATH", params.get("CI_CONFIG_PATH"), config_path)
    repo, sha = identity.source_repository, identity.commit
    cs = _get(p, "invocation", "configSource")
    c.eq("configSource.uri", _get(cs, "uri"), f"git+{repo}")
    c.eq("configSource.digest.sha1", _get(cs, "digest", "sha1"), sha)
    materials = _get(p, "materials")
    if not isinstance(materials, list) or len(materials) != 1:
        raise Reject("CERT_PREDICATE_MISMATCH", f"{c.label}: expected exactly one material")
    c.eq("materials[0].uri", _get(materials[0], "uri"), f"git+{repo}")
    c.eq("materials[0].digest.sha1", _get(materials[0], "digest", "sha1"), sha)
    return None
