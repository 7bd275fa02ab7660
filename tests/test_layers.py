"""The layers import downwards only, and no module imports another's private names.

`flowc.dsl` <- `flowc.compiler` <- `flowc.runtime` <- `flowc.tools`: a module may import from
its own layer and the ones below it, never above (DESIGN, "One direction only"). Walks the
import statements of every module, lazy imports inside functions included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("dsl", "compiler", "runtime", "tools")  # bottom to top; `grammars` is data


def _modules() -> list[tuple[str, Path]]:
    return [(layer, path) for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))]


def _module_name(layer: str, path: Path) -> str:
    parts = path.relative_to(ROOT / layer).with_suffix("").parts
    return ".".join(("flowc", layer, *(p for p in parts if p != "__init__")))


def _imports(path: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names) of every `import` and `from ... import` of flowc modules."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, ()) for a in node.names if a.name.startswith("flowc.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("flowc"):
            found.append((node.lineno, node.module, tuple(a.name for a in node.names)))
    return found


@pytest.mark.parametrize(("layer", "path"), _modules(), ids=lambda v: str(v.relative_to(ROOT)) if isinstance(
    v, Path) else v)
def test_imports_go_down_and_stay_public(layer: str, path: Path) -> None:
    own = _module_name(layer, path)
    problems = []
    for line, module, names in _imports(path):
        target = module.split(".")[1] if module.count(".") else ""
        if target in LAYERS and LAYERS.index(target) > LAYERS.index(layer):
            problems.append(f"line {line}: `{module}` is above `flowc.{layer}`")
        private = [n for n in names if n.startswith("_") and module != own]
        private += [p for p in module.split(".") if p.startswith("_") and p != "__init__"]
        if private:
            problems.append(f"line {line}: private {', '.join(private)} of `{module}`")
    assert not problems, "\n".join(problems)


def test_the_walk_sees_every_layer() -> None:
    seen = {layer for layer, _ in _modules()}
    assert seen == set(LAYERS)
