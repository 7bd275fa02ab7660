"""FL902: names follow one convention, so that files read alike: snake_case, events UPPER_CASE.

Checked on the declarations of the main file only (imported files are
linted on their own), whether or not a workflow uses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flowc.compiler.workflow import Analysis
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, diagnose
from flowc.dsl.source import Span

SNAKE = re.compile(r"[a-z_][a-z0-9_]*")
UPPER = re.compile(r"[A-Z_][A-Z0-9_]*")


def naming(analysis: Analysis) -> Iterator[Diagnostic]:
    module = analysis.sources.main_module
    if module is None:
        return
    for kind, name, span in _names(module):
        if kind == "event":
            if not UPPER.fullmatch(name):
                yield _warn(kind, name, span, "UPPER_CASE", _words(name).upper())
        elif not SNAKE.fullmatch(name):
            yield _warn(kind, name, span, "snake_case", _words(name).lower())


def _warn(kind: str, name: str, span: Span, style: str, suggestion: str) -> Diagnostic:
    return diagnose("FL902", span, f"e.g. `{suggestion}`", kind=kind, name=name, style=style)


def _words(name: str) -> str:
    """`fastMA` -> `fast_MA`, `HTTPServer2` -> `HTTP_Server2`: word breaks made explicit."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)


def _names(module: ast.Module) -> Iterator[tuple[str, str, Span]]:
    """(kind, name, span) of every name the module declares."""
    for decl in module.declarations:
        if isinstance(decl, ast.Param):
            yield "param", decl.name, decl.span
        elif isinstance(decl, ast.EventDecl):
            yield "event", decl.name, decl.span
            for f in decl.fields:
                yield "field", f.name, f.span
        elif isinstance(decl, ast.RoleDecl):
            yield "role", decl.name, decl.span
        elif isinstance(decl, ast.ContainersDecl):
            yield "container pattern", decl.name, decl.span
            yield from _items(decl.items)
        elif isinstance(decl, ast.CommunicationDecl):
            yield "communication pattern", decl.name, decl.span
        elif isinstance(decl, ast.WorkflowDecl):
            yield "workflow", decl.name, decl.span


def _items(items: tuple[ast.Setting | ast.Container, ...]) -> Iterator[tuple[str, str, Span]]:
    for item in items:
        if isinstance(item, ast.Container):
            yield "container", item.name, item.span
            yield from _items(item.items)
        else:
            yield "setting", item.name, item.span
