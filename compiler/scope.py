"""Declarations of all loaded files, one namespace per kind, and the parameters' values.

Redefinition is an error, except a `param` declared again with the same type
and default (two imported standard patterns both declare `fast`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flowc.compiler.schema import EVENTS, ROLES, EventType, Role
from flowc.dsl import ast
from flowc.dsl.diagnostics import Diagnostic, diagnose, did_you_mean
from flowc.dsl.loader import SourceSet

PARAM_TYPES = ("int", "float", "bool", "str")
FIELD_TYPES = ("f64", "i64", "bool")

Value = int | float | bool | str


@dataclass
class Scope:
    params: dict[str, ast.Param] = field(default_factory=dict)
    events: dict[str, EventType] = field(default_factory=lambda: dict(EVENTS))
    roles: dict[str, Role] = field(default_factory=lambda: dict(ROLES))
    containers: dict[str, ast.ContainersDecl] = field(default_factory=dict)
    communications: dict[str, ast.CommunicationDecl] = field(default_factory=dict)
    workflows: dict[str, ast.WorkflowDecl] = field(default_factory=dict)
    workflow_files: dict[str, str] = field(default_factory=dict)  # workflow name -> declaring file
    diagnostics: list[Diagnostic] = field(default_factory=list)


def collect(sources: SourceSet) -> Scope:
    """Gather the declarations of every loaded module into one scope."""
    scope = Scope()
    for path, module in sources.modules.items():
        for decl in module.declarations:
            _declare(scope, path, decl)
    return scope


def _declare(scope: Scope, path: str, decl: ast.Decl) -> None:
    if isinstance(decl, ast.Param):
        _declare_param(scope, decl)
    elif isinstance(decl, ast.EventDecl):
        if _fresh(scope, scope.events, decl.name, "event", decl):
            for f in decl.fields:
                if f.type.name not in FIELD_TYPES:
                    scope.diagnostics.append(diagnose(
                        "FL501", f.type.span,
                        did_you_mean(f.type.name, FIELD_TYPES) or f"field types: {', '.join(FIELD_TYPES)}",
                        detail=f"unknown field type `{f.type.name}`"))
            scope.events[decl.name] = EventType(decl.name, tuple(f.name for f in decl.fields), builtin=False)
    elif isinstance(decl, ast.RoleDecl):
        if _fresh(scope, scope.roles, decl.name, "role", decl):
            scope.roles[decl.name] = Role(decl.name, frozenset(i.name for i in decl.consumes),
                                          frozenset(i.name for i in decl.produces), builtin=False)
    elif isinstance(decl, ast.ContainersDecl):
        if _fresh(scope, scope.containers, decl.name, "container pattern", decl):
            scope.containers[decl.name] = decl
    elif isinstance(decl, ast.CommunicationDecl):
        if _fresh(scope, scope.communications, decl.name, "communication pattern", decl):
            scope.communications[decl.name] = decl
    elif isinstance(decl, ast.WorkflowDecl) and _fresh(scope, scope.workflows, decl.name, "workflow", decl):
        scope.workflows[decl.name] = decl
        scope.workflow_files[decl.name] = path


def _fresh(scope: Scope, table: Mapping[str, object], name: str, kind: str, decl: ast.Node) -> bool:
    previous = table.get(name)
    if previous is None:
        return True
    where = getattr(previous, "span", None)
    hint = f"the first is at {where}" if where and where.line else "built-in names cannot be redefined"
    scope.diagnostics.append(diagnose("FL202", decl.span, hint,
                                      detail=f"the {kind} `{name}` is declared twice"))
    return False


def _declare_param(scope: Scope, decl: ast.Param) -> None:
    if decl.type.name not in PARAM_TYPES:
        scope.diagnostics.append(diagnose(
            "FL501", decl.type.span,
            did_you_mean(decl.type.name, PARAM_TYPES) or f"parameter types: {', '.join(PARAM_TYPES)}",
            detail=f"unknown parameter type `{decl.type.name}`"))
        return
    if decl.default is not None:
        problem = check_value(decl.type.name, literal(decl.default))
        if problem:
            scope.diagnostics.append(diagnose("FL501", decl.default.span,
                                              detail=f"the default of `{decl.name}` {problem}"))
            return
    previous = scope.params.get(decl.name)
    if previous is None:
        scope.params[decl.name] = decl
    elif previous.type.name != decl.type.name or previous.default != decl.default:
        scope.diagnostics.append(diagnose(
            "FL202", decl.span,
            f"the first is at {previous.span}; the same type and default would be one param",
            detail=f"the param `{decl.name}` is declared twice with a different type or default"))


def literal(expr: ast.Expr | None) -> Value | None:
    """The value of a literal expression (a negative number included), or None."""
    if isinstance(expr, ast.Number | ast.String | ast.Bool):
        return expr.value
    if isinstance(expr, ast.Unary) and expr.op == "-" and isinstance(expr.operand, ast.Number):
        return -expr.operand.value
    return None


MAX_WHOLE = 2**53  # an int param ends up in a float64 parameter vector: larger ones lose digits


def check_value(type_name: str, value: object) -> str | None:
    """None when `value` fits the parameter type, else what is wrong, in words."""
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
    }[type_name]
    if ok and isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value}"
    if ok and isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WHOLE:
        return f"must be a whole number of at most {MAX_WHOLE:,} in size"
    if ok:
        return None
    shown = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
    return f"must be {'an' if type_name == 'int' else 'a'} {type_name}, not {shown}"


def parse_override(text: str, type_name: str) -> Value:
    """A `--set` value in the param's type; raises ValueError with a message in words."""
    text = text.strip()
    if type_name == "str":
        return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
    if type_name == "bool":
        if text in ("true", "false"):
            return text == "true"
        raise ValueError(f"must be true or false, not `{text}`")
    try:
        number = float(text.replace("_", "")) if type_name == "float" else int(text.replace("_", ""))
    except ValueError:
        raise ValueError(f"must be {'an' if type_name == 'int' else 'a'} {type_name}, not `{text}`") from None
    problem = check_value(type_name, number)  # inf, nan, 1e309, a 400-digit int
    if problem:
        raise ValueError(problem)
    return number


def param_values(scope: Scope, overrides: Iterable[str]) -> tuple[dict[str, Value], list[Diagnostic]]:
    """Every param's value: its default, replaced by `--set NAME=VALUE` overrides."""
    values: dict[str, Value] = {}
    problems: list[Diagnostic] = []
    for name, decl in scope.params.items():
        value = literal(decl.default)
        if value is not None:
            values[name] = float(value) if decl.type.name == "float" else value
    for item in overrides:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.append(diagnose("FL511", None, detail=f"`--set {item}` is not of the form NAME=VALUE"))
            continue
        decl = scope.params.get(name)
        if decl is None:
            hint = did_you_mean(name, scope.params) or (
                "declared params: " + ", ".join(sorted(scope.params)) if scope.params else "no params declared")
            problems.append(diagnose("FL511", None, hint,
                                     detail=f"`--set {name}`: there is no param `{name}`"))
            continue
        try:
            values[name] = parse_override(text, decl.type.name)
        except ValueError as exc:
            problems.append(diagnose("FL511", decl.span, f"`{name}` is declared `{decl.type.name}`",
                                     detail=f"`--set {name}={text}`: `{name}` {exc}"))
    return values, problems
