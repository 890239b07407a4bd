"""Command line: the only module that reads argv, prints, or exits.

    audit [LOCKFILE] [options]          audit a lockfile
    audit fetch LOCKFILE --into DIR     record registry responses for --offline
    audit policy check FILE             validate a policy
    audit policy explain FILE           print the effective policy
    audit lock [LOCKFILE] --write FILE  record who builds each dependency (identity lock)
    audit lock [LOCKFILE] --update      refresh the identity lock of the policy

Exit codes: 0 complete and no failing finding; 1 failing findings; 2 usage or input
error; 3 incomplete (a package could not be fetched or decided, and the policy does
not allow that).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from auditor import __version__
from auditor.errors import AuditorError, UsageError
from auditor.models import Lockfile, Report
from auditor.sanitize import console, forget_masks

if TYPE_CHECKING:
    from auditor.diff.baseconfig import BaseConfig
    from auditor.lockfile import LockfileChoice
    from auditor.pipeline import AuditOptions
    from auditor.policy import Policy
    from auditor.signals.identity_lock import IdentityLock

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every error is one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # main() prefixes "audit: error: "; name only a sub-command ("audit fetch: ...").
        raise UsageError(message if self.prog == "audit" else f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 1024:
        raise argparse.ArgumentTypeError("must be between 1 and 1024")
    return value


def _add_registry_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--registry",
        metavar="URL",
        help="npm registry base URL (default: npm's configuration: env, .npmrc, npm config)",
    )
    p.add_argument(
        "--concurrency",
        type=_positive_int,
        metavar="N",
        help="requests in flight at most (default: 128)",
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="response cache directory (default: the user cache directory)",
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


def _add_output_noise_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="nothing on stderr but errors (and the summary line when the exit code is not 0)",
    )
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="notes on stderr (stdout unchanged)"
    )
    p.add_argument(
        "--log-level",
        choices=tuple(LOG_LEVELS),
        default=None,
        help="what goes to stderr besides errors: debug (-vv), info (-v), warning (default), "
        "error (-q)",
    )


def _check_noise(args: argparse.Namespace, prog: str) -> None:
    where = "" if prog == "audit" else f"{prog}: "  # main() prefixes "audit: error: "
    if args.quiet and args.verbose:
        raise UsageError(f"{where}-q/--quiet and -v/--verbose cannot be used together")
    if args.log_level is not None and (args.quiet or args.verbose):
        raise UsageError(f"{where}--log-level cannot be used with -q/--quiet or -v/--verbose")


# --log-level and the -v/-q counts it stands for (-vv: debug).
LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
              "error": logging.ERROR}  # fmt: skip


def _log_level(args: argparse.Namespace) -> int:
    """The stdlib logging level of a command; `--log-level` also sets -v/-q's behaviour
    (notes and evidence at info and debug, only errors and the failing summary at error)."""
    explicit = getattr(args, "log_level", None)
    if explicit is not None:
        level = LOG_LEVELS[explicit]
        args.verbose = 2 if level <= logging.DEBUG else 1 if level <= logging.INFO else 0
        args.quiet = level >= logging.ERROR
        return level
    if getattr(args, "quiet", False):
        return logging.ERROR
    verbose = getattr(args, "verbose", 0)
    return logging.DEBUG if verbose >= 2 else logging.INFO if verbose == 1 else logging.WARNING


_LOG_PREFIX = {logging.WARNING: "warning: ", logging.ERROR: "error: ", logging.CRITICAL: "error: "}


class _OneLine(logging.Formatter):
    """`audit: message`, `audit: warning: message`: like every other stderr line, one inert
    line (log messages carry registry and lockfile text; see auditor.sanitize)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            # Never a traceback on stderr: the exception's one line.
            message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        return console(f"audit: {_LOG_PREFIX.get(record.levelno, '')}{message}")


@contextmanager
def _logging_to_stderr(level: int) -> Iterator[None]:
    """The `auditor` loggers write to this command's stderr at `level`, then stop."""
    logger = logging.getLogger("auditor")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _add_report_options(p: argparse.ArgumentParser) -> None:
    """--format, --output and a --NAME FILE option per format, from the report registry."""
    from auditor.report import FORMATS, REPORT_FORMATS

    p.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        default=None,
        help="report format on stdout or --output (default: text)",
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write the --format report here, not stdout"
    )
    for fmt in REPORT_FORMATS:
        if fmt.file_help is not None:
            p.add_argument(f"--{fmt.name}", metavar="FILE", help=fmt.file_help)


def _add_recursive(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument(
        "-r",
        "--recursive",
        nargs="?",
        const=".",
        metavar="DIR",
        help=f"{verb} every lockfile under DIR (default: the current directory), skipping "
        "node_modules and .git; each name@version is fetched once for all of them"
        + (" and the reports have a section per lockfile" if verb == "audit" else ""),
    )


def build_audit_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="audit",
        description=(
            "Audit every dependency of an npm lockfile against its Sigstore attestations "
            "and a policy.  Sub-commands: 'audit fetch', 'audit policy check', "
            "'audit policy explain', 'audit trust update', 'audit lock'."
        ),
        epilog=(
            "exit codes: 0 no failing finding; 1 failing findings; 2 usage or input error; "
            "3 incomplete (a package could not be fetched or decided)"
        ),
    )
    p.add_argument(
        "lockfile",
        nargs="*",
        metavar="LOCKFILE",
        help="package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock or bun.lock, "
        "or a directory (default: the lockfile in the current directory that its package "
        "manager installs from)",
    )
    _add_recursive(p, "audit")
    p.add_argument("--policy", metavar="FILE", help="TOML policy (default: report only)")
    _add_report_options(p)
    p.add_argument(
        "--sarif-category",
        metavar="CATEGORY",
        help="code-scanning category written as the SARIF automationDetails.id, which "
        "upload-sarif's own category input cannot override (default: "
        "npm-provenance-auditor/<lockfile path>)",
    )
    p.add_argument(
        "--fail-on",
        choices=("error", "warning", "never"),
        default="error",
        help="lowest finding level that makes the exit code 1 (default: error)",
    )
    _add_registry_options(p)
    p.add_argument(
        "--attestations-registry",
        metavar="URL",
        help="fetch attestations, signatures and packuments from this registry (the origin) "
        "while the configured registry is a mirror that strips them (policy: [registry] "
        "attestations)",
    )
    p.add_argument(
        "--offline",
        metavar="DIR",
        help="read registry responses from DIR (written by 'audit fetch'); no network",
    )
    p.add_argument(
        "--trusted-root", metavar="FILE", help="Sigstore trusted_root.json (default: pinned copy)"
    )
    p.add_argument(
        "--npm-keys", metavar="FILE", help="npm registry keys file (default: pinned copy)"
    )
    base = p.add_mutually_exclusive_group()
    base.add_argument(
        "--base", metavar="FILE", help="audit only what changed against this base lockfile"
    )
    base.add_argument(
        "--base-ref",
        metavar="REF",
        help="audit only what changed against the lockfile at this git ref",
    )
    p.add_argument(
        "--policy-from-ref",
        metavar="REF",
        help="read the configuration files inside the repository (--policy, .npmrc, "
        "--trusted-root, --npm-keys) at this git ref (default with --base-ref: its ref)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        dest="audit_all",
        help="with --base/--base-ref: audit every package, still reporting the changes",
    )
    _add_output_noise_options(p)
    p.add_argument("--version", action="version", version=f"audit {__version__}")
    return p


def build_fetch_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="audit fetch",
        description="Fetch the registry responses a lockfile needs into DIR, for --offline.",
    )
    p.add_argument("lockfile", nargs="*", metavar="LOCKFILE")
    _add_recursive(p, "fetch")
    p.add_argument("--into", metavar="DIR", required=True, help="offline directory to write")
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="also fetch packuments when this policy needs them",
    )
    p.add_argument(
        "--packuments",
        action="store_true",
        help="always fetch packuments too (for any policy used offline later)",
    )
    _add_registry_options(p)
    _add_output_noise_options(p)
    return p


def build_lock_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="audit lock",
        description=(
            "Record the verified build identity of every package with provenance in an "
            "identity lock (see [identity_lock] in docs/policy.md): sorted, one line per "
            "package, reviewed like code."
        ),
    )
    p.add_argument("lockfile", nargs="?", metavar="LOCKFILE")
    p.add_argument(
        "--write",
        metavar="FILE",
        help="write the identity lock to FILE (default with --update: the policy's "
        "[identity_lock] file)",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="refresh an existing lock: the audited packages' entries are replaced, "
        "the others kept",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="the policy whose [identity_lock] file --update refreshes (default: "
        ".auditor.toml at the repository root)",
    )
    _add_registry_options(p)
    p.add_argument("--attestations-registry", metavar="URL", help="as for 'audit'")
    p.add_argument("--offline", metavar="DIR", help="as for 'audit'")
    p.add_argument("--trusted-root", metavar="FILE", help="as for 'audit'")
    p.add_argument("--npm-keys", metavar="FILE", help="as for 'audit'")
    _add_output_noise_options(p)
    return p


def build_trust_parser() -> argparse.ArgumentParser:
    from auditor.registry.trustupdate import DEFAULT_TUF_URL

    p = _Parser(prog="audit trust", description="Refresh the trust material.")
    sub = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    update = sub.add_parser(
        "update",
        help="fetch the current Sigstore trusted root and npm registry keys through "
        "Sigstore's TUF repository (verified by TUF) into the user data directory",
    )
    update.add_argument(
        "--tuf-url", metavar="URL", default=DEFAULT_TUF_URL, help="TUF repository base URL"
    )
    update.add_argument(
        "--tuf-root",
        metavar="FILE",
        help="TUF root.json to trust the repository with (default: the root the sigstore "
        "package embeds, for Sigstore's public-good repository only)",
    )
    update.add_argument(
        "--npm-keys-target",
        metavar="NAME",
        help="TUF target of the npm registry keys (default: keys.json in the role the "
        "repository delegates to the npm registry)",
    )
    _add_output_noise_options(update)
    return p


def build_policy_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="audit policy", description="Validate or explain a policy file.")
    sub = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    check = sub.add_parser("check", help="validate a policy file (exit 0 valid, 2 invalid)")
    check.add_argument("file", metavar="FILE")
    explain = sub.add_parser("explain", help="print the effective policy with every default")
    explain.add_argument("file", metavar="FILE", nargs="?")
    explain.add_argument("--format", choices=("text", "json"), default="text")
    return p


# Collect cyclic garbage after this many new container objects instead of CPython's 700.
# A run allocates millions of short-lived, acyclic objects (JSON documents, results) that
# reference counting frees; the default threshold spent ~0.1 s of CPU per 3,000 packages
# re-scanning them.  Cycles are still collected, just less often (memory stays bounded).
GC_THRESHOLD = 50_000


def main(argv: Sequence[str] | None = None) -> int:
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    finally:
        gc.set_threshold(*thresholds)  # callers embedding `main` keep their own setting
        forget_masks()  # one command's secrets (auditor.sanitize.mask) are not the next's


SUBCOMMANDS = ("fetch", "policy", "trust", "lock")


def _main(args: list[str]) -> int:
    try:
        if args and args[0] == "fetch":
            fetch = build_fetch_parser().parse_args(args[1:])
            _check_noise(fetch, "audit fetch")
            with _logging_to_stderr(_log_level(fetch)):
                return _cmd_fetch(fetch)
        if args and args[0] == "policy":
            return _cmd_policy(build_policy_parser().parse_args(args[1:]))
        if args and args[0] == "trust":
            trust = build_trust_parser().parse_args(args[1:])
            with _logging_to_stderr(_log_level(trust)):
                return _cmd_trust(trust)
        if args and args[0] == "lock":
            lock = build_lock_parser().parse_args(args[1:])
            _check_noise(lock, "audit lock")
            with _logging_to_stderr(_log_level(lock)):
                return _cmd_lock(lock)
        if args:
            _suggest_command(args[0])
        audit = build_audit_parser().parse_args(args)
        _check_noise(audit, "audit")
        with _logging_to_stderr(_log_level(audit)):
            return _cmd_audit(audit)
    except AuditorError as exc:
        _err(f"audit: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        _err("audit: interrupted")
        return 130
    except BrokenPipeError:
        # stdout closed early (`audit | head`): not an error of ours.
        sys.stderr.close()
        return EXIT_OK


def _suggest_command(first: str) -> None:
    """`audit polcy`: a mistyped sub-command, not a lockfile that does not exist."""
    import difflib

    if first.startswith("-") or "/" in first or "." in first or os.path.lexists(first):
        return
    match = difflib.get_close_matches(first, SUBCOMMANDS, n=1, cutoff=0.6)
    if match:
        raise UsageError(f"unknown command {first!r}; did you mean {match[0]!r}?")


def _err(message: str) -> None:
    # Messages carry registry and lockfile text: one inert line (see auditor.sanitize).
    print(console(message), file=sys.stderr)


def _resolve_lockfile(arg: str | None, *, quiet: bool = False) -> LockfileChoice:
    """The lockfile npm installs from; says so on stderr when it is not the one asked for."""
    from auditor.lockfile import choose_lockfile

    choice = choose_lockfile(Path(arg) if arg else None, Path.cwd())
    if choice.note is not None and not quiet:
        _err(f"audit: {choice.note}")
    return choice


@contextmanager
def _naming_both(choice: LockfileChoice) -> Iterator[None]:
    """An unreadable or invalid shrinkwrap beside package-lock.json: one line naming both."""
    from auditor.errors import LockfileError

    try:
        yield
    except LockfileError as exc:
        if choice.requested is None or not str(exc).startswith(str(choice.path)):
            raise
        from auditor.lockfile.discovery import manager_of

        manager = manager_of(choice.path.name) or "the package manager"
        raise LockfileError(
            f"{exc} ({manager} installs from it, not from {choice.requested})"
        ) from None


def _cmd_policy(args: argparse.Namespace) -> int:
    from auditor.policy import default_policy, explain_policy, load_policy

    if args.action == "check":
        policy = load_policy(Path(args.file))
        print(console(f"{args.file}: valid ({policy.summary()})"))
        return EXIT_OK
    policy = load_policy(Path(args.file)) if args.file else default_policy()
    print(explain_policy(policy, fmt=args.format), end="")
    return EXIT_OK


def _cmd_trust(args: argparse.Namespace) -> int:
    from auditor.registry.trustupdate import update_trust

    stored = update_trust(
        url=args.tuf_url,
        tuf_root=Path(args.tuf_root) if args.tuf_root else None,
        keys_target=args.npm_keys_target,
    )
    if not args.quiet:
        _err(
            f"audit trust update: trusted root and npm registry keys from {stored.tuf_url} "
            f"verified by TUF and stored in {stored.trusted_root.parent} ({stored.updated_at})"
        )
    return EXIT_OK


def _cmd_lock(args: argparse.Namespace) -> int:
    """Audit every package and record the verified identities (no policy findings: the
    run only fails when it could not decide a package or found tampering)."""
    from auditor.models import Level
    from auditor.pipeline import AuditOptions, run_audit
    from auditor.policy import Policy, default_policy, load_policy
    from auditor.registry.trustupdate import trust_in_use
    from auditor.report.summary import summary_line
    from auditor.signals.identity_lock import dump_lock, load_lock, lock_path, record

    choice = _resolve_lockfile(args.lockfile, quiet=args.quiet)
    target = Path(args.write) if args.write else None
    if target is None:
        if not args.update:
            raise UsageError("audit lock: --write FILE is required (or --update)")
        policy_path, _ = _find_policy(args.policy, choice.path)
        if policy_path is None:
            raise UsageError(
                "audit lock: --update needs --write FILE or a policy with [identity_lock] file"
            )
        named = load_policy(policy_path).identity_lock.file
        if named is None:
            raise UsageError(f"audit lock: {policy_path} has no [identity_lock] file")
        target = lock_path(policy_path, named)
    previous = load_lock(target) if args.update else None
    # The levels above provenance need the registry's claims: read packuments.
    policy = Policy(levels={**default_policy().levels, "identity-new": Level.WARNING})
    trusted_root, npm_keys, trust_files = trust_in_use(
        Path(args.trusted_root) if args.trusted_root else None,
        Path(args.npm_keys) if args.npm_keys else None,
    )
    options = AuditOptions(
        registry=args.registry,
        offline=Path(args.offline) if args.offline else None,
        trusted_root=trusted_root,
        npm_keys=npm_keys,
        trust_files=trust_files,
        concurrency=args.concurrency,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        use_cache=not args.no_cache,
        quiet=args.quiet,
        verbose=args.verbose,
        attestations_registry=args.attestations_registry,
        announce=None if args.quiet else (lambda line: _err(f"audit lock: {line}")),
    )
    with _naming_both(choice):
        report = run_audit(choice.path, policy, options)
    code = exit_code_for(report, fail_on="error")
    if code != EXIT_OK:
        # A lock recorded while packages are undecided or tampered with would leave them
        # out (or record what an attacker chose): refuse, fail closed.
        _err(f"audit: {summary_line(report)}")
        _err(f"audit lock: error: {target} not written: fix the failures above first")
        return code
    lock = record(report.results, previous)
    text = dump_lock(lock)
    from auditor.fileio import write_output

    try:
        write_output(target, text.encode(), file_mode=0o644)
    except OSError as exc:
        raise UsageError(f"audit lock: cannot write {target}: {exc.strerror or exc}") from None
    if not args.quiet:
        identities = sum(len(v) for v in lock.packages.values())
        changed = ""
        if previous is not None:
            names = sorted(n for n in lock.packages if previous.packages.get(n) != lock.packages[n])
            changed = f"; {len(names)} changed" + (f" ({', '.join(names[:10])})" if names else "")
        _err(
            f"audit lock: {len(lock.packages)} packages ({identities} identities) "
            f"recorded in {target}{changed}"
        )
    return EXIT_OK


def _cmd_fetch(args: argparse.Namespace) -> int:
    from auditor.lockfile import parse_lockfile
    from auditor.pipeline import FetchOptions, fetch_into
    from auditor.policy import load_policy

    choices, _ = _resolve_lockfiles(args)
    lockfiles = []
    for choice in choices:
        with _naming_both(choice):
            lockfiles.append(parse_lockfile(choice.path))
    lockfile = _union_lockfile(lockfiles)
    policy = load_policy(Path(args.policy)) if args.policy else None
    options = FetchOptions(
        into=Path(args.into),
        registry=args.registry,
        concurrency=args.concurrency,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        use_cache=not args.no_cache,
        packuments=args.packuments or (policy is not None and policy.needs_packuments),
        quiet=args.quiet,
        verbose=args.verbose,
    )
    summary = asyncio.run(fetch_into(lockfile, options))
    if not args.quiet:
        _err(summary.describe())
    return EXIT_INCOMPLETE if summary.errors else EXIT_OK


def _union_lockfile(lockfiles: list[Lockfile]) -> Lockfile:
    """Several lockfiles as one for `audit fetch`: every distinct package once (the first
    lockfile's path and project configuration)."""
    from auditor.pipeline.run import audit_key

    if len(lockfiles) == 1:
        return lockfiles[0]
    distinct = {audit_key(p): p for lf in reversed(lockfiles) for p in lf.packages}
    packages = sorted(distinct.values(), key=lambda p: (p.name, p.version, p.integrity or ""))
    return replace(lockfiles[0], packages=tuple(packages))


def _cmd_audit(args: argparse.Namespace) -> int:
    from auditor.policy import default_policy, load_policy

    if args.audit_all and not (args.base or args.base_ref):
        raise UsageError("--all needs --base FILE or --base-ref REF (without one, every package "
                         "is audited anyway)")  # fmt: skip
    outputs = _outputs(args)
    choices, root = _resolve_lockfiles(args)
    lockfile_path = choices[0].path
    policy_path, label = _find_policy(args.policy, lockfile_path)
    config_ref = args.policy_from_ref or args.base_ref
    if config_ref is None:
        policy = load_policy(policy_path) if policy_path else default_policy()
        return _run_audit(args, choices, root, policy, policy_path, label, outputs, None)
    from auditor.diff.baseconfig import BaseConfig

    option = "--policy-from-ref" if args.policy_from_ref else "--base-ref"
    # Pull-request mode: the configuration inside the repository comes from the base.
    with BaseConfig.open(config_ref, lockfile_path, option) as base_config:
        if args.base_ref and root is None and len(choices) == 1 and not _names_file(args):
            choices = _with_base_manager(choices[0], base_config, quiet=args.quiet)
        policy = base_config.policy(policy_path) if policy_path else default_policy()
        if policy_path is not None and policy.source is None:
            label = f"built-in default ({policy_path} is not in {config_ref})"
        elif policy_path is not None:
            label += f" as of {config_ref}"
        return _run_audit(args, choices, root, policy, policy_path, label, outputs, base_config)


def _to_stdout(render: Callable[[bool, int], str], fmt: str) -> None:
    """Write a rendered report to stdout: colour only for text on a terminal that allows
    it, the terminal's width (100 without one)."""
    tty = _isatty(sys.stdout)
    sys.stdout.write(render(fmt == "text" and tty and _color_allowed(os.environ), _width(tty)))
    sys.stdout.flush()


def _names_file(args: argparse.Namespace) -> bool:
    return any(not Path(name).is_dir() for name in args.lockfile)


def _with_base_manager(
    choice: LockfileChoice, base_config: BaseConfig, *, quiet: bool
) -> list[LockfileChoice]:
    """Pull-request mode, a directory with several package managers' lockfiles: which one
    is installed from is decided by package.json, which the pull request controls.  When
    the base decides for another manager's lockfile, both are audited (a pull request that
    adds a lockfile and a `packageManager` cannot steer the audit away from the other)."""
    from auditor.lockfile.discovery import (
        MAX_MANIFEST_BYTES,
        lockfiles_in,
        manager_at_ref,
        manager_of,
    )

    directory = choice.path.parent
    local = lockfiles_in(directory)
    if len(local.by_manager) < 2:
        return [choice]
    at = base_config.at
    manifest_rel = at.relative(directory / "package.json")
    if manifest_rel is None:
        return [choice]
    folder = manifest_rel.rpartition("/")[0]
    manifest = at.read(manifest_rel, MAX_MANIFEST_BYTES)
    base = manager_at_ref(folder, at.exists, manifest)
    head = manager_of(choice.path.name)
    if base is None or base == head or base not in local.by_manager:
        return [choice]
    other = local.by_manager[base]
    if not quiet:
        _err(
            f"audit: {at.ref} installs {directory} with {base} ({other.path.name}), the pull "
            f"request with {head} ({choice.path.name}): auditing both"
        )
    return [choice, other]


def _resolve_lockfiles(args: argparse.Namespace) -> tuple[list[LockfileChoice], Path | None]:
    """(the lockfiles to audit, the -r directory or None): one, several named, or every
    lockfile under a directory."""
    from auditor.errors import LockfileError
    from auditor.lockfile import walk_lockfiles

    names: list[str] = args.lockfile
    if args.recursive is not None:
        if names:
            raise UsageError("-r DIR audits every lockfile under DIR: name no LOCKFILE with it")
        root = Path(args.recursive)
        choices = walk_lockfiles(root)
        if not choices:
            raise LockfileError(f"-r: no lockfile under {root}")
        for choice in choices:  # a shrinkwrap audited instead of package-lock.json
            if choice.note is not None and not args.quiet:
                _err(f"audit: {choice.note}")
    else:
        root = None
        if len(names) <= 1:
            return [_resolve_lockfile(names[0] if names else None, quiet=args.quiet)], None
        choices = [_resolve_lockfile(name, quiet=args.quiet) for name in names]
    # The same file named twice (or found under two spellings) is audited once.
    unique = {c.path.resolve(): c for c in reversed(choices)}
    choices = list(reversed(unique.values()))
    if len(choices) > 1 and getattr(args, "base", None):
        raise UsageError("--base FILE compares one lockfile; with several use --base-ref REF")
    return choices, root


def _run_audit(
    args: argparse.Namespace,
    choices: list[LockfileChoice],
    root: Path | None,
    policy: Policy,
    policy_path: Path | None,
    policy_label: str,
    outputs: tuple[str | None, str, dict[str, Path]],
    base_config: BaseConfig | None,
) -> int:
    from auditor.diff.baseconfig import ROLE_NPM_KEYS, ROLE_TRUSTED_ROOT
    from auditor.pipeline import AuditOptions, run_audit
    from auditor.report import render, write_reports
    from auditor.report.summary import summary_line

    stdout_format, output_format, files = outputs
    trusted_root = Path(args.trusted_root) if args.trusted_root else None
    npm_keys = Path(args.npm_keys) if args.npm_keys else None
    from auditor.registry.trustupdate import trust_in_use

    if base_config is not None:
        if trusted_root is not None:
            trusted_root = base_config.trust_file(trusted_root, ROLE_TRUSTED_ROOT, "--trusted-root")
        if npm_keys is not None:
            npm_keys = base_config.trust_file(npm_keys, ROLE_NPM_KEYS, "--npm-keys")

    identity_lock = _identity_lock(policy, policy_path, base_config)

    def announce(line: str) -> None:
        _err(f"audit: {line}; policy {policy_label}")

    # An option wins; else the copy `audit trust update` stored; else the pinned one.
    trusted_root, npm_keys, trust_files = trust_in_use(trusted_root, npm_keys)
    options = AuditOptions(
        registry=args.registry,
        offline=Path(args.offline) if args.offline else None,
        trusted_root=trusted_root,
        npm_keys=npm_keys,
        trust_files=trust_files,
        identity_lock=identity_lock,
        concurrency=args.concurrency,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        use_cache=not args.no_cache,
        base=Path(args.base) if args.base else None,
        base_ref=args.base_ref,
        audit_all=args.audit_all,
        quiet=args.quiet,
        verbose=args.verbose,
        # A policy the base does not have gives the built-in default (source None).
        policy_path=policy_path if policy_path and policy.source else None,
        base_config=base_config,
        # `--base FILE` has no ref to read the project .npmrc at: with an explicit
        # --registry, the pull request's .npmrc is not read at all.
        project_npmrc=not (args.base and args.registry),
        attestations_registry=args.attestations_registry,
        announce=None if args.quiet else announce,
    )
    if len(choices) > 1:  # with one lockfile (-r too) the report is the single one
        return _run_several(args, choices, root, policy, options, outputs)
    choice = choices[0]
    with _naming_both(choice):
        report = run_audit(choice.path, policy, options)
    report = replace(
        report,
        fail_on=args.fail_on,
        lockfile_requested=None if choice.requested is None else str(choice.requested),
        lockfile_note=choice.note,
    )
    for failure in report.failures:  # once per registry, not once per package
        _err(f"audit: error: {failure.describe()}")
    code = exit_code_for(report, fail_on=args.fail_on)
    if report.base is not None and not report.changes and not args.quiet:
        nothing = "" if args.audit_all else ": nothing was audited"
        _err(f"audit: no changes against the base ({report.base}){nothing}")

    category = args.sarif_category
    write_reports(report, files, sarif_category=category)
    if args.output:
        write_reports(report, {output_format: Path(args.output)}, sarif_category=category)
    if stdout_format is not None:
        # -v never changes stdout: its evidence goes to stderr with the other notes.
        _to_stdout(
            lambda color, width: render(
                report, stdout_format, color=color, sarif_category=category, width=width
            ),
            stdout_format,
        )
    if args.verbose:
        from auditor.report.text import render_evidence

        evidence = render_evidence(report, width=_width(_isatty(sys.stderr)))
        if evidence:
            sys.stderr.write(evidence)
    if not args.quiet or code != EXIT_OK:
        _err(f"audit: {summary_line(report)}")
    return code


def _identity_lock(
    policy: Policy, policy_path: Path | None, base_config: BaseConfig | None
) -> IdentityLock | None:
    """The identity lock `[identity_lock] file` names (relative to the policy file's
    directory), read at the base ref in pull-request mode like the policy; None without."""
    from auditor.diff.baseconfig import ROLE_IDENTITY_LOCK
    from auditor.signals.identity_lock import IdentityLockError, load_lock, lock_path, parse_lock

    named = policy.identity_lock.file
    if named is None or policy_path is None:
        return None
    path = lock_path(policy_path, named)
    if base_config is not None:
        got = base_config.read(path, ROLE_IDENTITY_LOCK)
        if got is not None:
            data, label = got
            if data is None:
                raise IdentityLockError(
                    f"{label}: identity lock not found at {base_config.ref} (the policy "
                    "there names it in [identity_lock] file)"
                )
            return parse_lock(data, label)
    return load_lock(path)


def _run_several(
    args: argparse.Namespace,
    choices: list[LockfileChoice],
    root: Path | None,
    policy: Policy,
    options: AuditOptions,
    outputs: tuple[str | None, str, dict[str, Path]],
) -> int:
    """Several lockfiles (`-r DIR` or several LOCKFILEs): one run, a report per lockfile."""
    from auditor.lockfile import parse_lockfile
    from auditor.pipeline import audit_lockfiles
    from auditor.report.multi import MultiReport, render_multi, write_multi_reports
    from auditor.report.summary import summary_line

    stdout_format, output_format, files = outputs
    items = []
    for choice in choices:
        with _naming_both(choice):
            items.append((parse_lockfile(choice.path), choice.path))
    reports = audit_lockfiles(items, policy, options)
    multi = MultiReport(
        tuple(
            replace(
                report,
                fail_on=args.fail_on,
                lockfile_requested=None if c.requested is None else str(c.requested),
                lockfile_note=c.note,
            )
            for report, c in zip(reports, choices, strict=True)
        ),
        root=None if root is None else str(root),
    )
    combined = multi.combined
    for failure in combined.failures:  # once per registry, not once per package or lockfile
        _err(f"audit: error: {failure.describe()}")
    code = multi.exit_code
    category = args.sarif_category
    write_multi_reports(multi, files, sarif_category=category)
    if args.output:
        write_multi_reports(multi, {output_format: Path(args.output)}, sarif_category=category)
    if stdout_format is not None:
        _to_stdout(
            lambda color, width: render_multi(
                multi, stdout_format, color=color, sarif_category=category, width=width
            ),
            stdout_format,
        )
    if args.verbose:
        from auditor.report.text import render_evidence

        for report in multi.reports:
            evidence = render_evidence(report, width=_width(_isatty(sys.stderr)))
            if evidence:
                sys.stderr.write(evidence)
    if not args.quiet or code != EXIT_OK:
        _err(f"audit: {len(multi.reports)} lockfiles: {summary_line(combined)}")
    return code


def _outputs(args: argparse.Namespace) -> tuple[str | None, str, dict[str, Path]]:
    """(the format stdout gets or None, the --format report's format, the other files).

    `--json -` (or --sarif/--markdown) puts that report on stdout; only one report can go
    there, so an explicit other --format then needs --output.
    """
    from auditor.report import REPORT_FORMATS

    extra: dict[str, str | None] = {
        f.name: getattr(args, f.name) for f in REPORT_FORMATS if f.file_help is not None
    }
    dashes = [fmt for fmt, path in extra.items() if path == "-"]
    files = {fmt: Path(path) for fmt, path in extra.items() if path and path != "-"}
    fmt = args.format or "text"
    if len(dashes) > 1:
        raise UsageError(f"only one report can go to stdout, not {' and '.join(dashes)}")
    if not dashes:
        return (None if args.output else fmt), fmt, files
    if args.output is None and args.format not in (None, dashes[0]):
        raise UsageError(
            f"--{dashes[0]} - and --format {args.format} both write to stdout; "
            "add --output FILE for the --format report"
        )
    return dashes[0], fmt, files


# Without --policy, a policy file with this name at the repository root applies.
DISCOVERED_POLICY = ".auditor.toml"


def _find_policy(arg: str | None, lockfile: Path) -> tuple[Path | None, str]:
    """(the policy file or None for the built-in default, how stderr names it)."""
    if arg:
        return Path(arg), arg
    start = lockfile.resolve().parent
    root = next((d for d in (start, *start.parents) if (d / ".git").exists()), start)
    candidate = root / DISCOVERED_POLICY
    if candidate.is_file():
        shown = os.path.relpath(candidate) if candidate.is_relative_to(Path.cwd()) else candidate
        return candidate, f"{shown} (found at the repository root)"
    return None, f"built-in default (report only; no --policy, no {DISCOVERED_POLICY})"


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def _color_allowed(env: os._Environ[str] | dict[str, str]) -> bool:
    """https://no-color.org: NO_COLOR set (any value); dumb terminals get none either."""
    return "NO_COLOR" not in env and env.get("TERM") != "dumb"


def _width(tty: bool) -> int:
    """The terminal's width; 100 when writing to a file or pipe (stable CI logs)."""
    import shutil

    from auditor.report.text import WIDTH

    if not tty:
        return WIDTH
    return shutil.get_terminal_size((WIDTH, 24)).columns


def exit_code_for(report: Report, *, fail_on: str) -> int:
    """3 when the audit is incomplete and the policy does not allow it, else 1 or 0."""
    from auditor.report.summary import exit_code

    return exit_code(replace(report, fail_on=fail_on))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
