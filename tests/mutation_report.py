"""Summarise a `make mutation` run from mutmut's record (`mutants/**/*.py.meta`).

    python -m tests.mutation_report                   counts per module
    python -m tests.mutation_report survivors [RE]    each survivor's change, classified
    python -m tests.mutation_report timeouts [RE]     each timed-out mutant's change

A change is classified by comparing the mutant with the original function once every string
constant is blanked: `semantic` when the code differs, else `reason-code` when a changed
string looks like a reason code, else `text` (a message, a label, but also a dict key or a
prefix: judge it).  docs/verification.md lists the verdicts.  Reads mutmut 3's meta files
(the `mutation` extra pins the major version).
"""

from __future__ import annotations

import ast
import collections
import copy
import difflib
import json
import re
import sys
from pathlib import Path

MUTANTS = Path("mutants")
# mutmut 3's exit codes per mutant (mutmut/__main__.py, status_by_exit_code).
STATUS = {
    None: "not run",
    0: "survived",
    1: "killed",
    3: "killed",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "type check",
    -11: "segfault",
    -9: "segfault",
}
_CODE = re.compile(r"(XX)?[A-Z][A-Z0-9_]{2,}(XX)?")


def _records() -> list[tuple[Path, dict[str, int | None]]]:
    found = []
    for meta in sorted(MUTANTS.glob("**/*.py.meta")):
        exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
        found.append((meta.with_suffix(""), exit_codes))
    return found


def _functions(source: Path) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(source.read_text())
    return {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name
    }


class _BlankStrings(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant("") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return ast.Constant("")


def _strings(node: ast.AST) -> set[str]:
    return {
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _shape(node: ast.AST, name: str) -> str:
    blank = _BlankStrings().visit(copy.deepcopy(node))
    return ast.dump(blank).replace(name, "")


def describe(
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef], key: str
) -> tuple[str, str]:
    """(class, unified diff of the function's source) of the mutant `key`."""
    name = key.rsplit(".", 1)[-1]
    original = re.sub(r"__mutmut_\d+$", "__mutmut_orig", name)
    if name not in functions or original not in functions:
        return "unknown", ""
    before, after = functions[original], functions[name]
    if _shape(before, original) != _shape(after, name):
        kind = "semantic"
    elif any(_CODE.fullmatch(s) for s in _strings(before) ^ _strings(after)):
        kind = "reason-code"
    else:
        kind = "text"
    lines = difflib.unified_diff(
        ast.unparse(before).splitlines(), ast.unparse(after).splitlines(), lineterm="", n=0
    )
    changed = [line for line in lines if not line.startswith(("---", "+++", "@@"))]
    return kind, "\n".join(changed[2:])  # the def lines differ only by name


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "counts"
    pattern = re.compile(argv[1] if len(argv) > 1 else "")
    if mode not in ("counts", "survivors", "timeouts"):
        print(__doc__, file=sys.stderr)
        return 2
    records = _records()
    if not records:
        print(f"no mutmut record under {MUTANTS}/: run `make mutation` first", file=sys.stderr)
        return 2
    total: collections.Counter[str] = collections.Counter()
    for source, exit_codes in records:
        if not exit_codes:
            continue
        module = source.name.removesuffix(".py")
        if mode == "counts":
            counts = collections.Counter(
                STATUS.get(code, str(code)) for code in exit_codes.values()
            )
            total.update(counts)
            print(f"{module:12} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            continue
        wanted = {"survived"} if mode == "survivors" else {"timeout", "suspicious", "segfault"}
        functions = _functions(source)
        for key, code in exit_codes.items():
            if STATUS.get(code) in wanted and pattern.search(key):
                kind, diff = describe(functions, key)
                print(f"### {key}  [{kind}]\n{diff}")
    if mode == "counts":
        print(f"{'all':12} " + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
