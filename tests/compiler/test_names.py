"""A built-in role or event is named through `Roles` / `Events` (`compiler/schema.py`), never as bare text.

Walks the syntax tree of every module of `dsl`, `compiler`, `runtime` and `tools` and fails on a
string constant equal to a built-in role or event name that is an operand of `==`, `!=`, `in` or
`not in` (alone, or in a tuple, list or set literal), or an argument of `inputs_of`, `input` or
`of_role`: there it means the role or event, so it is spelled `Roles.RISK`, `Events.SIGNAL`.
Text in messages, docstrings, emitted code and JSON keys is not such an operand and is not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

from flowc.compiler.schema import Events, Roles

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("dsl", "compiler", "runtime", "tools")
NAMES = frozenset(Roles) | frozenset(Events)
LOOKUPS = frozenset({"inputs_of", "input", "of_role"})  # methods taking an event or a role
COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)

SCHEMA = "compiler/schema.py"  # where the names are defined
# Being split by other engineers, who convert their own literals; remove each entry once its split lands.
NOT_YET: frozenset[str] = frozenset()  # modules not converted yet: none
# (module, the comparison or call) -> why the text that equals a name is not that role or event
OTHER_MEANING: dict[tuple[str, str], str] = {}  # (module, text) -> why a built-in name means something else there


def _name_constants(node: ast.expr) -> list[ast.Constant]:
    """`node` if it is a string constant equal to a built-in name, or such elements of a literal collection."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return [c for c in items if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value in NAMES]


def bare_names(source: str) -> list[tuple[int, str, str]]:
    """(line, the name, the comparison or call's text) of every built-in name spelled as a bare string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(op, COMPARISONS) for op in node.ops):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Attribute) and node.func.attr in LOOKUPS)
                or (isinstance(node.func, ast.Name) and node.func.id in LOOKUPS)):
            operands = [*node.args, *(k.value for k in node.keywords)]
        else:
            continue
        found += [(c.lineno, c.value, ast.unparse(node)) for o in operands for c in _name_constants(o)]
    return sorted(found)


def _modules() -> list[str]:
    return [p.relative_to(ROOT).as_posix() for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))]


def test_no_bare_role_or_event_names() -> None:
    offences = []
    for module in _modules():
        if module == SCHEMA or module in NOT_YET:
            continue
        for line, name, text in bare_names((ROOT / module).read_text(encoding="utf-8")):
            if (module, text) not in OTHER_MEANING:
                offences.append(f"{module}:{line}: {name!r} in `{text}`")
    assert not offences, "spell these Roles.X / Events.X:\n" + "\n".join(offences)


def test_the_exceptions_still_exist() -> None:
    """Each allowed site is still there, so a stale entry is noticed and removed."""
    modules = set(_modules())
    assert modules >= NOT_YET
    for module, text in OTHER_MEANING:
        assert text in {t for _, _, t in bare_names((ROOT / module).read_text(encoding="utf-8"))}, (module, text)


def test_the_check_finds_each_form() -> None:
    source = """
if node.role == "risk": pass
if e.event != "PORTFOLIO": pass
if role in ("feature", "classifier"): pass
if "BAR" not in consumes: pass
node.inputs_of("SIGNAL")
node.input("BAR", source)
plan.of_role(role="portfolio")
if node.role == Roles.RISK and setting == "combine": pass
log("risk")
"""
    assert [(line, name) for line, name, _ in bare_names(source)] == [
        (2, "risk"), (3, "PORTFOLIO"), (4, "classifier"), (4, "feature"), (5, "BAR"), (6, "SIGNAL"), (7, "BAR"),
        (8, "portfolio")]


def test_names_are_their_text() -> None:
    assert Roles.RISK == "risk" and hash(Events.BAR) == hash("BAR")
    assert f"{Roles.DATA}" == str(Roles.DATA) == "data" and repr(Events.FILL) == repr("FILL")
