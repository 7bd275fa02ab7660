"""Exit codes are defined once, in `flowc.tools.exit_codes`, and every command uses those names.

An AST scan of the tools layer: no other module assigns a name `EXIT_*`, and no command function
returns an integer literal (a `return 2` hides which code it means).
"""

from __future__ import annotations

import ast
from pathlib import Path

from flowc.tools import exit_codes

ROOT = Path(__file__).resolve().parents[1]
TOOLS = sorted(p for p in (ROOT / "tools").rglob("*.py") if p.name != "exit_codes.py")
COMMANDS = [ROOT / "tools" / "cli.py", *sorted((ROOT / "tools" / "commands").glob("*.py"))]


def test_the_codes():
    assert (exit_codes.EXIT_OK, exit_codes.EXIT_ERRORS, exit_codes.EXIT_USAGE, exit_codes.EXIT_INTERRUPTED) == \
        (0, 1, 2, 130)


def test_no_module_defines_its_own_exit_codes():
    defined = []
    for path in TOOLS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AnnAssign) else []
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            defined += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.startswith("EXIT_")]
    assert not defined, f"exit codes defined outside tools/exit_codes.py: {defined}"


def test_commands_return_named_exit_codes():
    literal = []
    for path in COMMANDS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef) or not (function.returns and ast.unparse(function.returns)
                                                                  in ("int", "tuple[int, argparse.Namespace]")):
                continue
            for node in ast.walk(function):
                value = node.value if isinstance(node, ast.Return) else None
                if isinstance(value, ast.Tuple) and value.elts:
                    value = value.elts[0]
                if isinstance(value, ast.Constant) and isinstance(value.value, int):
                    literal.append(f"{path.relative_to(ROOT)}:{node.lineno} return {value.value}")
    assert not literal, f"use the names of flowc.tools.exit_codes: {literal}"
